//! Storage tests. They run on SQLite by default and on PostgreSQL when
//! COMMONPLACE_TEST_DATABASE_URL is set; every test gets its own database.

// A failing expectation in a test should panic with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bookmarks::model::{
    BookmarkChanges, BookmarkDraft, BookmarkUrl, Cursor, Description, DomainEvent,
    ImportedBookmark, Notes, OnDuplicate, TagList, TagName, Title, UserName, Visibility,
};
use bookmarks::store::{self, BookmarkFilter, NewAccount, Scope, User};
use bookmarks::test_db::{
    add_followers_and_follows, add_user, far_actor, keys, password_hash, titles_of_every_page,
    wait_until_settled, TestDatabase,
};
use bookmarks::{Database, StoreError};

fn draft(url: &str, title: &str, tags: &[&str], visibility: Visibility) -> BookmarkDraft {
    BookmarkDraft {
        url: BookmarkUrl::parse(url).expect("url"),
        changes: BookmarkChanges {
            title: Some(Title::parse(title).expect("title")),
            notes: Some(Notes::parse("because").expect("notes")),
            tags: Some(TagList::parse_each(tags).expect("tags")),
            visibility: Some(visibility),
            ..BookmarkChanges::default()
        },
    }
}

/// An entry as an import file gives it (no notes unless set, no dates).
fn imported(url: &str, title: &str, tags: &[&str], visibility: Visibility) -> ImportedBookmark {
    ImportedBookmark {
        url: BookmarkUrl::parse(url).expect("url"),
        title: Title::parse(title).expect("title"),
        description: Default::default(),
        notes: Default::default(),
        tags: TagList::parse_each(tags).expect("tags"),
        visibility,
        unread: false,
        created_at: None,
        updated_at: None,
    }
}

/// Imports `entries` for `user` as a file import would, skipping addresses already saved and
/// announcing nothing.
fn import(db: &Database, user: &User, entries: &[ImportedBookmark]) {
    db.write(|c| store::import_batch(c, user.id, entries, OnDuplicate::Skip, false))
        .expect("import");
}

fn save(db: &Database, user: &User, d: &BookmarkDraft) -> store::SavedBookmark {
    db.write(|c| store::save_bookmark(c, user.id, d))
        .expect("save")
}

fn list(db: &Database, filter: &BookmarkFilter) -> Vec<String> {
    db.read(|c| store::list_bookmarks(c, filter))
        .expect("list")
        .items
        .into_iter()
        .map(|b| b.title.as_str().to_owned())
        .collect()
}

/// The user's own tags with their counts, as their tag cloud shows them.
fn own_tag_counts(db: &Database, user_id: i64) -> Vec<store::TagCount> {
    db.read(|c| {
        store::tag_counts(
            c,
            &BookmarkFilter::new(Scope::User { owner: user_id }, Some(user_id)),
            100,
        )
    })
    .unwrap()
}

fn events(db: &Database) -> Vec<DomainEvent> {
    db.read(|c| store::list_events(c, 0, 1000))
        .expect("events")
        .into_iter()
        .map(|e| e.event)
        .collect()
}

#[test]
fn migrations_apply_and_are_idempotent() {
    let (_guard, db) = TestDatabase::connect();
    assert!(db.migrate().expect("second run").is_empty());
    db.ping().expect("ping");
}

#[test]
fn users_are_unique_and_carry_a_key_pair() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    assert!(alice
        .public_key_pem
        .starts_with("-----BEGIN PUBLIC KEY-----"));
    let again = NewAccount {
        name: UserName::parse("Alice").expect("name"),
        password_hash: password_hash(),
        is_admin: true,
        keys: keys(),
    };
    let err = db.write(|c| store::create_user(c, &again)).err();
    assert!(matches!(err, Some(StoreError::Conflict(m)) if m.contains("taken")));
    assert_eq!(db.read(store::count_users).expect("count"), 1);
}

#[test]
fn saving_creates_then_updates_the_same_bookmark_by_normalised_url() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    let first = save(
        &db,
        &alice,
        &draft(
            "https://Example.com/a#intro",
            "A",
            &["rust", "web"],
            Visibility::Public,
        ),
    );
    assert!(first.created);
    assert_eq!(first.bookmark.url.as_str(), "https://example.com/a");
    assert_eq!(first.bookmark.tags.names(), vec!["rust", "web"]);

    let second = save(
        &db,
        &alice,
        &draft(
            "HTTPS://EXAMPLE.COM:443/a",
            "A, edited",
            &["async"],
            Visibility::Private,
        ),
    );
    assert!(!second.created);
    assert_eq!(second.bookmark.public_id, first.bookmark.public_id);
    assert_eq!(second.bookmark.title.as_str(), "A, edited");
    assert_eq!(second.bookmark.tags.names(), vec!["async"]);
    assert_eq!(second.bookmark.visibility, Visibility::Private);
    assert_eq!(second.bookmark.created_at, first.bookmark.created_at);

    // Another user's save of the same URL is their own bookmark.
    let bob = add_user(&db, "bob");
    let bobs = save(
        &db,
        &bob,
        &draft("https://example.com/a", "B", &[], Visibility::Public),
    );
    assert!(bobs.created);
    assert_ne!(bobs.bookmark.public_id, first.bookmark.public_id);
}

/// A create returns the bookmark it built from what it wrote; it must be exactly what a read
/// gives back, on both backends (a creation time finer than a microsecond included).
#[test]
fn a_created_bookmark_is_returned_as_it_is_stored() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    save(
        &db,
        &alice,
        &draft(
            "https://example.com/known",
            "K",
            &["rust"],
            Visibility::Public,
        ),
    );
    let mut d = draft(
        "https://example.com/new",
        "New",
        &["web", "rust", "fresh"],
        Visibility::Unlisted,
    );
    d.changes.description = Some(Description::from_page("from the page"));
    d.changes.unread = Some(true);
    d.changes.created_at =
        chrono::DateTime::from_timestamp(1_700_000_000, 123_456_789).map(|t| t.naive_utc());
    let created = save(&db, &alice, &d);
    assert!(created.created);
    let stored = db
        .read(|c| store::get_bookmark(c, &created.bookmark.public_id))
        .unwrap()
        .expect("stored");
    assert_eq!(created.bookmark, stored);
    assert_eq!(stored.tags.names(), vec!["web", "rust", "fresh"]);
    // A listed page reads its tags in the bookmark's order too (not the tags' creation order),
    // and a bookmark without tags has none.
    save(
        &db,
        &alice,
        &draft("https://example.com/bare", "B", &[], Visibility::Public),
    );
    let filter = BookmarkFilter::new(Scope::User { owner: alice.id }, Some(alice.id));
    let listed: Vec<(String, Vec<String>)> = db
        .read(|c| store::list_bookmarks(c, &filter))
        .expect("list")
        .items
        .into_iter()
        .map(|b| (b.url.to_string(), b.tags.names()))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("https://example.com/bare".to_owned(), Vec::<String>::new()),
            (
                "https://example.com/known".to_owned(),
                vec!["rust".to_owned()]
            ),
            (
                "https://example.com/new".to_owned(),
                vec!["web".to_owned(), "rust".to_owned(), "fresh".to_owned()]
            ),
        ]
    );
    assert_eq!(
        stored.created_at.and_utc().timestamp_subsec_nanos(),
        123_456_000
    );
    // Its tags are counted, new and known ones alike.
    let cloud = own_tag_counts(&db, alice.id);
    let count = |name: &str| cloud.iter().find(|t| t.name == name).map(|t| t.count);
    assert_eq!(
        (count("rust"), count("web"), count("fresh")),
        (Some(2), Some(1), Some(1))
    );
}

#[test]
fn absent_fields_keep_their_stored_values() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    let saved = save(
        &db,
        &alice,
        &draft(
            "https://example.com/",
            "Title",
            &["keep"],
            Visibility::Unlisted,
        ),
    );
    let only_unread = BookmarkChanges {
        unread: Some(true),
        ..BookmarkChanges::default()
    };
    let updated = db
        .write(|c| {
            store::update_bookmark(c, alice.id, &saved.bookmark.public_id, None, &only_unread)
        })
        .expect("update");
    assert!(updated.unread);
    assert_eq!(updated.title.as_str(), "Title");
    assert_eq!(updated.tags.names(), vec!["keep"]);
    assert_eq!(updated.visibility, Visibility::Unlisted);
}

#[test]
fn every_change_records_its_domain_event() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    let saved = save(
        &db,
        &alice,
        &draft("https://example.com/", "T", &["a"], Visibility::Public),
    );
    save(
        &db,
        &alice,
        &draft("https://example.com/", "T2", &["b"], Visibility::Public),
    );
    db.write(|c| store::delete_bookmark(c, alice.id, &saved.bookmark.public_id))
        .expect("delete");
    let kinds: Vec<&str> = events(&db).iter().map(DomainEvent::kind).collect();
    assert_eq!(
        kinds,
        vec!["bookmark_created", "bookmark_updated", "bookmark_deleted"]
    );
    match &events(&db)[1] {
        DomainEvent::BookmarkUpdated { before, after } => {
            assert_eq!(before.tags, vec!["a"]);
            assert_eq!(after.tags, vec!["b"]);
            assert_eq!(after.public_id, saved.bookmark.public_id);
        }
        other => panic!("unexpected event {other:?}"),
    }
}

#[test]
fn imports_record_one_event_a_batch_unless_they_federate() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    let public_date = |db: &Database| {
        db.read(|c| store::latest_change(c, None, false))
            .expect("public date")
    };
    // A batch of private bookmarks: one event, which public feeds do not date themselves by.
    import(
        &db,
        &alice,
        &[
            imported("https://e.com/p1", "P1", &["a"], Visibility::Private),
            imported("https://e.com/p2", "P2", &[], Visibility::Private),
        ],
    );
    assert_eq!(
        events(&db),
        vec![DomainEvent::ImportBatch {
            count: 2,
            visible: 0
        }]
    );
    assert_eq!(public_date(&db), None);
    let own_date = db
        .read(|c| store::latest_change(c, Some(alice.id), true))
        .expect("own date");
    assert!(own_date.is_some());

    // A federating import records each bookmark with the snapshot its followers are sent.
    db.write(|c| {
        store::import_batch(
            c,
            alice.id,
            &[imported(
                "https://e.com/shared",
                "Shared",
                &["rust"],
                Visibility::Public,
            )],
            OnDuplicate::Skip,
            true,
        )
    })
    .expect("federating import");
    match events(&db).as_slice() {
        [_, DomainEvent::BookmarkCreated { bookmark }] => {
            assert_eq!(bookmark.url, "https://e.com/shared");
            assert_eq!(bookmark.title, "Shared");
            assert_eq!(bookmark.tags, vec!["rust"]);
            assert_eq!(bookmark.visibility, "public");
        }
        other => panic!("unexpected events {other:?}"),
    }
    assert!(public_date(&db).is_some());
}

