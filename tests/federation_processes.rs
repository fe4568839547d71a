//! Delivery survives outages and crashes: real `commonplace serve` processes on
//! `localhost:{port}` in `local-test` mode, each with its own database (SQLite, or PostgreSQL
//! when COMMONPLACE_TEST_DATABASE_URL is set), delivering with their background workers.

// A failing expectation in a test should panic with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bookmarks::test_db::TestDatabase;
use serde_json::{json, Value};
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BINARY: &str = env!("CARGO_BIN_EXE_commonplace");
/// Longest wait for something the workers must do (the delivery backoff is at most a minute
/// while an outage is young).
const PATIENCE: Duration = Duration::from_secs(120);

struct Office {
    port: u16,
    database: TestDatabase,
    dir: tempfile::TempDir,
    server: Option<Child>,
}

impl Office {
    fn new() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("port");
        Self {
            port,
            database: TestDatabase::new(),
            dir: tempfile::tempdir().expect("dir"),
            server: None,
        }
    }

    fn command(&self) -> Command {
        let mut command = Command::new(BINARY);
        command.current_dir(self.dir.path());
        for (key, _) in std::env::vars() {
            if key.starts_with("COMMONPLACE_") {
                command.env_remove(key);
            }
        }
        command
            .env("COMMONPLACE_DATABASE_URL", &self.database.url)
            .env("COMMONPLACE_BIND", format!("127.0.0.1:{}", self.port))
            .env("COMMONPLACE_PUBLIC_URL", self.url(""))
            .env("COMMONPLACE_FEDERATION__MODE", "local-test")
            .env("RUST_LOG", "warn");
        command
    }

    fn url(&self, path: &str) -> String {
        format!("http://localhost:{}{path}", self.port)
    }

    fn host(&self) -> String {
        format!("localhost:{}", self.port)
    }

    /// Creates a user and returns an API token for them.
    fn user(&self, name: &str) -> String {
        let mut add = self
            .command()
            .args(["user", "add", name, "--password-stdin"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("user add");
        add.stdin
            .take()
            .unwrap()
            .write_all(b"correct horse battery\n")
            .unwrap();
        assert!(add.wait().unwrap().success());
        let out = self
            .command()
            .args(["token", "create", name])
            .output()
            .expect("token create");
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    async fn start(&mut self) {
        self.start_with(true).await;
    }

    /// A second server process on the same database and public URL, listening on `port`.
    fn second_process(&self, port: u16) -> Child {
        self.command()
            .arg("serve")
            .env("COMMONPLACE_BIND", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve")
    }

    /// Starts the server, with or without its delivery worker.
    async fn start_with(&mut self, deliver: bool) {
        let child = self
            .command()
            .arg("serve")
            .env("COMMONPLACE_FEDERATION__DELIVER", deliver.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve");
        self.server = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(r) = reqwest::get(self.url("/healthz")).await {
                if r.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("office on port {} did not start", self.port);
    }

    /// SIGKILL: no shutdown, no chance to finish anything.
    fn kill(&mut self) {
        if let Some(mut child) = self.server.take() {
            child.kill().expect("kill");
            child.wait().expect("reap");
        }
    }
}

impl Drop for Office {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn api(
    office: &Office,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    let mut request = reqwest::Client::new()
        .request(method, office.url(path))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    response.json().await.unwrap_or(Value::Null)
}

/// Polls `check` until it holds, or fails the test after `PATIENCE`.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("timed out waiting until {what}");
}

async fn network_urls(office: &Office, token: &str) -> Vec<String> {
    let page = api(
        office,
        token,
        reqwest::Method::GET,
        "/api/network?limit=200",
        None,
    )
    .await;
    page["bookmarks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["url"].as_str().unwrap().to_string())
        .collect()
}

async fn follow_and_wait(follower: &Office, token: &str, handle: &str) {
    api(
        follower,
        token,
        reqwest::Method::POST,
        "/api/follows",
        Some(json!({ "handle": handle })),
    )
    .await;
    eventually("the follow is accepted", || async {
        let follows = api(follower, token, reqwest::Method::GET, "/api/follows", None).await;
        follows["follows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["handle"] == handle && f["state"] == "accepted")
    })
    .await;
}

async fn save_many(office: &Office, token: &str, prefix: &str, count: usize) -> Vec<String> {
    let mut urls = Vec::new();
    for i in 0..count {
        let url = format!("https://example.com/{prefix}/{i}");
        api(
            office,
            token,
            reqwest::Method::POST,
            "/api/bookmarks",
            Some(json!({ "url": url, "title": format!("{prefix} {i}") })),
        )
        .await;
        urls.push(url);
    }
    urls.sort();
    urls
}

/// Deliveries still queued in an office's database (its server stopped).
fn pending_deliveries(office: &Office) -> i64 {
    use bookmarks::store::schema::deliveries;
    use diesel::prelude::*;
    let db = bookmarks::Database::open(&office.database.url).expect("open");
    db.read(|c| Ok(deliveries::table.count().get_result::<i64>(c)?))
        .expect("count")
}

async fn assert_exactly(office: &Office, token: &str, expected: &[String]) {
    let mut got = network_urls(office, token).await;
    got.sort();
    assert_eq!(got, expected, "every bookmark, each exactly once");
}

#[tokio::test]
async fn bookmarks_saved_while_an_office_is_down_arrive_once_it_is_back() {
    let (mut office_a, mut office_b) = (Office::new(), Office::new());
    let alice = office_a.user("alice");
    let bob = office_b.user("bob");
    office_a.start().await;
    office_b.start().await;
    follow_and_wait(&office_b, &bob, &format!("alice@{}", office_a.host())).await;

    office_b.kill();
    let expected = save_many(&office_a, &alice, "while-down", 50).await;
    // Let office A's worker fail against the closed port at least once.
    tokio::time::sleep(Duration::from_secs(3)).await;
    office_b.start().await;

    eventually("all 50 bookmarks reached office B", || async {
        network_urls(&office_b, &bob).await.len() >= expected.len()
    })
    .await;
    assert_exactly(&office_b, &bob, &expected).await;
}

#[tokio::test]
async fn an_office_killed_while_delivering_resumes_and_sends_everything_once() {
    let mut office_a = Office::new();
    let mut followers = vec![Office::new(), Office::new()];
    let alice = office_a.user("alice");
    office_a.start().await;
    let mut readers = Vec::new();
    for office in &mut followers {
        let tokens: Vec<String> = ["bob", "carol", "dave"]
            .iter()
            .map(|n| office.user(n))
            .collect();
        office.start().await;
        readers.push(tokens);
    }
    for (office, tokens) in followers.iter().zip(&readers) {
        for token in tokens {
            follow_and_wait(office, token, &format!("alice@{}", office_a.host())).await;
        }
    }

    // Queue a backlog with the worker off, then let it deliver and kill it (SIGKILL) as soon as
    // the first bookmark has arrived anywhere: some deliveries made, most not, maybe one in
    // flight.
    office_a.kill();
    office_a.start_with(false).await;
    let expected = save_many(&office_a, &alice, "crash", 100).await;
    office_a.kill();
    office_a.start().await;
    let (first, first_token) = (&followers[0], &readers[0][0]);
    let deadline = Instant::now() + PATIENCE;
    while network_urls(first, first_token).await.is_empty() {
        assert!(Instant::now() < deadline, "nothing was delivered");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    office_a.kill();
    let pending = pending_deliveries(&office_a);
    assert!(
        pending > 0,
        "the kill came after delivery had finished; nothing was tested"
    );
    office_a.start().await;

    for (office, tokens) in followers.iter().zip(&readers) {
        for token in tokens {
            eventually("every follower has every bookmark", || async {
                network_urls(office, token).await.len() >= expected.len()
            })
            .await;
            assert_exactly(office, token, &expected).await;
        }
    }
}

/// An inbox that records the id of every activity posted to it.
fn recording_inbox(seen: Arc<Mutex<Vec<String>>>) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = actix_web::HttpServer::new(move || {
        let seen = seen.clone();
        actix_web::App::new().default_service(actix_web::web::to(
            move |body: actix_web::web::Bytes| {
                let seen = seen.clone();
                async move {
                    if let Ok(activity) = serde_json::from_slice::<Value>(&body) {
                        let id = activity["id"].as_str().unwrap_or_default().to_string();
                        seen.lock().unwrap().push(id);
                    }
                    actix_web::HttpResponse::Accepted().finish()
                }
            },
        ))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    port
}

#[tokio::test]
async fn two_server_processes_on_one_database_share_delivery_and_send_nothing_twice() {
    let mut office = Office::new();
    let alice = office.user("alice");
    // Followers on three instances, written straight into the database.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sinks: Vec<u16> = (0..3).map(|_| recording_inbox(seen.clone())).collect();
    let db = bookmarks::Database::open(&office.database.url).expect("open");
    let owner = db
        .read(|c| {
            bookmarks::store::find_user_by_name(c, &bookmarks::model::UserName::parse("alice")?)
        })
        .unwrap()
        .unwrap();
    let key = bookmarks::model::ActorKeys::generate().unwrap().public_pem;
    db.write(|c| {
        for (i, port) in sinks.iter().enumerate() {
            let host = format!("localhost:{port}");
            let actor = bookmarks::store::federation::upsert_remote_actor(
                c,
                &bookmarks::store::federation::RemoteActor {
                    id: 0,
                    ap_id: format!("http://{host}/u/reader{i}"),
                    kind: "Person".into(),
                    handle: format!("reader{i}@{host}"),
                    host: host.clone(),
                    name: String::new(),
                    summary: String::new(),
                    profile_url: String::new(),
                    inbox: format!("http://{host}/u/reader{i}/inbox"),
                    shared_inbox: Some(format!("http://{host}/inbox")),
                    public_key_pem: key.clone(),
                    fetched_at: chrono::Utc::now().naive_utc(),
                },
            )?;
            bookmarks::store::federation::add_follower(
                c,
                owner.id,
                "",
                &actor,
                &format!("http://{host}/f"),
            )?;
        }
        Ok(())
    })
    .unwrap();
    drop(db);

    // Both processes deliver from the start: a backlog queued with both workers off would be
    // taken by whichever starts first.
    office.start().await;
    let second_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let mut second = office.second_process(second_port);
    let saved = save_many(&office, &alice, "shared", 60).await;
    eventually("every instance got every Create", || async {
        seen.lock().unwrap().len() >= saved.len() * sinks.len()
    })
    .await;
    // A little longer, so a duplicate would have time to arrive.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let _ = second.kill();
    let _ = second.wait();
    let seen = seen.lock().unwrap().clone();
    let mut distinct = seen.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), saved.len(), "one Create per bookmark");
    assert_eq!(
        seen.len(),
        saved.len() * sinks.len(),
        "each sent once to each instance"
    );
}
