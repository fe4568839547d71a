//! Import of real-world export formats (Firefox, Chrome, Pinboard HTML and JSON, linkding),
//! malformed files, duplicates and re-runs, and export → import into a fresh instance.

use crate::helpers::spawn_app;
use bookmarks::model::{DomainEvent, OnDuplicate, Visibility};
use bookmarks::store::{self, Bookmark, BookmarkFilter, Scope};
use bookmarks::Database;
use web::interchange::{
    export, parse_file, run_import, ExportFormat, FileFormat, ImportOptions, ImportReport,
};

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub(crate) fn import(
    db: &Database,
    user_id: i64,
    bytes: &[u8],
    on_duplicate: OnDuplicate,
) -> ImportReport {
    let parsed = parse_file(bytes).expect("a whole file");
    run_import(
        db,
        user_id,
        parsed,
        ImportOptions {
            on_duplicate,
            batch_size: 2,
            ..Default::default()
        },
        &mut |_, _| {},
    )
    .expect("import")
}

pub(crate) fn all(db: &Database, user_id: i64) -> Vec<Bookmark> {
    let mut filter = BookmarkFilter::new(Scope::User { owner: user_id }, Some(user_id));
    filter.limit = 200;
    db.read(|c| store::list_bookmarks(c, &filter))
        .expect("list")
        .items
}

fn by_url<'a>(bookmarks: &'a [Bookmark], url: &str) -> &'a Bookmark {
    bookmarks
        .iter()
        .find(|b| b.url.as_str() == url)
        .unwrap_or_else(|| panic!("{url} not imported"))
}

#[tokio::test]
async fn firefox_exports_keep_tags_notes_dates_and_folders() {
    let app = spawn_app().await;
    let alice = app.add_user("alice", false);
    let report = import(
        &app.db,
        alice.id,
        &fixture("firefox.html"),
        OnDuplicate::Skip,
    );
    assert_eq!(report.format, FileFormat::Netscape);
    assert_eq!((report.total, report.created), (5, 4));
    assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
    assert!(
        report.skipped[0].url.starts_with("place:")
            && report.skipped[0].reason.contains("not supported")
    );
    let saved = all(&app.db, alice.id);
    let rust = by_url(&saved, "https://www.rust-lang.org/");
    assert_eq!(rust.title.as_str(), "Rust Programming Language");
    assert_eq!(rust.tags.names(), vec!["rust", "language"]);
    assert!(rust.notes.as_str().starts_with("A language empowering"));
    assert_eq!(rust.created_at.and_utc().timestamp(), 1_700_000_100);
    assert_eq!(rust.updated_at.and_utc().timestamp(), 1_700_000_200);
    let blog = by_url(&saved, "https://blog.rust-lang.org/2024/01/01/post.html");
    assert_eq!(blog.title.as_str(), "Rust Blog & News");
    assert_eq!(
        blog.tags.names(),
        vec!["reading-list"],
        "folders are tags; the toolbar is not"
    );
    assert_eq!(
        by_url(&saved, "https://support.mozilla.org/products/firefox")
            .tags
            .names(),
        vec!["mozilla-firefox"]
    );
    assert!(by_url(&saved, "https://www.example.org/").tags.is_empty());
}

