//! End to end in a real headless Chromium, driven over WebDriver: a logged-out user runs the
//! bookmarklet on a local page with text selected, logs in inside the popup, lands on the
//! prefilled form, adds tags and saves; the popup closes and the bookmark is on their page.
//! A second run on the same page opens the existing bookmark (with tag autocomplete), and with
//! the popup blocked the same-tab fallback saves and returns to the page.
//!
//! Needs Debian's `chromium` and `chromium-driver` (installed by `.ci/run`). Without them the
//! test says so and passes, unless COMMONPLACE_REQUIRE_BROWSER=1 (CI sets it) makes it fail.

// A failing expectation in a test should panic with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bookmarks::model::{ActorKeys, Password, PasswordHash, UserName};
use bookmarks::store::{self, NewAccount};
use bookmarks::test_db::TestDatabase;
use fantoccini::{Client, ClientBuilder, Locator};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use web::{Application, RegistrationMode, Settings};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const PASSWORD: &str = "correct horse battery";
const ARTICLE: &str = r#"<!doctype html><html><head><title>Why Rust matters</title></head>
<body><h1>Why Rust matters</h1><p id="quote">Memory safety without garbage collection.</p><p>More text.</p></body></html>"#;

/// Polls `$condition` (an expression that may `.await`) every 100 ms for up to 10 s.
macro_rules! wait_for {
    ($condition:expr, $what:expr) => {{
        let deadline = Instant::now() + Duration::from_secs(10);
        while !($condition) {
            assert!(Instant::now() < deadline, "{}", $what);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }};
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn start_chromedriver() -> (Driver, String) {
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (driver, format!("http://127.0.0.1:{port}"))
}

async fn open_browser(webdriver: &str, profile: &std::path::Path) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1200,900", format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    ClientBuilder::native()
        .capabilities(capabilities)
        .connect(webdriver)
        .await
        .expect("a WebDriver session")
}

/// Serves the article page on localhost; returns its URL.
async fn serve_article() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                let _ = socket.read(&mut buffer).await;
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{ARTICLE}",
                    ARTICLE.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    format!("http://localhost:{port}/article")
}

async fn spawn_commonplace(database: &TestDatabase) -> (String, bookmarks::Database) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let settings = Settings {
        registration: RegistrationMode::Closed,
        instance_name: "Office A".into(),
        login_attempts_per_minute: 20,
        ..Settings::local_test(port, &database.url)
    };
    let application = Application::build_with_listener(settings, listener)
        .await
        .expect("application");
    let db = application.database().clone();
    tokio::spawn(application.run_until_stopped());
    (format!("http://localhost:{port}"), db)
}

