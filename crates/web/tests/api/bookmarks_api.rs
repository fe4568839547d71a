//! The JSON API: bearer auth, create-or-update by URL, listing with filters and cursors, one
//! bookmark by id, tags, and errors as `{"error": …}`.

use crate::helpers::{serve_page, spawn_app};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn health_check_answers_when_the_database_does() {
    let app = spawn_app().await;
    let response = reqwest::get(app.url("/healthz")).await.expect("GET");
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn requests_without_a_valid_token_are_refused_with_json() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    // The list checks its token in the same trip to the database as the page, so also with a
    // query it would refuse: the token is still checked first.
    let cases = [None, Some("Bearer nope"), Some("Basic abc")]
        .into_iter()
        .flat_map(|auth| [(auth, "/api/bookmarks"), (auth, "/api/bookmarks?limit=0")]);
    for (auth, path) in cases {
        let mut request = http.get(app.url(path));
        if let Some(value) = auth {
            request = request.header("Authorization", value);
        }
        let response = request.send().await.expect("GET");
        assert_eq!(response.status().as_u16(), 401, "{auth:?} {path}");
        assert_eq!(
            response
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok()),
            Some("Bearer")
        );
        let body: serde_json::Value = response.json().await.expect("JSON error");
        assert!(
            body["error"].as_str().is_some_and(|m| m.contains("token")),
            "{body}"
        );
    }
    // A create checks its token in the same trip as the save, before its fields: an unknown
    // token with a bad or a good body is refused.
    for body in [
        json!({"url": 5}),
        json!({"url": "https://example.com/x", "title": "X"}),
    ] {
        let response = http
            .post(app.url("/api/bookmarks"))
            .header("Authorization", "Bearer nope")
            .json(&body)
            .send()
            .await
            .expect("POST");
        assert_eq!(response.status().as_u16(), 401, "{body}");
    }
}