#[tokio::test]
async fn chrome_pinboard_and_linkding_exports_import() {
    let app = spawn_app().await;
    let alice = app.add_user("alice", false);
    let chrome = import(
        &app.db,
        alice.id,
        &fixture("chrome.html"),
        OnDuplicate::Skip,
    );
    assert_eq!((chrome.total, chrome.created), (4, 2));
    let reasons: Vec<&str> = chrome.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("same address as entry 2")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("`chrome` is not supported")),
        "{reasons:?}"
    );
    assert_eq!(
        by_url(&all(&app.db, alice.id), "https://github.com/")
            .tags
            .names(),
        vec!["work-tools"]
    );

    let bob = app.add_user("bob", false);
    let pinboard = import(
        &app.db,
        bob.id,
        &fixture("pinboard.html"),
        OnDuplicate::Skip,
    );
    assert_eq!(pinboard.created, 3);
    let saved = all(&app.db, bob.id);
    let secret = by_url(&saved, "https://example.com/secret");
    assert_eq!(
        (secret.visibility, secret.unread),
        (Visibility::Private, true)
    );
    assert_eq!(
        by_url(&saved, "https://example.com/notes").notes.as_str(),
        "First line & more.\nSecond line."
    );
    assert_eq!(
        by_url(&saved, "https://pinboard.in/howto/").tags.names(),
        vec!["howto", "pinboard"]
    );

    let carol = app.add_user("carol", false);
    let json = import(
        &app.db,
        carol.id,
        &fixture("pinboard.json"),
        OnDuplicate::Skip,
    );
    assert_eq!(json.format, FileFormat::PinboardJson);
    assert_eq!((json.total, json.created, json.skipped.len()), (4, 2, 2));
    assert_eq!(
        json.skipped.iter().map(|s| s.entry).collect::<Vec<_>>(),
        vec![3, 4]
    );
    let saved = all(&app.db, carol.id);
    let api = by_url(&saved, "https://pinboard.in/api/");
    assert_eq!(
        (api.title.as_str(), api.notes.as_str()),
        ("Pinboard API v1", "The v1 API.")
    );
    assert_eq!(
        api.created_at.and_utc().to_rfc3339(),
        "2021-03-04T05:06:07+00:00"
    );
    let later = by_url(&saved, "https://example.com/later");
    assert_eq!(
        (later.visibility, later.unread),
        (Visibility::Private, true)
    );

    let dave = app.add_user("dave", false);
    let linkding = import(
        &app.db,
        dave.id,
        &fixture("linkding.html"),
        OnDuplicate::Skip,
    );
    assert_eq!(linkding.created, 2);
    let saved = all(&app.db, dave.id);
    let ld = by_url(&saved, "https://github.com/sissbruecker/linkding");
    assert!(ld.unread);
    assert_eq!(ld.tags.names(), vec!["self-hosted", "bookmarks"]);
}