/// Runs an import that updates what is already saved (`--on-duplicate update`) of an entry for
/// `url`, saved before as "before", while another request's transaction makes `change` to
/// that bookmark and commits only once the import waits for the bookmark's row (PostgreSQL,
/// where the two run side by side; SQLite writes one transaction at a time). Returns the
/// import's report and the bookmark saved before.
fn import_update_while(
    url: &str,
    change: impl Fn(&mut store::DbConnection, &User, &str) -> Result<(), StoreError> + Sync,
) -> Option<(
    TestDatabase,
    Database,
    User,
    store::BatchReport,
    store::Bookmark,
)> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};
    let (guard, db) = TestDatabase::connect();
    if db.backend() != store::Backend::Postgres {
        return None;
    }
    #[derive(diesel::QueryableByName)]
    struct Waiting {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let alice = add_user(&db, "alice");
    let saved = save(
        &db,
        &alice,
        &draft(url, "before", &["old"], Visibility::Public),
    )
    .bookmark;
    let (changed, import_waits) = (AtomicBool::new(false), AtomicBool::new(false));
    let until = |flag: &AtomicBool| {
        let start = Instant::now();
        while !flag.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    let report = std::thread::scope(|scope| {
        scope.spawn(|| {
            db.write(|c| {
                change(c, &alice, &saved.public_id)?;
                changed.store(true, Ordering::SeqCst);
                until(&import_waits);
                Ok(())
            })
            .expect("the other request's change");
        });
        until(&changed);
        let importing = scope.spawn(|| {
            db.write(|c| {
                store::import_batch(
                    c,
                    alice.id,
                    &[imported(url, "after", &["new"], Visibility::Public)],
                    OnDuplicate::Update,
                    false,
                )
            })
        });
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            let waiting = db
                .read(|c| {
                    use diesel::RunQueryDsl;
                    Ok(diesel::sql_query(
                        "SELECT count(*) AS n FROM pg_stat_activity \
                         WHERE datname = current_database() AND wait_event_type = 'Lock'",
                    )
                    .get_result::<Waiting>(c)?)
                })
                .expect("look at the waits");
            if waiting.n > 0 {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        import_waits.store(true, Ordering::SeqCst);
        importing.join().expect("the import's thread")
    })
    .expect("the import goes on past the changed bookmark");
    Some((guard, db, alice, report, saved))
}

/// What is saved at `url` for `user`.
fn saved_at(db: &Database, user: &User, url: &str) -> Option<store::Bookmark> {
    db.read(|c| store::find_bookmark_by_url(c, user.id, &BookmarkUrl::parse(url).unwrap()))
        .expect("read")
}

/// A duplicate another request deletes while the import runs is imported anew, instead of
/// stopping the import with "not found".
#[test]
fn an_updating_import_saves_again_a_duplicate_deleted_meanwhile() {
    let url = "https://e.com/deleted-meanwhile";
    let Some((_guard, db, alice, report, before)) = import_update_while(url, |c, user, id| {
        store::delete_bookmark(c, user.id, id).map(|_| ())
    }) else {
        return;
    };
    assert_eq!((report.created, report.updated), (1, 0));
    let found = saved_at(&db, &alice, url).expect("saved again");
    assert_eq!(found.title.as_str(), "after");
    assert_ne!(found.public_id, before.public_id);
}

/// A duplicate another request moves to another address while the import runs keeps what it
/// has there, and the entry's address is imported anew (instead of the moved bookmark being
/// overwritten and the entry's address left unsaved).
#[test]
fn an_updating_import_leaves_a_duplicate_moved_meanwhile() {
    let (url, moved_to) = ("https://e.com/moved-meanwhile", "https://e.com/moved-here");
    let Some((_guard, db, alice, report, before)) = import_update_while(url, |c, user, id| {
        let new_url = BookmarkUrl::parse(moved_to).unwrap();
        store::update_bookmark(c, user.id, id, Some(&new_url), &BookmarkChanges::default())
            .map(|_| ())
    }) else {
        return;
    };
    assert_eq!((report.created, report.updated), (1, 0));
    let moved = saved_at(&db, &alice, moved_to).expect("still at its new address");
    assert_eq!(
        (moved.public_id.as_str(), moved.title.as_str()),
        (before.public_id.as_str(), "before")
    );
    let imported = saved_at(&db, &alice, url).expect("the entry's address saved");
    assert_eq!(imported.title.as_str(), "after");
}

#[test]
fn a_failed_transaction_stores_nothing() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    let d = draft("https://example.com/", "T", &["a", "b"], Visibility::Public);
    let result: Result<(), StoreError> = db.write(|c| {
        store::save_bookmark(c, alice.id, &d)?;
        Err(StoreError::Conflict("fail after the save".into()))
    });
    assert!(result.is_err());
    let everything = BookmarkFilter::new(Scope::User { owner: alice.id }, Some(alice.id));
    assert!(list(&db, &everything).is_empty());
    assert!(events(&db).is_empty());
    assert!(db
        .read(|c| store::tag_counts(c, &everything, 10))
        .expect("tags")
        .is_empty());
}

#[test]
fn only_the_owner_edits_or_deletes() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    let mallory = add_user(&db, "mallory");
    let saved = save(
        &db,
        &alice,
        &draft("https://example.com/", "T", &[], Visibility::Public),
    );
    let id = saved.bookmark.public_id;
    let changes = BookmarkChanges {
        title: Some(Title::parse("pwned").expect("title")),
        ..BookmarkChanges::default()
    };
    assert!(matches!(
        db.write(|c| store::update_bookmark(c, mallory.id, &id, None, &changes)),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        db.write(|c| store::delete_bookmark(c, mallory.id, &id)),
        Err(StoreError::NotFound(_))
    ));
    let still = db
        .read(|c| store::get_bookmark(c, &id))
        .expect("get")
        .expect("exists");
    assert_eq!(still.title.as_str(), "T");
}

#[test]
fn changing_the_url_to_one_already_saved_is_a_conflict() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    save(
        &db,
        &alice,
        &draft("https://example.com/one", "1", &[], Visibility::Public),
    );
    let two = save(
        &db,
        &alice,
        &draft("https://example.com/two", "2", &[], Visibility::Public),
    );
    let one_url = BookmarkUrl::parse("https://example.com/one").expect("url");
    let result = db.write(|c| {
        store::update_bookmark(
            c,
            alice.id,
            &two.bookmark.public_id,
            Some(&one_url),
            &BookmarkChanges::default(),
        )
    });
    assert!(matches!(result, Err(StoreError::Conflict(m)) if m.contains("already saved")));
}

#[test]
fn private_bookmarks_never_show_to_anyone_else() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    let bob = add_user(&db, "bob");
    save(
        &db,
        &alice,
        &draft(
            "https://example.com/pub",
            "public one",
            &["t"],
            Visibility::Public,
        ),
    );
    save(
        &db,
        &alice,
        &draft(
            "https://example.com/unl",
            "unlisted one",
            &["t"],
            Visibility::Unlisted,
        ),
    );
    let private = save(
        &db,
        &alice,
        &draft(
            "https://example.com/priv",
            "private one",
            &["t", "secret"],
            Visibility::Private,
        ),
    );

    let alices_page = |viewer| BookmarkFilter::new(Scope::User { owner: alice.id }, viewer);
    assert_eq!(list(&db, &alices_page(Some(alice.id))).len(), 3);
    assert_eq!(
        list(&db, &alices_page(Some(bob.id))),
        vec!["unlisted one", "public one"]
    );
    assert_eq!(
        list(&db, &alices_page(None)),
        vec!["unlisted one", "public one"]
    );
    // Instance-wide lists show only public bookmarks, even to the owner.
    assert_eq!(
        list(&db, &BookmarkFilter::new(Scope::Instance, Some(alice.id))),
        vec!["public one"]
    );
    // Tag clouds and search follow the same rule.
    let bob_view_tags = db
        .read(|c| store::tag_counts(c, &alices_page(Some(bob.id)), 10))
        .expect("tags");
    assert!(bob_view_tags.iter().all(|t| t.name != "secret"));
    let mut search = alices_page(None);
    search.search = Some("private".into());
    assert!(list(&db, &search).is_empty());
    assert!(!private.bookmark.visible_to(Some(bob.id)));
    assert!(!private.bookmark.visible_to(None));
    assert!(private.bookmark.visible_to(Some(alice.id)));
}

#[test]
fn tag_filters_intersect_and_related_tags_co_occur() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    save(
        &db,
        &alice,
        &draft(
            "https://e.com/1",
            "one",
            &["rust", "web"],
            Visibility::Public,
        ),
    );
    save(
        &db,
        &alice,
        &draft(
            "https://e.com/2",
            "two",
            &["rust", "async", "web"],
            Visibility::Public,
        ),
    );
    save(
        &db,
        &alice,
        &draft(
            "https://e.com/3",
            "three",
            &["rust", "async"],
            Visibility::Public,
        ),
    );
    save(
        &db,
        &alice,
        &draft("https://e.com/4", "four", &["c++"], Visibility::Public),
    );

    let mut filter = BookmarkFilter::new(Scope::User { owner: alice.id }, None);
    filter.tags = vec![
        TagName::parse("rust").expect("tag"),
        TagName::parse("web").expect("tag"),
    ];
    assert_eq!(list(&db, &filter), vec!["two", "one"]);

    filter.tags = vec![TagName::parse("rust").expect("tag")];
    let related = db
        .read(|c| store::related_tags(c, &filter, 10))
        .expect("related");
    let related: Vec<(String, i64)> = related.into_iter().map(|t| (t.name, t.count)).collect();
    assert_eq!(related, vec![("async".into(), 2), ("web".into(), 2)]);
    // Cut at a tie, the names decide; the tag filtered on is never its own relation.
    let first = db
        .read(|c| store::related_tags(c, &filter, 1))
        .expect("related");
    assert_eq!(first.len(), 1);
    assert_eq!((first[0].name.as_str(), first[0].count), ("async", 2));
    // A private bookmark counts for its owner only.
    save(
        &db,
        &alice,
        &draft(
            "https://e.com/5",
            "five",
            &["zig", "rust"],
            Visibility::Private,
        ),
    );
    let names = |viewer: Option<i64>| {
        let mut filter = filter.clone();
        filter.viewer = viewer;
        db.read(|c| store::related_tags(c, &filter, 10))
            .expect("related")
            .into_iter()
            .map(|t| t.name)
            .collect::<Vec<_>>()
    };
    assert_eq!(names(None), ["async", "web"]);
    assert_eq!(names(Some(alice.id)), ["async", "web", "zig"]);

    let cloud = db
        .read(|c| {
            store::tag_counts(
                c,
                &BookmarkFilter::new(Scope::User { owner: alice.id }, None),
                10,
            )
        })
        .expect("cloud");
    assert_eq!(
        cloud.first().map(|t| (t.name.as_str(), t.count)),
        Some(("rust", 3))
    );
    assert_eq!(cloud.len(), 4);
}

#[test]
fn search_matches_word_beginnings_in_title_notes_url_or_tags_case_insensitively() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    save(
        &db,
        &alice,
        &draft(
            "https://docs.rs/tokio",
            "Tokio Runtime",
            &["async"],
            Visibility::Public,
        ),
    );
    save(
        &db,
        &alice,
        &draft(
            "https://example.com/100%_real",
            "Percent",
            &["misc"],
            Visibility::Public,
        ),
    );
    let mut filter = BookmarkFilter::new(Scope::User { owner: alice.id }, Some(alice.id));
    let mut search = |q: &str| {
        filter.search = Some(q.into());
        list(&db, &filter)
    };
    assert_eq!(search("tokio"), vec!["Tokio Runtime"]);
    assert_eq!(search("RUNTIME async"), vec!["Tokio Runtime"]);
    assert_eq!(search("docs.rs"), vec!["Tokio Runtime"]);
    assert_eq!(search("because"), vec!["Percent", "Tokio Runtime"]);
    assert_eq!(search("tokio misc"), Vec::<String>::new());
    // Words match whole words, the last also the beginning of one (a search typed as you go);
    // the middle of a word never matches.
    assert_eq!(search("tokio runt"), vec!["Tokio Runtime"]);
    assert_eq!(search("tok runtime"), Vec::<String>::new());
    assert_eq!(search("sync"), Vec::<String>::new());
    // Beginnings of every length: one letter, the indexed 2 to 5, longer, and the whole word.
    for beginning in ["r", "ru", "run", "runt", "runti", "runtim", "runtime"] {
        assert_eq!(search(&format!("tokio {beginning}")), vec!["Tokio Runtime"]);
    }
    assert_eq!(search("untime"), Vec::<String>::new());
    assert_eq!(search("runtimes"), Vec::<String>::new());
    // A word too long to index is left out of the search, not an error.
    assert_eq!(
        search(&format!("tokio {}", "a".repeat(3000))),
        vec!["Tokio Runtime"]
    );
    // Punctuation separates words and is never query syntax.
    assert_eq!(search("100%_"), vec!["Percent"]);
    assert_eq!(search("\"tokio\" OR misc*"), Vec::<String>::new());
    assert_eq!(search("rust & !async:*"), Vec::<String>::new());
    // A search of punctuation alone has no words, and filters nothing.
    assert_eq!(search("%"), vec!["Percent", "Tokio Runtime"]);
}

#[test]
fn the_search_index_follows_edits_retags_deletes_and_imports() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    let saved = save(
        &db,
        &alice,
        &draft(
            "https://e.com/a",
            "Original words",
            &["first"],
            Visibility::Public,
        ),
    );
    let mut filter = BookmarkFilter::new(Scope::User { owner: alice.id }, Some(alice.id));
    let mut search = |q: &str| {
        filter.search = Some(q.into());
        list(&db, &filter)
    };
    assert_eq!(search("original first"), vec!["Original words"]);
    let changes = BookmarkChanges {
        title: Some(Title::parse("Edited title").unwrap()),
        tags: Some(TagList::parse_each(&["second"]).unwrap()),
        ..BookmarkChanges::default()
    };
    db.write(|c| store::update_bookmark(c, alice.id, &saved.bookmark.public_id, None, &changes))
        .unwrap();
    assert!(search("original").is_empty());
    assert!(search("first").is_empty());
    assert_eq!(search("edited second"), vec!["Edited title"]);
    db.write(|c| {
        store::retag(
            c,
            alice.id,
            &TagName::parse("second").unwrap(),
            Some(&TagName::parse("third").unwrap()),
        )
    })
    .unwrap();
    assert!(search("second").is_empty());
    assert_eq!(search("third"), vec!["Edited title"]);
    db.write(|c| store::delete_bookmark(c, alice.id, &saved.bookmark.public_id))
        .unwrap();
    assert!(search("edited").is_empty());
    // A bookmark saved again after its delete is found once, under its new words only.
    save(
        &db,
        &alice,
        &draft("https://e.com/a", "Saved again", &[], Visibility::Public),
    );
    assert_eq!(search("again"), vec!["Saved again"]);
    assert!(search("edited").is_empty());
    let imported = ImportedBookmark {
        notes: Notes::parse("Exported by a browser").unwrap(),
        ..imported(
            "https://e.com/imported",
            "From a file",
            &["archive"],
            Visibility::Public,
        )
    };
    import(&db, &alice, std::slice::from_ref(&imported));
    assert_eq!(search("browser archive"), vec!["From a file"]);
}

#[test]
fn the_search_index_is_rebuilt_for_bookmarks_saved_before_it_existed() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    for i in 0..7 {
        save(
            &db,
            &alice,
            &draft(
                &format!("https://e.com/{i}"),
                &format!("Page {i}"),
                &["older"],
                Visibility::Public,
            ),
        );
    }
    // As after the migration that added the index: bookmarks, and an empty index.
    db.write(|c| {
        use diesel::connection::SimpleConnection;
        c.batch_execute("DELETE FROM bookmark_search")?;
        Ok(())
    })
    .unwrap();
    let mut filter = BookmarkFilter::new(Scope::User { owner: alice.id }, Some(alice.id));
    filter.search = Some("older".into());
    assert!(list(&db, &filter).is_empty());
    assert_eq!(store::rebuild_search_index(&db).unwrap(), 7);
    assert_eq!(list(&db, &filter).len(), 7);
}

