//! Federation between real instances in one process, each on its own `localhost:PORT` in
//! `local-test` mode, delivering only when a test drains its queue.

use crate::helpers::{spawn_app, spawn_app_with, ApiClient, TestApp};
use serde_json::{json, Value};

/// Drains every instance until none has anything left to do (a Follow goes out, the Accept
/// comes back, and so on).
async fn settle(apps: &[&TestApp]) {
    for _ in 0..6 {
        let mut progress = 0;
        for app in apps {
            progress += app.drain().await;
        }
        if progress == 0 {
            return;
        }
    }
    panic!("delivery did not settle");
}

async fn network(client: &ApiClient) -> Vec<Value> {
    let (status, body) = client.get("/api/network").await;
    assert_eq!(status, 200, "{body}");
    body["bookmarks"].as_array().unwrap().clone()
}

async fn save(client: &ApiClient, url: &str, tags: &[&str], visibility: &str) -> String {
    let (status, body) = client
        .post(
            "/api/bookmarks",
            json!({"url": url, "title": format!("Title of {url}"), "notes": "why <b>it</b> matters",
                   "tags": tags, "visibility": visibility}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_string()
}

async fn follow(client: &ApiClient, handle: &str) -> Value {
    let (status, body) = client
        .post("/api/follows", json!({ "handle": handle }))
        .await;
    assert_eq!(status, 202, "{body}");
    body
}

fn urls(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|b| b["url"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_person_follow_is_accepted_and_bookmarks_edits_and_deletes_arrive() {
    let (office_a, office_b) = (spawn_app().await, spawn_app().await);
    let (_, alice) = office_a.api_user("alice");
    let (_, bob) = office_b.api_user("bob");

    let asked = follow(&bob, &format!("alice@{}", office_a.host())).await;
    assert_eq!(asked["state"], "pending");
    assert_eq!(asked["handle"], format!("alice@{}", office_a.host()));
    settle(&[&office_a, &office_b]).await;
    let (_, follows) = bob.get("/api/follows").await;
    assert_eq!(follows["follows"][0]["state"], "accepted", "{follows}");
    let (_, followers) = alice.get("/api/followers").await;
    assert_eq!(
        followers["followers"][0]["handle"],
        format!("bob@{}", office_b.host())
    );
    assert_eq!(followers["followers"][0]["tag"], Value::Null);

    let public = save(&alice, "https://example.com/public", &["rust"], "public").await;
    save(&alice, "https://example.com/unlisted", &[], "unlisted").await;
    save(&alice, "https://example.com/private", &["rust"], "private").await;
    settle(&[&office_a, &office_b]).await;
    let items = network(&bob).await;
    assert_eq!(
        urls(&items),
        vec!["https://example.com/unlisted", "https://example.com/public"],
        "private bookmarks never leave their instance"
    );
    let arrived = &items[1];
    assert_eq!(arrived["author"], format!("alice@{}", office_a.host()));
    assert_eq!(arrived["title"], "Title of https://example.com/public");
    assert_eq!(arrived["notes"], "why <b>it</b> matters");
    assert_eq!(arrived["tags"], json!(["rust"]));
    assert_eq!(arrived["remote_url"], office_a.url(&format!("/b/{public}")));

    let (status, _) = alice
        .send(
            reqwest::Method::PATCH,
            &format!("/api/bookmarks/{public}"),
            Some(json!({"title": "Edited", "tags": ["rust", "async"]})),
        )
        .await;
    assert_eq!(status, 200);
    settle(&[&office_a, &office_b]).await;
    let items = network(&bob).await;
    let edited = items
        .iter()
        .find(|b| b["url"] == "https://example.com/public")
        .unwrap();
    assert_eq!(edited["title"], "Edited");
    assert_eq!(edited["tags"], json!(["rust", "async"]));

    let (status, _) = alice
        .send(
            reqwest::Method::DELETE,
            &format!("/api/bookmarks/{public}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    settle(&[&office_a, &office_b]).await;
    assert_eq!(
        urls(&network(&bob).await),
        vec!["https://example.com/unlisted"]
    );

    // Making a shared bookmark private takes it back too.
    let unlisted = alice.get("/api/bookmarks").await.1["bookmarks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["url"] == "https://example.com/unlisted")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    alice
        .send(
            reqwest::Method::PATCH,
            &format!("/api/bookmarks/{unlisted}"),
            Some(json!({"visibility": "private"})),
        )
        .await;
    settle(&[&office_a, &office_b]).await;
    assert!(network(&bob).await.is_empty());
}

/// The bodies of every activity an instance has queued for others, delivered or not.
fn queued_bodies(app: &TestApp) -> Vec<String> {
    use bookmarks::store::schema::outgoing_activities;
    use diesel::prelude::*;
    app.db
        .read(|c| {
            Ok(outgoing_activities::table
                .select(outgoing_activities::body)
                .load::<String>(c)?)
        })
        .expect("read the outgoing activities")
}

#[tokio::test]
async fn a_bookmark_made_private_before_it_was_sent_is_only_ever_withdrawn() {
    let (office_a, office_b) = (spawn_app().await, spawn_app().await);
    let (_, alice) = office_a.api_user("alice");
    let (_, bob) = office_b.api_user("bob");
    follow(&bob, &format!("alice@{}", office_a.host())).await;
    settle(&[&office_a, &office_b]).await;

    // Both saved before the delivery worker runs; one of them made private straight away.
    save(
        &alice,
        "https://example.com/kept-public",
        &["rust"],
        "public",
    )
    .await;
    let second = save(
        &alice,
        "https://example.com/second-thoughts",
        &["rust"],
        "public",
    )
    .await;
    let (status, body) = alice
        .send(
            reqwest::Method::PATCH,
            &format!("/api/bookmarks/{second}"),
            Some(json!({"visibility": "private"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    settle(&[&office_a, &office_b]).await;

    assert_eq!(
        urls(&network(&bob).await),
        vec!["https://example.com/kept-public"]
    );
    let bodies = queued_bodies(&office_a);
    assert!(
        bodies
            .iter()
            .any(|b| b.contains("https://example.com/kept-public")),
        "the public bookmark went out: {bodies:?}"
    );
    // Its content never left: what names it at all is a Delete of its address, for anyone
    // who may have had it.
    assert!(
        bodies.iter().all(|b| !b.contains("second-thoughts")),
        "the bookmark made private was sent: {bodies:?}"
    );
    let naming_it: Vec<Value> = bodies
        .iter()
        .filter(|b| b.contains(&second))
        .map(|b| serde_json::from_str(b).expect("an activity"))
        .collect();
    assert!(!naming_it.is_empty());
    for activity in &naming_it {
        assert_eq!(activity["type"], "Delete", "{activity}");
        assert_eq!(activity["object"]["type"], "Tombstone", "{activity}");
    }
}

#[tokio::test]
async fn tag_follows_see_only_their_tag_once_and_lose_it_when_the_tag_goes() {
    let (office_a, office_b, office_c) = (spawn_app().await, spawn_app().await, spawn_app().await);
    let (_, alice) = office_a.api_user("alice");
    let (_, bob) = office_b.api_user("bob");
    let (_, carol) = office_c.api_user("carol");
    // The feed exists once alice has used the tag.
    save(
        &alice,
        "https://example.com/first-rust",
        &["rust"],
        "public",
    )
    .await;

    follow(&carol, &format!("alice.rust@{}", office_a.host())).await;
    follow(&bob, &format!("alice.rust@{}", office_a.host())).await;
    follow(&bob, &format!("alice@{}", office_a.host())).await;
    settle(&[&office_a, &office_b, &office_c]).await;
    let (_, follows) = carol.get("/api/follows").await;
    assert_eq!(follows["follows"][0]["state"], "accepted", "{follows}");
    assert_eq!(
        follows["follows"][0]["handle"],
        format!("alice.rust@{}", office_a.host())
    );

    let tagged = save(
        &alice,
        "https://example.com/rust-news",
        &["rust", "news"],
        "public",
    )
    .await;
    save(&alice, "https://example.com/go-news", &["go"], "public").await;
    settle(&[&office_a, &office_b, &office_c]).await;
    assert_eq!(
        urls(&network(&carol).await),
        vec!["https://example.com/rust-news"]
    );
    assert_eq!(
        urls(&network(&bob).await),
        vec![
            "https://example.com/go-news",
            "https://example.com/rust-news"
        ],
        "a bookmark that arrives through a person follow and a tag follow appears once"
    );

    // Taking the tag away takes the bookmark off the tag follower's network only.
    let (status, _) = alice
        .send(
            reqwest::Method::PATCH,
            &format!("/api/bookmarks/{tagged}"),
            Some(json!({"tags": ["news"]})),
        )
        .await;
    assert_eq!(status, 200);
    settle(&[&office_a, &office_b, &office_c]).await;
    assert!(network(&carol).await.is_empty());
    assert_eq!(network(&bob).await.len(), 2);

    // Unfollowing removes the follower on the other side and what came only through it.
    let (_, follows) = bob.get("/api/follows").await;
    for f in follows["follows"].as_array().unwrap() {
        let (status, _) = bob
            .send(
                reqwest::Method::DELETE,
                &format!("/api/follows/{}", f["id"].as_str().unwrap()),
                None,
            )
            .await;
        assert_eq!(status, 204);
    }
    settle(&[&office_a, &office_b, &office_c]).await;
    assert!(network(&bob).await.is_empty());
    let (_, followers) = alice.get("/api/followers").await;
    let handles: Vec<&str> = followers["followers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["handle"].as_str().unwrap())
        .collect();
    assert_eq!(handles, vec![format!("carol@{}", office_c.host())]);
}

#[tokio::test]
async fn a_delivery_made_twice_changes_nothing() {
    let (office_a, office_b) = (spawn_app().await, spawn_app().await);
    let (_, alice) = office_a.api_user("alice");
    let (_, bob) = office_b.api_user("bob");
    follow(&bob, &format!("alice@{}", office_a.host())).await;
    settle(&[&office_a, &office_b]).await;
    save(&alice, "https://example.com/once", &[], "public").await;
    settle(&[&office_a, &office_b]).await;
    assert_eq!(network(&bob).await.len(), 1);

    // Queue every activity alice's office ever sent a second time, as a retry after a lost
    // answer would, and deliver again.
    let inbox = office_b.url("/inbox");
    let host = office_b.host();
    office_a
        .db
        .write(|c| {
            use bookmarks::store::schema::{deliveries, outgoing_activities};
            use diesel::prelude::*;
            let ids: Vec<i64> = outgoing_activities::table
                .select(outgoing_activities::id)
                .load(c)?;
            for id in ids {
                diesel::insert_into(deliveries::table)
                    .values((
                        deliveries::activity_id.eq(id),
                        deliveries::instance.eq(&host),
                        deliveries::inbox.eq(&inbox),
                        deliveries::created_at.eq(chrono::Utc::now().naive_utc()),
                    ))
                    .execute(c)?;
            }
            Ok(())
        })
        .unwrap();
    assert!(office_a.drain().await >= 2);
    settle(&[&office_a, &office_b]).await;
    assert_eq!(network(&bob).await.len(), 1);
    let (_, follows) = bob.get("/api/follows").await;
    assert_eq!(follows["follows"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn unsigned_and_forged_activities_are_refused_and_change_nothing() {
    let (office_a, office_b) = (spawn_app().await, spawn_app().await);
    let (_, alice) = office_a.api_user("alice");
    office_b.api_user("mallory");
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": office_b.url("/activities/follow/forged"),
        "type": "Follow",
        "actor": office_b.url("/u/mallory"),
        "object": office_a.url("/u/alice"),
    });
    let http = reqwest::Client::new();
    let unsigned = http
        .post(office_a.url("/u/alice/inbox"))
        .header("Content-Type", "application/activity+json")
        .body(follow.to_string())
        .send()
        .await
        .unwrap();
    assert!(
        unsigned.status().is_client_error(),
        "unsigned: {}",
        unsigned.status()
    );
    let garbage = http
        .post(office_a.url("/inbox"))
        .header("Content-Type", "application/activity+json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert!(garbage.status().is_client_error());
    let (_, followers) = alice.get("/api/followers").await;
    assert!(followers["followers"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn blocked_instances_cannot_be_followed() {
    let office_a = spawn_app().await;
    let blocked = office_a.host();
    let office_b = spawn_app_with(move |s| s.federation.blocklist = vec![blocked]).await;
    office_a.api_user("alice");
    let (_, bob) = office_b.api_user("bob");
    let (status, body) = bob
        .post(
            "/api/follows",
            json!({"handle": format!("alice@{}", office_a.host())}),
        )
        .await;
    assert!(status >= 400, "{status} {body}");
    assert!(
        body["error"].as_str().unwrap().contains("blocked"),
        "{body}"
    );
    let (_, follows) = bob.get("/api/follows").await;
    assert!(follows["follows"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn handles_that_name_nothing_get_clear_errors() {
    let office_a = spawn_app().await;
    let office_b = spawn_app().await;
    let (_, bob) = office_b.api_user("bob");
    let (status, body) = bob
        .post("/api/follows", json!({"handle": "not a handle"}))
        .await;
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap().contains("name@host"),
        "{body}"
    );
    let (status, body) = bob
        .post(
            "/api/follows",
            json!({"handle": format!("nobody@{}", office_a.host())}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = bob
        .post(
            "/api/follows",
            json!({"handle": format!("bob@{}", office_b.host())}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = bob
        .send(reqwest::Method::DELETE, "/api/follows/unknown", None)
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn actors_notes_webfinger_and_nodeinfo_are_served() {
    let office = spawn_app().await;
    let (_, alice) = office.api_user("alice");
    let public = save(&alice, "https://example.com/a", &["rust"], "public").await;
    let private = save(&alice, "https://example.com/p", &[], "private").await;
    let http = reqwest::Client::new();
    let get_json = |path: String, accept: &'static str| {
        let http = http.clone();
        async move {
            let response = http
                .get(path)
                .header("Accept", accept)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let kind = response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            (status, kind, response.text().await.unwrap())
        }
    };
    let (status, kind, body) = get_json(office.url("/u/alice"), "application/activity+json").await;
    assert_eq!(status, 200);
    assert_eq!(kind, "application/activity+json");
    let person: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(person["type"], "Person");
    assert_eq!(person["attachment"], json!([]));
    assert_eq!(person["endpoints"]["sharedInbox"], office.url("/inbox"));
    assert!(person["publicKey"]["publicKeyPem"]
        .as_str()
        .unwrap()
        .contains("PUBLIC KEY"));
    let (_, _, body) = get_json(office.url("/u/alice/outbox"), "application/activity+json").await;
    let outbox: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        outbox["totalItems"], 1,
        "the private one is not counted: {outbox}"
    );
    assert_eq!(
        outbox["orderedItems"][0]["object"]["id"],
        office.url(&format!("/b/{public}"))
    );
    // Browsers get the page.
    let (_, kind, _) = get_json(office.url("/u/alice"), "text/html").await;
    assert!(kind.starts_with("text/html"), "{kind}");

    let profile = r#"application/ld+json; profile="https://www.w3.org/ns/activitystreams""#;
    let (status, _, body) = get_json(office.url(&format!("/b/{public}")), profile).await;
    assert_eq!(status, 200);
    let note: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(note["type"], "Note");
    assert!(note["published"].is_string());
    let (status, _, _) = get_json(
        office.url(&format!("/b/{private}")),
        "application/activity+json",
    )
    .await;
    assert_eq!(status, 404, "private bookmarks are not served to anyone");

    let (status, kind, body) = get_json(
        office.url(&format!(
            "/.well-known/webfinger?resource=acct:alice.rust@{}",
            office.host()
        )),
        "application/jrd+json",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(kind.starts_with("application/jrd+json"));
    let jrd: Value = serde_json::from_str(&body).unwrap();
    let feed_url = jrd["links"][0]["href"].as_str().unwrap().to_string();
    assert_eq!(feed_url, office.url("/u/alice/tags/rust"));
    let (_, _, body) = get_json(feed_url, "application/activity+json").await;
    let feed: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(feed["type"], "Service");
    assert_eq!(feed["preferredUsername"], "alice.rust");
    let (status, _, _) = get_json(
        office.url(&format!(
            "/.well-known/webfinger?resource=acct:alice.unused@{}",
            office.host()
        )),
        "application/jrd+json",
    )
    .await;
    assert_eq!(status, 404, "no feed for a tag alice never used");
    let (status, _, body) = get_json(
        office.url(&format!(
            "/.well-known/webfinger?resource=acct:instance@{}",
            office.host()
        )),
        "application/jrd+json",
    )
    .await;
    assert_eq!(status, 200);
    let jrd: Value = serde_json::from_str(&body).unwrap();
    let (_, _, body) = get_json(
        jrd["links"][0]["href"].as_str().unwrap().into(),
        "application/activity+json",
    )
    .await;
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["type"],
        "Application"
    );

    let (_, _, body) = get_json(office.url("/.well-known/nodeinfo"), "application/json").await;
    let links: Value = serde_json::from_str(&body).unwrap();
    let (status, _, body) = get_json(
        links["links"][0]["href"].as_str().unwrap().into(),
        "application/json",
    )
    .await;
    assert_eq!(status, 200);
    let info: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(info["software"]["name"], "commonplace");
    assert_eq!(info["protocols"], json!(["activitypub"]));
    assert_eq!(info["usage"]["localPosts"], 1);
    assert_eq!(
        info["openRegistrations"], true,
        "the test instances are open"
    );
}

#[tokio::test]
async fn the_network_page_follows_unfollows_and_shows_what_arrived_escaped() {
    let (office_a, office_b) = (spawn_app().await, spawn_app().await);
    let (_, alice) = office_a.api_user("alice");
    office_b.api_user("bob");
    let browser = office_b.browser_as("bob").await;

    // Without the CSRF token nothing happens.
    let forged = browser
        .http
        .post(office_b.url("/network/follow"))
        .form(&[("handle", format!("alice@{}", office_a.host()))])
        .send()
        .await
        .unwrap();
    assert!(forged.status().is_client_error(), "{}", forged.status());

    let bad = browser
        .submit(
            "/network",
            "/network/follow",
            &[("handle", "no handle here")],
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("name@host"));

    let handle = format!("alice@{}", office_a.host());
    let done = browser
        .submit(
            "/network",
            "/network/follow",
            &[("handle", handle.as_str())],
        )
        .await;
    assert_eq!(done.status(), 303);
    let (_, page) = browser.get("/network").await;
    assert!(
        page.contains(&handle) && page.contains("(pending)"),
        "{page}"
    );
    settle(&[&office_a, &office_b]).await;

    alice
        .post(
            "/api/bookmarks",
            json!({"url": "https://example.com/x", "title": "<script>alert(1)</script>",
                   "notes": "a & b", "visibility": "public"}),
        )
        .await;
    settle(&[&office_a, &office_b]).await;
    let (status, page) = browser.get("/network").await;
    assert_eq!(status, 200);
    assert!(!page.contains("(pending)"));
    assert!(page.contains("https://example.com/x"));
    assert!(
        page.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{page}"
    );
    assert!(!page.contains("<script>alert(1)"));

    let follow_id = page
        .split("/network/unfollow/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    let gone = browser
        .submit("/network", &format!("/network/unfollow/{follow_id}"), &[])
        .await;
    assert_eq!(gone.status(), 303);
    let (_, page) = browser.get("/network").await;
    assert!(!page.contains("https://example.com/x"));
}

#[tokio::test]
async fn the_network_feed_carries_what_arrived_and_needs_the_token() {
    let (office_a, office_b) = (spawn_app().await, spawn_app().await);
    let (_, alice) = office_a.api_user("alice");
    let (bob_user, bob) = office_b.api_user("bob");
    follow(&bob, &format!("alice@{}", office_a.host())).await;
    settle(&[&office_a, &office_b]).await;
    save(&alice, "https://example.com/feed-me", &["rust"], "public").await;
    settle(&[&office_a, &office_b]).await;

    let http = reqwest::Client::new();
    let without = http
        .get(office_b.url("/u/bob/network/feed.atom"))
        .send()
        .await
        .unwrap();
    assert_eq!(without.status(), 403);
    let token = office_b
        .db
        .write(|c| bookmarks::store::regenerate_feed_token(c, bob_user.id))
        .unwrap();
    let wrong = http
        .get(office_b.url("/u/bob/network/feed.atom?token=wrong"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    for format in ["atom", "rss"] {
        let body = http
            .get(office_b.url(&format!("/u/bob/network/feed.{format}?token={token}")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let feed = feed_rs::parser::parse(body.as_bytes()).expect("a valid feed");
        assert_eq!(feed.entries.len(), 1, "{body}");
        let entry = &feed.entries[0];
        assert_eq!(entry.links[0].href, "https://example.com/feed-me");
        assert_eq!(entry.categories[0].term, "rust");
        assert!(entry.id.starts_with(&office_a.url("/b/")), "{}", entry.id);
    }
    let (_, settings) = office_b.browser_as("bob").await.get("/settings").await;
    assert!(settings.contains(&format!("/u/bob/network/feed.atom?token={token}")));
}

#[tokio::test]
async fn admins_see_delivery_state_per_instance_and_others_do_not() {
    let (office_a, office_b) = (spawn_app().await, spawn_app().await);
    office_a.add_user("root", true);
    let (_, alice) = office_a.api_user("alice");
    let (_, bob) = office_b.api_user("bob");
    follow(&bob, &format!("alice@{}", office_a.host())).await;
    settle(&[&office_a, &office_b]).await;
    save(&alice, "https://example.com/tracked", &[], "public").await;
    settle(&[&office_a, &office_b]).await;

    let (_, page) = office_a.browser_as("root").await.get("/settings").await;
    let row = page
        .split("<tr>")
        .find(|r| r.contains(&office_b.host()))
        .unwrap_or_else(|| panic!("no row for {}: {page}", office_b.host()));
    assert!(row.contains("<td>ok</td>"), "{row}");
    assert!(row.contains("<td>0</td>"), "nothing waiting: {row}");
    let (_, page) = office_a.browser_as("alice").await.get("/settings").await;
    assert!(!page.contains("Federation delivery"));
}

#[tokio::test]
async fn profiles_show_followers_and_remote_people_with_follow_buttons() {
    let (office_a, office_b) = (spawn_app().await, spawn_app().await);
    let (_, alice) = office_a.api_user("alice");
    office_b.api_user("bob");
    save(&alice, "https://example.com/seen", &["rust"], "public").await;
    let browser = office_b.browser_as("bob").await;
    let alice_handle = format!("alice@{}", office_a.host());

    // A visitor cannot make the server look anyone up.
    let visitor = crate::helpers::Browser::new(&office_b.address);
    let (status, _) = visitor.get(&format!("/@{alice_handle}")).await;
    assert_eq!(status, 404);

    // Logged in, the profile is looked up and offers both kinds of follow.
    let (status, page) = browser.get(&format!("/@{alice_handle}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&format!("Follow {alice_handle}")), "{page}");
    let back = format!("/@{alice_handle}");
    let followed = browser
        .submit(
            &back,
            "/network/follow",
            &[("handle", alice_handle.as_str()), ("back", back.as_str())],
        )
        .await;
    assert_eq!(followed.status(), 303);
    assert_eq!(
        crate::helpers::header(&followed, "location").as_deref(),
        Some(back.as_str())
    );
    settle(&[&office_a, &office_b]).await;
    save(
        &alice,
        "https://example.com/after-follow",
        &["rust"],
        "public",
    )
    .await;
    settle(&[&office_a, &office_b]).await;
    let (_, page) = browser.get(&back).await;
    assert!(
        page.contains("Following") && page.contains("https://example.com/after-follow"),
        "{page}"
    );
    assert!(
        page.contains(&format!("alice.rust@{}", office_a.host())),
        "a button for her rust feed: {page}"
    );

    // Her page on office A lists bob as a follower; his on B lists her as followed.
    let (_, page) = crate::helpers::Browser::new(&office_a.address)
        .get("/u/alice")
        .await;
    assert!(page.contains(&format!("bob@{}", office_b.host())), "{page}");
    assert!(page.contains("Followers (1)"), "{page}");
    let (_, page) = browser.get("/u/bob").await;
    assert!(
        page.contains("Following (1)") && page.contains(&alice_handle),
        "{page}"
    );
    // Known now, so visitors see it too.
    let (status, _) = visitor.get(&back).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn organisation_bookmarks_reach_only_allowlisted_offices_and_signed_fetches() {
    // Office A federates with anyone, so "my organisation" goes nowhere from it; office C lists
    // office B as part of its organisation.
    let office_b = spawn_app().await;
    let office_a = spawn_app().await;
    let b_host = office_b.host();
    let office_c = spawn_app_with(move |s| s.federation.allowlist = vec![b_host]).await;
    let (_, alice) = office_a.api_user("alice");
    let (_, carol) = office_c.api_user("carol");
    let (_, bob) = office_b.api_user("bob");
    follow(&bob, &format!("alice@{}", office_a.host())).await;
    follow(&bob, &format!("carol@{}", office_c.host())).await;
    settle(&[&office_a, &office_b, &office_c]).await;

    let shared = save(&alice, "https://example.com/was-public", &[], "public").await;
    save(&alice, "https://example.com/a-org", &[], "org").await;
    let carol_org = save(&carol, "https://example.com/c-org", &["rust"], "org").await;
    settle(&[&office_a, &office_b, &office_c]).await;
    let mut got = urls(&network(&bob).await);
    got.sort();
    assert_eq!(
        got,
        vec![
            "https://example.com/c-org",
            "https://example.com/was-public"
        ]
    );
    let arrived = network(&bob).await;
    let org = arrived
        .iter()
        .find(|b| b["url"] == "https://example.com/c-org")
        .unwrap();
    assert_eq!(org["visibility"], "org");

    // Narrowing a public bookmark to the organisation takes it back from everyone else.
    alice
        .send(
            reqwest::Method::PATCH,
            &format!("/api/bookmarks/{shared}"),
            Some(json!({"visibility": "org"})),
        )
        .await;
    settle(&[&office_a, &office_b, &office_c]).await;
    assert_eq!(
        urls(&network(&bob).await),
        vec!["https://example.com/c-org"]
    );

    // Its Note is served to an allowlisted instance's signed fetch, to nobody else.
    let note_url = office_c.url(&format!("/b/{carol_org}"));
    let unsigned = reqwest::Client::new()
        .get(&note_url)
        .header("Accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 404);
    let from_b = federation::activitypub::inbox::fetch_json(&note_url, &office_b.federation.data())
        .await
        .expect("office B may fetch it");
    assert_eq!(from_b["id"], note_url);
    assert!(
        federation::activitypub::inbox::fetch_json(&note_url, &office_a.federation.data())
            .await
            .is_err(),
        "office A is not in office C's organisation"
    );

    // On their own instance colleagues who are logged in see it; visitors do not.
    let (status, _) = crate::helpers::Browser::new(&office_c.address)
        .get(&format!("/b/{carol_org}"))
        .await;
    assert_eq!(status, 404);
    office_c.add_user("dave", false);
    let colleague = office_c.browser_as("dave").await;
    let (status, page) = colleague.get(&format!("/b/{carol_org}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("my organisation"), "{page}");
    let (_, page) = colleague.get("/u/carol").await;
    assert!(page.contains("https://example.com/c-org"));
    let (_, page) = crate::helpers::Browser::new(&office_c.address)
        .get("/u/carol")
        .await;
    assert!(!page.contains("https://example.com/c-org"));
    let (_, feed) = crate::helpers::Browser::new(&office_c.address)
        .get("/u/carol/feed.atom")
        .await;
    assert!(!feed.contains("c-org"));
}

#[tokio::test]
async fn colleagues_on_the_same_instance_follow_people_and_tags() {
    let office = spawn_app().await;
    let (_, alice) = office.api_user("alice");
    let (_, bob) = office.api_user("bob");
    let (_, carol) = office.api_user("carol");
    save(&alice, "https://example.com/old-rust", &["rust"], "public").await;
    office.drain().await;

    let person = follow(&bob, &format!("alice@{}", office.host())).await;
    assert_eq!(person["state"], "accepted", "no one to wait for: {person}");
    let tag = follow(&carol, &office.url("/u/alice/tags/rust")).await;
    assert_eq!(tag["handle"], format!("alice.rust@{}", office.host()));
    let (_, followers) = alice.get("/api/followers").await;
    assert_eq!(
        followers["followers"].as_array().unwrap().len(),
        2,
        "{followers}"
    );

    let both = save(
        &alice,
        "https://example.com/rust-2",
        &["rust", "news"],
        "public",
    )
    .await;
    save(&alice, "https://example.com/go", &["go"], "unlisted").await;
    save(&alice, "https://example.com/secret", &["rust"], "private").await;
    office.drain().await;
    assert_eq!(
        urls(&network(&bob).await),
        vec!["https://example.com/go", "https://example.com/rust-2"]
    );
    let carols = network(&carol).await;
    assert_eq!(urls(&carols), vec!["https://example.com/rust-2"]);
    assert_eq!(carols[0]["author"], format!("alice@{}", office.host()));

    alice
        .send(
            reqwest::Method::PATCH,
            &format!("/api/bookmarks/{both}"),
            Some(json!({"title": "Renamed", "tags": ["news"]})),
        )
        .await;
    office.drain().await;
    assert!(
        network(&carol).await.is_empty(),
        "the tag left, so did the bookmark"
    );
    let bobs = network(&bob).await;
    assert_eq!(
        bobs.iter()
            .find(|b| b["url"] == "https://example.com/rust-2")
            .unwrap()["title"],
        "Renamed"
    );

    let (status, _) = bob
        .send(
            reqwest::Method::DELETE,
            &format!("/api/follows/{}", person["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert!(network(&bob).await.is_empty());
    let (_, followers) = alice.get("/api/followers").await;
    assert_eq!(
        followers["followers"].as_array().unwrap().len(),
        1,
        "{followers}"
    );
    // A colleague's profile address leads to their page here.
    let location = crate::helpers::Browser::new(&office.address)
        .location(&format!("/@alice@{}", office.host()))
        .await;
    assert_eq!(location.as_deref(), Some("/u/alice"));
    // Nothing was queued for delivery to this instance itself.
    let queued: i64 = office
        .db
        .read(|c| {
            use bookmarks::store::schema::deliveries;
            use diesel::prelude::*;
            Ok(deliveries::table.count().get_result(c)?)
        })
        .unwrap();
    assert_eq!(queued, 0);
}

/// Sends `activity` from `from` to `inbox` through its real delivery queue, signed by `signer`
/// (a correctly signed request, whatever the activity says), and delivers it now.
async fn send_signed(
    from: &TestApp,
    signer: bookmarks::store::federation::Signer,
    activity: Value,
    inbox: &str,
    host: &str,
) {
    let (inbox, host) = (inbox.to_string(), host.to_string());
    from.db
        .write(|c| {
            bookmarks::store::federation::enqueue_activity(
                c,
                &bookmarks::store::federation::OutgoingActivity {
                    ap_id: activity["id"].as_str().unwrap().to_string(),
                    signer: signer.clone(),
                    body: activity.to_string(),
                },
                &[(host.clone(), inbox.clone())],
            )
        })
        .unwrap();
    from.drain().await;
}

#[tokio::test]
async fn forged_hosts_wrong_keys_and_replays_change_nothing() {
    let (office_a, office_b) = (spawn_app().await, spawn_app().await);
    let (alice_user, alice) = office_a.api_user("alice");
    let (bob_user, bob) = office_b.api_user("bob");
    follow(&bob, &format!("alice@{}", office_a.host())).await;
    settle(&[&office_a, &office_b]).await;
    let a_inbox = office_a.url("/inbox");
    let b_inbox = office_b.url("/inbox");

    // Alice's office claims a Note on office B is hers: the object is not on the signer's host.
    let forged = json!({
        "id": office_a.url("/activities/create/forged-host"),
        "type": "Create",
        "actor": office_a.url("/u/alice"),
        "to": [PUBLIC_COLLECTION],
        "object": {
            "id": office_b.url("/b/not-hers"),
            "type": "Note",
            "attributedTo": office_a.url("/u/alice"),
            "content": "<p><a href=\"https://example.com/forged\">forged</a></p>",
            "to": [PUBLIC_COLLECTION],
        },
    });
    use bookmarks::store::federation::Signer;
    send_signed(
        &office_a,
        Signer::User(alice_user.id),
        forged,
        &b_inbox,
        &office_b.host(),
    )
    .await;
    assert!(
        network(&bob).await.is_empty(),
        "an object on another host is refused"
    );

    // Signed with the instance's key but claiming to be alice: the signature does not verify.
    let wrong_key = json!({
        "id": office_a.url("/activities/create/wrong-key"),
        "type": "Create",
        "actor": office_a.url("/u/alice"),
        "to": [PUBLIC_COLLECTION],
        "object": {
            "id": office_a.url("/b/wrong-key"),
            "type": "Note",
            "attributedTo": office_a.url("/u/alice"),
            "content": "<p><a href=\"https://example.com/wrong-key\">x</a></p>",
            "published": "2024-01-01T00:00:00Z",
            "to": [PUBLIC_COLLECTION],
        },
    });
    send_signed(
        &office_a,
        Signer::Instance,
        wrong_key.clone(),
        &b_inbox,
        &office_b.host(),
    )
    .await;
    assert!(
        network(&bob).await.is_empty(),
        "a request signed by another key is refused"
    );

    // The same activity properly signed arrives once; sent again (a replay), nothing changes,
    // not even after she deletes it and the old Create is replayed.
    let mut genuine = wrong_key.clone();
    genuine["id"] = json!(office_a.url("/activities/create/genuine"));
    send_signed(
        &office_a,
        Signer::User(alice_user.id),
        genuine.clone(),
        &b_inbox,
        &office_b.host(),
    )
    .await;
    assert_eq!(
        urls(&network(&bob).await),
        vec!["https://example.com/wrong-key"]
    );
    let delete = json!({
        "id": office_a.url("/activities/delete/genuine"),
        "type": "Delete",
        "actor": office_a.url("/u/alice"),
        "object": office_a.url("/b/wrong-key"),
    });
    send_signed(
        &office_a,
        Signer::User(alice_user.id),
        delete,
        &b_inbox,
        &office_b.host(),
    )
    .await;
    assert!(network(&bob).await.is_empty());
    office_a
        .db
        .write(|c| {
            use bookmarks::store::schema::outgoing_activities;
            use diesel::prelude::*;
            // Let the queue take the same id again, as a replayed request would carry it.
            diesel::delete(outgoing_activities::table).execute(c)?;
            Ok(())
        })
        .unwrap();
    send_signed(
        &office_a,
        Signer::User(alice_user.id),
        genuine,
        &b_inbox,
        &office_b.host(),
    )
    .await;
    assert!(
        network(&bob).await.is_empty(),
        "a replayed activity is not processed again"
    );

    // Bob's office may not unfollow on someone else's behalf: an Undo of another actor's Follow.
    let undo = json!({
        "id": office_b.url("/activities/undo/forged"),
        "type": "Undo",
        "actor": office_b.url("/u/bob"),
        "object": { "id": "x", "type": "Follow", "actor": office_b.url("/u/mallory"), "object": office_a.url("/u/alice") },
    });
    send_signed(
        &office_b,
        Signer::User(bob_user.id),
        undo,
        &a_inbox,
        &office_a.host(),
    )
    .await;
    let (_, followers) = alice.get("/api/followers").await;
    assert_eq!(followers["followers"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn production_mode_refuses_http_and_loopback_actors() {
    let office_b = spawn_app().await;
    let production = spawn_app_with(|s| {
        s.federation.mode = federation::FederationMode::Production;
    })
    .await;
    let (_, alice) = production.api_user("alice");
    let (bob_user, _) = office_b.api_user("bob");
    let follow_alice = json!({
        "id": office_b.url("/activities/follow/to-production"),
        "type": "Follow",
        "actor": office_b.url("/u/bob"),
        "object": production.url("/u/alice"),
    });
    send_signed(
        &office_b,
        bookmarks::store::federation::Signer::User(bob_user.id),
        follow_alice,
        &production.url("/u/alice/inbox"),
        &production.host(),
    )
    .await;
    let (_, followers) = alice.get("/api/followers").await;
    assert!(
        followers["followers"].as_array().unwrap().is_empty(),
        "{followers}"
    );
    // And it will not follow anyone at an http or loopback address either.
    let (status, body) = alice
        .post("/api/follows", json!({"handle": office_b.url("/u/bob")}))
        .await;
    assert!(status >= 400, "{status} {body}");
}

const PUBLIC_COLLECTION: &str = "https://www.w3.org/ns/activitystreams#Public";
