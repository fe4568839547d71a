//! Bulk writes to the search index (`store::bulk_indexing`): on SQLite, a batch's documents
//! become one segment of FTS5's index, nothing is merged until the end, and the index's usual
//! settings come back afterwards, or when the database is next opened after an import that was
//! killed. On PostgreSQL the same calls change nothing, and searches find what was imported.

// A failing expectation in a test should panic with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bookmarks::model::{BookmarkUrl, ImportedBookmark, OnDuplicate, TagList, Title, Visibility};
use bookmarks::store::{self, Backend, BookmarkFilter, Scope, User};
use bookmarks::test_db::{add_user, TestDatabase};
use bookmarks::Database;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

fn entries(word: &str, count: usize) -> Vec<ImportedBookmark> {
    (0..count)
        .map(|i| ImportedBookmark {
            url: BookmarkUrl::parse(&format!("https://{word}.example/{i}")).expect("url"),
            title: Title::parse(&format!("{word} page {i}")).expect("title"),
            description: Default::default(),
            notes: Default::default(),
            tags: TagList::parse_each(&["imported"]).expect("tags"),
            visibility: Visibility::Public,
            unread: false,
            created_at: None,
            updated_at: None,
        })
        .collect()
}

fn import(db: &Database, user: &User, entries: &[ImportedBookmark]) {
    let report = db
        .write(|c| store::import_batch(c, user.id, entries, OnDuplicate::Skip, false))
        .expect("import");
    assert_eq!(report.created, entries.len());
}

fn matches(db: &Database, user: &User, search: &str) -> usize {
    let mut filter = BookmarkFilter::new(Scope::User { owner: user.id }, Some(user.id));
    filter.search = Some(search.into());
    db.read(|c| store::count_bookmarks(c, &filter))
        .expect("count") as usize
}

/// Segments of SQLite's full-text index (each has its rows in the index's `_idx` table).
fn segments(db: &Database) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        segments: i64,
    }
    db.read(|c| {
        Ok(
            diesel::sql_query("SELECT count(DISTINCT segid) AS segments FROM bookmark_search_idx")
                .get_result::<Count>(c)?
                .segments,
        )
    })
    .expect("count the segments")
}

/// The index's merge settings as FTS5 stores them: `(automerge, crisismerge, hashsize)`.
fn settings(db: &Database) -> Vec<(String, i64)> {
    #[derive(QueryableByName)]
    struct Setting {
        #[diesel(sql_type = Text)]
        k: String,
        #[diesel(sql_type = BigInt)]
        v: i64,
    }
    db.read(|c| {
        Ok(diesel::sql_query(
            "SELECT k, CAST(v AS INTEGER) AS v FROM bookmark_search_config \
             WHERE k IN ('automerge', 'crisismerge', 'hashsize') ORDER BY k",
        )
        .load::<Setting>(c)?
        .into_iter()
        .map(|s| (s.k, s.v))
        .collect())
    })
    .expect("read the index's settings")
}

fn usual_settings() -> Vec<(String, i64)> {
    vec![
        ("automerge".into(), 4),
        ("crisismerge".into(), 16),
        ("hashsize".into(), 1024 * 1024),
    ]
}

/// On SQLite: the index is in `expected` segments and has its usual settings back.
fn assert_merged_into(db: &Database, expected: i64, why: &str) {
    if db.backend() == Backend::Sqlite {
        assert_eq!(segments(db), expected, "{why}");
        assert_eq!(settings(db), usual_settings());
    }
}

#[test]
fn a_bulk_import_writes_a_batch_as_one_segment_and_merges_once_at_the_end() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    store::bulk_indexing::begin(&db).unwrap();
    // More documents per batch than one statement of a multi-row insert held.
    import(&db, &alice, &entries("walnut", 1_200));
    import(&db, &alice, &entries("chestnut", 1_200));
    if db.backend() == Backend::Sqlite {
        assert_eq!(segments(&db), 2, "one segment per batch, none merged yet");
        assert_eq!(
            settings(&db),
            vec![
                ("automerge".into(), 0),
                ("crisismerge".into(), 64),
                ("hashsize".into(), 8 * 1024 * 1024),
            ]
        );
    }
    store::bulk_indexing::end(&db, 2_400).unwrap();
    assert_merged_into(&db, 1, "the whole import is a quarter or more of the index");
    assert_eq!(matches(&db, &alice, "walnut"), 1_200);
    assert_eq!(matches(&db, &alice, "chestn"), 1_200);
    assert_eq!(matches(&db, &alice, "walnut page 1199"), 1);
}

#[test]
fn a_small_import_into_a_larger_index_is_not_merged_into_one_segment() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    store::bulk_indexing::begin(&db).unwrap();
    import(&db, &alice, &entries("walnut", 1_000));
    store::bulk_indexing::end(&db, 1_000).unwrap();
    store::bulk_indexing::begin(&db).unwrap();
    import(&db, &alice, &entries("chestnut", 100));
    store::bulk_indexing::end(&db, 100).unwrap();
    // Two segments are not a level due for merging: the thousand documents were not
    // rewritten for the hundred.
    assert_merged_into(&db, 2, "a small import is merged only where a level is due");
    assert_eq!(matches(&db, &alice, "chestnut"), 100);
    assert_eq!(matches(&db, &alice, "walnut"), 1_000);
}

#[test]
fn an_import_killed_half_way_leaves_the_index_settings_that_opening_puts_back() {
    let (guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    store::bulk_indexing::begin(&db).unwrap();
    import(&db, &alice, &entries("walnut", 10));
    // The process ends here: no `end`.
    drop(db);
    let db = Database::connect(&guard.url).expect("open again");
    if db.backend() == Backend::Sqlite {
        assert_eq!(settings(&db), usual_settings());
    }
    assert_eq!(matches(&db, &alice, "walnut"), 10);
}

#[test]
fn an_import_that_only_rewrites_bookmarks_is_merged_too() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    let titled = |title: &str| -> Vec<ImportedBookmark> {
        entries("walnut", 300)
            .into_iter()
            .enumerate()
            .map(|(i, mut entry)| {
                entry.title = Title::parse(&format!("{title} {i}")).expect("title");
                entry
            })
            .collect()
    };
    import(&db, &alice, &titled("almond"));
    let renamed = titled("pecan");
    store::bulk_indexing::begin(&db).unwrap();
    let report = db
        .write(|c| store::import_batch(c, alice.id, &renamed, OnDuplicate::Update, false))
        .expect("import with updates");
    assert_eq!((report.created, report.updated), (0, 300));
    store::bulk_indexing::end(&db, report.updated).unwrap();
    assert_merged_into(&db, 1, "the rewritten documents are merged as well");
    assert_eq!(matches(&db, &alice, "pecan"), 300);
    assert_eq!(matches(&db, &alice, "almond"), 0);
}