#[test]
fn searches_list_the_same_whether_few_or_many_bookmarks_match() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    let bob = add_user(&db, "bob");
    // 1,500 of Alice's 1,800 bookmarks say "everywhere", more than SQLite looks up one by one;
    // 36 of them also "seldom", few enough; the others say "elsewhere". Every third is private.
    // They are saved out of date order, so the listing's order is not the order of their ids.
    let base = chrono::DateTime::from_timestamp(1_700_000_000, 0)
        .unwrap()
        .naive_utc();
    let entry = |i: usize, minutes: usize, words: &str, visibility| ImportedBookmark {
        created_at: Some(base + chrono::Duration::minutes(i64::try_from(minutes).unwrap())),
        ..imported(
            &format!("https://e.com/{i}"),
            &format!("Page {i} {words}"),
            &[],
            visibility,
        )
    };
    let visibility = |i: usize| {
        if i.is_multiple_of(3) {
            Visibility::Private
        } else {
            Visibility::Public
        }
    };
    let alices: Vec<(usize, usize, &str, Visibility)> = (0..1_800_usize)
        .map(|i| {
            let words = if i % 6 == 5 {
                "elsewhere"
            } else if i.is_multiple_of(50) {
                "everywhere seldom"
            } else {
                "everywhere"
            };
            (i, (i * 7_919) % 1_800, words, visibility(i))
        })
        .collect();
    let batch: Vec<ImportedBookmark> = alices
        .iter()
        .map(|&(i, minutes, words, visibility)| entry(i, minutes, words, visibility))
        .collect();
    for chunk in batch.chunks(500) {
        import(&db, &alice, chunk);
    }
    // Bob's 100 say "everywhere" and are public; they show only where the whole instance does.
    let bobs: Vec<ImportedBookmark> = (2_000..2_100)
        .map(|i| entry(i, i, "everywhere", Visibility::Public))
        .collect();
    import(&db, &bob, &bobs);
    // Alice's bookmarks holding every word and visible to the viewer, newest first.
    let expected = |words: &[&str], everything: bool| -> Vec<String> {
        let mut found: Vec<&(usize, usize, &str, Visibility)> = alices
            .iter()
            .filter(|(_, _, text, v)| {
                words.iter().all(|w| text.contains(w)) && (everything || *v == Visibility::Public)
            })
            .collect();
        found.sort_by_key(|(_, minutes, _, _)| std::cmp::Reverse(*minutes));
        found
            .iter()
            .map(|(i, _, text, _)| format!("Page {i} {text}"))
            .collect()
    };
    let search = |scope: Scope, viewer: Option<i64>, words: &str| {
        let mut filter = BookmarkFilter::new(scope, viewer);
        filter.search = Some(words.into());
        filter.limit = 100;
        titles_of_every_page(&db, &filter)
    };
    let mine = Scope::User { owner: alice.id };
    let everywhere = expected(&["everywhere"], true);
    assert_eq!(everywhere.len(), 1_500);
    assert_eq!(search(mine, Some(alice.id), "everywhere"), everywhere);
    assert_eq!(search(mine, Some(alice.id), "everyw"), everywhere);
    assert_eq!(
        search(mine, None, "everywhere"),
        expected(&["everywhere"], false)
    );
    assert_eq!(
        search(mine, Some(alice.id), "seldom"),
        expected(&["seldom"], true)
    );
    assert_eq!(
        search(mine, Some(alice.id), "everywhere sel"),
        expected(&["seldom"], true)
    );
    assert!(search(mine, Some(alice.id), "nowhere").is_empty());
    // Instance-wide: public bookmarks of both, Bob's newer ones first.
    assert_eq!(
        search(Scope::Instance, None, "seldom"),
        expected(&["seldom"], false)
    );
    let mut everyones: Vec<String> = (2_000..2_100)
        .rev()
        .map(|i| format!("Page {i} everywhere"))
        .collect();
    everyones.extend(expected(&["everywhere"], false));
    assert_eq!(
        search(Scope::Instance, Some(bob.id), "everywhere"),
        everyones
    );
}

#[test]
fn no_search_matches_the_mark_of_a_bookmarks_owner() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    save(
        &db,
        &alice,
        &draft(
            "https://e.com/a",
            "Plain words",
            &["notes"],
            Visibility::Public,
        ),
    );
    let search = |scope: Scope, words: &str| {
        let mut filter = BookmarkFilter::new(scope, Some(alice.id));
        filter.search = Some(words.to_owned());
        list(&db, &filter)
    };
    let mine = Scope::User { owner: alice.id };
    assert_eq!(search(mine, "plain"), vec!["Plain words"]);
    assert_eq!(search(Scope::Instance, "pla"), vec!["Plain words"]);
    // SQLite's index marks each document with its owner's id (`_1`); a search of that id, with
    // or without the underscore, or of its first digit as a prefix, must not find it.
    let id = alice.id.to_string();
    for words in [id.clone(), format!("_{id}"), id[..1].to_owned()] {
        assert!(search(mine, &words).is_empty(), "{words} matched");
        assert!(
            search(Scope::Instance, &words).is_empty(),
            "{words} matched"
        );
    }
}

#[test]
fn tag_filters_give_the_same_answers_for_common_and_rare_tags() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    let bob = add_user(&db, "bob");
    // 1,200 bookmarks carry "common", every hundredth also "rare"; every third is private. Bob
    // has some too, which must not show.
    let entry = |i: usize, tags: &[&str]| {
        let visibility = if i.is_multiple_of(3) {
            Visibility::Private
        } else {
            Visibility::Public
        };
        imported(
            &format!("https://e.com/{i}"),
            &format!("Page {i}"),
            tags,
            visibility,
        )
    };
    let alices: Vec<ImportedBookmark> = (0..1_200)
        .map(|i| {
            entry(
                i,
                if i.is_multiple_of(100) {
                    &["common", "rare"]
                } else {
                    &["common"]
                },
            )
        })
        .collect();
    import(&db, &alice, &alices);
    let bobs: Vec<ImportedBookmark> = (0..50).map(|i| entry(i, &["common", "rare"])).collect();
    import(&db, &bob, &bobs);
    let count = |viewer: Option<i64>, tags: &[&str]| {
        let mut filter = BookmarkFilter::new(Scope::User { owner: alice.id }, viewer);
        filter.tags = tags.iter().map(|t| TagName::parse(t).unwrap()).collect();
        db.read(|c| store::count_bookmarks(c, &filter)).unwrap()
    };
    assert_eq!(count(Some(alice.id), &["common"]), 1_200);
    assert_eq!(count(None, &["common"]), 800);
    assert_eq!(count(Some(alice.id), &["rare"]), 12);
    assert_eq!(count(Some(alice.id), &["common", "rare"]), 12);
    assert_eq!(count(None, &["rare", "common"]), 8);
    // Bob saves 1,500 newer bookmarks without "common": its page still lists the same ones.
    let fresh: Vec<ImportedBookmark> = (100..1_600).map(|i| entry(i, &["fresh"])).collect();
    import(&db, &bob, &fresh);
    let mut bobs_common = BookmarkFilter::new(Scope::User { owner: bob.id }, Some(bob.id));
    bobs_common.tags = vec![TagName::parse("common").unwrap()];
    bobs_common.limit = 20;
    let first = db.read(|c| store::list_bookmarks(c, &bobs_common)).unwrap();
    assert_eq!(first.items.len(), 20);
    let common = TagName::parse("common").unwrap();
    assert!(first.items.iter().all(|b| b.tags.contains(&common)));
    bobs_common.before = first.next;
    bobs_common.limit = 200;
    let rest = db.read(|c| store::list_bookmarks(c, &bobs_common)).unwrap();
    assert_eq!(rest.items.len(), 30);
    // A tag nobody has used matches nothing, alone or beside one in use.
    assert_eq!(count(Some(alice.id), &["never-used"]), 0);
    assert_eq!(count(Some(alice.id), &["common", "never-used"]), 0);
    let mut unknown = BookmarkFilter::new(Scope::User { owner: alice.id }, Some(alice.id));
    unknown.tags = vec![TagName::parse("never-used").unwrap()];
    assert!(db
        .read(|c| store::list_bookmarks(c, &unknown))
        .unwrap()
        .items
        .is_empty());
    assert!(db
        .read(|c| store::related_tags(c, &unknown, 10))
        .unwrap()
        .is_empty());
    // A listed page holds what the count says, newest first, and its tag cloud agrees.
    let mut filter = BookmarkFilter::new(Scope::User { owner: alice.id }, None);
    filter.tags = vec![TagName::parse("common").unwrap()];
    filter.limit = 200;
    let page = db.read(|c| store::list_bookmarks(c, &filter)).unwrap();
    assert_eq!(page.items.len(), 200);
    assert!(page
        .items
        .iter()
        .all(|b| b.visibility == Visibility::Public && b.owner_id == alice.id));
    let cloud = db.read(|c| store::tag_counts(c, &filter, 10)).unwrap();
    assert_eq!(
        cloud
            .iter()
            .map(|t| (t.name.as_str(), t.count))
            .collect::<Vec<_>>(),
        vec![("common", 800), ("rare", 8)]
    );
}

#[test]
fn tag_clouds_from_running_totals_match_counting_every_bookmark() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    let bob = add_user(&db, "bob");
    let tags = |names: &[&str]| TagList::parse_each(names).unwrap();
    save(
        &db,
        &alice,
        &draft(
            "https://e.com/1",
            "One",
            &["rust", "web"],
            Visibility::Public,
        ),
    );
    let two = save(
        &db,
        &alice,
        &draft(
            "https://e.com/2",
            "Two",
            &["rust", "secret"],
            Visibility::Private,
        ),
    );
    let three = save(
        &db,
        &alice,
        &draft("https://e.com/3", "Three", &["inside"], Visibility::Org),
    );
    save(
        &db,
        &bob,
        &draft("https://e.com/1", "Bob's", &["rust"], Visibility::Public),
    );
    // An edit of tags and visibility, a retag, a delete and an import.
    let edit = BookmarkChanges {
        visibility: Some(Visibility::Unlisted),
        tags: Some(tags(&["rust", "later"])),
        ..BookmarkChanges::default()
    };
    db.write(|c| store::update_bookmark(c, alice.id, &two.bookmark.public_id, None, &edit))
        .unwrap();
    db.write(|c| {
        store::retag(
            c,
            alice.id,
            &TagName::parse("web").unwrap(),
            Some(&TagName::parse("www").unwrap()),
        )
    })
    .unwrap();
    db.write(|c| store::delete_bookmark(c, alice.id, &three.bookmark.public_id))
        .unwrap();
    let imported = imported(
        "https://e.com/4",
        "Four",
        &["rust", "inside"],
        Visibility::Org,
    );
    import(&db, &alice, std::slice::from_ref(&imported));
    let cloud = |filter: &BookmarkFilter| {
        db.read(|c| store::tag_counts(c, filter, 100))
            .unwrap()
            .into_iter()
            .map(|t| (t.name, t.count))
            .collect::<Vec<_>>()
    };
    let pairs = |list: &[(&str, i64)]| {
        list.iter()
            .map(|(n, c)| ((*n).to_owned(), *c))
            .collect::<Vec<_>>()
    };
    let alices = Scope::User { owner: alice.id };
    let long_ago = chrono::DateTime::from_timestamp(0, 0).unwrap().naive_utc();
    for (scope, viewer, expected) in [
        (
            alices,
            Some(alice.id),
            pairs(&[("rust", 3), ("inside", 1), ("later", 1), ("www", 1)]),
        ),
        (
            alices,
            Some(bob.id),
            pairs(&[("rust", 3), ("inside", 1), ("later", 1), ("www", 1)]),
        ),
        (
            alices,
            None,
            pairs(&[("rust", 2), ("later", 1), ("www", 1)]),
        ),
        (Scope::Instance, None, pairs(&[("rust", 2), ("www", 1)])),
    ] {
        let filter = BookmarkFilter::new(scope, viewer);
        assert_eq!(cloud(&filter), expected, "{scope:?} seen by {viewer:?}");
        // A date condition makes the store count every bookmark instead: the same answer.
        let mut counted = filter.clone();
        counted.created_from = Some(long_ago);
        assert_eq!(
            cloud(&counted),
            expected,
            "{scope:?} seen by {viewer:?}, counted"
        );
    }
}

#[test]
fn keyset_pages_cover_everything_once_newest_first() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    for i in 0..23 {
        save(
            &db,
            &alice,
            &draft(
                &format!("https://e.com/{i}"),
                &format!("b{i:02}"),
                &["t"],
                Visibility::Public,
            ),
        );
    }
    let mut filter = BookmarkFilter::new(Scope::User { owner: alice.id }, None);
    filter.limit = 10;
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = db
            .read(|c| store::list_bookmarks(c, &filter))
            .expect("page");
        pages += 1;
        seen.extend(page.items.iter().map(|b| b.title.as_str().to_owned()));
        match page.next {
            Some(cursor) => {
                filter.before = Some(Cursor::parse(&cursor.encode()).expect("cursor round trip"))
            }
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..23).rev().map(|i| format!("b{i:02}")).collect();
    assert_eq!(seen, expected);
}

