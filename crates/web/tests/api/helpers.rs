//! `spawn_app()`: the application on a free port with a fresh database, and clients for it.

use bookmarks::model::{ActorKeys, Password, PasswordHash, UserName};
use bookmarks::store::{self, NewAccount, User};
use bookmarks::test_db::TestDatabase;
use bookmarks::Database;
use std::net::TcpListener;
use std::sync::OnceLock;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use web::{Application, Settings};

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    /// `http://localhost:PORT`
    pub address: String,
    pub db: Database,
    pub setup_url: Option<String>,
    pub federation: federation::Federation,
    _database: TestDatabase,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let database = TestDatabase::new();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    let port = listener.local_addr().expect("addr").port();
    let mut config = Settings::local_test(port, &database.url);
    adjust(&mut config);
    let application = Application::build_with_listener(config, listener)
        .await
        .expect("application builds");
    let db = application.database().clone();
    let setup_url = application.setup_url().map(str::to_owned);
    let federation = application.federation().clone();
    tokio::spawn(application.run_until_stopped());
    TestApp {
        address: format!("http://localhost:{port}"),
        db,
        setup_url,
        federation,
        _database: database,
    }
}

fn keys() -> ActorKeys {
    static KEYS: OnceLock<ActorKeys> = OnceLock::new();
    KEYS.get_or_init(|| ActorKeys::generate().expect("keys"))
        .clone()
}

fn password_hash() -> PasswordHash {
    static HASH: OnceLock<PasswordHash> = OnceLock::new();
    HASH.get_or_init(|| {
        PasswordHash::new(&Password::parse(PASSWORD).expect("policy")).expect("hash")
    })
    .clone()
}

impl TestApp {
    /// Publishes pending domain events and delivers everything that is due, now.
    pub async fn drain(&self) -> usize {
        federation::activitypub::delivery::drain(&self.federation.data())
            .await
            .expect("delivery queue drains")
    }

    /// `localhost:PORT`, the host part of handles on this instance.
    pub fn host(&self) -> String {
        self.address.trim_start_matches("http://").to_string()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub fn add_user(&self, name: &str, is_admin: bool) -> User {
        let account = NewAccount {
            name: UserName::parse(name).expect("name"),
            password_hash: password_hash(),
            is_admin,
            keys: keys(),
        };
        self.db
            .write(|c| store::create_user(c, &account))
            .expect("create user")
    }

    pub fn token(&self, user: &User) -> String {
        self.db
            .write(|c| store::create_api_token(c, user.id, "tests"))
            .expect("token")
            .into_string()
    }

    /// A user with an API client that sends their bearer token.
    pub fn api_user(&self, name: &str) -> (User, ApiClient) {
        let user = self.add_user(name, false);
        let token = self.token(&user);
        (
            user,
            ApiClient {
                base: self.address.clone(),
                token,
                http: reqwest::Client::new(),
            },
        )
    }

    /// A browser-like client (cookies kept, redirects not followed) logged in as `name`.
    pub async fn browser_as(&self, name: &str) -> Browser {
        let browser = Browser::new(&self.address);
        browser.login(name, PASSWORD, "").await;
        browser
    }
}

pub struct ApiClient {
    pub base: String,
    pub token: String,
    pub http: reqwest::Client,
}

impl ApiClient {
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        let json = if text.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
        };
        (status, json)
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        self.send(reqwest::Method::GET, path, None).await
    }
}

/// A cookie-keeping client that does not follow redirects, like a browser session.
pub struct Browser {
    pub base: String,
    pub http: reqwest::Client,
}

impl Browser {
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self {
            base: base.to_owned(),
            http,
        }
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    /// GETs `path` and returns the redirect target, if any.
    pub async fn location(&self, path: &str) -> Option<String> {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET");
        header(&response, "location")
    }

    /// The CSRF token of the first form on `page`.
    pub async fn csrf(&self, page: &str) -> String {
        let (_, html) = self.get(page).await;
        extract_csrf(&html).unwrap_or_else(|| panic!("no CSRF token on {page}: {html}"))
    }

    /// Posts a form with the CSRF token taken from `page`.
    pub async fn submit(
        &self,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let token = self.csrf(page).await;
        let mut form: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
        form.extend_from_slice(fields);
        self.http
            .post(format!("{}{action}", self.base))
            .form(&form)
            .send()
            .await
            .expect("POST")
    }

    pub async fn login(&self, name: &str, password: &str, next: &str) -> reqwest::Response {
        let response = self
            .submit(
                "/login",
                "/login",
                &[("name", name), ("password", password), ("next", next)],
            )
            .await;
        assert_eq!(response.status().as_u16(), 303, "login as {name} failed");
        response
    }
}

pub fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

pub fn extract_csrf(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().map(str::to_owned)
}

/// Serves one HTML document on localhost (any path); returns its base URL.
pub async fn serve_page(html: &'static str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buffer = [0u8; 4096];
                let _ = socket.read(&mut buffer).await;
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{html}",
                    html.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = tokio::time::timeout(Duration::from_secs(1), socket.shutdown()).await;
            });
        }
    });
    format!("http://localhost:{port}")
}
