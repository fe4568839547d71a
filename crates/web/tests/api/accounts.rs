//! First-run setup, sign-up in each registration mode, login and logout, rate limiting, cookies.

use crate::helpers::{header, spawn_app, spawn_app_with, Browser, PASSWORD};
use web::RegistrationMode;

#[tokio::test]
async fn the_setup_link_creates_the_first_admin_once() {
    let app = spawn_app().await;
    let setup = app
        .setup_url
        .clone()
        .expect("a setup link while there are no users");
    let path = setup.trim_start_matches(&app.address).to_owned();
    let code = path.split("code=").nth(1).expect("code").to_owned();
    let browser = Browser::new(&app.address);
    let response = browser
        .submit(
            &path,
            "/setup",
            &[("code", &code), ("name", "root"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(header(&response, "location").as_deref(), Some("/u/root"));
    let users = app.db.read(bookmarks::store::list_users).expect("users");
    assert_eq!(users.len(), 1);
    assert!(users[0].is_admin);

    let again = Browser::new(&app.address);
    let (status, _) = again.get(&path).await;
    assert_eq!(status, 403, "the link is spent");
    let (status, _) = again.get("/setup?code=wrong").await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn open_registration_signs_people_up_and_logs_them_in() {
    let app = spawn_app().await;
    let browser = Browser::new(&app.address);
    let early = browser
        .submit(
            "/signup",
            "/signup",
            &[("name", "dana"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        early.status().as_u16(),
        400,
        "nobody signs up before the admin exists"
    );
    assert!(early.text().await.expect("body").contains("not set up yet"));
    app.add_user("boss", true);
    let response = browser
        .submit(
            "/signup",
            "/signup",
            &[("name", "Dana"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let (_, page) = browser.get("/settings").await;
    assert!(page.contains("API tokens"), "logged in after sign-up");

    let taken = Browser::new(&app.address)
        .submit(
            "/signup",
            "/signup",
            &[("name", "dana"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(taken.status().as_u16(), 400);
    assert!(taken.text().await.expect("body").contains("taken"));
    let weak = Browser::new(&app.address)
        .submit(
            "/signup",
            "/signup",
            &[("name", "erin"), ("password", "short")],
        )
        .await;
    assert_eq!(weak.status().as_u16(), 400);
    assert!(weak.text().await.expect("body").contains("at least 10"));
}

#[tokio::test]
async fn invite_registration_needs_a_working_invite_link() {
    let app = spawn_app_with(|s| s.registration = RegistrationMode::Invite).await;
    app.add_user("boss", true);
    app.add_user("pleb", false);
    let stranger = Browser::new(&app.address);
    let (_, page) = stranger.get("/signup").await;
    assert!(page.contains("by invitation"));
    let refused = stranger
        .submit(
            "/login",
            "/signup",
            &[("name", "eve"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 403);

    let pleb = app.browser_as("pleb").await;
    let denied = pleb.submit("/settings", "/settings/invites", &[]).await;
    assert_eq!(denied.status().as_u16(), 403, "only admins invite");

    let admin = app.browser_as("boss").await;
    let page = admin
        .submit("/settings", "/settings/invites", &[])
        .await
        .text()
        .await
        .expect("body");
    let link_start = page.find("/signup?invite=").expect("invite link shown");
    let code: String = page[link_start + "/signup?invite=".len()..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();

    let invited = Browser::new(&app.address);
    let signup_page = format!("/signup?invite={code}");
    let ok = invited
        .submit(
            &signup_page,
            "/signup",
            &[("code", &code), ("name", "frank"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(ok.status().as_u16(), 303);
    let reuse = Browser::new(&app.address)
        .submit(
            &signup_page,
            "/signup",
            &[("code", &code), ("name", "grace"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(reuse.status().as_u16(), 400);
    assert!(reuse
        .text()
        .await
        .expect("body")
        .contains("used or expired"));
}

#[tokio::test]
async fn closed_registration_refuses_everyone() {
    let app = spawn_app_with(|s| s.registration = RegistrationMode::Closed).await;
    let browser = Browser::new(&app.address);
    let (_, page) = browser.get("/signup").await;
    assert!(page.contains("does not take sign-ups") && !page.contains("name=\"password\""));
    // A hand-made request with a valid token is refused too.
    let refused = browser
        .submit(
            "/login",
            "/signup",
            &[("name", "eve"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 403);
    assert!(app
        .db
        .read(bookmarks::store::list_users)
        .expect("users")
        .is_empty());
}

#[tokio::test]
async fn login_sets_a_protected_cookie_and_logout_ends_the_session() {
    let app = spawn_app().await;
    app.add_user("alice", false);
    let browser = Browser::new(&app.address);
    let wrong = browser
        .submit(
            "/login",
            "/login",
            &[("name", "alice"), ("password", "wrong password!")],
        )
        .await;
    assert_eq!(wrong.status().as_u16(), 401);
    let response = browser
        .login("alice", PASSWORD, "/save?url=https%3A%2F%2Fexample.com%2F")
        .await;
    assert_eq!(
        header(&response, "location").as_deref(),
        Some("/save?url=https%3A%2F%2Fexample.com%2F")
    );
    let cookie = header(&response, "set-cookie").expect("session cookie");
    assert!(cookie.starts_with("cp_session="));
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain http instance");

    let offsite = Browser::new(&app.address)
        .login("alice", PASSWORD, "//evil.example/")
        .await;
    assert_eq!(header(&offsite, "location").as_deref(), Some("/u/alice"));

    let out = browser.submit("/settings", "/logout", &[]).await;
    assert_eq!(out.status().as_u16(), 303);
    assert!(
        browser
            .location("/settings")
            .await
            .is_some_and(|l| l.starts_with("/login")),
        "logged out"
    );
}

#[tokio::test]
async fn cookies_are_secure_when_the_public_url_is_https() {
    let app = spawn_app_with(|s| {
        s.public_url = url::Url::parse("https://bookmarks.example").expect("url")
    })
    .await;
    app.add_user("alice", false);
    // A client without a cookie store: it would not send Secure cookies over plain http.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let first = http.get(app.url("/login")).send().await.expect("GET");
    let csrf_cookie = header(&first, "set-cookie").expect("csrf cookie");
    assert!(
        csrf_cookie.contains("Secure") && csrf_cookie.contains("HttpOnly"),
        "{csrf_cookie}"
    );
    let seed = csrf_cookie
        .split(';')
        .next()
        .expect("name=value")
        .to_owned();
    let token = crate::helpers::extract_csrf(&first.text().await.expect("body")).expect("token");
    let login = http
        .post(app.url("/login"))
        .header("Cookie", seed)
        .form(&[
            ("csrf", token.as_str()),
            ("name", "alice"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(login.status().as_u16(), 303);
    let session = header(&login, "set-cookie").expect("session cookie");
    assert!(
        session.starts_with("cp_session=") && session.contains("Secure"),
        "{session}"
    );
}

#[tokio::test]
async fn login_attempts_are_rate_limited() {
    let app = spawn_app().await;
    app.add_user("alice", false);
    let browser = Browser::new(&app.address);
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let response = browser
            .submit(
                "/login",
                "/login",
                &[("name", "alice"), ("password", "not the password")],
            )
            .await;
        statuses.push(response.status().as_u16());
    }
    assert_eq!(&statuses[..5], &[401; 5]);
    assert_eq!(statuses[5], 429);
    let blocked = browser
        .submit(
            "/login",
            "/login",
            &[("name", "alice"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        blocked.status().as_u16(),
        429,
        "even the right password waits"
    );
}

/// Failed logins for alice, each claiming to come from `forwarded(i)`; returns the statuses.
async fn failed_logins(
    app: &crate::helpers::TestApp,
    count: usize,
    forwarded: impl Fn(usize) -> String,
) -> Vec<u16> {
    let browser = Browser::new(&app.address);
    let mut statuses = Vec::new();
    for i in 0..count {
        let token = browser.csrf("/login").await;
        let response = browser
            .http
            .post(app.url("/login"))
            .header("X-Forwarded-For", forwarded(i))
            .form(&[
                ("csrf", token.as_str()),
                ("name", "alice"),
                ("password", "not the password"),
            ])
            .send()
            .await
            .expect("POST");
        statuses.push(response.status().as_u16());
    }
    statuses
}

#[tokio::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    // Not trusted: a client cannot dodge the limit by inventing X-Forwarded-For addresses.
    let direct = spawn_app().await;
    direct.add_user("alice", false);
    let statuses = failed_logins(&direct, 6, |i| format!("203.0.113.{i}")).await;
    assert_eq!(statuses[5], 429, "{statuses:?}");

    // Behind a trusted proxy (the test client's own address), each real client has its own count.
    let proxied =
        spawn_app_with(|s| s.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")]).await;
    proxied.add_user("alice", false);
    let statuses = failed_logins(&proxied, 6, |i| format!("203.0.113.{i}")).await;
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    let statuses = failed_logins(&proxied, 6, |_| "203.0.113.50".to_owned()).await;
    assert_eq!(
        statuses[5], 429,
        "one client is still limited: {statuses:?}"
    );
}