#[derive(Default)]
struct QueryCounter(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl diesel::connection::Instrumentation for QueryCounter {
    fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
        if let diesel::connection::InstrumentationEvent::FinishQuery { .. } = event {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

/// Loads one instance-wide page of `limit` bookmarks; returns its length and the queries it took.
fn queries_for_page(db: &Database, limit: i64) -> (usize, usize) {
    use diesel::Connection;
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    db.read(|c| {
        c.set_instrumentation(QueryCounter(count.clone()));
        let mut filter = BookmarkFilter::new(Scope::Instance, None);
        filter.limit = limit;
        let page = store::list_bookmarks(c, &filter)?;
        c.set_instrumentation(None::<QueryCounter>);
        Ok((
            page.items.len(),
            count.load(std::sync::atomic::Ordering::SeqCst),
        ))
    })
    .expect("page")
}

#[test]
fn a_page_costs_the_same_number_of_queries_however_long_it_is() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    let bob = add_user(&db, "bob");
    for i in 0..60 {
        let owner = if i % 2 == 0 { &alice } else { &bob };
        save(
            &db,
            owner,
            &draft(
                &format!("https://e.com/{i}"),
                "t",
                &["x", "y", "z"],
                Visibility::Public,
            ),
        );
    }
    let (five, five_queries) = queries_for_page(&db, 5);
    let (fifty, fifty_queries) = queries_for_page(&db, 50);
    assert_eq!((five, fifty), (5, 50));
    assert_eq!(
        five_queries, fifty_queries,
        "no N+1: query count must not grow with the page"
    );
    assert!(fifty_queries <= 3, "{fifty_queries} queries for one page");
}

#[test]
fn concurrent_saves_by_one_user_sharing_tags_all_succeed_and_count_right() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    std::thread::scope(|scope| {
        for writer in 0..8 {
            let db = db.clone();
            let alice = &alice;
            scope.spawn(move || {
                // Half the writers give the shared tags in the other order.
                let tags: [&str; 2] = if writer % 2 == 0 {
                    ["alpha", "beta"]
                } else {
                    ["beta", "alpha"]
                };
                for n in 0..25 {
                    let d = draft(
                        &format!("https://e.com/{writer}/{n}"),
                        "t",
                        &tags,
                        Visibility::Public,
                    );
                    db.write(|c| store::save_bookmark(c, alice.id, &d))
                        .expect("no write may fail");
                }
            });
        }
    });
    let filter = BookmarkFilter::new(Scope::User { owner: alice.id }, None);
    let cloud = db.read(|c| store::tag_counts(c, &filter, 10)).unwrap();
    assert_eq!(
        cloud
            .iter()
            .map(|t| (t.name.as_str(), t.count))
            .collect::<Vec<_>>(),
        vec![("alpha", 200), ("beta", 200)]
    );
}

#[test]
fn eight_concurrent_writers_all_succeed_with_their_tags() {
    let (_guard, db) = TestDatabase::connect();
    let users: Vec<User> = (0..8)
        .map(|i| add_user(&db, &format!("writer{i}")))
        .collect();
    std::thread::scope(|scope| {
        for user in &users {
            let db = db.clone();
            scope.spawn(move || {
                for n in 0..25 {
                    let d = draft(
                        &format!("https://e.com/{n}"),
                        "t",
                        &["shared", &format!("own{n}")],
                        Visibility::Public,
                    );
                    db.write(|c| store::save_bookmark(c, user.id, &d))
                        .expect("no write may fail");
                }
            });
        }
    });
    let everything = BookmarkFilter {
        limit: 200,
        ..BookmarkFilter::new(Scope::Instance, None)
    };
    let mut total = 0;
    let mut filter = everything.clone();
    loop {
        let page = db
            .read(|c| store::list_bookmarks(c, &filter))
            .expect("list");
        for b in &page.items {
            assert_eq!(
                b.tags.len(),
                2,
                "bookmark {} stored without its tags",
                b.public_id
            );
        }
        total += page.items.len();
        match page.next {
            Some(c) => filter.before = Some(c),
            None => break,
        }
    }
    assert_eq!(total, 8 * 25);
    assert_eq!(events(&db).len(), 8 * 25);
}

/// Saves from many threads at once are committed in groups on SQLite; each still succeeds or
/// fails on its own, and a failed one leaves nothing behind, not even in a group that held it.
#[test]
fn grouped_saves_each_succeed_or_fail_on_their_own() {
    let (_guard, db) = TestDatabase::connect();
    let users: Vec<User> = (0..8)
        .map(|i| add_user(&db, &format!("writer{i}")))
        .collect();
    let refused = |n: usize| n % 7 == 3;
    std::thread::scope(|scope| {
        for user in &users {
            let db = db.clone();
            let user_id = user.id;
            scope.spawn(move || {
                for n in 0..30 {
                    let d = draft(
                        &format!("https://e.com/{n}"),
                        "t",
                        &["shared", &format!("own{n}")],
                        Visibility::Public,
                    );
                    let outcome = db.write_grouped(move |c| {
                        let saved = store::save_bookmark(c, user_id, &d)?;
                        if refused(n) {
                            // Fails after writing: the save must be undone.
                            return Err(StoreError::Conflict(format!("save {n} refused")));
                        }
                        Ok(saved.bookmark.public_id)
                    });
                    match outcome {
                        Ok(_) => assert!(!refused(n), "save {n} should have failed"),
                        Err(StoreError::Conflict(m)) => {
                            assert!(refused(n), "save {n} failed: {m}");
                            assert_eq!(m, format!("save {n} refused"));
                        }
                        Err(e) => panic!("save {n}: {e}"),
                    }
                }
            });
        }
    });
    let kept = (0..30).filter(|n| !refused(*n)).count();
    for user in &users {
        let mine = list(
            &db,
            &BookmarkFilter {
                limit: 200,
                ..BookmarkFilter::new(Scope::User { owner: user.id }, Some(user.id))
            },
        );
        assert_eq!(mine.len(), kept, "{}", user.name.as_str());
        // Each kept save's search document was written (held back to its group's end), and
        // no refused one's.
        let found = list(
            &db,
            &BookmarkFilter {
                limit: 200,
                search: Some("shared".into()),
                ..BookmarkFilter::new(Scope::User { owner: user.id }, Some(user.id))
            },
        );
        assert_eq!(found.len(), kept, "{}", user.name.as_str());
        let cloud = own_tag_counts(&db, user.id);
        let shared = cloud.iter().find(|t| t.name == "shared").map(|t| t.count);
        assert_eq!(shared, Some(i64::try_from(kept).unwrap()));
        assert!(cloud.iter().all(|t| t.name != "own3" && t.name != "own10"));
    }
    assert_eq!(events(&db).len(), 8 * kept);
}

#[test]
fn sessions_tokens_and_invites_are_stored_hashed_and_checked() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    let session = db
        .write(|c| store::create_session(c, alice.id, chrono::Duration::days(1)))
        .expect("session");
    assert_eq!(
        db.read(|c| store::user_for_session(c, session.as_str()))
            .expect("lookup")
            .map(|u| u.id),
        Some(alice.id)
    );
    db.write(|c| store::delete_session(c, session.as_str()))
        .expect("logout");
    assert!(db
        .read(|c| store::user_for_session(c, session.as_str()))
        .expect("lookup")
        .is_none());

    let expired = db
        .write(|c| store::create_session(c, alice.id, chrono::Duration::seconds(-1)))
        .expect("session");
    assert!(db
        .read(|c| store::user_for_session(c, expired.as_str()))
        .expect("lookup")
        .is_none());

    let token = db
        .write(|c| store::create_api_token(c, alice.id, "script"))
        .expect("token");
    assert_eq!(
        db.read(|c| store::user_for_api_token(c, token.as_str()))
            .expect("lookup")
            .map(|u| u.id),
        Some(alice.id)
    );
    assert!(db
        .read(|c| store::user_for_api_token(c, "cp_wrong"))
        .expect("lookup")
        .is_none());
    let listed = db
        .read(|c| store::list_api_tokens(c, alice.id))
        .expect("list");
    assert_eq!(listed.len(), 1);
    db.write(|c| store::revoke_api_token(c, alice.id, listed[0].id))
        .expect("revoke");
    assert!(db
        .read(|c| store::user_for_api_token(c, token.as_str()))
        .expect("lookup")
        .is_none());
    assert!(db
        .write(|c| store::create_api_token(c, alice.id, "  "))
        .is_err());

    let invite = db
        .write(|c| store::create_invite(c, alice.id, chrono::Duration::days(1)))
        .expect("invite");
    let account = |name: &str| NewAccount {
        name: UserName::parse(name).expect("name"),
        password_hash: password_hash(),
        is_admin: false,
        keys: keys(),
    };
    let bob = db
        .write(|c| store::accept_invite(c, invite.as_str(), &account("bob")))
        .expect("accept");
    assert_eq!(bob.name.as_str(), "bob");
    let reused = db.write(|c| store::accept_invite(c, invite.as_str(), &account("carol")));
    assert!(matches!(reused, Err(StoreError::Invalid(e)) if e.field == "invite"));
    assert!(db
        .read(|c| store::find_user_by_name(c, &UserName::parse("carol").expect("name")))
        .expect("find")
        .is_none());
}

#[test]
fn instance_settings_are_created_once() {
    let (_guard, db) = TestDatabase::connect();
    let first = db
        .write(|c| store::get_or_create_setting(c, "k", || "one".into()))
        .expect("create");
    let second = db
        .write(|c| store::get_or_create_setting(c, "k", || "two".into()))
        .expect("read");
    assert_eq!((first.as_str(), second.as_str()), ("one", "one"));
}

/// The SQL (binds left out) of every statement the connection starts and of every statement
/// it keeps compiled.
#[derive(Debug, Default)]
struct StatementLog {
    started: Vec<String>,
    kept: Vec<String>,
}

struct LogStatements(std::sync::Arc<std::sync::Mutex<StatementLog>>);

impl diesel::connection::Instrumentation for LogStatements {
    fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
        let mut log = self.0.lock().unwrap();
        match event {
            diesel::connection::InstrumentationEvent::StartQuery { query, .. } => {
                let text = query.to_string();
                let sql = text.split(" -- binds:").next().unwrap_or_default();
                log.started.push(sql.to_owned());
            }
            diesel::connection::InstrumentationEvent::CacheQuery { sql, .. } => {
                log.kept.push(sql.to_owned());
            }
            _ => {}
        }
    }
}

/// The statements a fresh connection to `guard`'s database (one that has compiled nothing yet)
/// runs and keeps in `first`, then in `second`, each in the same write.
fn statements_of_two_phases(
    guard: &TestDatabase,
    first: impl Fn(&mut store::DbConnection) -> Result<(), StoreError>,
    second: impl Fn(&mut store::DbConnection) -> Result<(), StoreError>,
) -> (StatementLog, StatementLog) {
    let db = Database::open(&guard.url).unwrap();
    let log = std::sync::Arc::new(std::sync::Mutex::new(StatementLog::default()));
    db.write(|c| {
        use diesel::Connection;
        c.set_instrumentation(LogStatements(log.clone()));
        first(c)?;
        let first = std::mem::take(&mut *log.lock().unwrap());
        second(c)?;
        let second = std::mem::take(&mut *log.lock().unwrap());
        c.set_instrumentation(None::<LogStatements>);
        Ok((first, second))
    })
    .unwrap()
}

