//! Follows and followers in bounded pieces: the network page's newest, every one of them a
//! page at a time (HTML and API), and the ActivityPub collections' counts.

use crate::helpers::{spawn_app, Browser};
use bookmarks::test_db::add_followers_and_follows;
use serde_json::Value;

/// The `href` of the page's "Older" link.
fn older_link(page: &str) -> Option<String> {
    let at = page.find("rel=\"next\"")?;
    let start = page[..at].rfind("href=\"")? + "href=\"".len();
    page[start..]
        .split('"')
        .next()
        .map(|href| href.replace("&amp;", "&"))
}

fn listed(page: &str, number: usize) -> bool {
    page.contains(&format!(">a{number}@far.example</a>"))
}

#[tokio::test]
async fn the_network_page_lists_the_newest_and_its_own_pages_list_everyone() {
    let app = spawn_app().await;
    let alice = app.add_user("alice", false);
    // a0 … a119 follow alice and alice follows each of them, in that order.
    add_followers_and_follows(&app.db, &alice, 120);
    let browser = app.browser_as("alice").await;

    let (status, network) = browser.get("/network").await;
    assert_eq!(status, 200);
    assert!(network.contains("Following (120)") && network.contains("Followers (120)"));
    assert!(network.contains("href=\"/network/following\">All 120 →"));
    assert!(network.contains("href=\"/network/followers\">All 120 →"));
    assert!(listed(&network, 119) && listed(&network, 70));
    assert!(!listed(&network, 69), "only the newest 50 of each");

    let (status, first) = browser.get("/network/followers").await;
    assert_eq!(status, 200);
    assert!(first.contains("Followers (120)"));
    assert!(listed(&first, 119) && listed(&first, 20) && !listed(&first, 19));
    assert!(
        !first.contains("Unfollow"),
        "followers have no unfollow form"
    );
    let older = older_link(&first).expect("an Older link");
    let (status, second) = browser.get(&older).await;
    assert_eq!(status, 200);
    assert!(listed(&second, 19) && listed(&second, 0) && !listed(&second, 20));
    assert!(
        second.contains("follows your tag rust"),
        "a0 follows only rust"
    );
    assert_eq!(older_link(&second), None, "the oldest page is the last");

    let (_, following) = browser.get("/network/following").await;
    let older = older_link(&following).expect("an Older link");
    let (_, page_two) = browser.get(&older).await;
    assert!(listed(&page_two, 0) && page_two.contains("(pending)"));
    // Unfollowing from the second page returns to it.
    let follow_id = page_two
        .split("/network/unfollow/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("an unfollow form")
        .to_string();
    let response = browser
        .submit(
            &older,
            &format!("/network/unfollow/{follow_id}"),
            &[("back", &older)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        crate::helpers::header(&response, "location").as_deref(),
        Some(older.as_str())
    );
    let (_, following) = browser.get("/network/following").await;
    assert!(following.contains("Following (119)"));

    let (status, page) = browser.get("/network/followers?before=x1").await;
    assert_eq!(status, 400);
    assert!(page.contains("Older"), "{page}");
    let anonymous = Browser::new(&app.address);
    let to = anonymous.location("/network/followers").await;
    assert!(to.is_some_and(|to| to.starts_with("/login")));
}

#[tokio::test]
async fn the_api_lists_follows_and_followers_a_page_at_a_time() {
    let app = spawn_app().await;
    let (alice, client) = app.api_user("alice");
    add_followers_and_follows(&app.db, &alice, 120);

    let mut handles = Vec::new();
    let mut path = "/api/followers?limit=50".to_string();
    let mut pages = 0;
    loop {
        let (status, page) = client.get(&path).await;
        assert_eq!(status, 200, "{page}");
        pages += 1;
        for follower in page["followers"].as_array().expect("followers") {
            handles.push(follower["handle"].as_str().unwrap_or_default().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/followers?limit=50&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let newest_first: Vec<String> = (0..120)
        .rev()
        .map(|i| format!("a{i}@far.example"))
        .collect();
    assert_eq!(handles, newest_first);

    let (_, first) = client.get("/api/follows").await;
    assert_eq!(first["follows"].as_array().map(Vec::len), Some(50));
    assert_eq!(first["follows"][0]["handle"], "a119@far.example");
    let (_, all) = client.get("/api/follows?limit=200").await;
    assert_eq!(all["follows"].as_array().map(Vec::len), Some(120));
    assert_eq!(all["next_cursor"], Value::Null);

    for bad in ["limit=0", "limit=201", "cursor=abc", "cursor=-4"] {
        let (status, error) = client.get(&format!("/api/followers?{bad}")).await;
        assert_eq!(status, 400, "{bad}: {error}");
    }
    let (_, error) = client.get("/api/follows?cursor=abc").await;
    assert!(
        error["error"]
            .as_str()
            .unwrap_or_default()
            .contains("next_cursor"),
        "{error}"
    );
}

#[tokio::test]
async fn the_activitypub_collections_count_everyone_and_list_the_newest() {
    let app = spawn_app().await;
    let alice = app.add_user("alice", false);
    add_followers_and_follows(&app.db, &alice, 30);
    let http = reqwest::Client::new();
    let get = |path: &str| {
        http.get(app.url(path))
            .header("Accept", "application/activity+json")
            .send()
    };
    let followers: Value = get("/u/alice/followers")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Every third follows only the tag rust: the person's followers are the other 20.
    assert_eq!(followers["totalItems"], 20);
    let items = followers["orderedItems"].as_array().expect("items");
    assert_eq!(items.len(), 20);
    assert_eq!(items[0], "https://far.example/users/a29");
    let following: Value = get("/u/alice/following")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // Every fourth follow is still pending: 22 accepted.
    assert_eq!(following["totalItems"], 22);
    assert_eq!(
        following["orderedItems"][0],
        "https://far.example/users/a29"
    );
    assert_eq!(following["orderedItems"].as_array().map(Vec::len), Some(22));
}