async fn wait_for_windows(client: &Client, count: usize) -> Vec<fantoccini::wd::WindowHandle> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let windows = client.windows().await.expect("windows");
        if windows.len() == count {
            return windows;
        }
        assert!(
            Instant::now() < deadline,
            "expected {count} windows, have {}",
            windows.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn value(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .expect(css)
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default()
}

const SELECT_QUOTE: &str = "const range = document.createRange(); \
    range.selectNodeContents(document.getElementById('quote')); \
    const selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range);";

/// Opens the article, selects the quote and runs the bookmarklet as a click on it would.
async fn run_bookmarklet(client: &Client, article: &str, bookmarklet: &str, before: &str) {
    client.goto(article).await.expect("article");
    let code = bookmarklet
        .strip_prefix("javascript:")
        .expect("a javascript: link");
    client
        .execute(&format!("{SELECT_QUOTE} {before} {code}"), vec![])
        .await
        .expect("bookmarklet runs");
}

/// Switches to the window that is not `main`.
async fn switch_to_popup(client: &Client, main: &fantoccini::wd::WindowHandle) {
    let windows = wait_for_windows(client, 2).await;
    let popup = windows.into_iter().find(|w| w != main).expect("the popup");
    client
        .switch_to_window(popup)
        .await
        .expect("switch to popup");
}

#[tokio::test]
async fn bookmarklet_saves_from_a_page_in_a_real_browser() {
    if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
        let required = std::env::var("COMMONPLACE_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
        assert!(!required, "COMMONPLACE_REQUIRE_BROWSER=1 but {CHROMIUM} or {CHROMEDRIVER} is missing; install chromium and chromium-driver");
        eprintln!("SKIPPED: the browser test needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)");
        return;
    }
    let database = TestDatabase::new();
    let (base, db) = spawn_commonplace(&database).await;
    let account = NewAccount {
        name: UserName::parse("alice").expect("name"),
        password_hash: PasswordHash::new(&Password::parse(PASSWORD).expect("policy"))
            .expect("hash"),
        is_admin: false,
        keys: ActorKeys::generate().expect("keys"),
    };
    db.write(|c| store::create_user(c, &account))
        .expect("alice");
    let article = serve_article().await;
    let (_driver, webdriver) = start_chromedriver().await;
    let profile = tempfile::tempdir().expect("profile dir");
    let client = open_browser(&webdriver, profile.path()).await;

    client
        .goto(&format!("{base}/tools"))
        .await
        .expect("tools page");
    let bookmarklet = client
        .find(Locator::Id("bookmarklet"))
        .await
        .expect("link")
        .attr("href")
        .await
        .expect("href")
        .expect("href set");
    let main = client.window().await.expect("main window");

    // 1. Logged out: the popup asks to log in, then shows the prefilled form.
    run_bookmarklet(&client, &article, &bookmarklet, "").await;
    switch_to_popup(&client, &main).await;
    client
        .find(Locator::Css("input[name=name]"))
        .await
        .expect("login form")
        .send_keys("alice")
        .await
        .expect("type");
    client
        .find(Locator::Css("input[name=password]"))
        .await
        .expect("password")
        .send_keys(PASSWORD)
        .await
        .expect("type");
    client
        .find(Locator::Css("form button[type=submit]"))
        .await
        .expect("log in")
        .click()
        .await
        .expect("click");
    wait_for!(
        client
            .find(Locator::Css("form.bookmark-form"))
            .await
            .is_ok(),
        "no save form after logging in"
    );
    assert_eq!(value(&client, "input[name=url]").await, article);
    assert_eq!(
        value(&client, "input[name=title]").await,
        "Why Rust matters"
    );
    assert_eq!(
        value(&client, "textarea[name=notes]").await,
        "Memory safety without garbage collection."
    );

    // 2. Add tags and save: the popup closes itself.
    client
        .find(Locator::Id("tags"))
        .await
        .expect("tags")
        .send_keys("rust, safety")
        .await
        .expect("type");
    client
        .find(Locator::Css("form.bookmark-form button[type=submit]"))
        .await
        .expect("save")
        .click()
        .await
        .expect("click");
    wait_for_windows(&client, 1).await;
    client
        .switch_to_window(main.clone())
        .await
        .expect("back to main");
    client
        .goto(&format!("{base}/u/alice"))
        .await
        .expect("user page");
    let page = client.source().await.expect("source");
    assert!(
        page.contains("Why Rust matters")
            && page.contains("Memory safety without garbage collection."),
        "{page}"
    );
    assert!(page.contains("/u/alice/t/rust") && page.contains("/u/alice/t/safety"));

    // 3. Second run on the same page: the popup opens the existing bookmark for editing.
    run_bookmarklet(&client, &article, &bookmarklet, "").await;
    switch_to_popup(&client, &main).await;
    wait_for!(
        client
            .source()
            .await
            .unwrap_or_default()
            .contains("You saved this on"),
        "the existing bookmark was not opened"
    );
    assert_eq!(value(&client, "#tags").await, "rust safety");
    // Tag autocomplete offers the user's own tags.
    let tags = client.find(Locator::Id("tags")).await.expect("tags");
    tags.clear().await.expect("clear");
    tags.send_keys("sa").await.expect("type");
    let suggestion = client
        .find(Locator::Css("#tag-suggestions button"))
        .await
        .expect("a suggestion");
    assert_eq!(suggestion.text().await.expect("text"), "safety");
    suggestion.click().await.expect("pick it");
    assert_eq!(value(&client, "#tags").await, "safety ");
    client.close_window().await.expect("close popup");
    client
        .switch_to_window(main.clone())
        .await
        .expect("back to main");

    // 4. Popup blocked: the same tab saves and comes back to the page.
    run_bookmarklet(
        &client,
        &article,
        &bookmarklet,
        "window.open = function () { return null; };",
    )
    .await;
    wait_for!(
        client
            .current_url()
            .await
            .expect("url")
            .as_str()
            .contains("/save?"),
        "no same-tab fallback"
    );
    let notes = client
        .find(Locator::Css("textarea[name=notes]"))
        .await
        .expect("notes");
    notes.clear().await.expect("clear");
    notes
        .send_keys("Edited in the same tab.")
        .await
        .expect("type");
    client
        .find(Locator::Css("form.bookmark-form button[type=submit]"))
        .await
        .expect("save")
        .click()
        .await
        .expect("click");
    wait_for!(
        client.current_url().await.expect("url").as_str() == article,
        "did not return to the page"
    );
    let saved = db
        .read(|c| {
            let user = store::find_user_by_name(c, &UserName::parse("alice").expect("name"))?
                .expect("alice");
            store::find_bookmark_by_url(
                c,
                user.id,
                &bookmarks::model::BookmarkUrl::parse(&article).expect("url"),
            )
        })
        .expect("read")
        .expect("saved");
    assert_eq!(saved.notes.as_str(), "Edited in the same tab.");
    assert_eq!(saved.tags.names(), vec!["rust", "safety"]);
    client.close().await.expect("end the session");
}