#[test]
fn a_save_of_a_few_tags_runs_statements_compiled_once() {
    // tags.rs, `ROWS_ONE_AT_A_TIME`: a save's tag lookup, tag links and tag totals were
    // statements over lists of rows, which diesel compiles anew every time.
    let (guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    let d =
        |n: u32, tags: &[&str]| draft(&format!("https://e.com/{n}"), "t", tags, Visibility::Public);
    let (first, second) = statements_of_two_phases(
        &guard,
        |c| store::save_bookmark(c, alice.id, &d(1, &["rust", "web", "db"])).map(|_| ()),
        |c| {
            store::save_bookmark(c, alice.id, &d(2, &["web", "rust"]))?;
            store::save_bookmark(c, alice.id, &d(3, &["new", "web", "db", "rust"])).map(|_| ())
        },
    );
    // On PostgreSQL the links and the additions to the totals are written by the create's one
    // statement.
    let totals = match db.backend() {
        store::Backend::Sqlite => "tag_totals",
        store::Backend::Postgres => "tag_total_changes",
    };
    for table in ["tags", "bookmark_tags", totals] {
        assert!(
            second.started.iter().any(|sql| sql
                .replace(['`', '"'], "")
                .contains(&format!("INSERT INTO {table} "))),
            "no insert into {table}: {second:?}"
        );
    }
    for sql in &second.started {
        assert!(first.kept.contains(sql), "not kept compiled: {sql}");
    }
    // And what they wrote is what the multi-row statements wrote.
    let mut filter = BookmarkFilter::new(Scope::User { owner: alice.id }, Some(alice.id));
    filter.tags = vec![
        TagName::parse("web").unwrap(),
        TagName::parse("db").unwrap(),
    ];
    assert_eq!(list(&db, &filter).len(), 2);
    let page = db
        .read(|c| store::list_bookmarks(c, &BookmarkFilter::of_user(&alice, Some(alice.id))))
        .unwrap();
    let tags: Vec<Vec<String>> = page.items.iter().map(|b| b.tags.names()).collect();
    assert_eq!(
        tags,
        [
            vec!["new", "web", "db", "rust"],
            vec!["web", "rust"],
            vec!["rust", "web", "db"]
        ]
    );
    let counts = db
        .read(|c| store::tag_counts(c, &BookmarkFilter::of_user(&alice, Some(alice.id)), 10))
        .unwrap();
    let count = |name: &str| counts.iter().find(|t| t.name == name).map(|t| t.count);
    assert_eq!(
        (count("rust"), count("web"), count("db"), count("new")),
        (Some(3), Some(3), Some(2), Some(1))
    );
}

#[test]
fn postgresql_creates_a_bookmark_in_one_statement() {
    // postgres_create.rs: every statement is a round trip to PostgreSQL's server.
    let (guard, db) = TestDatabase::connect();
    if db.backend() != store::Backend::Postgres {
        return;
    }
    let alice = add_user(&db, "alice");
    let d = |n: u32, tags: &[&str], visibility| {
        draft(&format!("https://e.com/{n}"), "t", tags, visibility)
    };
    let (_, second) = statements_of_two_phases(
        &guard,
        |c| {
            store::save_bookmark(c, alice.id, &d(1, &["rust", "web"], Visibility::Public))
                .map(|_| ())
        },
        |c| {
            let saved =
                store::save_bookmark(c, alice.id, &d(2, &["web", "rust"], Visibility::Private))?;
            assert!(saved.created);
            assert_eq!(saved.bookmark.owner_name.as_ref(), "alice");
            assert_eq!(saved.bookmark.tags.names(), ["web", "rust"]);
            Ok(())
        },
    );
    assert_eq!(second.started.len(), 1, "{second:?}");
    assert!(
        second.started[0].starts_with("WITH tagged AS"),
        "{second:?}"
    );

    // The same address again, with a new tag: the statement writes nothing, the tag is
    // created, and the bookmark changed.
    let again = db
        .save_bookmark(alice.id, d(2, &["db"], Visibility::Public))
        .unwrap();
    assert!(!again.created);
    assert_eq!(again.bookmark.tags.names(), ["db"]);
    let page = db
        .read(|c| store::list_bookmarks(c, &BookmarkFilter::of_user(&alice, Some(alice.id))))
        .unwrap();
    let tags: Vec<Vec<String>> = page.items.iter().map(|b| b.tags.names()).collect();
    assert_eq!(tags, [vec!["db"], vec!["rust", "web"]]);
    let counts = db
        .read(|c| store::tag_counts(c, &BookmarkFilter::of_user(&alice, Some(alice.id)), 10))
        .unwrap();
    let count = |name: &str| counts.iter().find(|t| t.name == name).map(|t| t.count);
    assert_eq!(
        (count("rust"), count("web"), count("db")),
        (Some(1), Some(1), Some(1))
    );
    let visitor = BookmarkFilter::of_user(&alice, None);
    let counts = db.read(|c| store::tag_counts(c, &visitor, 10)).unwrap();
    assert_eq!(
        counts.len(),
        3,
        "the re-saved bookmark is public now: {counts:?}"
    );
    let kinds: Vec<&str> = events(&db).iter().map(DomainEvent::kind).collect();
    assert_eq!(
        kinds,
        ["bookmark_created", "bookmark_created", "bookmark_updated"]
    );
    let mut search = BookmarkFilter::new(Scope::User { owner: alice.id }, Some(alice.id));
    search.search = Some("web".into());
    assert_eq!(
        list(&db, &search).len(),
        1,
        "the search document follows the tags"
    );
    // The statement's event and tag links are what the usual path writes: the event's
    // snapshot, and the links' tag names, from which the search index is rebuilt.
    match &events(&db)[1] {
        DomainEvent::BookmarkCreated { bookmark } => {
            assert_eq!(bookmark.tags, ["web", "rust"]);
            assert_eq!(bookmark.visibility, "private");
            assert_eq!(bookmark.url, "https://e.com/2");
        }
        other => panic!("not a creation: {other:?}"),
    }
    store::rebuild_search_index(&db).unwrap();
    search.search = Some("rust".into());
    assert_eq!(
        list(&db, &search).len(),
        1,
        "bookmark 1 has rust, by its links"
    );
}

#[test]
fn saves_from_the_api_create_change_and_refuse_as_other_saves_do() {
    // Database::save_bookmark: on PostgreSQL a statement of its own, then the usual path.
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    let d =
        |n: u32, tags: &[&str]| draft(&format!("https://e.com/{n}"), "t", tags, Visibility::Public);
    let first = db.save_bookmark(alice.id, d(1, &["rust", "web"])).unwrap();
    assert!(first.created, "new tags");
    let second = db.save_bookmark(alice.id, d(2, &["web"])).unwrap();
    assert!(second.created, "known tags");
    assert_eq!(second.bookmark.owner_name.as_ref(), "alice");
    let third = db.save_bookmark(alice.id, d(3, &[])).unwrap();
    assert!(third.created, "no tags");
    let again = db.save_bookmark(alice.id, d(1, &["web"])).unwrap();
    assert!(!again.created, "an address saved before");
    assert_eq!(again.bookmark.public_id, first.bookmark.public_id);
    let counts = db
        .read(|c| store::tag_counts(c, &BookmarkFilter::of_user(&alice, Some(alice.id)), 10))
        .unwrap();
    let count = |name: &str| counts.iter().find(|t| t.name == name).map(|t| t.count);
    assert_eq!((count("web"), count("rust")), (Some(2), None));
    let kinds: Vec<&str> = events(&db).iter().map(DomainEvent::kind).collect();
    assert_eq!(
        kinds,
        [
            "bookmark_created",
            "bookmark_created",
            "bookmark_created",
            "bookmark_updated"
        ]
    );
    let missing = db.save_bookmark(alice.id + 1_000, d(4, &["web"]));
    assert!(
        matches!(missing, Err(StoreError::NotFound("user"))),
        "{missing:?}"
    );
}

#[test]
fn a_search_document_is_written_by_a_statement_compiled_once() {
    // kept_document_inserts.rs: diesel never keeps a `sql_query`, so the insert of every
    // search document (every create, every imported bookmark) was compiled anew.
    let (guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    let d = |n: u32| {
        draft(
            &format!("https://e.com/{n}"),
            "t",
            &["rust"],
            Visibility::Public,
        )
    };
    let (first, second) = statements_of_two_phases(
        &guard,
        |c| store::save_bookmark(c, alice.id, &d(1)).map(|_| ()),
        |c| {
            store::save_bookmark(c, alice.id, &d(2))?;
            store::save_bookmark(c, alice.id, &d(3)).map(|_| ())
        },
    );
    let inserts: Vec<&String> = second
        .started
        .iter()
        .filter(|sql| sql.contains("INSERT INTO bookmark_search"))
        .collect();
    assert_eq!(inserts.len(), 2, "{second:?}");
    for sql in inserts {
        assert!(first.kept.contains(sql), "not kept compiled: {sql}");
        assert!(!second.kept.contains(sql), "compiled again: {sql}");
    }
    let mut filter = BookmarkFilter::new(Scope::User { owner: alice.id }, Some(alice.id));
    filter.search = Some("rust".into());
    assert_eq!(list(&db, &filter).len(), 3);
}

#[test]
fn a_listed_page_runs_statements_compiled_once() {
    // kept_conditions.rs: a page's statements (its rows with their tags, its owners) are kept
    // compiled, whichever bookmarks it holds and whoever looks; compiling them anew on every
    // request was a tenth of a JSON list's CPU.
    let (guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    for i in 0..6 {
        let tags: &[&str] = if i % 2 == 0 {
            &["rust", "web"]
        } else {
            &["db"]
        };
        save(
            &db,
            &alice,
            &draft(&format!("https://e.com/{i}"), "t", tags, Visibility::Public),
        );
    }
    // A connection of its own, so that it has compiled nothing before the log starts.
    let db = Database::open(&guard.url).unwrap();
    let log = std::sync::Arc::new(std::sync::Mutex::new(StatementLog::default()));
    let pages = |c: &mut store::DbConnection, limits: &[i64]| -> Result<(), StoreError> {
        for viewer in [Some(alice.id), None] {
            for &limit in limits {
                let mut filter = BookmarkFilter::new(Scope::User { owner: alice.id }, viewer);
                filter.limit = limit;
                let page = store::list_bookmarks(c, &filter)?;
                assert_eq!(page.items.len(), usize::try_from(limit).unwrap());
                assert!(page.items.iter().all(|b| !b.tags.is_empty()));
                // Pages of one tag too, on PostgreSQL as well (`list_tagged_rows`); a second
                // tag is planned anew there on purpose (`tagged_uncached`).
                filter.tags = vec![TagName::parse("rust").unwrap()];
                assert_eq!(
                    store::list_bookmarks(c, &filter)?.items.len(),
                    3.min(page.items.len())
                );
            }
        }
        Ok(())
    };
    let (first, second) = db
        .read(|c| {
            use diesel::Connection;
            c.set_instrumentation(LogStatements(log.clone()));
            pages(c, &[2])?;
            let first = std::mem::take(&mut *log.lock().unwrap());
            pages(c, &[1, 3, 5])?;
            let second = std::mem::take(&mut *log.lock().unwrap());
            c.set_instrumentation(None::<LogStatements>);
            Ok((first, second))
        })
        .unwrap();
    // Per viewer and length: the page's rows and owner; the tag's page (its id looked up
    // inside) and owner.
    assert_eq!(
        second.started.len(),
        2 * 3 * 4,
        "four statements a pair of pages: {second:?}"
    );
    assert!(second.kept.is_empty(), "compiled again: {:?}", second.kept);
    for sql in &second.started {
        assert!(first.kept.contains(sql), "not kept compiled: {sql}");
    }
}

#[test]
fn a_page_of_an_owner_the_caller_read_looks_no_name_up() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    let bob = add_user(&db, "bob");
    for i in 0..3 {
        let draft = draft(
            &format!("https://e.com/{i}"),
            "t",
            &["rust"],
            Visibility::Public,
        );
        save(&db, &alice, &draft);
    }
    let log = std::sync::Arc::new(std::sync::Mutex::new(StatementLog::default()));
    // Statements run for a page, and the owner's name on each of its bookmarks.
    let page = |filter: &BookmarkFilter| {
        db.read(|c| {
            use diesel::Connection;
            c.set_instrumentation(LogStatements(log.clone()));
            let page = store::list_bookmarks(c, filter);
            c.set_instrumentation(None::<LogStatements>);
            page
        })
        .map(|page| {
            let started = std::mem::take(&mut log.lock().unwrap().started).len();
            let owners: Vec<String> = page
                .items
                .iter()
                .map(|b| b.owner_name.to_string())
                .collect();
            (started, owners)
        })
        .unwrap()
    };
    let alices = vec!["alice".to_owned(); 3];
    for viewer in [Some(alice.id), Some(bob.id), None] {
        // The rows and the owner's name by id; with the owner's account, the rows alone.
        let looked_up = BookmarkFilter::new(Scope::User { owner: alice.id }, viewer);
        assert_eq!(page(&looked_up), (2, alices.clone()));
        let known = BookmarkFilter::of_user(&alice, viewer);
        assert_eq!(page(&known), (1, alices.clone()));
        // A name known for someone else is not used: the owner's is looked up.
        let mut mismatched = BookmarkFilter::of_user(&bob, viewer);
        mismatched.scope = Scope::User { owner: alice.id };
        assert_eq!(page(&mismatched), (2, alices.clone()));
    }
}

#[test]
fn postgresql_sessions_use_no_parallel_workers() {
    // connection.rs, `POSTGRES_SESSION`: a page's query waited for workers to start.
    let (_guard, db) = TestDatabase::connect();
    if db.backend() != store::Backend::Postgres {
        return;
    }
    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        max_parallel_workers_per_gather: String,
    }
    let setting: Setting = db
        .read(|c| {
            use diesel::RunQueryDsl;
            Ok(diesel::sql_query("SHOW max_parallel_workers_per_gather").get_result(c)?)
        })
        .unwrap();
    assert_eq!(setting.max_parallel_workers_per_gather, "0");
}

/// The second phase ran one statement, and the first compiled and kept it.
fn assert_one_kept_statement(first: &StatementLog, second: &StatementLog) {
    assert_eq!(second.started.len(), 1, "{second:?}");
    assert!(
        first.kept.contains(&second.started[0]),
        "not kept: {second:?}"
    );
}

#[test]
fn a_user_is_found_with_their_change_generation_in_one_kept_statement() {
    let (guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    let bob = add_user(&db, "bob");
    let name = |n: &str| UserName::parse(n).unwrap();
    let found = |n: &str| {
        db.read(|c| store::find_user_by_name_with_generation(c, &name(n)))
            .unwrap()
            .map(|(user, generation)| (user.name.to_string(), generation))
    };
    assert_eq!(
        found("alice"),
        Some(("alice".into(), store::ChangeGeneration::default()))
    );
    assert_eq!(found("nobody"), None);
    save(
        &db,
        &alice,
        &draft("https://e.com/1", "t", &["rust"], Visibility::Public),
    );
    save(
        &db,
        &bob,
        &draft("https://e.com/2", "t", &["rust"], Visibility::Private),
    );
    for user in [&alice, &bob] {
        // Read twice below; on PostgreSQL part of it moves once older transactions end.
        wait_until_settled(&db, user.id);
        let generation = db
            .read(|c| store::change_generation(c, Some(user.id)))
            .unwrap();
        assert!(generation.newest > 0);
        assert_eq!(
            found(user.name.as_str()),
            Some((user.name.to_string(), generation))
        );
    }
    let (first, second) = statements_of_two_phases(
        &guard,
        |c| store::find_user_by_name_with_generation(c, &name("alice")).map(|_| ()),
        |c| store::find_user_by_name_with_generation(c, &name("bob")).map(|_| ()),
    );
    assert_one_kept_statement(&first, &second);
}

#[test]
fn only_a_followed_user_or_one_followed_here_could_receive_anything() {
    // outgoing.rs skips the new bookmarks of users nobody could receive.
    use store::federation as fed;
    let (_guard, db) = TestDatabase::connect();
    let [alice, bob, carol] = ["alice", "bob", "carol"].map(|name| add_user(&db, name));
    let here = |name: &str| format!("https://here.example/users/{name}");
    db.write(|c| {
        let dave = fed::upsert_remote_actor(c, &far_actor("dave"))?;
        fed::add_follower(c, bob.id, "rust", &dave, "https://far.example/f/1")?;
        // Someone here follows carol: she is known as an actor like any remote one.
        let mut carol_here = far_actor("carol");
        carol_here.ap_id = here("carol");
        fed::upsert_remote_actor(c, &carol_here)?;
        Ok(())
    })
    .unwrap();
    let could = |user: &User| {
        db.read(|c| fed::anyone_could_receive(c, user.id, &here(user.name.as_str())))
            .unwrap()
    };
    assert!(!could(&alice), "nobody follows alice");
    assert!(could(&bob), "dave follows bob's rust");
    assert!(could(&carol), "someone here follows carol");
}

#[test]
fn a_user_is_found_with_their_followers_and_follows_in_one_kept_statement() {
    use store::federation::{self as fed, SocialHandles};
    let (guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    let bob = add_user(&db, "bob");
    let carol_here = add_user(&db, "carol");
    db.write(|c| {
        let [carol, erin] = ["carol", "erin"].map(far_actor);
        let carol = fed::upsert_remote_actor(c, &carol)?;
        let mut dave = far_actor("dave");
        // A handle and a tag that JSON must escape come back as they were stored.
        dave.handle = "da\"ve\\@far.example".into();
        let dave = fed::upsert_remote_actor(c, &dave)?;
        let erin = fed::upsert_remote_actor(c, &erin)?;
        fed::add_follower(c, alice.id, "", &dave, "https://far.example/f/1")?;
        fed::add_follower(c, alice.id, "rust", &carol, "https://far.example/f/2")?;
        fed::add_follower(c, alice.id, "c\"++", &erin, "https://far.example/f/4")?;
        fed::add_follower(c, bob.id, "", &erin, "https://far.example/f/3")?;
        let (carols, _) = fed::create_follow(c, alice.id, &carol, "f1")?;
        fed::create_follow(c, alice.id, &dave, "f2")?;
        let (erins, _) = fed::create_follow(c, alice.id, &erin, "f3")?;
        fed::accept_follow(c, carols.id)?;
        fed::accept_follow(c, erins.id)?;
        Ok(())
    })
    .unwrap();
    save(
        &db,
        &alice,
        &draft("https://e.com/1", "t", &["rust"], Visibility::Public),
    );
    wait_until_settled(&db, alice.id);
    let name = |n: &str| UserName::parse(n).unwrap();
    let found = |user: &User| {
        db.read(|c| store::find_user_by_name_with_social(c, &user.name))
            .unwrap()
            .map(|(found, generation, social)| (found.id, generation, social))
            .expect("the user is found")
    };
    let generation = db
        .read(|c| store::change_generation(c, Some(alice.id)))
        .unwrap();
    assert!(generation.newest > 0);
    // Followers and accepted follows only, the newest first, with how many in all.
    assert_eq!(
        found(&alice),
        (
            alice.id,
            generation,
            SocialHandles {
                followers: vec![
                    ("erin@far.example".into(), "c\"++".into()),
                    ("carol@far.example".into(), "rust".into()),
                    ("da\"ve\\@far.example".into(), String::new()),
                ],
                following: vec!["erin@far.example".into(), "carol@far.example".into()],
                followers_total: 3,
                following_total: 2,
            }
        )
    );
    let (_, _, bobs) = found(&bob);
    assert_eq!(
        bobs.followers,
        vec![("erin@far.example".into(), String::new())]
    );
    assert!(bobs.following.is_empty());
    // Nobody either way: empty lists, not an error.
    assert_eq!(
        found(&carol_here),
        (
            carol_here.id,
            store::ChangeGeneration::default(),
            SocialHandles::default()
        )
    );
    assert!(db
        .read(|c| store::find_user_by_name_with_social(c, &name("nobody")))
        .unwrap()
        .is_none());
    let (first, second) = statements_of_two_phases(
        &guard,
        |c| store::find_user_by_name_with_social(c, &name("alice")).map(|_| ()),
        |c| store::find_user_by_name_with_social(c, &name("bob")).map(|_| ()),
    );
    assert_one_kept_statement(&first, &second);
}

#[test]
fn a_user_page_lists_the_newest_fifty_followers_and_follows_and_counts_them_all() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    // Pending follows are not counted, not listed.
    add_followers_and_follows(&db, &alice, 80);
    let (_, _, social) = db
        .read(|c| store::find_user_by_name_with_social(c, &alice.name))
        .unwrap()
        .expect("alice");
    assert_eq!((social.followers_total, social.following_total), (80, 60));
    let newest: Vec<String> = (30..80)
        .rev()
        .map(|i| format!("a{i}@far.example"))
        .collect();
    let followers: Vec<String> = social.followers.iter().map(|(h, _)| h.clone()).collect();
    assert_eq!(followers, newest);
    let accepted: Vec<String> = (0..80)
        .rev()
        .filter(|i| i % 4 != 0)
        .take(50)
        .map(|i| format!("a{i}@far.example"))
        .collect();
    assert_eq!(social.following, accepted);
}

/// Every page of a slice of follows or followers, following each page's `next`.
fn every_slice<T>(
    limit: i64,
    mut read: impl FnMut(store::federation::Slice) -> store::federation::Rows<T>,
) -> Vec<Vec<T>> {
    let mut pages = Vec::new();
    let mut slice = store::federation::Slice::newest(limit);
    loop {
        let rows = read(slice);
        pages.push(rows.items);
        match rows.next {
            Some(before) => slice.before = Some(before),
            None => return pages,
        }
    }
}

#[test]
fn follows_and_followers_are_read_newest_first_a_slice_at_a_time_and_counted() {
    use store::federation::{self as fed, FollowState};
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    let bob = add_user(&db, "bob");
    add_followers_and_follows(&db, &alice, 25);
    add_followers_and_follows(&db, &bob, 3);
    let handles = |numbers: &mut dyn Iterator<Item = usize>| -> Vec<String> {
        numbers.map(|i| format!("a{i}@far.example")).collect()
    };

    let pages = every_slice(10, |slice| {
        db.read(|c| fed::list_followers(c, alice.id, None, slice))
            .unwrap()
    });
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [10, 10, 5]);
    let all: Vec<String> = pages
        .iter()
        .flatten()
        .map(|f| f.actor.handle.clone())
        .collect();
    assert_eq!(all, handles(&mut (0..25).rev()));
    // Exactly a page's worth: no empty page after it.
    let exact = every_slice(25, |slice| {
        db.read(|c| fed::list_followers(c, alice.id, None, slice))
            .unwrap()
    });
    assert_eq!(exact.len(), 1);

    let rust_only = every_slice(4, |slice| {
        db.read(|c| fed::list_followers(c, alice.id, Some("rust"), slice))
            .unwrap()
    });
    let rust: Vec<String> = rust_only
        .iter()
        .flatten()
        .map(|f| f.actor.handle.clone())
        .collect();
    assert_eq!(rust, handles(&mut (0..25).rev().filter(|i| i % 3 == 0)));
    assert!(rust_only.iter().flatten().all(|f| f.tag == "rust"));

    let follows = every_slice(7, |slice| {
        db.read(|c| fed::list_follows(c, alice.id, None, slice))
            .unwrap()
    });
    let followed: Vec<String> = follows
        .iter()
        .flatten()
        .map(|f| f.target.handle.clone())
        .collect();
    assert_eq!(followed, handles(&mut (0..25).rev()));
    let accepted = every_slice(7, |slice| {
        db.read(|c| fed::list_follows(c, alice.id, Some(FollowState::Accepted), slice))
            .unwrap()
    });
    let accepted: Vec<String> = accepted
        .iter()
        .flatten()
        .map(|f| f.target.handle.clone())
        .collect();
    assert_eq!(accepted, handles(&mut (0..25).rev().filter(|i| i % 4 != 0)));

    let counts = db
        .read(|c| {
            Ok((
                fed::count_followers(c, alice.id, None)?,
                fed::count_followers(c, alice.id, Some(""))?,
                fed::count_followers(c, alice.id, Some("rust"))?,
                fed::count_follows(c, alice.id, None)?,
                fed::count_follows(c, alice.id, Some(FollowState::Accepted))?,
                fed::count_follows(c, alice.id, Some(FollowState::Pending))?,
                fed::count_followers(c, bob.id, None)?,
            ))
        })
        .unwrap();
    assert_eq!(counts, (25, 16, 9, 25, 18, 7, 3));
}

/// A statement PostgreSQL keeps prepared for this connection, with how it planned its runs.
#[derive(diesel::QueryableByName, Debug)]
struct PreparedStatement {
    #[diesel(sql_type = diesel::sql_types::Text)]
    statement: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    generic_plans: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    custom_plans: i64,
}

/// The statements this PostgreSQL connection keeps prepared whose text is `LIKE` `pattern`.
fn prepared_statements(
    c: &mut store::DbConnection,
    pattern: &str,
) -> Result<Vec<PreparedStatement>, StoreError> {
    use diesel::RunQueryDsl;
    Ok(diesel::sql_query(
        "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements \
         WHERE statement LIKE $1",
    )
    .bind::<diesel::sql_types::Text, _>(pattern)
    .load(c)?)
}

#[derive(diesel::QueryableByName)]
struct DocumentOwner {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    user_id: Option<i64>,
}

#[test]
fn a_postgresql_search_document_without_its_owner_is_found_and_an_edit_gives_it_one() {
    // Migration 000018: a document written by an older build has no owner; a search keeps it
    // (`coalesce(…, true)`) and the next rewrite of the document writes the owner.
    use diesel::RunQueryDsl;
    let (_guard, db) = TestDatabase::connect();
    if db.backend() != store::Backend::Postgres {
        return;
    }
    let alice = add_user(&db, "alice");
    let bob = add_user(&db, "bob");
    let saved = save(
        &db,
        &alice,
        &draft(
            "https://e.com/a",
            "Ownerless words",
            &[],
            Visibility::Public,
        ),
    );
    save(
        &db,
        &bob,
        &draft("https://e.com/b", "Ownerless too", &[], Visibility::Public),
    );
    let owner = || {
        db.read(|c| {
            Ok(diesel::sql_query(
                "SELECT s.user_id FROM bookmark_search s JOIN bookmarks b ON b.id = s.bookmark_id \
                 WHERE b.public_id = $1",
            )
            .bind::<diesel::sql_types::Text, _>(saved.bookmark.public_id.as_str())
            .get_result::<DocumentOwner>(c)?
            .user_id)
        })
        .unwrap()
    };
    assert_eq!(owner(), Some(alice.id));
    db.write(|c| {
        diesel::sql_query("UPDATE bookmark_search SET user_id = NULL").execute(c)?;
        Ok(())
    })
    .unwrap();
    assert_eq!(owner(), None);
    let mut filter = BookmarkFilter::new(Scope::User { owner: alice.id }, Some(alice.id));
    filter.search = Some("ownerless".into());
    assert_eq!(list(&db, &filter), vec!["Ownerless words"]);
    let changes = BookmarkChanges {
        title: Some(Title::parse("Owned words").unwrap()),
        ..BookmarkChanges::default()
    };
    db.write(|c| store::update_bookmark(c, alice.id, &saved.bookmark.public_id, None, &changes))
        .unwrap();
    assert_eq!(owner(), Some(alice.id));
    filter.search = Some("owned".into());
    assert_eq!(list(&db, &filter), vec!["Owned words"]);
    let mut bobs = BookmarkFilter::new(Scope::User { owner: bob.id }, Some(bob.id));
    bobs.search = Some("ownerless".into());
    assert_eq!(list(&db, &bobs), vec!["Ownerless too"]);
}

#[test]
fn postgresql_keeps_one_plan_for_a_usual_first_page() {
    // page_limit.rs: with its LIMIT bound, a user's page was planned anew for every request.
    let (_guard, db) = TestDatabase::connect();
    if db.backend() != store::Backend::Postgres {
        return;
    }
    let alice = add_user(&db, "alice");
    let entries: Vec<ImportedBookmark> = (0..2_000)
        .map(|i| {
            let url = format!("https://e.com/{i}");
            imported(&url, "t", &["rust"], Visibility::Public)
        })
        .collect();
    import(&db, &alice, &entries);
    db.analyze().unwrap();
    let prepared = db
        .read(|c| {
            for offset in [0, 50] {
                let mut filter = BookmarkFilter::of_user(&alice, None);
                filter.limit = 50;
                filter.offset = offset;
                for _ in 0..8 {
                    assert_eq!(store::list_bookmarks(c, &filter)?.items.len(), 50);
                }
            }
            prepared_statements(c, "%FROM \"bookmarks\" WHERE%")
        })
        .unwrap();
    let plans = |limit: &str| {
        prepared
            .iter()
            .find(|p| p.statement.ends_with(limit))
            .map(|p| p.generic_plans)
    };
    // The first page's plan is kept after PostgreSQL's five planned runs (a page at an
    // offset, bound, reckons with a tenth of the rows, and is planned for every run).
    assert!(
        plans("LIMIT 51").is_some_and(|generic| generic > 0),
        "{prepared:?}"
    );
    assert!(plans("LIMIT $2 OFFSET $3").is_some(), "{prepared:?}");
}

#[test]
fn postgresql_keeps_one_plan_for_a_page_after_a_cursor() {
    // kept_conditions.rs, `OlderThanCursor`: with the cursor's values compared directly, a
    // page deep in a listing was planned anew for every request.
    let (_guard, db) = TestDatabase::connect();
    if db.backend() != store::Backend::Postgres {
        return;
    }
    let alice = add_user(&db, "alice");
    let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap();
    // One a minute, newest last; a third carry `go` besides `rust`.
    let entries: Vec<ImportedBookmark> = (0..3_000)
        .map(|i| {
            let url = format!("https://e.com/{i}");
            let tags: &[&str] = if i % 3 == 0 {
                &["rust", "go"]
            } else {
                &["rust"]
            };
            let mut entry = imported(&url, &format!("b{i}"), tags, Visibility::Public);
            entry.created_at = Some(start + chrono::Duration::minutes(i));
            entry
        })
        .collect();
    import(&db, &alice, &entries);
    db.analyze().unwrap();
    let (firsts, prepared) = db
        .read(|c| {
            let mut firsts = Vec::new();
            // Cursors 1,000 bookmarks down the listing of 3,000, and 500 down `go`'s 1,000.
            for (tag, pages_down) in [(None, 20), (Some("go"), 10)] {
                let mut filter = BookmarkFilter::of_user(&alice, None);
                filter.limit = 50;
                filter.tags = tag
                    .map(|t| TagName::parse(t).unwrap())
                    .into_iter()
                    .collect();
                for _ in 0..pages_down {
                    filter.before = store::list_bookmarks(c, &filter)?.next;
                }
                for _ in 0..8 {
                    let page = store::list_bookmarks(c, &filter)?;
                    assert_eq!(page.items.len(), 50);
                    firsts.push(page.items[0].title.as_str().to_owned());
                }
            }
            // The pages after a cursor (a first page has no `<`), whichever the condition.
            let prepared = prepared_statements(c, "%LIMIT 51")?
                .into_iter()
                .filter(|p| p.statement.contains(" < "))
                .collect::<Vec<_>>();
            Ok((firsts, prepared))
        })
        .unwrap();
    // The pages after the cursors: b2999 down to b2000 before the first, every third from
    // b2999 down to b1500 before the second.
    assert_eq!(firsts[..8], vec!["b1999".to_string(); 8]);
    assert_eq!(firsts[8..], vec!["b1497".to_string(); 8]);
    // Both listings' statements keep their plan after PostgreSQL's five planned runs.
    let kept = |table: &str| {
        prepared
            .iter()
            .find(|p| {
                p.statement.contains(&format!("FROM \"{table}\""))
                    || p.statement.contains(&format!("FROM (\"{table}\""))
            })
            .map(|p| (p.generic_plans, p.custom_plans))
    };
    // Kept: planned for its values only the five times PostgreSQL does before comparing.
    let kept_plan = |plans: Option<(i64, i64)>| {
        plans.is_some_and(|(generic, custom)| generic > 0 && custom <= 5)
    };
    assert!(kept_plan(kept("bookmarks")), "{prepared:?}");
    assert!(kept_plan(kept("bookmark_tags")), "{prepared:?}");
}

#[test]
fn a_write_is_not_refused_because_another_process_wrote_after_its_first_read() {
    // database.rs, `write_transaction`: two processes on one SQLite file (two `Database`s here,
    // each with its own writers' lock). A transaction begun the default way read, the other
    // process committed, and its write was refused at once as out of date, on every attempt;
    // a second attempt now takes the write lock first, and the other process waits for it.
    let (guard, first) = TestDatabase::connect();
    if first.backend() != store::Backend::Sqlite {
        return;
    }
    let second = Database::connect(&guard.url).unwrap();
    let alice = add_user(&first, "alice");
    let (go, wait_for_go) = std::sync::mpsc::channel::<()>();
    let (done, wait_for_done) = std::sync::mpsc::channel::<()>();
    let other_process = std::thread::spawn(move || {
        // Each time the first process has read, the second saves a bookmark of its own.
        let mut saved = 0;
        while wait_for_go.recv().is_ok() {
            let draft = draft(
                &format!("https://e.com/other/{saved}"),
                "t",
                &[],
                Visibility::Public,
            );
            second
                .write(|c| store::save_bookmark(c, alice.id, &draft))
                .expect("the other process saves");
            saved += 1;
            let _ = done.send(());
        }
        saved
    });
    let written = first.write(|c| {
        let before = store::count_bookmarks(c, &BookmarkFilter::of_user(&alice, None))?;
        go.send(()).expect("the other process listens");
        // With the write lock held since the transaction began, the other process waits for
        // it: give up waiting for its save after a moment, and write.
        let _ = wait_for_done.recv_timeout(std::time::Duration::from_millis(300));
        let draft = draft(
            &format!("https://e.com/first/{before}"),
            "t",
            &[],
            Visibility::Public,
        );
        store::save_bookmark(c, alice.id, &draft)
    });
    drop(go);
    let saved_by_other = other_process.join().unwrap();
    assert!(written.is_ok(), "{written:?}");
    // Once while the first attempt had only read, once waiting for the second attempt's lock.
    assert_eq!(saved_by_other, 2);
    let stored = first
        .read(|c| store::count_bookmarks(c, &BookmarkFilter::of_user(&alice, None)))
        .unwrap();
    assert_eq!(stored, 3);
}

/// The server ends every connection of this database (as a restart would) and waits until
/// they are gone.
fn end_every_other_connection(url: &str) {
    use diesel::{Connection, RunQueryDsl};
    let mut admin = diesel::PgConnection::establish(url).unwrap();
    diesel::sql_query(
        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .execute(&mut admin)
    .unwrap();
}

#[test]
fn postgresql_connections_that_lost_their_server_fail_no_request() {
    // connection.rs, `ALIVE_WITHOUT_CHECK`: a connection used a moment ago is handed out
    // without asking its server; if the server ended it meanwhile, a read runs again on a
    // connection the pool checks, and so does a write that had not asked to commit.
    let (guard, db) = TestDatabase::connect();
    if db.backend() != store::Backend::Postgres {
        return;
    }
    #[derive(diesel::QueryableByName)]
    struct Backend {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pid: i32,
    }
    let server_process = |db: &Database| {
        db.read(|c| {
            use diesel::RunQueryDsl;
            Ok(diesel::sql_query("SELECT pg_backend_pid() AS pid")
                .get_result::<Backend>(c)?
                .pid)
        })
    };
    let alice = add_user(&db, "alice");
    let before = server_process(&db).expect("a read");
    end_every_other_connection(&guard.url);
    let after = server_process(&db).expect("a read after the server ended its connection");
    assert_ne!(before, after);

    save(
        &db,
        &alice,
        &draft("https://e.com/1", "one", &["rust"], Visibility::Public),
    );
    end_every_other_connection(&guard.url);
    save(
        &db,
        &alice,
        &draft("https://e.com/2", "two", &["rust"], Visibility::Public),
    );
    let filter = BookmarkFilter::new(Scope::User { owner: alice.id }, Some(alice.id));
    assert_eq!(titles_of_every_page(&db, &filter), vec!["two", "one"]);
}

#[test]
fn postgresql_reads_bookmarks_tag_links_from_their_key_index_alone() {
    // Migration 000012: the tag links' key index holds their positions and names, and
    // `analyze` (run after every import) vacuums the links, so reading bookmarks' links (as
    // the search index's documents are built) needs no visit to the table, nor to the tags.
    // (A listed page reads its tags from `bookmarks.tag_names` since migration 000013.)
    let (_guard, db) = TestDatabase::connect();
    if db.backend() != store::Backend::Postgres {
        return;
    }
    let alice = add_user(&db, "alice");
    for n in 0..40 {
        save(
            &db,
            &alice,
            &draft(
                &format!("https://e.com/{n}"),
                "t",
                &["rust", "async"],
                Visibility::Public,
            ),
        );
    }
    db.analyze().unwrap();
    #[derive(diesel::QueryableByName)]
    struct Plan {
        #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
        line: String,
    }
    let plan: Vec<Plan> = db
        .write(|c| {
            use diesel::RunQueryDsl;
            diesel::sql_query("SET LOCAL enable_seqscan = off").execute(c)?;
            let plan = diesel::sql_query(
                "EXPLAIN (ANALYZE, COSTS OFF) SELECT bookmark_id, position, tag_name \
                 FROM bookmark_tags WHERE bookmark_id = ANY('{1,2,3}'::bigint[])",
            )
            .load(c)?;
            Ok(plan)
        })
        .unwrap();
    let plan: Vec<&str> = plan.iter().map(|p| p.line.trim()).collect();
    assert!(
        plan.iter()
            .any(|l| l.starts_with("Index Only Scan using bookmark_tags_pkey")),
        "{plan:?}"
    );
    assert!(plan.contains(&"Heap Fetches: 0"), "{plan:?}");
    // The key is unchanged: one link per bookmark and tag.
    let twice = db.write(|c| {
        use diesel::RunQueryDsl;
        Ok(diesel::sql_query(
            "INSERT INTO bookmark_tags \
             (bookmark_id, tag_id, position, user_id, bookmark_created_at, tag_name) \
             SELECT bookmark_id, tag_id, position + 5, user_id, bookmark_created_at, tag_name \
             FROM bookmark_tags LIMIT 1",
        )
        .execute(c)?)
    });
    assert!(
        matches!(
            twice,
            Err(StoreError::Database(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            )))
        ),
        "{twice:?}"
    );
}

#[test]
fn postgresql_plans_a_second_tag_filter_with_the_tag_it_is_given() {
    // A statement kept prepared may get PostgreSQL's generic plan, which ignores which tag is
    // asked for (listing.rs, `tagged_uncached`): a filter on a second tag must never be kept.
    // The page of the first tag, read off the tag listing index, is kept (`list_tagged_rows`:
    // its generic plan is that walk, whichever the tag).
    let (_guard, db) = TestDatabase::connect();
    if db.backend() != store::Backend::Postgres {
        return;
    }
    let alice = add_user(&db, "alice");
    save(
        &db,
        &alice,
        &draft("https://e.com/1", "t", &["rust", "web"], Visibility::Public),
    );
    let log = std::sync::Arc::new(std::sync::Mutex::new(StatementLog::default()));
    let pages = |tags: &[&str], created_from: Option<chrono::NaiveDateTime>| {
        let mut filter = BookmarkFilter::new(Scope::User { owner: alice.id }, None);
        filter.tags = tags.iter().map(|t| TagName::parse(t).unwrap()).collect();
        filter.created_from = created_from;
        db.read(|c| {
            use diesel::Connection;
            c.set_instrumentation(LogStatements(log.clone()));
            for _ in 0..8 {
                assert_eq!(store::list_bookmarks(c, &filter)?.items.len(), 1);
            }
            c.set_instrumentation(None::<LogStatements>);
            Ok(())
        })
        .unwrap();
        std::mem::take(&mut *log.lock().unwrap())
    };
    let one_tag = pages(&["rust"], None);
    assert!(
        one_tag
            .kept
            .iter()
            .any(|sql| sql.contains("\"bookmark_tags\".\"tag_id\" = (SELECT")),
        "the first tag's page is kept prepared: {one_tag:?}"
    );
    let two_tags = pages(&["rust", "web"], None);
    assert!(
        two_tags
            .started
            .iter()
            .any(|sql| sql.contains("tagged.tag_id")),
        "the second tag is filtered on: {two_tags:?}"
    );
    assert!(
        !two_tags
            .kept
            .iter()
            .any(|sql| sql.contains("tagged.tag_id")),
        "a second tag's filter was kept prepared: {two_tags:?}"
    );
    // One tag and dates (Pinboard's `posts/all`): planned with its values.
    let dated = pages(&["rust"], Some(chrono::DateTime::UNIX_EPOCH.naive_utc()));
    assert!(
        dated
            .started
            .iter()
            .any(|sql| sql.contains("bookmark_tags.tag_id = ($")),
        "the dated page filters on its tag's id as SQL: {dated:?}"
    );
    assert!(
        !dated.kept.iter().any(|sql| sql.contains("tag_id")),
        "a dated tag page was kept prepared: {dated:?}"
    );
}

#[test]
fn both_backends_have_the_same_migrations() {
    let names = |backend: &str| -> Vec<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../migrations")
            .join(backend);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(Result::ok)
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let sqlite = names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(
        sqlite,
        names("postgres"),
        "every migration needs a SQLite and a PostgreSQL version with the same name"
    );
}

#[test]
fn search_folds_case_beyond_ascii_on_every_backend() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    save(
        &db,
        &alice,
        &draft(
            "https://e.com/ecole",
            "École Polytechnique",
            &[],
            Visibility::Public,
        ),
    );
    let mut filter = BookmarkFilter::new(Scope::User { owner: alice.id }, Some(alice.id));
    filter.search = Some("école".into());
    assert_eq!(list(&db, &filter), vec!["École Polytechnique"]);
    filter.search = Some("ÉCOLE".into());
    assert_eq!(list(&db, &filter), vec!["École Polytechnique"]);
    // Beginnings are counted in letters, not bytes.
    filter.search = Some("éc".into());
    assert_eq!(list(&db, &filter), vec!["École Polytechnique"]);
    filter.search = Some("ÉCOLE POLYTECHNIQ".into());
    assert_eq!(list(&db, &filter), vec!["École Polytechnique"]);
}

