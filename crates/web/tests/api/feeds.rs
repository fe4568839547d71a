//! Feeds: parsed back with a feed-parsing crate (feed-rs) to check ids, dates, links, categories
//! and escaping; private feeds by token; conditional GETs; pages advertising their feeds.

use crate::helpers::{header, spawn_app, ApiClient, TestApp};
use serde_json::json;

async fn fetch(app: &TestApp, path: &str) -> (u16, String, reqwest::header::HeaderMap) {
    let response = reqwest::get(app.url(path)).await.expect("GET");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, response.text().await.expect("body"), headers)
}

fn parse(body: &str) -> feed_rs::model::Feed {
    feed_rs::parser::parse(body.as_bytes())
        .unwrap_or_else(|e| panic!("not a valid feed ({e}): {body}"))
}

async fn seed(alice: &ApiClient) -> (String, String) {
    let (_, public) = alice
        .post(
            "/api/bookmarks",
            json!({"url": "https://e.com/public", "title": "Public <b>bold</b> & more", "notes": "why: <script>alert(1)</script>", "tags": ["rust", "web"]}),
        )
        .await;
    alice.post("/api/bookmarks", json!({"url": "https://e.com/unlisted", "title": "Unlisted one", "tags": ["rust"], "visibility": "unlisted"})).await;
    let (_, private) = alice
        .post("/api/bookmarks", json!({"url": "https://e.com/private", "title": "Private one", "tags": ["rust"], "visibility": "private"}))
        .await;
    (
        public["id"].as_str().expect("id").to_owned(),
        private["id"].as_str().expect("id").to_owned(),
    )
}

