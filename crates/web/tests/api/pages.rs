//! The HTML pages: saving through the form and the bookmarklet's URL, CSRF, lists and tag pages,
//! escaping, and private bookmarks staying private on every page.

use crate::helpers::{extract_csrf, header, serve_page, spawn_app, Browser};

#[tokio::test]
async fn forms_without_a_valid_csrf_token_are_refused() {
    let app = spawn_app().await;
    app.add_user("alice", false);
    let browser = app.browser_as("alice").await;
    for token in ["", "forged"] {
        let response = browser
            .http
            .post(app.url("/save"))
            .form(&[
                ("csrf", token),
                ("url", "https://example.com/"),
                ("title", "x"),
            ])
            .send()
            .await
            .expect("POST");
        assert_eq!(response.status().as_u16(), 403, "token {token:?}");
    }
    // A token from another browser does not work either.
    let other = Browser::new(&app.address);
    let foreign = other.csrf("/login").await;
    let response = browser
        .http
        .post(app.url("/save"))
        .form(&[("csrf", foreign.as_str()), ("url", "https://example.com/")])
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status().as_u16(), 403);
    let (_, page) = browser.get("/u/alice").await;
    assert!(!page.contains("example.com"), "nothing saved");
}

#[tokio::test]
async fn the_csrf_cookie_comes_with_the_first_page_that_has_a_form() {
    let app = spawn_app().await;
    app.add_user("alice", false);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let set_cookie = |response: &reqwest::Response| {
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("cp_csrf="))
            .map(str::to_owned)
    };
    // A visitor's page without a form neither signs a token nor sets the cookie.
    for page in ["/", "/u/alice"] {
        let response = client.get(app.url(page)).send().await.expect("GET");
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(set_cookie(&response), None, "{page}");
    }
    // A page with a form sets the seed its token was signed with, once for all its forms...
    let response = client.get(app.url("/login")).send().await.expect("GET");
    let cookie = set_cookie(&response).expect("a seed cookie with the login form");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let seed = cookie
        .split(';')
        .next()
        .and_then(|pair| pair.strip_prefix("cp_csrf="))
        .expect("the seed")
        .to_owned();
    let token = extract_csrf(&response.text().await.expect("body")).expect("a token");
    // ...and that seed and token log in.
    let login = client
        .post(app.url("/login"))
        .header("cookie", format!("cp_csrf={seed}"))
        .form(&[
            ("csrf", token.as_str()),
            ("name", "alice"),
            ("password", crate::helpers::PASSWORD),
            ("next", "/"),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(login.status().as_u16(), 303);
    // A browser that has the cookie is not sent another.
    let again = client
        .get(app.url("/login"))
        .header("cookie", format!("cp_csrf={seed}"))
        .send()
        .await
        .expect("GET");
    assert_eq!(set_cookie(&again), None);
}

#[tokio::test]
async fn the_bookmarklet_url_logs_in_first_then_opens_a_prefilled_form() {
    let app = spawn_app().await;
    app.add_user("alice", false);
    let browser = Browser::new(&app.address);
    let save = "/save?url=https%3A%2F%2Fexample.com%2Fpost&title=A%20%3Cb%3Epost%3C%2Fb%3E&notes=selected%20words&popup=1";
    let to_login = browser.location(save).await.expect("redirect to login");
    assert!(to_login.starts_with("/login?next="), "{to_login}");
    let (_, login_page) = browser.get(&to_login).await;
    let next = login_page
        .split("name=\"next\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("next field")
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    let response = browser
        .login("alice", crate::helpers::PASSWORD, &next)
        .await;
    assert_eq!(header(&response, "location").as_deref(), Some(save));

    let (status, form) = browser.get(save).await;
    assert_eq!(status, 200);
    assert!(form.contains("value=\"https://example.com/post\""));
    assert!(
        form.contains("A &#60;b&#62;post&#60;/b&#62;")
            || form.contains("A &lt;b&gt;post&lt;/b&gt;"),
        "title is escaped: {form}"
    );
    assert!(form.contains(">selected words</textarea>"));
    assert!(form.contains("name=\"popup\" value=\"1\""));
}

#[tokio::test]
async fn saving_from_the_popup_closes_it_and_a_second_save_edits_the_same_bookmark() {
    let app = spawn_app().await;
    app.add_user("alice", false);
    let browser = app.browser_as("alice").await;
    let page = "/save?url=https%3A%2F%2Fexample.com%2Fa&popup=1";
    let fields = [
        ("url", "https://example.com/a"),
        ("title", "Example A"),
        ("notes", "worth it"),
        ("tags", "rust, web"),
        ("visibility", "public"),
        ("popup", "1"),
    ];
    let saved = browser.submit(page, "/save", &fields).await;
    assert_eq!(saved.status().as_u16(), 200);
    let body = saved.text().await.expect("body");
    assert!(body.contains("data-close=\"1\"") && body.contains("/static/saved.js"));

    let (_, again) = browser.get(page).await;
    assert!(
        again.contains("You saved this on"),
        "an already saved URL opens for editing"
    );
    assert!(again.contains("value=\"Example A\"") && again.contains("value=\"rust web\""));
    let (_, list) = browser.get("/u/alice").await;
    assert!(list.contains("Example A") && list.contains("worth it"));
    assert!(list.contains("href=\"/u/alice/t/rust\""));
}

#[tokio::test]
async fn a_same_tab_save_returns_to_the_page_and_a_plain_save_to_the_list() {
    let app = spawn_app().await;
    app.add_user("alice", false);
    let browser = app.browser_as("alice").await;
    let back = browser
        .submit(
            "/save",
            "/save",
            &[
                ("url", "https://example.com/b"),
                ("title", "B"),
                ("visibility", "public"),
                ("back", "1"),
            ],
        )
        .await;
    assert_eq!(back.status().as_u16(), 303);
    assert_eq!(
        header(&back, "location").as_deref(),
        Some("https://example.com/b")
    );
    let plain = browser
        .submit(
            "/save",
            "/save",
            &[
                ("url", "https://example.com/c"),
                ("title", "C"),
                ("visibility", "public"),
            ],
        )
        .await;
    assert_eq!(header(&plain, "location").as_deref(), Some("/u/alice"));
}

#[tokio::test]
async fn invalid_form_input_is_shown_with_the_reason_and_nothing_is_saved() {
    let app = spawn_app().await;
    app.add_user("alice", false);
    let browser = app.browser_as("alice").await;
    let response = browser
        .submit(
            "/save",
            "/save",
            &[
                ("url", "javascript:alert(1)"),
                ("title", "x"),
                ("tags", "ok"),
                ("visibility", "public"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 400);
    let body = response.text().await.expect("body");
    assert!(body.contains("only http and https"), "{body}");
    let response = browser
        .submit(
            "/save",
            "/save",
            &[
                ("url", "https://e.com/"),
                ("tags", &"x".repeat(65)),
                ("notes", "keep my words"),
                ("visibility", "public"),
            ],
        )
        .await;
    let body = response.text().await.expect("body");
    assert!(
        body.contains(">keep my words</textarea>"),
        "the form keeps what was typed"
    );
    let (_, list) = browser.get("/u/alice").await;
    assert!(list.contains("You have not saved anything yet"));
}

#[tokio::test]
async fn an_empty_title_is_taken_from_the_page() {
    let app = spawn_app().await;
    app.add_user("alice", false);
    let browser = app.browser_as("alice").await;
    let site = serve_page("<title>From the page</title>").await;
    let url = format!("{site}/x");
    browser
        .submit(
            "/save",
            "/save",
            &[("url", &url), ("title", ""), ("visibility", "public")],
        )
        .await;
    let (_, list) = browser.get("/u/alice").await;
    assert!(list.contains("From the page"));
}

#[tokio::test]
async fn private_bookmarks_appear_only_to_their_owner_on_every_page() {
    let app = spawn_app().await;
    app.add_user("alice", false);
    app.add_user("bob", false);
    let alice = app.browser_as("alice").await;
    alice
        .submit(
            "/save",
            "/save",
            &[
                ("url", "https://e.com/secret"),
                ("title", "Secret plan"),
                ("tags", "plans"),
                ("visibility", "private"),
            ],
        )
        .await;
    alice
        .submit(
            "/save",
            "/save",
            &[
                ("url", "https://e.com/open"),
                ("title", "Open plan"),
                ("tags", "plans"),
                ("visibility", "public"),
            ],
        )
        .await;
    alice
        .submit(
            "/save",
            "/save",
            &[
                ("url", "https://e.com/quiet"),
                ("title", "Quiet plan"),
                ("tags", "plans"),
                ("visibility", "unlisted"),
            ],
        )
        .await;
    let private_id = app
        .db
        .read(|c| {
            let filter = bookmarks::store::BookmarkFilter::new(
                bookmarks::store::Scope::User { owner: 1 },
                Some(1),
            );
            bookmarks::store::list_bookmarks(c, &filter)
        })
        .expect("list")
        .items
        .into_iter()
        .find(|b| b.title.as_str() == "Secret plan")
        .expect("saved")
        .public_id;

    let (_, own) = alice.get("/u/alice").await;
    assert!(own.contains("Secret plan"));
    assert_eq!(alice.get(&format!("/b/{private_id}")).await.0, 200);

    let bob = app.browser_as("bob").await;
    let anonymous = Browser::new(&app.address);
    for viewer in [&bob, &anonymous] {
        // Twice: a second view within a second finds the owner and the page's tags read
        // already, and reads only the rows (`lists::known_beside_rows`).
        for page in [
            "/",
            "/u/alice",
            "/u/alice",
            "/u/alice/t/plans",
            "/u/alice/t/plans",
            "/t/plans",
            "/search?q=plan",
            "/search?q=plan&scope=everyone",
            "/u/alice?q=secret",
        ] {
            let (status, html) = viewer.get(page).await;
            assert_eq!(status, 200, "{page}");
            assert!(
                !html.contains("Secret plan"),
                "{page} leaks a private bookmark"
            );
            if page.starts_with("/u/alice/t/") {
                assert!(html.contains("Open plan") && html.contains("Quiet plan"));
            }
        }
        assert_eq!(viewer.get(&format!("/b/{private_id}")).await.0, 404);
        assert_eq!(
            viewer.get(&format!("/b/{private_id}/edit")).await.0,
            if std::ptr::eq(viewer, &bob) { 404 } else { 303 }
        );
    }
    let (_, home) = anonymous.get("/").await;
    assert!(
        home.contains("Open plan") && !home.contains("Quiet plan"),
        "unlisted stays off the home page"
    );
    let (_, profile) = anonymous.get("/u/alice").await;
    assert!(
        profile.contains("Quiet plan"),
        "unlisted shows on the owner's page"
    );
}

#[tokio::test]
async fn tag_pages_intersect_and_show_related_tags() {
    let app = spawn_app().await;
    app.add_user("alice", false);
    let alice = app.browser_as("alice").await;
    for (url, title, tags) in [
        ("https://e.com/1", "One", "rust web"),
        ("https://e.com/2", "Two", "rust async"),
        ("https://e.com/3", "Three", "c++ rust"),
    ] {
        alice
            .submit(
                "/save",
                "/save",
                &[
                    ("url", url),
                    ("title", title),
                    ("tags", tags),
                    ("visibility", "public"),
                ],
            )
            .await;
    }
    let (_, rust) = alice.get("/u/alice/t/rust").await;
    assert!(rust.contains("One") && rust.contains("Two") && rust.contains("Three"));
    assert!(rust.contains("Related tags") && rust.contains("href=\"/u/alice/t/rust+async\""));
    let (_, both) = alice.get("/u/alice/t/rust+web").await;
    assert!(both.contains("One") && !both.contains("Two"));
    let (_, cpp) = alice.get("/u/alice/t/c%2B%2B").await;
    assert!(cpp.contains("Three") && !cpp.contains("One"));
    let (_, instance) = Browser::new(&app.address).get("/t/async").await;
    assert!(instance.contains("Two") && !instance.contains("Three"));
    let (status, _) = alice.get("/u/alice/t/a%20b").await;
    assert_eq!(status, 400);
    assert_eq!(alice.get("/u/nobody").await.0, 404);
    // A page's query and tags are checked before its owner is looked up (in the same trip to
    // the database as the page), so a malformed one is a 400 whoever the owner is.
    assert_eq!(alice.get("/u/nobody?before=garbage").await.0, 400);
    assert_eq!(alice.get("/u/nobody/t/a%20b").await.0, 400);
    assert_eq!(alice.get("/u/nobody/t/rust").await.0, 404);
}

#[tokio::test]
async fn tag_clouds_follow_every_change_and_each_audience_sees_its_own() {
    let app = spawn_app().await;
    let alice_user = app.add_user("alice", false);
    let token = app.token(&alice_user);
    let alice = app.browser_as("alice").await;
    let save = |url: &'static str, tags: &'static str, visibility: &'static str| {
        let alice = &alice;
        async move {
            alice
                .submit(
                    "/save",
                    "/save",
                    &[
                        ("url", url),
                        ("title", "T"),
                        ("tags", tags),
                        ("visibility", visibility),
                    ],
                )
                .await;
        }
    };
    save("https://e.com/1", "rust", "public").await;
    save("https://e.com/2", "secret-plans", "private").await;
    let visitor = Browser::new(&app.address);
    let cloud_link = |tag: &str| format!("href=\"/u/alice/t/{tag}\"");
    // Each audience asks twice: the second answer comes from the cache and must be the same.
    for _ in 0..2 {
        let (_, own) = alice.get("/u/alice").await;
        assert!(own.contains(&cloud_link("rust")) && own.contains(&cloud_link("secret-plans")));
        let (_, public) = visitor.get("/u/alice").await;
        assert!(public.contains(&cloud_link("rust")) && !public.contains("secret-plans"));
    }
    // A new tag shows at once to its owner, and to everyone else who may see it once the
    // owner as read for others (with their change generation, `owner_cache`) is a second old.
    save("https://e.com/3", "zig", "public").await;
    let (_, own) = alice.get("/u/alice").await;
    assert!(own.contains(&cloud_link("zig")));
    tokio::time::sleep(OWNER_REMEMBERED_FOR).await;
    let (_, public) = visitor.get("/u/alice").await;
    assert!(public.contains(&cloud_link("zig")));
    // Making the private bookmark public (an edit, through the API) shows its tag to visitors,
    // and making it private again hides it as soon.
    let set_second_visibility = |visibility: &'static str| {
        let token = token.clone();
        let url = app.url("/api/bookmarks");
        async move {
            let status = reqwest::Client::new()
                .post(url)
                .bearer_auth(&token)
                .json(&serde_json::json!({"url": "https://e.com/2", "visibility": visibility}))
                .send()
                .await
                .expect("POST")
                .status();
            assert_eq!(status.as_u16(), 200, "saving a saved address edits it");
            tokio::time::sleep(OWNER_REMEMBERED_FOR).await;
        }
    };
    set_second_visibility("public").await;
    let (_, public) = visitor.get("/u/alice").await;
    assert!(public.contains(&cloud_link("secret-plans")));
    set_second_visibility("private").await;
    let (_, public) = visitor.get("/u/alice").await;
    assert!(public.contains(&cloud_link("rust")) && !public.contains("secret-plans"));
}

/// A little longer than a user page's owner is remembered for other people's views
/// (`owner_cache::REMEMBER_FOR`, one second).
const OWNER_REMEMBERED_FOR: std::time::Duration = std::time::Duration::from_millis(1_100);

#[tokio::test]
async fn a_user_page_counts_every_follower_and_lists_the_newest() {
    use bookmarks::store::federation as fed;
    let app = spawn_app().await;
    let alice = app.add_user("alice", false);
    app.db
        .write(|c| {
            for i in 0..53 {
                let actor =
                    fed::upsert_remote_actor(c, &bookmarks::test_db::far_actor(&format!("f{i}")))?;
                fed::add_follower(
                    c,
                    alice.id,
                    "",
                    &actor,
                    &format!("https://far.example/f/{i}"),
                )?;
            }
            Ok(())
        })
        .expect("followers");
    let (status, page) = Browser::new(&app.address).get("/u/alice").await;
    assert_eq!(status, 200);
    assert!(page.contains("Followers (53)"), "{page}");
    assert!(page.contains("and 3 more"), "{page}");
    assert!(page.contains("f52@far.example") && page.contains("f3@far.example"));
    assert!(
        !page.contains("f2@far.example"),
        "the oldest three are not listed"
    );
    // Nothing unlisted among the follows: no second "more".
    assert!(page.contains("Following (0)"));
    assert_eq!(page.matches(" more</li>").count(), 1);
}

#[tokio::test]
async fn user_text_is_escaped_everywhere() {
    let app = spawn_app().await;
    app.add_user("alice", false);
    let alice = app.browser_as("alice").await;
    alice
        .submit(
            "/save",
            "/save",
            &[
                ("url", "https://e.com/x"),
                ("title", "<script>alert(1)</script>"),
                ("notes", "<img src=x onerror=alert(2)>"),
                ("tags", "<b>"),
                ("visibility", "public"),
            ],
        )
        .await;
    for page in ["/", "/u/alice"] {
        let (_, html) = alice.get(page).await;
        assert!(
            !html.contains("<script>alert")
                && !html.contains("<img src=x")
                && !html.contains("<b>"),
            "{page}: {html}"
        );
    }
}

#[tokio::test]
async fn deleting_asks_first_and_needs_the_owner() {
    let app = spawn_app().await;
    app.add_user("alice", false);
    app.add_user("bob", false);
    let alice = app.browser_as("alice").await;
    alice
        .submit(
            "/save",
            "/save",
            &[
                ("url", "https://e.com/d"),
                ("title", "Doomed"),
                ("visibility", "public"),
            ],
        )
        .await;
    let (_, list) = alice.get("/u/alice").await;
    let id = list
        .split("/b/")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("bookmark link")
        .trim_end_matches("/edit")
        .to_owned();
    let bob = app.browser_as("bob").await;
    assert_eq!(bob.get(&format!("/b/{id}/delete")).await.0, 404);
    let attempt = bob.submit("/", &format!("/b/{id}/delete"), &[]).await;
    assert_eq!(attempt.status().as_u16(), 404);
    let confirm = format!("/b/{id}/delete");
    let (_, question) = alice.get(&confirm).await;
    assert!(question.contains("Delete this bookmark?"));
    let done = alice.submit(&confirm, &confirm, &[]).await;
    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(alice.get(&format!("/b/{id}")).await.0, 404);
}

#[tokio::test]
async fn tokens_made_in_settings_work_on_the_api_until_revoked() {
    let app = spawn_app().await;
    app.add_user("alice", false);
    let alice = app.browser_as("alice").await;
    let page = alice
        .submit("/settings", "/settings/tokens", &[("label", "phone")])
        .await
        .text()
        .await
        .expect("body");
    let token = page
        .split("<pre class=\"token\" id=\"new-token\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .expect("token shown")
        .to_owned();
    let http = reqwest::Client::new();
    let status = http
        .get(app.url("/api/bookmarks"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET")
        .status()
        .as_u16();
    assert_eq!(status, 200);
    let (_, settings) = alice.get("/settings").await;
    assert!(
        settings.contains("phone") && !settings.contains(&token),
        "the token is shown once only"
    );
    let revoke = settings
        .split("action=\"/settings/tokens/")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("revoke form");
    alice
        .submit("/settings", &format!("/settings/tokens/{revoke}"), &[])
        .await;
    let status = http
        .get(app.url("/api/bookmarks"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET")
        .status()
        .as_u16();
    assert_eq!(status, 401);
}

#[tokio::test]
async fn the_tools_page_offers_a_bookmarklet_for_this_instance() {
    let app = spawn_app().await;
    let (_, page) = Browser::new(&app.address).get("/tools").await;
    assert!(page.contains("id=\"bookmarklet\" href=\"javascript:"));
    assert!(page.contains(&format!("{}/save?", app.address)));
    let css = reqwest::get(app.url("/static/app.css")).await.expect("GET");
    assert_eq!(css.status().as_u16(), 200);
    let (status, html) = Browser::new(&app.address).get("/no/such/page").await;
    assert_eq!(status, 404);
    assert!(html.contains("Not found"));
    let csp = reqwest::get(app.url("/")).await.expect("GET");
    assert!(
        header(&csp, "content-security-policy").is_some_and(|v| v.contains("script-src 'self'"))
    );
}

#[tokio::test]
async fn a_new_form_for_a_saved_url_shows_the_bookmark_instead_of_overwriting_it() {
    let app = spawn_app().await;
    app.add_user("alice", false);
    let alice = app.browser_as("alice").await;
    let first = [
        ("url", "https://e.com/kept"),
        ("title", "Kept"),
        ("notes", "my reasons"),
        ("tags", "one"),
        ("visibility", "private"),
    ];
    alice.submit("/save", "/save", &first).await;
    let again = alice
        .submit(
            "/save",
            "/save",
            &[
                ("url", "https://E.com/kept#x"),
                ("title", ""),
                ("visibility", "public"),
            ],
        )
        .await;
    assert_eq!(again.status().as_u16(), 409);
    let body = again.text().await.expect("body");
    assert!(
        body.contains("already in your bookmarks") && body.contains(">my reasons</textarea>"),
        "{body}"
    );
    let (_, own) = alice.get("/u/alice").await;
    assert!(
        own.contains("my reasons") && own.contains(">private<"),
        "still private, notes kept"
    );
}

#[tokio::test]
async fn search_offers_the_other_scope_as_a_link() {
    let app = spawn_app().await;
    app.add_user("alice", false);
    let alice = app.browser_as("alice").await;
    let (_, mine) = alice.get("/search?q=rust%20web").await;
    assert!(
        mine.contains("href=\"/search?q=rust%20web&#38;scope=everyone\"")
            || mine.contains("href=\"/search?q=rust%20web&amp;scope=everyone\""),
        "{mine}"
    );
    let (_, everyone) = alice.get("/search?q=rust&scope=everyone").await;
    assert!(everyone.contains("Search only your bookmarks"));
}