#[test]
fn api_tokens_remember_when_they_were_last_used() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    let token = db
        .write(|c| store::create_api_token(c, alice.id, "script"))
        .expect("token");
    assert!(db
        .read(|c| store::list_api_tokens(c, alice.id))
        .expect("list")[0]
        .last_used_at
        .is_none());
    db.write(|c| store::user_for_api_token(c, token.as_str()))
        .expect("use");
    assert!(db
        .read(|c| store::list_api_tokens(c, alice.id))
        .expect("list")[0]
        .last_used_at
        .is_some());
}

#[test]
fn tags_can_be_renamed_merged_and_removed_across_bookmarks() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    let bob = add_user(&db, "bob");
    save(
        &db,
        &alice,
        &draft("https://e.com/1", "one", &["js", "web"], Visibility::Public),
    );
    save(
        &db,
        &alice,
        &draft(
            "https://e.com/2",
            "two",
            &["js", "javascript"],
            Visibility::Private,
        ),
    );
    save(
        &db,
        &bob,
        &draft("https://e.com/3", "bob's", &["js"], Visibility::Public),
    );
    let tag = |s: &str| TagName::parse(s).expect("tag");
    let renamed = db
        .write(|c| store::retag(c, alice.id, &tag("js"), Some(&tag("javascript"))))
        .expect("rename");
    assert_eq!(renamed, 2);
    let everything = BookmarkFilter::new(Scope::User { owner: alice.id }, Some(alice.id));
    let cloud = db
        .read(|c| store::tag_counts(c, &everything, 10))
        .expect("cloud");
    let cloud: Vec<(String, i64)> = cloud.into_iter().map(|t| (t.name, t.count)).collect();
    assert_eq!(
        cloud,
        vec![("javascript".into(), 2), ("web".into(), 1)],
        "merged, not duplicated"
    );
    let bobs = db
        .read(|c| {
            store::tag_counts(
                c,
                &BookmarkFilter::new(Scope::User { owner: bob.id }, Some(bob.id)),
                10,
            )
        })
        .expect("cloud");
    assert_eq!(bobs[0].name, "js", "other users' tags are untouched");
    let removed = db
        .write(|c| store::retag(c, alice.id, &tag("web"), None))
        .expect("remove");
    assert_eq!(removed, 1);
    assert_eq!(
        db.read(|c| store::tag_counts(c, &everything, 10))
            .expect("cloud")
            .len(),
        1
    );
}

