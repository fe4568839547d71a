//! `/api/openapi.json`: generated from the same scope that serves the API, so every route is in
//! it; checked both ways here (documented ⇔ answering).

use crate::helpers::spawn_app;
use serde_json::Value;
use std::collections::BTreeSet;

#[tokio::test]
async fn every_api_route_is_documented_and_every_documented_route_answers() {
    let app = spawn_app().await;
    let document: Value = reqwest::get(app.url("/api/openapi.json"))
        .await
        .expect("GET")
        .json()
        .await
        .expect("JSON");
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.")),
        "{}",
        document["openapi"]
    );
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );

    let documented: BTreeSet<(String, String)> = document["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object().into_iter().flat_map(move |ops| {
                ops.keys()
                    .map(move |method| (method.to_uppercase(), path.clone()))
            })
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("POST", "/api/bookmarks"),
        ("GET", "/api/bookmarks"),
        ("GET", "/api/bookmarks/{id}"),
        ("PATCH", "/api/bookmarks/{id}"),
        ("DELETE", "/api/bookmarks/{id}"),
        ("GET", "/api/tags"),
        ("GET", "/api/openapi.json"),
        ("POST", "/api/follows"),
        ("GET", "/api/follows"),
        ("DELETE", "/api/follows/{id}"),
        ("GET", "/api/followers"),
        ("GET", "/api/network"),
    ]
    .into_iter()
    .map(|(m, p)| (m.to_owned(), p.to_owned()))
    .collect();
    assert_eq!(documented, expected);

    let http = reqwest::Client::new();
    for (method, path) in &documented {
        let url = app.url(&path.replace("{id}", "0123456789abcdef"));
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let response = http
            .request(method.clone(), &url)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        assert!(
            !body.contains("there is no API endpoint"),
            "{method} {path} is documented but not served"
        );
        let expected_status = if path == "/api/openapi.json" {
            200
        } else {
            401
        };
        assert_eq!(status, expected_status, "{method} {path}: {body}");
    }

    let bookmark = &document["components"]["schemas"]["BookmarkJson"]["properties"];
    for field in [
        "id",
        "url",
        "title",
        "notes",
        "tags",
        "visibility",
        "unread",
        "created_at",
        "updated_at",
    ] {
        assert!(bookmark.get(field).is_some(), "BookmarkJson lacks {field}");
    }
    assert!(document["components"]["schemas"]["BookmarkFields"].is_object());
    assert!(document["components"]["schemas"]["ErrorJson"].is_object());
}
