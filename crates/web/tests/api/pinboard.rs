//! The Pinboard v1 API, method by method, in XML and JSON, with the request shapes Pinboard
//! clients send (GET with query parameters, `auth_token=user:TOKEN`, `format=json`; HTTP Basic).

use crate::helpers::{spawn_app, TestApp, PASSWORD};
use serde_json::{json, Value};

struct Pinboard {
    base: String,
    auth: String,
    http: reqwest::Client,
}

impl Pinboard {
    fn new(app: &TestApp, name: &str) -> Self {
        let user = app.add_user(name, false);
        let token = app.token(&user);
        Self {
            base: app.url("/api/v1"),
            auth: format!("{name}:{token}"),
            http: reqwest::Client::new(),
        }
    }

    async fn call(&self, method: &str, params: &[(&str, &str)]) -> (u16, String) {
        let mut query: Vec<(&str, &str)> = vec![("auth_token", self.auth.as_str())];
        query.extend_from_slice(params);
        let response = self
            .http
            .get(format!("{}/{method}", self.base))
            .query(&query)
            .send()
            .await
            .expect("GET");
        (
            response.status().as_u16(),
            response.text().await.expect("body"),
        )
    }

    async fn json(&self, method: &str, params: &[(&str, &str)]) -> Value {
        let mut with_format = params.to_vec();
        with_format.push(("format", "json"));
        let (status, body) = self.call(method, &with_format).await;
        assert_eq!(status, 200, "{method}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{method} is not JSON ({e}): {body}"))
    }

    async fn xml(&self, method: &str, params: &[(&str, &str)]) -> String {
        let (status, body) = self.call(method, params).await;
        assert_eq!(status, 200, "{method}: {body}");
        assert!(
            body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
            "{body}"
        );
        roxmltree::Document::parse(&body)
            .unwrap_or_else(|e| panic!("{method} is not XML ({e}): {body}"));
        body
    }

    async fn add(&self, params: &[(&str, &str)]) -> Value {
        self.json("posts/add", params).await
    }
}

fn root_attribute(xml: &str, name: &str) -> Option<String> {
    let doc = roxmltree::Document::parse(xml).ok()?;
    doc.root_element().attribute(name).map(str::to_owned)
}