/// A rename walks the tag's bookmarks down by cursor, a page of 200 at a time, so it renames
/// every one that was there when it began and ends even while saves keep adding the tag
/// (side by side on PostgreSQL; after it, in turn, on SQLite).
#[test]
fn a_rename_covers_every_page_and_ends_while_saves_keep_adding_its_tag() {
    use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    let before: Vec<ImportedBookmark> = (0..450)
        .map(|n| {
            imported(
                &format!("https://e.com/{n}"),
                "old one",
                &["old", "kept"],
                Visibility::Public,
            )
        })
        .collect();
    import(&db, &alice, &before);
    let tag = |s: &str| TagName::parse(s).expect("tag");
    let renamed_done = AtomicBool::new(false);
    let saved_meanwhile = AtomicI64::new(0);
    // Saves made before the rename's transaction began (on SQLite the saver may take the write
    // lock many times before the rename gets it): those are renamed too.
    let saved_before_rename = AtomicI64::new(0);
    let renamed = std::thread::scope(|scope| {
        scope.spawn(|| {
            for n in 0..2_000 {
                if renamed_done.load(Ordering::SeqCst) {
                    break;
                }
                save(
                    &db,
                    &alice,
                    &draft(
                        &format!("https://new.e.com/{n}"),
                        "new one",
                        &["old"],
                        Visibility::Public,
                    ),
                );
                saved_meanwhile.fetch_add(1, Ordering::SeqCst);
            }
        });
        let renamed = db
            .write(|c| {
                saved_before_rename.store(saved_meanwhile.load(Ordering::SeqCst), Ordering::SeqCst);
                store::retag(c, alice.id, &tag("old"), Some(&tag("new")))
            })
            .expect("rename while saves run");
        renamed_done.store(true, Ordering::SeqCst);
        renamed
    });
    let count = |name: &str| {
        own_tag_counts(&db, alice.id)
            .into_iter()
            .find(|t| t.name == name)
            .map_or(0, |t| t.count)
    };
    // What was there before, the saves made before the rename began, and on PostgreSQL the
    // few that may commit between its start and its first page; a rename that started from
    // the top again after each page chased the saves instead (2,450 renamed on PostgreSQL:
    // every one of the 2,000 saves too).
    let there_at_start =
        before.len() + usize::try_from(saved_before_rename.load(Ordering::SeqCst)).expect("count");
    assert!(
        (before.len()..there_at_start + 50).contains(&renamed),
        "{renamed} renamed, with {there_at_start} there when the rename began"
    );
    assert_eq!(count("new"), i64::try_from(renamed).expect("count"));
    let mut left_behind = BookmarkFilter::new(Scope::User { owner: alice.id }, Some(alice.id));
    left_behind.tags = vec![tag("kept"), tag("old")];
    assert_eq!(
        list(&db, &left_behind),
        Vec::<String>::new(),
        "every bookmark there before the rename carries the new name"
    );
    let saved = saved_meanwhile.load(Ordering::SeqCst);
    assert_eq!(
        count("old") + count("new"),
        i64::try_from(before.len()).expect("count") + saved,
        "each save made meanwhile is renamed or still carries the old name"
    );
}