#[tokio::test]
async fn malformed_files_import_nothing_and_say_why() {
    let app = spawn_app().await;
    let alice = app.add_user("alice", false);
    let truncated = parse_file(&fixture("truncated.html"))
        .err()
        .map(|e| e.0)
        .unwrap_or_default();
    assert!(truncated.contains("truncated"), "{truncated}");
    let encoding = parse_file(&fixture("latin1-undeclared.html"))
        .err()
        .map(|e| e.0)
        .unwrap_or_default();
    assert!(
        encoding.contains("not valid UTF-8") && encoding.contains("iconv"),
        "{encoding}"
    );
    let json = parse_file(br#"[{"href": "https://e.com/", "descr"#)
        .err()
        .map(|e| e.0)
        .unwrap_or_default();
    assert!(json.contains("truncated"), "{json}");
    assert!(parse_file(b"just some text").is_err());
    assert!(all(&app.db, alice.id).is_empty());

    // Huge attribute values are reported per entry; the rest of the file imports.
    let huge = format!(
        "<DL><p><DT><A HREF=\"https://e.com/{}\">long address</A><DT><A HREF=\"https://e.com/ok\" TAGS=\"{}\">ok</A><DT><A HREF=\"https://e.com/fine\">fine</A></DL>",
        "a".repeat(100_000),
        "t".repeat(100_000)
    );
    let report = import(&app.db, alice.id, huge.as_bytes(), OnDuplicate::Skip);
    assert_eq!(report.created, 1);
    assert!(report.skipped[0].reason.contains("2048"));
    assert!(report.skipped[1].reason.contains("the limit is 64"));
}

#[tokio::test]
async fn running_an_import_again_is_safe_and_update_overwrites() {
    let app = spawn_app().await;
    let alice = app.add_user("alice", false);
    let first = import(
        &app.db,
        alice.id,
        &fixture("pinboard.html"),
        OnDuplicate::Skip,
    );
    let again = import(
        &app.db,
        alice.id,
        &fixture("pinboard.html"),
        OnDuplicate::Skip,
    );
    assert_eq!(
        (first.created, again.created, again.skipped.len()),
        (3, 0, 3)
    );
    assert!(again.skipped[0].reason.contains("already saved") && again.skipped[0].entry == 1);
    assert_eq!(all(&app.db, alice.id).len(), 3);

    let changed = String::from_utf8(fixture("pinboard.html"))
        .expect("utf-8")
        .replace("A private one", "Renamed");
    let updated = import(&app.db, alice.id, changed.as_bytes(), OnDuplicate::Update);
    assert_eq!(updated.updated, 3);
    assert_eq!(
        by_url(&all(&app.db, alice.id), "https://example.com/secret")
            .title
            .as_str(),
        "Renamed"
    );

    // An import federates nothing by default: one event per batch (of two here: a public and
    // a private bookmark, then a public one), none "created"; the update import's rewrites
    // record the usual "updated" events.
    let events: Vec<DomainEvent> = app
        .db
        .read(|c| store::list_events(c, 0, 100))
        .expect("events")
        .into_iter()
        .map(|e| e.event)
        .collect();
    let batches: Vec<&DomainEvent> = events
        .iter()
        .filter(|e| e.kind() == "import_batch")
        .collect();
    assert_eq!(
        batches,
        [
            &DomainEvent::ImportBatch {
                count: 2,
                visible: 1
            },
            &DomainEvent::ImportBatch {
                count: 1,
                visible: 1
            }
        ]
    );
    assert!(!events.iter().any(|e| e.kind() == "bookmark_created"));
    assert!(!events.iter().any(|e| e.kind() == "bookmark_imported"));
}

/// A Netscape file of `count` bookmarks, each tagged `common`, one of `t0`…`t3`, and a tag of
/// its own on every third.
pub(crate) fn tagged_file(count: usize, common: &str) -> String {
    let mut file = String::from("<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n");
    for i in 0..count {
        let own = if i % 3 == 0 {
            format!(",own{i}")
        } else {
            String::new()
        };
        file.push_str(&format!(
            "<DT><A HREF=\"https://example.com/{i}\" ADD_DATE=\"{}\" TAGS=\"{common},t{}{own}\">Page {i}</A>\n",
            1_700_000_000 + i,
            i % 4
        ));
    }
    file.push_str("</DL><p>\n");
    file
}

pub(crate) fn tag_counts(db: &Database, user_id: i64) -> Vec<(String, i64)> {
    let filter = BookmarkFilter::new(Scope::User { owner: user_id }, Some(user_id));
    let mut counts: Vec<(String, i64)> = db
        .read(|c| store::tag_counts(c, &filter, 100))
        .expect("tag counts")
        .into_iter()
        .map(|t| (t.name, t.count))
        .collect();
    counts.sort();
    counts
}

/// On PostgreSQL three writers import batches of four side by side (SQLite writes one at a
/// time, and the test checks the same outcome there).
#[tokio::test]
async fn batches_written_side_by_side_import_every_entry_once() {
    let app = spawn_app().await;
    let alice = app.add_user("alice", false);
    let run = |file: &str, on_duplicate| {
        let parsed = parse_file(file.as_bytes()).expect("a whole file");
        let options = ImportOptions {
            on_duplicate,
            batch_size: 4,
            writers: 3,
            ..Default::default()
        };
        run_import(&app.db, alice.id, parsed, options, &mut |_, _| {}).expect("import")
    };
    let expected = |common: &str| {
        let mut counts: Vec<(String, i64)> = vec![
            (common.into(), 30),
            ("t0".into(), 8),
            ("t1".into(), 8),
            ("t2".into(), 7),
            ("t3".into(), 7),
        ];
        counts.extend((0..30).step_by(3).map(|i| (format!("own{i}"), 1)));
        counts.sort();
        counts
    };
    let first = run(&tagged_file(30, "shared"), OnDuplicate::Skip);
    assert_eq!((first.created, first.skipped.len()), (30, 0));
    let saved = all(&app.db, alice.id);
    assert_eq!(saved.len(), 30);
    assert_eq!(
        by_url(&saved, "https://example.com/9").tags.names(),
        ["shared", "t1", "own9"]
    );
    assert_eq!(tag_counts(&app.db, alice.id), expected("shared"));

    // Again, skipping: every entry is reported, by its number in the file, in order.
    let again = run(&tagged_file(30, "shared"), OnDuplicate::Skip);
    assert_eq!(again.created, 0);
    let numbers: Vec<usize> = again.skipped.iter().map(|s| s.entry).collect();
    assert_eq!(numbers, (1..=30).collect::<Vec<_>>());
    assert_eq!(again.skipped[8].url, "https://example.com/8");

    // Updating with another common tag: every batch moves its bookmarks' totals.
    let updated = run(&tagged_file(30, "moved"), OnDuplicate::Update);
    assert_eq!((updated.created, updated.updated), (0, 30));
    assert_eq!(all(&app.db, alice.id).len(), 30);
    assert_eq!(tag_counts(&app.db, alice.id), expected("moved"));
}

/// Each batch's search documents are made ahead of it, while the batch before is written: every
/// imported bookmark is found by the words of its own title, notes and tags, and only by them,
/// also when some entries of a batch were saved before (skipped, or updated).
#[tokio::test]
async fn bookmarks_imported_in_batches_are_found_by_their_own_words() {
    let app = spawn_app().await;
    let alice = app.add_user("alice", false);
    let file = |entries: &[usize], title: &str| {
        let mut file = String::from("<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n");
        for i in entries {
            file.push_str(&format!(
                "<DT><A HREF=\"https://example.com/{i}\" TAGS=\"tag{i}x\">{title}{i}x</A>\n<DD>Note{i}x and note{i}x\n"
            ));
        }
        file.push_str("</DL><p>\n");
        file
    };
    let run = |file: String, on_duplicate| {
        let parsed = parse_file(file.as_bytes()).expect("a whole file");
        let options = ImportOptions {
            on_duplicate,
            batch_size: 4,
            ..Default::default()
        };
        run_import(&app.db, alice.id, parsed, options, &mut |_, _| {}).expect("import")
    };
    let found = |words: String| {
        let mut filter = BookmarkFilter::new(Scope::User { owner: alice.id }, Some(alice.id));
        filter.search = Some(words);
        let page = app
            .db
            .read(|c| store::list_bookmarks(c, &filter))
            .expect("search");
        page.items
            .iter()
            .map(|b| b.url.as_str().to_owned())
            .collect::<Vec<_>>()
    };
    // Saved before: the middle of the second batch, and the first of the fourth.
    let saved = [5, 6, 12];
    assert_eq!(run(file(&saved, "Old"), OnDuplicate::Skip).created, 3);
    let all: Vec<usize> = (0..23).collect();
    let skipping = run(file(&all, "Title"), OnDuplicate::Skip);
    assert_eq!((skipping.created, skipping.skipped.len()), (20, 3));
    for &i in &all {
        let url = format!("https://example.com/{i}");
        let title = if saved.contains(&i) { "old" } else { "title" };
        for words in [
            format!("{title}{i}x"),
            format!("note{i}x"),
            format!("tag{i}x"),
        ] {
            assert_eq!(found(words.clone()), std::slice::from_ref(&url), "{words}");
        }
    }
    for i in saved {
        assert!(found(format!("title{i}x")).is_empty(), "skipped: {i}");
    }
    let updating = run(file(&all, "Title"), OnDuplicate::Update);
    assert_eq!(updating.updated, 23);
    for i in saved {
        let url = format!("https://example.com/{i}");
        assert_eq!(found(format!("title{i}x")), std::slice::from_ref(&url));
        assert!(found(format!("old{i}x")).is_empty(), "updated: {i}");
    }
}

#[tokio::test]
async fn export_then_import_into_a_fresh_instance_round_trips() {
    let source = spawn_app().await;
    let (alice, api) = source.api_user("alice");
    for (url, title, notes, tags, visibility, unread) in [
        (
            "https://e.com/1",
            "One & <two>",
            "why \"quoted\"\n\nsecond paragraph",
            vec!["rust", "c++"],
            "public",
            false,
        ),
        ("https://e.com/2", "", "", vec![], "unlisted", true),
        (
            "https://e.com/3",
            "Private",
            "secret notes",
            vec!["école"],
            "private",
            false,
        ),
    ] {
        let (status, _) = api
            .post("/api/bookmarks", serde_json::json!({"url": url, "title": title, "notes": notes, "tags": tags, "visibility": visibility, "unread": unread}))
            .await;
        assert_eq!(status, 201);
    }
    for format in [ExportFormat::Netscape, ExportFormat::PinboardJson] {
        let exported = export(&source.db, &alice, format).expect("export");
        let target = spawn_app().await;
        let copy = target.add_user("alice", false);
        let report = import(&target.db, copy.id, exported.as_bytes(), OnDuplicate::Skip);
        assert_eq!(
            (report.created, report.skipped.len()),
            (3, 0),
            "{format:?}: {:?}",
            report.skipped
        );
        let reexported = export(&target.db, &copy, format).expect("export again");
        assert_eq!(
            reexported, exported,
            "{format:?} export → import → export changes nothing"
        );
        let original = all(&source.db, alice.id);
        let imported = all(&target.db, copy.id);
        for (a, b) in original.iter().zip(&imported) {
            assert_eq!(
                (&a.url, &a.title, &a.notes, &a.tags, a.visibility, a.unread),
                (&b.url, &b.title, &b.notes, &b.tags, b.visibility, b.unread)
            );
            assert_eq!(
                a.created_at.and_utc().timestamp(),
                b.created_at.and_utc().timestamp()
            );
        }
    }
}

/// A Netscape file of `n` bookmarks, three to each second, oldest first, each tagged `all` and
/// one of `t0` … `t6` (`t{i % 7}`).
pub(crate) fn netscape_file(n: usize) -> String {
    let mut file = String::from("<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n");
    for i in 0..n {
        let second = 1_600_000_000 + i / 3;
        file.push_str(&format!(
            "<DT><A HREF=\"https://e.com/{i}\" ADD_DATE=\"{second}\" TAGS=\"t{},all\">Bookmark {i}</A>\n<DD>note {i}\n",
            i % 7
        ));
    }
    file.push_str("</DL><p>\n");
    file
}

#[tokio::test]
async fn a_collection_of_several_pages_is_exported_oldest_first_and_downloaded_whole() {
    // 450 bookmarks: three pieces of an export (200 a piece), three to each second.
    let source = spawn_app().await;
    let alice = source.add_user("alice", false);
    let report = import(
        &source.db,
        alice.id,
        netscape_file(450).as_bytes(),
        OnDuplicate::Skip,
    );
    assert_eq!(report.created, 450);
    let exported = export(&source.db, &alice, ExportFormat::Netscape).expect("export");
    let parsed = parse_file(exported.as_bytes()).expect("an exported file");
    let urls: Vec<String> = parsed
        .entries
        .iter()
        .map(|e| e.url.as_str().to_owned())
        .collect();
    let in_order: Vec<String> = (0..450).map(|i| format!("https://e.com/{i}")).collect();
    assert_eq!(
        urls, in_order,
        "oldest first, the same second in saving order"
    );

    let browser = source.browser_as("alice").await;
    for (path, format) in [
        ("/settings/export.html", ExportFormat::Netscape),
        ("/settings/export.json", ExportFormat::PinboardJson),
    ] {
        let (status, body) = browser.get(path).await;
        assert_eq!(status, 200);
        let whole = export(&source.db, &alice, format).expect("export");
        assert_eq!(body, whole, "{path} is the whole document");
    }
    let json = export(&source.db, &alice, ExportFormat::PinboardJson).expect("export");
    let posts: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(posts.as_array().map(Vec::len), Some(450));
    assert_eq!(posts[0]["href"], "https://e.com/0");
    assert_eq!(posts[449]["href"], "https://e.com/449");

    let target = spawn_app().await;
    let copy = target.add_user("alice", false);
    let report = import(&target.db, copy.id, json.as_bytes(), OnDuplicate::Skip);
    assert_eq!(report.created, 450);
    let again = export(&target.db, &copy, ExportFormat::PinboardJson).expect("export again");
    assert_eq!(again, json, "export → import → export changes nothing");
}

#[tokio::test]
async fn an_empty_collection_exports_as_an_empty_document() {
    let app = spawn_app().await;
    let alice = app.add_user("alice", false);
    let json = export(&app.db, &alice, ExportFormat::PinboardJson).expect("export");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&json).ok(),
        Some(serde_json::json!([]))
    );
    let html = export(&app.db, &alice, ExportFormat::Netscape).expect("export");
    assert!(
        html.starts_with("<!DOCTYPE NETSCAPE-Bookmark-file-1>") && html.ends_with("</DL><p>\n")
    );
}