#[tokio::test]
async fn a_users_atom_feed_has_stable_ids_links_dates_categories_and_escaped_text() {
    let app = spawn_app().await;
    let (_, alice) = app.api_user("alice");
    let (public_id, _) = seed(&alice).await;
    let (status, body, headers) = fetch(&app, "/u/alice/feed.atom").await;
    assert_eq!(status, 200);
    assert!(headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/atom+xml")));
    assert!(
        !body.contains("<script>") && body.contains("&lt;script&gt;"),
        "notes are escaped in the XML"
    );
    let feed = parse(&body);
    assert_eq!(feed.id, format!("{}/u/alice/feed.atom", app.address));
    assert!(feed
        .links
        .iter()
        .any(|l| l.rel.as_deref() == Some("self") && l.href == app.url("/u/alice/feed.atom")));
    assert!(feed.updated.is_some());
    let titles: Vec<String> = feed
        .entries
        .iter()
        .filter_map(|e| e.title.as_ref().map(|t| t.content.clone()))
        .collect();
    assert_eq!(
        titles,
        vec!["Unlisted one", "Public <b>bold</b> & more"],
        "no private entry, newest first"
    );
    let entry = feed
        .entries
        .iter()
        .find(|e| e.id == format!("{}/b/{public_id}", app.address))
        .expect("entry by stable id");
    assert!(entry.links.iter().any(|l| l.href == "https://e.com/public"));
    assert_eq!(
        entry.summary.as_ref().map(|s| s.content.as_str()),
        Some("why: <script>alert(1)</script>")
    );
    let terms: Vec<&str> = entry.categories.iter().map(|c| c.term.as_str()).collect();
    assert_eq!(terms, vec!["rust", "web"]);
    assert_eq!(
        entry.authors.first().and_then(|a| a.name.as_deref()),
        Some("alice")
    );
    assert!(entry.published.is_some() && entry.updated.is_some());
}

#[tokio::test]
async fn rss_feeds_carry_the_same_entries() {
    let app = spawn_app().await;
    let (_, alice) = app.api_user("alice");
    let (public_id, _) = seed(&alice).await;
    let (status, body, _) = fetch(&app, "/u/alice/t/rust+web/feed.rss").await;
    assert_eq!(status, 200);
    let feed = parse(&body);
    assert_eq!(feed.entries.len(), 1);
    let item = &feed.entries[0];
    assert_eq!(item.id, format!("{}/b/{public_id}", app.address));
    assert!(item.links.iter().any(|l| l.href == "https://e.com/public"));
    assert_eq!(
        item.categories
            .iter()
            .map(|c| c.term.as_str())
            .collect::<Vec<_>>(),
        vec!["rust", "web"]
    );
    assert!(item.published.is_some());
    assert!(body.contains("<dc:creator>alice</dc:creator>") && body.contains("rel=\"self\""));
}

#[tokio::test]
async fn instance_tag_and_search_feeds_show_public_bookmarks_only() {
    let app = spawn_app().await;
    let (_, alice) = app.api_user("alice");
    seed(&alice).await;
    for path in [
        "/t/rust/feed.atom",
        "/feed.rss",
        "/search/feed.atom?q=one",
        "/search/feed.atom?q=public",
    ] {
        let (status, body, _) = fetch(&app, path).await;
        assert_eq!(status, 200, "{path}");
        let feed = parse(&body);
        for entry in &feed.entries {
            let title = entry
                .title
                .as_ref()
                .map(|t| t.content.as_str())
                .unwrap_or_default();
            assert!(title.starts_with("Public"), "{path} lists {title}");
        }
    }
    let (status, _, _) = fetch(&app, "/search/feed.atom").await;
    assert_eq!(status, 400, "a search feed needs a query");
}

#[tokio::test]
async fn the_private_feed_needs_the_current_token() {
    let app = spawn_app().await;
    let (alice_user, alice) = app.api_user("alice");
    let (_, private_id) = seed(&alice).await;
    let token = app
        .db
        .write(|c| bookmarks::store::regenerate_feed_token(c, alice_user.id))
        .expect("token");
    let (status, body, _) = fetch(&app, &format!("/u/alice/feed.atom?token={token}")).await;
    assert_eq!(status, 200);
    let feed = parse(&body);
    assert!(
        feed.entries.iter().any(|e| e.id.ends_with(&private_id)),
        "the owner's feed has the private bookmark"
    );
    assert!(feed.id.ends_with("#private"));
    let (status, _, _) = fetch(&app, "/u/alice/feed.atom?token=guess").await;
    assert_eq!(status, 403);
    let newer = app
        .db
        .write(|c| bookmarks::store::regenerate_feed_token(c, alice_user.id))
        .expect("token");
    assert_ne!(newer, token);
    let (status, _, _) = fetch(&app, &format!("/u/alice/feed.atom?token={token}")).await;
    assert_eq!(status, 403, "the old address stops working");
    let (_, body, _) = fetch(&app, "/u/alice/feed.atom").await;
    assert!(!body.contains("Private one"));
}

#[tokio::test]
async fn feeds_answer_conditional_gets() {
    let app = spawn_app().await;
    let (_, alice) = app.api_user("alice");
    let (public_id, _) = seed(&alice).await;
    let (_, _, headers) = fetch(&app, "/u/alice/feed.atom").await;
    let etag = headers
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("ETag")
        .to_owned();
    let modified = headers
        .get("last-modified")
        .and_then(|v| v.to_str().ok())
        .expect("Last-Modified")
        .to_owned();
    let http = reqwest::Client::new();
    let with = |name: &'static str, value: String| {
        http.get(app.url("/u/alice/feed.atom"))
            .header(name, value)
            .send()
    };
    assert_eq!(
        with("If-None-Match", etag.clone())
            .await
            .expect("GET")
            .status()
            .as_u16(),
        304
    );
    assert_eq!(
        with("If-Modified-Since", modified.clone())
            .await
            .expect("GET")
            .status()
            .as_u16(),
        304
    );
    assert_eq!(
        with("If-None-Match", "\"other\"".into())
            .await
            .expect("GET")
            .status()
            .as_u16(),
        200
    );

    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, _) = alice
        .send(
            reqwest::Method::DELETE,
            &format!("/api/bookmarks/{public_id}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let changed = with("If-None-Match", etag).await.expect("GET");
    assert_eq!(
        changed.status().as_u16(),
        200,
        "a deletion changes the feed"
    );
    assert_eq!(
        with("If-Modified-Since", modified)
            .await
            .expect("GET")
            .status()
            .as_u16(),
        200
    );
    assert!(header(&changed, "etag").is_some());
}

#[tokio::test]
async fn pages_advertise_their_feeds() {
    let app = spawn_app().await;
    let (_, alice) = app.api_user("alice");
    seed(&alice).await;
    for (page, feed) in [
        ("/u/alice", "/u/alice/feed.atom"),
        ("/u/alice/t/rust", "/u/alice/t/rust/feed.atom"),
        ("/", "/feed.atom"),
        ("/t/rust", "/t/rust/feed.atom"),
    ] {
        let (_, html, _) = fetch(&app, page).await;
        assert!(
            html.contains("<link rel=\"alternate\" type=\"application/atom+xml\""),
            "{page}"
        );
        assert!(
            html.contains(&format!("href=\"{feed}\"")),
            "{page} should link {feed}"
        );
        let (status, _, _) = fetch(&app, feed).await;
        assert_eq!(status, 200, "{feed}");
    }
    let (_, search, _) = fetch(&app, "/search?q=public").await;
    assert!(search.contains("href=\"/search/feed.atom?q=public\""));
}

#[tokio::test]
async fn settings_make_and_remake_the_private_feed_address() {
    let app = spawn_app().await;
    app.add_user("alice", false);
    let browser = app.browser_as("alice").await;
    let (_, before) = browser.get("/settings").await;
    assert!(before.contains("You have no private feed yet"));
    let made = browser
        .submit("/settings", "/settings/feed-token", &[])
        .await;
    assert_eq!(made.status().as_u16(), 303);
    let (_, settings) = browser.get("/settings").await;
    let address = settings
        .split("id=\"private-feed-atom\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the private feed address")
        .to_owned();
    let path = address.trim_start_matches(&app.address).to_owned();
    assert_eq!(fetch(&app, &path).await.0, 200);
    browser
        .submit("/settings", "/settings/feed-token", &[])
        .await;
    assert_eq!(
        fetch(&app, &path).await.0,
        403,
        "remade: the old address stops working"
    );
}

#[tokio::test]
async fn public_feeds_reveal_nothing_about_private_changes() {
    let app = spawn_app().await;
    let (_, alice) = app.api_user("alice");
    seed(&alice).await;
    let (_, before, headers) = fetch(&app, "/u/alice/feed.atom").await;
    let modified = headers
        .get("last-modified")
        .and_then(|v| v.to_str().ok())
        .expect("Last-Modified")
        .to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    alice
        .post(
            "/api/bookmarks",
            json!({"url": "https://e.com/hidden", "title": "Hidden", "visibility": "private"}),
        )
        .await;
    let (_, after, headers) = fetch(&app, "/u/alice/feed.atom").await;
    assert_eq!(
        headers.get("last-modified").and_then(|v| v.to_str().ok()),
        Some(modified.as_str())
    );
    assert_eq!(before, after, "the public feed did not change at all");
    let (_, _, instance) = fetch(&app, "/feed.atom").await;
    assert!(instance.get("cache-control").and_then(|v| v.to_str().ok()) == Some("no-cache"));
}