#[tokio::test]
async fn creating_then_saving_the_same_url_again_updates_the_same_bookmark() {
    let app = spawn_app().await;
    let (_, alice) = app.api_user("alice");
    let (status, created) = alice
        .post(
            "/api/bookmarks",
            json!({"url": "https://Example.com:443/page#top", "title": "A page", "notes": "why", "tags": ["Rust", "web"], "visibility": "unlisted", "unread": true}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["url"], "https://example.com/page");
    assert_eq!(created["tags"], json!(["rust", "web"]));
    assert_eq!(created["visibility"], "unlisted");
    assert_eq!(created["unread"], true);
    let created_at = created["created_at"].as_str().expect("created_at");
    assert!(
        chrono::DateTime::parse_from_rfc3339(created_at).is_ok(),
        "{created_at}"
    );

    let (status, updated) = alice
        .post(
            "/api/bookmarks",
            json!({"url": "https://example.com/page", "tags": ["async"]}),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["id"], created["id"]);
    assert_eq!(updated["tags"], json!(["async"]));
    assert_eq!(updated["title"], "A page", "absent fields keep their value");
    assert_eq!(updated["created_at"], created["created_at"]);
}

#[tokio::test]
async fn bad_input_names_the_field_and_writes_nothing() {
    let app = spawn_app().await;
    let (_, alice) = app.api_user("alice");
    let cases = [
        (json!({"url": "ftp://example.com/"}), "url"),
        (json!({"title": "no url"}), "url"),
        (
            json!({"url": "https://e.com/", "tags": ["two words"]}),
            "use `two-words`",
        ),
        (
            json!({"url": "https://e.com/", "title": "x".repeat(501)}),
            "title",
        ),
        (
            json!({"url": "https://e.com/", "notes": "x".repeat(10_001)}),
            "notes",
        ),
        (
            json!({"url": "https://e.com/", "visibility": "friends"}),
            "visibility",
        ),
        (json!({"url": "https://e.com/", "colour": "red"}), "colour"),
        (json!({"url": "https://e.com/", "tags": "rust"}), "tags"),
    ];
    for (body, expected) in cases {
        let (status, error) = alice.post("/api/bookmarks", body.clone()).await;
        assert_eq!(status, 400, "{body} → {error}");
        let message = error["error"].as_str().unwrap_or_default();
        assert!(
            message.contains(expected),
            "{body}: `{message}` should mention {expected}"
        );
    }
    let raw = alice
        .http
        .post(app.url("/api/bookmarks"))
        .bearer_auth(&alice.token)
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("POST");
    assert_eq!(raw.status().as_u16(), 400);
    assert!(
        raw.json::<serde_json::Value>().await.expect("JSON")["error"]
            .as_str()
            .is_some()
    );
    let (_, list) = alice.get("/api/bookmarks").await;
    assert_eq!(list["bookmarks"], json!([]));
}

#[tokio::test]
async fn listing_filters_by_tags_and_search_and_pages_with_a_cursor() {
    let app = spawn_app().await;
    let (_, alice) = app.api_user("alice");
    for i in 0..7 {
        let tags = if i % 2 == 0 {
            json!(["even", "all"])
        } else {
            json!(["odd", "all"])
        };
        let (status, _) = alice.post("/api/bookmarks", json!({"url": format!("https://e.com/{i}"), "title": format!("item {i}"), "tags": tags})).await;
        assert_eq!(status, 201);
    }
    let (_, all) = alice.get("/api/bookmarks?limit=3").await;
    let titles = |v: &serde_json::Value| -> Vec<String> {
        v["bookmarks"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|b| b["title"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    assert_eq!(titles(&all), vec!["item 6", "item 5", "item 4"]);
    let cursor = all["next_cursor"].as_str().expect("a next page");
    let (_, second) = alice
        .get(&format!("/api/bookmarks?limit=3&cursor={cursor}"))
        .await;
    assert_eq!(titles(&second), vec!["item 3", "item 2", "item 1"]);
    let (_, last) = alice
        .get(&format!(
            "/api/bookmarks?limit=3&cursor={}",
            second["next_cursor"].as_str().expect("cursor")
        ))
        .await;
    assert_eq!(titles(&last), vec!["item 0"]);
    assert!(last["next_cursor"].is_null());

    let (_, even) = alice.get("/api/bookmarks?tag=even&tag=all").await;
    assert_eq!(titles(&even), vec!["item 6", "item 4", "item 2", "item 0"]);
    // One tag: a page of one listing, read on the worker once the token is remembered.
    let (_, odd) = alice.get("/api/bookmarks?tag=odd&limit=2").await;
    assert_eq!(titles(&odd), vec!["item 5", "item 3"]);
    let (_, odd) = alice
        .get(&format!(
            "/api/bookmarks?tag=odd&limit=2&cursor={}",
            odd["next_cursor"].as_str().expect("cursor")
        ))
        .await;
    assert_eq!(titles(&odd), vec!["item 1"]);
    let (_, searched) = alice.get("/api/bookmarks?q=ITEM%205").await;
    assert_eq!(titles(&searched), vec!["item 5"]);
    let (status, error) = alice.get("/api/bookmarks?limit=1000").await;
    assert_eq!(status, 400);
    assert!(error["error"].as_str().is_some_and(|m| m.contains("limit")));

    let (_, tags) = alice.get("/api/tags").await;
    assert_eq!(
        tags,
        json!([{"name": "all", "count": 7}, {"name": "even", "count": 4}, {"name": "odd", "count": 3}])
    );
}

#[tokio::test]
async fn one_bookmark_can_be_read_changed_and_deleted_by_its_owner_only() {
    let app = spawn_app().await;
    let (_, alice) = app.api_user("alice");
    let (_, bob) = app.api_user("bob");
    let (_, private) = alice
        .post(
            "/api/bookmarks",
            json!({"url": "https://e.com/p", "title": "mine", "visibility": "private"}),
        )
        .await;
    let path = format!("/api/bookmarks/{}", private["id"].as_str().expect("id"));

    assert_eq!(alice.get(&path).await.0, 200);
    assert_eq!(
        bob.get(&path).await.0,
        404,
        "private bookmarks do not exist for others"
    );
    let (status, _) = bob
        .send(Method::PATCH, &path, Some(json!({"title": "pwned"})))
        .await;
    assert_eq!(status, 404);
    assert_eq!(bob.send(Method::DELETE, &path, None).await.0, 404);

    let (status, patched) = alice
        .send(
            Method::PATCH,
            &path,
            Some(json!({"title": "renamed", "url": "https://e.com/q", "visibility": "public"})),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["title"], "renamed");
    assert_eq!(patched["url"], "https://e.com/q");
    assert_eq!(bob.get(&path).await.0, 200, "public now");

    let (status, _) = alice.send(Method::DELETE, &path, None).await;
    assert_eq!(status, 204);
    assert_eq!(alice.get(&path).await.0, 404);
    let (status, error) = alice.get("/api/no-such-endpoint").await;
    assert_eq!(status, 404);
    assert!(error["error"].as_str().is_some());
}

#[tokio::test]
async fn an_empty_title_is_fetched_from_the_page_and_a_dead_page_does_not_fail_the_save() {
    let app = spawn_app().await;
    let (_, alice) = app.api_user("alice");
    let site = serve_page("<html><head><title>Fetched title</title><meta name=description content='About it'></head></html>").await;
    let (status, created) = alice
        .post("/api/bookmarks", json!({"url": format!("{site}/article")}))
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["title"], "Fetched title");
    assert_eq!(created["description"], "About it");

    let (status, dead) = alice
        .post("/api/bookmarks", json!({"url": "http://localhost:1/gone"}))
        .await;
    assert_eq!(status, 201, "{dead}");
    assert_eq!(dead["title"], "");
}

#[tokio::test]
async fn production_mode_does_not_fetch_titles_from_local_addresses() {
    let app = crate::helpers::spawn_app_with(|s| {
        s.federation.mode = federation::FederationMode::Production
    })
    .await;
    let (_, alice) = app.api_user("alice");
    let site = serve_page("<title>Internal secret</title>").await;
    let (status, created) = alice
        .post("/api/bookmarks", json!({"url": format!("{site}/admin")}))
        .await;
    assert_eq!(status, 201);
    assert_eq!(
        created["title"], "",
        "the server must not read pages on its own network"
    );
}

#[tokio::test]
async fn eight_clients_saving_at_once_all_succeed() {
    let app = spawn_app().await;
    let clients: Vec<_> = (0..8)
        .map(|i| app.api_user(&format!("writer{i}")).1)
        .collect();
    let saves = clients.iter().enumerate().flat_map(|(i, client)| {
        (0..10).map(move |n| async move {
            client
                .post("/api/bookmarks", json!({"url": format!("https://e.com/{i}/{n}"), "title": "t", "tags": ["load", format!("w{i}")]}))
                .await
        })
    });
    let results = futures_util::future::join_all(saves).await;
    for (status, body) in &results {
        assert_eq!(*status, 201, "{body}");
        assert_eq!(body["tags"].as_array().map(Vec::len), Some(2));
    }
    for client in &clients {
        let (_, tags) = client.get("/api/tags").await;
        assert_eq!(tags[0]["count"], 10);
    }
}