#[test]
fn an_instance_is_released_only_when_nothing_waits_for_it() {
    use bookmarks::store::federation::{
        claim_instance, enqueue_activity, next_deliveries, pending_instances, record_delivered,
        release_instance_if_drained, OutgoingActivity, Signer,
    };
    let (_guard, db) = TestDatabase::connect();
    let lease = chrono::TimeDelta::seconds(30);
    let host = "remote.example";
    let activity = |n: u32| OutgoingActivity {
        ap_id: format!("https://here.example/activities/{n}"),
        signer: Signer::Instance,
        body: "{}".into(),
    };
    let inbox = [(host.to_owned(), format!("https://{host}/inbox"))];
    db.write(|c| {
        enqueue_activity(c, &activity(1), &inbox)?;
        enqueue_activity(c, &activity(2), &inbox)
    })
    .unwrap();
    assert!(db.write(|c| claim_instance(c, host, "w1", lease)).unwrap());
    let queued = db.read(|c| next_deliveries(c, host, 10)).unwrap();
    assert_eq!(queued.len(), 2);
    // One of two delivered: the other still waits, so the lease stays with w1.
    let released = db
        .write(|c| {
            record_delivered(c, queued[0].id, host, "w1", lease)?;
            release_instance_if_drained(c, host, "w1")
        })
        .unwrap();
    assert!(!released);
    assert!(!db.write(|c| claim_instance(c, host, "w2", lease)).unwrap());
    // Both delivered: the lease goes back in the same transaction.
    let released = db
        .write(|c| {
            record_delivered(c, queued[1].id, host, "w1", lease)?;
            release_instance_if_drained(c, host, "w1")
        })
        .unwrap();
    assert!(released);
    assert!(db.read(|c| pending_instances(c, 10)).unwrap().is_empty());
    assert!(db.write(|c| claim_instance(c, host, "w2", lease)).unwrap());
}

#[test]
fn a_bookmarks_tag_names_follow_its_links_through_every_change() {
    // Migration 000013: a bookmark row carries its tags' names for listing, beside the links
    // that tag filters and counts read. Every way of writing tags must keep the two the same.
    use bookmarks::store::schema::bookmark_tags;
    use diesel::prelude::*;
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    let tags = |names: &[&str]| TagList::parse_each(names).unwrap();
    let one = save(
        &db,
        &alice,
        &draft(
            "https://e.com/1",
            "One",
            &["web", "rust"],
            Visibility::Public,
        ),
    );
    save(
        &db,
        &alice,
        &draft("https://e.com/2", "Two", &[], Visibility::Private),
    );
    // Saved again: the same bookmark, its tags replaced.
    save(
        &db,
        &alice,
        &draft(
            "https://e.com/2",
            "Two",
            &["db", "web"],
            Visibility::Private,
        ),
    );
    let edit = |public_id: &str, changes: BookmarkChanges| {
        db.write(|c| store::update_bookmark(c, alice.id, public_id, None, &changes))
            .unwrap();
    };
    edit(
        &one.bookmark.public_id,
        BookmarkChanges {
            tags: Some(tags(&["rust", "later", "web"])),
            ..BookmarkChanges::default()
        },
    );
    // A change of anything but the tags keeps them.
    edit(
        &one.bookmark.public_id,
        BookmarkChanges {
            title: Some(Title::parse("One, renamed").unwrap()),
            created_at: chrono::DateTime::from_timestamp(86_400, 0).map(|t| t.naive_utc()),
            ..BookmarkChanges::default()
        },
    );
    db.write(|c| {
        store::retag(
            c,
            alice.id,
            &TagName::parse("web").unwrap(),
            Some(&TagName::parse("www").unwrap()),
        )
    })
    .unwrap();
    db.write(|c| store::retag(c, alice.id, &TagName::parse("later").unwrap(), None))
        .unwrap();
    import(
        &db,
        &alice,
        &[
            imported(
                "https://e.com/3",
                "Three",
                &["c", "b", "a"],
                Visibility::Public,
            ),
            imported("https://e.com/4", "Four", &[], Visibility::Public),
        ],
    );
    // Imported again over the first, with other tags.
    let over = imported("https://e.com/1", "One", &["z", "rust"], Visibility::Public);
    db.write(|c| {
        store::import_batch(
            c,
            alice.id,
            std::slice::from_ref(&over),
            OnDuplicate::Update,
            false,
        )
    })
    .unwrap();

    let mut filter = BookmarkFilter::new(Scope::User { owner: alice.id }, Some(alice.id));
    filter.limit = 100;
    let listed: Vec<(String, i64, Vec<String>)> = db
        .read(|c| store::list_bookmarks(c, &filter))
        .unwrap()
        .items
        .into_iter()
        .map(|b| (b.url.as_str().to_owned(), b.id, b.tags.names()))
        .collect();
    let linked: Vec<(i64, String)> = db
        .read(|c| {
            bookmark_tags::table
                .order((bookmark_tags::bookmark_id, bookmark_tags::position))
                .select((bookmark_tags::bookmark_id, bookmark_tags::tag_name))
                .load(c)
                .map_err(StoreError::from)
        })
        .unwrap();
    assert_eq!(listed.len(), 4);
    for (url, id, names) in &listed {
        let links: Vec<&str> = linked
            .iter()
            .filter(|(bookmark, _)| bookmark == id)
            .map(|(_, name)| name.as_str())
            .collect();
        assert_eq!(names, &links, "{url}");
    }
    let by_url = |url: &str| {
        listed
            .iter()
            .find(|(u, _, _)| u == url)
            .map(|(_, _, names)| names.join(" "))
            .unwrap()
    };
    assert_eq!(by_url("https://e.com/1"), "z rust");
    assert_eq!(by_url("https://e.com/2"), "db www");
    assert_eq!(by_url("https://e.com/3"), "c b a");
    assert_eq!(by_url("https://e.com/4"), "");
}

#[test]
fn a_statement_that_changes_megabytes_already_changed_in_its_transaction_is_written() {
    // A statement inside a larger transaction keeps a copy of each page it changes that the
    // transaction changed before it (its statement journal), in memory up to a threshold and
    // in a temporary file past it. SQLite's file writes take at most 128 KiB at once, and the
    // journal moves to the file in pieces of the threshold's size: a threshold of 4 MiB made
    // every such move fail with "database or disk is full" (an import into a collection of
    // 75,000 bookmarks stopped at its third batch). Here one statement changes about 8 MB of
    // pages the transaction wrote before it.
    use diesel::connection::SimpleConnection;
    let (_guard, db) = TestDatabase::connect();
    if db.backend() != store::Backend::Sqlite {
        return;
    }
    let written = db.write(|c| {
        c.batch_execute(
            "CREATE TABLE scratch (id INTEGER PRIMARY KEY, body BLOB NOT NULL, \
             marker INTEGER NOT NULL UNIQUE);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
             INSERT INTO scratch (id, body, marker) SELECT i, randomblob(3000), i FROM n;
             UPDATE scratch SET body = randomblob(3000), marker = marker + 100000;",
        )?;
        Ok(())
    });
    assert!(written.is_ok(), "{written:?}");
    // What a failed statement reports is its own error, not the failed rollback after it.
    let failed = db.write(|c| {
        c.batch_execute("UPDATE scratch SET marker = 1")?;
        Ok(())
    });
    let message = failed.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("UNIQUE"), "{message}");
    // SQLite rolls the whole transaction back by itself when the database is full; the
    // rollback that follows fails, and the error reported is still the full database.
    let full = db.write(|c| {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Pages {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            page_count: i64,
        }
        let pages = diesel::sql_query("PRAGMA page_count").get_result::<Pages>(c)?;
        c.batch_execute(&format!(
            "PRAGMA max_page_count = {};
             INSERT INTO scratch (id, body, marker) VALUES (5000, randomblob(4000000), 5000);",
            pages.page_count + 2
        ))?;
        Ok(())
    });
    let message = full.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("full"), "{message}");
    let rows = db.read(|c| {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        Ok(
            diesel::sql_query("SELECT count(*) AS n FROM scratch WHERE marker > 100000")
                .get_result::<Count>(c)?
                .n,
        )
    });
    assert_eq!(rows.ok(), Some(2000));
}