#[tokio::test]
async fn settings_offer_the_exports_as_downloads_to_their_owner_only() {
    let app = spawn_app().await;
    let (_, api) = app.api_user("alice");
    api.post(
        "/api/bookmarks",
        serde_json::json!({"url": "https://e.com/x", "title": "Mine", "visibility": "private"}),
    )
    .await;
    let alice = app.browser_as("alice").await;
    let response = alice
        .http
        .get(app.url("/settings/export.html"))
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status().as_u16(), 200);
    let disposition = crate::helpers::header(&response, "content-disposition").unwrap_or_default();
    assert!(
        disposition.contains("attachment") && disposition.contains("commonplace-alice.html"),
        "{disposition}"
    );
    let body = response.text().await.expect("body");
    assert!(parse_file(body.as_bytes()).is_ok_and(|p| p.entries.len() == 1));
    let json = alice
        .http
        .get(app.url("/settings/export.json"))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    let posts: serde_json::Value = serde_json::from_str(&json).expect("a JSON export");
    assert_eq!(posts[0]["shared"], "no");
    let anonymous = crate::helpers::Browser::new(&app.address);
    assert!(anonymous
        .location("/settings/export.html")
        .await
        .is_some_and(|l| l.starts_with("/login")));
}

async fn upload(
    browser: &crate::helpers::Browser,
    name: &str,
    bytes: Vec<u8>,
    with_csrf: bool,
) -> reqwest::Response {
    let token = browser.csrf("/settings").await;
    let mut form = reqwest::multipart::Form::new().text("on_duplicate", "skip");
    if with_csrf {
        form = form.text("csrf", token);
    }
    let form = form.part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
    );
    browser
        .http
        .post(format!("{}/settings/import", browser.base))
        .multipart(form)
        .send()
        .await
        .expect("POST")
}