fn posts_in(xml: &str) -> Vec<(String, String)> {
    let doc = roxmltree::Document::parse(xml).expect("xml");
    doc.descendants()
        .filter(|n| n.has_tag_name("post"))
        .map(|n| {
            (
                n.attribute("href").unwrap_or_default().to_owned(),
                n.attribute("tag").unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn posts_add_creates_replaces_and_reports_result_codes() {
    let app = spawn_app().await;
    let pb = Pinboard::new(&app, "alice");
    let done = pb
        .add(&[
            ("url", "https://pinboard.in/api/"),
            ("description", "Pinboard API"),
            ("extended", "The v1 docs"),
            ("tags", "api pinboard"),
            ("dt", "2011-03-24T19:02:07Z"),
            ("shared", "no"),
            ("toread", "yes"),
        ])
        .await;
    assert_eq!(done, json!({"result_code": "done"}));
    let (_, xml) = pb
        .call(
            "posts/add",
            &[
                ("url", "https://pinboard.in/api/"),
                ("description", "Again"),
                ("replace", "no"),
            ],
        )
        .await;
    assert_eq!(
        root_attribute(&xml, "code").as_deref(),
        Some("item already exists")
    );
    assert_eq!(
        pb.add(&[("description", "no url")]).await,
        json!({"result_code": "missing url"})
    );
    let bad = pb
        .add(&[("url", "ftp://e.com/"), ("description", "x")])
        .await;
    assert!(
        bad["result_code"]
            .as_str()
            .is_some_and(|c| c.contains("not supported")),
        "{bad}"
    );

    let got = pb
        .json("posts/get", &[("url", "https://pinboard.in/api/")])
        .await;
    let post = &got["posts"][0];
    assert_eq!(post["description"], "Pinboard API");
    assert_eq!(post["extended"], "The v1 docs");
    assert_eq!(post["tags"], "api pinboard");
    assert_eq!(post["time"], "2011-03-24T19:02:07Z");
    assert_eq!(
        (post["shared"].as_str(), post["toread"].as_str()),
        (Some("no"), Some("yes"))
    );
    assert_eq!(post["hash"].as_str().map(str::len), Some(32));

    // replace=yes (the default) replaces the bookmark; leaving out `shared` keeps it private.
    pb.add(&[
        ("url", "https://pinboard.in/api/"),
        ("description", "Renamed"),
        ("tags", "docs"),
    ])
    .await;
    let got = pb
        .json("posts/get", &[("url", "https://pinboard.in/api/")])
        .await;
    let post = &got["posts"][0];
    assert_eq!(
        (
            post["description"].as_str(),
            post["tags"].as_str(),
            post["extended"].as_str()
        ),
        (Some("Renamed"), Some("docs"), Some(""))
    );
    assert_eq!(post["shared"], "no");
    assert_eq!(
        post["time"], "2011-03-24T19:02:07Z",
        "the creation time stays"
    );
}

#[tokio::test]
async fn posts_delete_and_update() {
    let app = spawn_app().await;
    let pb = Pinboard::new(&app, "alice");
    let before = pb.json("posts/update", &[]).await;
    assert!(before["update_time"].is_string());
    pb.add(&[("url", "https://e.com/a"), ("description", "A")])
        .await;
    let xml = pb.xml("posts/update", &[]).await;
    let time = root_attribute(&xml, "time").expect("time");
    assert!(
        chrono::DateTime::parse_from_rfc3339(&time).is_ok() && time.ends_with('Z'),
        "{time}"
    );
    assert_eq!(
        pb.json("posts/delete", &[("url", "https://e.com/a")]).await,
        json!({"result_code": "done"})
    );
    let xml = pb.xml("posts/delete", &[("url", "https://e.com/a")]).await;
    assert_eq!(
        root_attribute(&xml, "code").as_deref(),
        Some("item not found")
    );
}

#[tokio::test]
async fn posts_get_recent_all_and_dates_filter_like_pinboard() {
    let app = spawn_app().await;
    let pb = Pinboard::new(&app, "alice");
    let day = |d: u32, n: usize| format!("2020-01-{d:02}T{:02}:00:00Z", 10 + n);
    for (i, (d, tags)) in [
        (1, "rust web"),
        (1, "rust"),
        (2, "web"),
        (3, "rust async"),
        (3, "misc"),
    ]
    .iter()
    .enumerate()
    {
        let url = format!("https://e.com/{i}");
        let dt = day(*d, i);
        pb.add(&[
            ("url", &url),
            ("description", &format!("post {i}")),
            ("tags", tags),
            ("dt", &dt),
        ])
        .await;
    }
    // posts/get without dt: the most recent day.
    let recent_day = pb.json("posts/get", &[]).await;
    assert_eq!(recent_day["posts"].as_array().map(Vec::len), Some(2));
    assert_eq!(recent_day["user"], "alice");
    let day_one = pb
        .json("posts/get", &[("dt", "2020-01-01"), ("tag", "web")])
        .await;
    assert_eq!(
        day_one["posts"]
            .as_array()
            .map(|p| p.iter().map(|x| x["href"].clone()).collect::<Vec<_>>()),
        Some(vec![json!("https://e.com/0")])
    );
    let xml = pb.xml("posts/get", &[("dt", "2020-01-01")]).await;
    assert_eq!(posts_in(&xml).len(), 2);
    assert_eq!(root_attribute(&xml, "user").as_deref(), Some("alice"));

    let recent = pb.json("posts/recent", &[("count", "2")]).await;
    assert_eq!(recent["posts"].as_array().map(Vec::len), Some(2));
    assert_eq!(recent["posts"][0]["description"], "post 4");
    let rust = pb.xml("posts/recent", &[("tag", "rust")]).await;
    assert_eq!(
        posts_in(&rust)
            .iter()
            .map(|p| p.0.as_str())
            .collect::<Vec<_>>(),
        vec!["https://e.com/3", "https://e.com/1", "https://e.com/0"]
    );
    let (_, too_many) = pb
        .call("posts/recent", &[("tag", "a b c d"), ("format", "json")])
        .await;
    assert!(too_many.contains("at most three"), "{too_many}");

    let all = pb.json("posts/all", &[]).await;
    assert_eq!(
        all.as_array().map(Vec::len),
        Some(5),
        "posts/all is a bare array"
    );
    let page = pb
        .json("posts/all", &[("start", "1"), ("results", "2")])
        .await;
    assert_eq!(
        page.as_array().map(|p| p
            .iter()
            .map(|x| x["description"].clone())
            .collect::<Vec<_>>()),
        Some(vec![json!("post 3"), json!("post 2")])
    );
    let window = pb
        .json(
            "posts/all",
            &[
                ("fromdt", "2020-01-02T00:00:00Z"),
                ("todt", "2020-01-03T13:00:00Z"),
            ],
        )
        .await;
    assert_eq!(window.as_array().map(Vec::len), Some(2));
    let tagged = pb.xml("posts/all", &[("tag", "rust async")]).await;
    assert_eq!(
        posts_in(&tagged),
        vec![("https://e.com/3".into(), "rust async".into())]
    );

    let dates = pb.json("posts/dates", &[]).await;
    assert_eq!(
        dates["dates"],
        json!({"2020-01-03": 2, "2020-01-02": 1, "2020-01-01": 2})
    );
    let dates_xml = pb.xml("posts/dates", &[("tag", "rust")]).await;
    let doc = roxmltree::Document::parse(&dates_xml).expect("xml");
    let counts: Vec<(String, String)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("date"))
        .map(|n| {
            (
                n.attribute("date").unwrap_or_default().into(),
                n.attribute("count").unwrap_or_default().into(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        vec![
            ("2020-01-03".into(), "1".into()),
            ("2020-01-01".into(), "2".into())
        ]
    );
}

#[tokio::test]
async fn tags_get_delete_rename_and_suggest() {
    let app = spawn_app().await;
    let pb = Pinboard::new(&app, "alice");
    let bob = Pinboard::new(&app, "bob");
    pb.add(&[
        ("url", "https://www.rust-lang.org/learn"),
        ("description", "Learn"),
        ("tags", "rust learn"),
    ])
    .await;
    pb.add(&[
        ("url", "https://e.com/b"),
        ("description", "B"),
        ("tags", "rust js"),
    ])
    .await;
    bob.add(&[
        ("url", "https://www.rust-lang.org/learn"),
        ("description", "Learn"),
        ("tags", "beginners rust"),
    ])
    .await;

    assert_eq!(
        pb.json("tags/get", &[]).await,
        json!({"rust": 2, "learn": 1, "js": 1})
    );
    let xml = pb.xml("tags/get", &[]).await;
    assert!(xml.contains("<tag count=\"2\" tag=\"rust\"/>"), "{xml}");

    assert_eq!(
        pb.json("tags/rename", &[("old", "js"), ("new", "javascript")])
            .await,
        json!({"result": "done"})
    );
    let xml = pb.xml("tags/delete", &[("tag", "learn")]).await;
    assert!(xml.contains("<result>done</result>"), "{xml}");
    assert_eq!(
        pb.json("tags/get", &[]).await,
        json!({"rust": 2, "javascript": 1})
    );
    assert_eq!(
        pb.json("tags/rename", &[("old", "js")]).await,
        json!({"result_code": "missing new"})
    );

    let suggested = bob
        .json(
            "posts/suggest",
            &[("url", "https://www.rust-lang.org/learn")],
        )
        .await;
    assert_eq!(suggested[0]["popular"], json!(["rust", "beginners"]));
    assert_eq!(suggested[1]["recommended"], json!(["beginners", "rust"]));
    let fresh = pb
        .json("posts/suggest", &[("url", "https://blog.rust-lang.org/")])
        .await;
    assert_eq!(
        fresh[1]["recommended"],
        json!(["rust"]),
        "own tags found in the address"
    );
    let xml = pb
        .xml(
            "posts/suggest",
            &[("url", "https://www.rust-lang.org/learn")],
        )
        .await;
    assert!(xml.contains("<popular>rust</popular>"), "{xml}");
}

#[tokio::test]
async fn authentication_by_token_or_password_and_the_api_token_method() {
    let app = spawn_app().await;
    let pb = Pinboard::new(&app, "alice");
    let token = pb
        .auth
        .split_once(':')
        .map(|(_, t)| t.to_owned())
        .expect("token");
    assert_eq!(
        pb.json("user/api_token", &[]).await,
        json!({"result": token})
    );

    let http = reqwest::Client::new();
    let wrong = http
        .get(app.url("/api/v1/posts/recent"))
        .query(&[("auth_token", format!("bob:{token}"))])
        .send()
        .await
        .expect("GET");
    assert_eq!(
        wrong.status().as_u16(),
        401,
        "a token only works with its own user name"
    );
    let none = http
        .get(app.url("/api/v1/posts/recent"))
        .send()
        .await
        .expect("GET");
    assert_eq!(none.status().as_u16(), 401);

    let basic = http
        .get(app.url("/api/v1/user/api_token"))
        .query(&[("format", "json")])
        .basic_auth("alice", Some(PASSWORD))
        .send()
        .await
        .expect("GET");
    assert_eq!(basic.status().as_u16(), 200);
    let minted: Value = basic.json().await.expect("json");
    let minted = minted["result"].as_str().expect("a token").to_owned();
    let with_it = http
        .get(app.url("/api/v1/posts/recent"))
        .query(&[("auth_token", format!("alice:{minted}"))])
        .send()
        .await
        .expect("GET");
    assert_eq!(with_it.status().as_u16(), 200);
    let bad_password = http
        .get(app.url("/api/v1/posts/recent"))
        .basic_auth("alice", Some("nope nope nope"))
        .send()
        .await
        .expect("GET");
    assert_eq!(bad_password.status().as_u16(), 401);

    assert_eq!(
        pb.json("notes/list", &[]).await,
        json!({"count": 0, "notes": []})
    );
    let (status, body) = pb.call("posts/nonsense", &[]).await;
    assert_eq!(status, 404);
    assert!(body.contains("not a Pinboard v1 method"));
}

#[tokio::test]
async fn post_requests_and_form_bodies_work_too() {
    let app = spawn_app().await;
    let pb = Pinboard::new(&app, "alice");
    let response = pb
        .http
        .post(format!("{}/posts/add", pb.base))
        .form(&[
            ("auth_token", pb.auth.as_str()),
            ("url", "https://e.com/form"),
            ("description", "Form"),
            ("format", "json"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(
        response.json::<Value>().await.expect("json"),
        json!({"result_code": "done"})
    );
    let all = pb.json("posts/all", &[]).await;
    assert_eq!(all[0]["href"], "https://e.com/form");
}

#[tokio::test]
async fn every_method_answers_in_both_formats() {
    let app = spawn_app().await;
    let pb = Pinboard::new(&app, "alice");
    pb.add(&[
        ("url", "https://e.com/a"),
        ("description", "A"),
        ("tags", "one two"),
    ])
    .await;
    let (status, xml) = pb
        .call(
            "posts/add",
            &[
                ("url", "https://e.com/b"),
                ("description", "B"),
                ("tags", "three"),
            ],
        )
        .await;
    assert_eq!(
        (status, root_attribute(&xml, "code").as_deref()),
        (200, Some("done"))
    );
    for (method, params) in [
        ("posts/update", vec![]),
        ("posts/get", vec![("url", "https://e.com/a")]),
        ("posts/recent", vec![]),
        ("posts/dates", vec![]),
        ("posts/all", vec![]),
        ("posts/suggest", vec![("url", "https://e.com/a")]),
        ("tags/get", vec![]),
        ("user/api_token", vec![]),
        ("notes/list", vec![]),
    ] {
        pb.xml(method, &params).await;
        pb.json(method, &params).await;
    }
    assert_eq!(
        pb.json("tags/delete", &[("tag", "one")]).await,
        json!({"result": "done"})
    );
    let xml = pb
        .xml("tags/rename", &[("old", "two"), ("new", "second")])
        .await;
    assert!(xml.contains("<result>done</result>"));
    let token_xml = pb.xml("user/api_token", &[]).await;
    let token = pb
        .auth
        .split_once(':')
        .map(|(_, t)| t.to_owned())
        .expect("token");
    assert!(token_xml.contains(&format!("<result>{token}</result>")));
    let notes = pb.xml("notes/list", &[]).await;
    assert_eq!(root_attribute(&notes, "count").as_deref(), Some("0"));
    let (_, missing) = pb.call("tags/delete", &[]).await;
    assert_eq!(
        root_attribute(&missing, "code").as_deref(),
        Some("missing tag")
    );
    let (_, delete_json) = pb
        .call(
            "posts/delete",
            &[("url", "https://e.com/zzz"), ("format", "json")],
        )
        .await;
    assert_eq!(
        serde_json::from_str::<Value>(&delete_json).expect("json"),
        json!({"result_code": "item not found"})
    );
    assert_eq!(
        pb.json("tags/get", &[]).await,
        json!({"second": 1, "three": 1})
    );
}

#[tokio::test]
async fn review_fixes_hold() {
    let app = spawn_app().await;
    let pb = Pinboard::new(&app, "alice");
    // Paragraphs survive XML attributes.
    pb.add(&[
        ("url", "https://e.com/n"),
        ("description", "N"),
        ("extended", "one\n\ntwo"),
    ])
    .await;
    let xml = pb.xml("posts/get", &[("url", "https://e.com/n")]).await;
    let doc = roxmltree::Document::parse(&xml).expect("xml");
    let post = doc
        .descendants()
        .find(|n| n.has_tag_name("post"))
        .expect("post");
    assert_eq!(post.attribute("extended"), Some("one\n\ntwo"));

    // Dates from the future are pinned at now; before 1970 is refused.
    pb.add(&[
        ("url", "https://e.com/f"),
        ("description", "F"),
        ("dt", "9999-01-01T00:00:00Z"),
    ])
    .await;
    let got = pb.json("posts/get", &[("url", "https://e.com/f")]).await;
    let time =
        chrono::DateTime::parse_from_rfc3339(got["posts"][0]["time"].as_str().expect("time"))
            .expect("rfc3339");
    assert!(time <= chrono::Utc::now() + chrono::TimeDelta::minutes(1));
    let old = pb
        .add(&[
            ("url", "https://e.com/o"),
            ("description", "O"),
            ("dt", "1960-01-01T00:00:00Z"),
        ])
        .await;
    assert!(
        old["result_code"]
            .as_str()
            .is_some_and(|c| c.contains("before 1970")),
        "{old}"
    );
    let (_, far) = pb
        .call("posts/get", &[("dt", "+262142-12-31"), ("format", "json")])
        .await;
    let far: Value = serde_json::from_str(&far).expect("a JSON answer, not a crash");
    assert!(
        far["result_code"]
            .as_str()
            .is_some_and(|c| c.contains("out of range") || c.contains("dt must be")),
        "{far}"
    );

    // An unlisted bookmark stays unlisted when a Pinboard app sends shared=yes.
    let (user, api) = app.api_user("carol");
    api.post(
        "/api/bookmarks",
        json!({"url": "https://e.com/u", "title": "U", "visibility": "unlisted"}),
    )
    .await;
    let carol = Pinboard {
        base: app.url("/api/v1"),
        auth: format!("carol:{}", api.token),
        http: reqwest::Client::new(),
    };
    carol
        .add(&[
            ("url", "https://e.com/u"),
            ("description", "U2"),
            ("shared", "yes"),
        ])
        .await;
    let saved = app
        .db
        .read(|c| {
            bookmarks::store::find_bookmark_by_url(
                c,
                user.id,
                &bookmarks::model::BookmarkUrl::parse("https://e.com/u").expect("url"),
            )
        })
        .expect("read")
        .expect("saved");
    assert_eq!(saved.visibility, bookmarks::model::Visibility::Unlisted);
}

#[tokio::test]
async fn basic_auth_clients_can_sync_without_tripping_the_login_limit() {
    let app = spawn_app().await;
    app.add_user("alice", false);
    let http = reqwest::Client::new();
    for _ in 0..15 {
        let response = http
            .get(app.url("/api/v1/posts/update"))
            .basic_auth("alice", Some(PASSWORD))
            .send()
            .await
            .expect("GET");
        assert_eq!(response.status().as_u16(), 200);
    }
    let refused = http
        .get(app.url("/api/v1/posts/update"))
        .send()
        .await
        .expect("GET");
    assert_eq!(refused.status().as_u16(), 401);
    assert_eq!(
        refused
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Basic realm=\"Commonplace\"")
    );
}

#[tokio::test]
async fn posts_all_answers_a_collection_of_several_pages_whole_and_windows_across_them() {
    // 450 bookmarks: posts/all writes them 200 at a time.
    let app = spawn_app().await;
    let pb = Pinboard::new(&app, "alice");
    let name = bookmarks::model::UserName::parse("alice").expect("a name");
    let alice = app
        .db
        .read(|c| bookmarks::store::find_user_by_name(c, &name))
        .expect("read")
        .expect("alice");
    let file = crate::import_export::netscape_file(450);
    let report = crate::import_export::import(
        &app.db,
        alice.id,
        file.as_bytes(),
        bookmarks::model::OnDuplicate::Skip,
    );
    assert_eq!(report.created, 450);
    let hrefs = |posts: &Value| -> Vec<String> {
        posts
            .as_array()
            .map(|all| {
                all.iter()
                    .map(|p| p["href"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let newest_first: Vec<String> = (0..450)
        .rev()
        .map(|i| format!("https://e.com/{i}"))
        .collect();
    assert_eq!(hrefs(&pb.json("posts/all", &[]).await), newest_first);
    let window = pb
        .json("posts/all", &[("start", "190"), ("results", "30")])
        .await;
    assert_eq!(hrefs(&window), newest_first[190..220].to_vec());
    let across = pb
        .json("posts/all", &[("start", "150"), ("results", "260")])
        .await;
    assert_eq!(hrefs(&across), newest_first[150..410].to_vec());
    assert_eq!(pb.json("posts/all", &[("results", "0")]).await, json!([]));
    let xml = pb.xml("posts/all", &[]).await;
    let listed: Vec<String> = posts_in(&xml).into_iter().map(|(href, _)| href).collect();
    assert_eq!(listed, newest_first);
    let tagged = pb.xml("posts/all", &[("tag", "t3")]).await;
    assert_eq!(
        posts_in(&tagged).len(),
        64,
        "every seventh, from 3: 3, 10, … 444"
    );
    let tagged_across = pb
        .json(
            "posts/all",
            &[("tag", "all"), ("start", "10"), ("results", "300")],
        )
        .await;
    assert_eq!(hrefs(&tagged_across), newest_first[10..310].to_vec());
}