#[tokio::test]
async fn uploads_in_settings_import_in_the_background_with_progress() {
    let app = spawn_app().await;
    let alice_user = app.add_user("alice", false);
    app.add_user("bob", false);
    let alice = app.browser_as("alice").await;
    let response = upload(&alice, "pinboard.html", fixture("pinboard.html"), true).await;
    assert_eq!(response.status().as_u16(), 303);
    let progress = crate::helpers::header(&response, "location").expect("progress page");
    assert!(progress.starts_with("/settings/import/"));
    let page = wait_until_done(&alice, &progress).await;
    assert!(
        page.contains("3 imported, 0 updated, 0 skipped of 3 entries"),
        "{page}"
    );
    assert_eq!(all(&app.db, alice_user.id).len(), 3);
    let bob = app.browser_as("bob").await;
    assert_eq!(
        bob.get(&progress).await.0,
        404,
        "someone else's import is not found"
    );

    let again = upload(&alice, "pinboard.html", fixture("pinboard.html"), true).await;
    let location = crate::helpers::header(&again, "location").expect("progress");
    let page = wait_until_done(&alice, &location).await;
    assert!(
        page.contains("0 imported, 0 updated, 3 skipped of 3 entries")
            && page.contains("is already saved"),
        "{page}"
    );
}

async fn wait_until_done(browser: &crate::helpers::Browser, progress: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (status, page) = browser.get(progress).await;
        assert_eq!(status, 200);
        if page.contains("id=\"import-done\"") {
            return page;
        }
        assert!(page.contains("id=\"import-progress\""), "{page}");
        assert!(
            std::time::Instant::now() < deadline,
            "the import did not finish"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn bad_uploads_are_refused_and_import_nothing() {
    let app = spawn_app().await;
    let alice_user = app.add_user("alice", false);
    let alice = app.browser_as("alice").await;
    assert_eq!(
        upload(&alice, "pinboard.html", fixture("pinboard.html"), false)
            .await
            .status()
            .as_u16(),
        403,
        "CSRF"
    );
    let truncated = upload(&alice, "truncated.html", fixture("truncated.html"), true).await;
    assert_eq!(truncated.status().as_u16(), 400);
    assert!(truncated.text().await.expect("body").contains("truncated"));
    let huge = vec![b'x'; 6 * 1024 * 1024];
    let too_big = upload(&alice, "huge.html", huge, true).await;
    assert_eq!(too_big.status().as_u16(), 400);
    let message = too_big.text().await.expect("body");
    assert!(
        message.contains("5 MB") && message.contains("commonplace import"),
        "{message}"
    );
    assert!(all(&app.db, alice_user.id).is_empty());
}

#[tokio::test]
async fn implausible_dates_in_files_are_not_kept() {
    let app = spawn_app().await;
    let alice = app.add_user("alice", false);
    let file = "<DL><p><DT><A HREF=\"https://e.com/future\" ADD_DATE=\"300000000000000000\">F</A><DT><A HREF=\"https://e.com/past\" ADD_DATE=\"-5000000000\">P</A></DL><p>";
    let report = import(&app.db, alice.id, file.as_bytes(), OnDuplicate::Skip);
    assert_eq!(report.created, 2);
    let now = chrono::Utc::now().naive_utc();
    for b in all(&app.db, alice.id) {
        assert!(
            b.created_at <= now && b.created_at.and_utc().timestamp() > 0,
            "{} at {}",
            b.url,
            b.created_at
        );
    }
    let status = reqwest::get(app.url("/u/alice/feed.rss"))
        .await
        .expect("GET")
        .status()
        .as_u16();
    assert_eq!(status, 200, "feeds still render");
}
