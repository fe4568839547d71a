//! Tag clouds stay exact while one owner's saves run side by side. On PostgreSQL a new bookmark
//! appends a row with its tags to `tag_total_changes` instead of locking its owner's totals,
//! and one create in 32 folds them in (`store::postgres_create`); edits and deletions still
//! adjust the totals directly. Whatever the interleaving, a cloud read from the totals must equal one
//! counted from the bookmarks themselves.

// A failing expectation in a test should panic with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use bookmarks::model::{
    BookmarkChanges, BookmarkDraft, BookmarkUrl, TagList, TagName, Title, Visibility,
};
use bookmarks::store::{self, Backend, BookmarkFilter, Scope, User};
use bookmarks::test_db::{add_user, TestDatabase};
use bookmarks::Database;
use diesel::sql_types::BigInt;
use diesel::{QueryableByName, RunQueryDsl};

const SAVERS: usize = 4;
const SAVES_EACH: usize = 40;
/// `postgres_create`'s fold interval.
const FOLD_EVERY: usize = 32;

fn draft(url: &str, tags: &[&str], visibility: Visibility) -> BookmarkDraft {
    BookmarkDraft {
        url: BookmarkUrl::parse(url).expect("url"),
        changes: BookmarkChanges {
            title: Some(Title::parse("A page").expect("title")),
            tags: Some(TagList::parse_each(tags).expect("tags")),
            visibility: Some(visibility),
            ..BookmarkChanges::default()
        },
    }
}

/// Every bookmark carries `rust` and `web`, as a client saving one topic would; a third tag and
/// the visibility vary with `n`.
fn nth_draft(prefix: &str, n: usize) -> BookmarkDraft {
    let third = ["db", "async", "cli"][n % 3];
    let visibility = [Visibility::Public, Visibility::Private, Visibility::Org][n % 3];
    draft(
        &format!("https://{prefix}.example/{n}"),
        &["rust", "web", third],
        visibility,
    )
}

/// A tag cloud as (tag, bookmarks) pairs.
type Cloud = Vec<(String, i64)>;

/// The owner's cloud as `viewer` sees it: from the totals, and counted from every bookmark (a
/// date condition makes the store count).
fn clouds(db: &Database, owner: &User, viewer: Option<i64>) -> (Cloud, Cloud) {
    let filter = BookmarkFilter::new(Scope::User { owner: owner.id }, viewer);
    let mut counted = filter.clone();
    counted.created_from = Some(chrono::DateTime::from_timestamp(0, 0).unwrap().naive_utc());
    let cloud = |filter: &BookmarkFilter| {
        db.read(|c| store::tag_counts(c, filter, 1000))
            .unwrap()
            .into_iter()
            .map(|t| (t.name, t.count))
            .collect::<Vec<_>>()
    };
    (cloud(&filter), cloud(&counted))
}

#[derive(QueryableByName)]
struct Number {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The number a query answers as `n`.
fn number(db: &Database, sql: &str) -> i64 {
    db.read(|c| Ok(diesel::sql_query(sql).get_result::<Number>(c)?))
        .unwrap()
        .n
}

/// How many of the user's new bookmarks wait to be folded into their totals (PostgreSQL).
fn pending(db: &Database, owner: &User) -> i64 {
    number(
        db,
        &format!(
            "SELECT count(*) AS n FROM tag_total_changes WHERE user_id = {}",
            owner.id
        ),
    )
}

#[test]
fn one_owners_saves_side_by_side_with_edits_keep_the_tag_cloud_exact() {
    let (_guard, db) = TestDatabase::connect();
    let alice = add_user(&db, "alice");
    let bob = add_user(&db, "bob");
    let first: Vec<String> = (0..SAVES_EACH)
        .map(|n| {
            db.save_bookmark(alice.id, nth_draft("first", n))
                .expect("save")
                .bookmark
                .public_id
        })
        .collect();

    std::thread::scope(|scope| {
        for saver in 0..SAVERS {
            let db = &db;
            let alice = &alice;
            scope.spawn(move || {
                for n in 0..SAVES_EACH {
                    db.save_bookmark(alice.id, nth_draft(&format!("saver{saver}"), n))
                        .expect("save side by side");
                }
            });
        }
        // Meanwhile `cli` is renamed on all of them, twice: transactions that adjust the
        // owner's totals once per bookmark (`hold_owners_totals`).
        scope.spawn(|| {
            for (from, to) in [("cli", "terminal"), ("terminal", "shell")] {
                let (from, to) = (TagName::parse(from).unwrap(), TagName::parse(to).unwrap());
                db.write(|c| store::retag(c, alice.id, &from, Some(&to)))
                    .expect("rename a tag while saves run");
            }
        });
        // And the first bookmarks are edited and deleted: transactions that lock the owner's
        // totals, while folds lock them too.
        scope.spawn(|| {
            for (n, public_id) in first.iter().enumerate() {
                if n % 4 == 0 {
                    db.write(|c| store::delete_bookmark(c, alice.id, public_id))
                        .expect("delete");
                } else {
                    let changes = BookmarkChanges {
                        tags: Some(TagList::parse_each(&["rust", "later"]).unwrap()),
                        visibility: Some(Visibility::Public),
                        ..BookmarkChanges::default()
                    };
                    db.write(|c| store::update_bookmark(c, alice.id, public_id, None, &changes))
                        .expect("edit");
                }
            }
        });
    });

    let saved = i64::try_from(SAVES_EACH * SAVERS).unwrap();
    for viewer in [Some(alice.id), Some(bob.id), None] {
        let (totals, counted) = clouds(&db, &alice, viewer);
        assert_eq!(totals, counted, "the cloud seen by {viewer:?}");
        assert!(!totals.is_empty());
    }
    let (owners, _) = clouds(&db, &alice, Some(alice.id));
    let rust = owners.iter().find(|(name, _)| name == "rust").unwrap().1;
    assert_eq!(rust, saved + i64::try_from(SAVES_EACH * 3 / 4).unwrap());

    // Folds skip while a rename holds the owner's totals; with nothing else running, one of 32
    // more creates has an id that is a multiple of 32 and folds everything before it.
    for n in 0..FOLD_EVERY {
        db.save_bookmark(alice.id, nth_draft("after", n))
            .expect("save after the others");
    }
    let (totals, counted) = clouds(&db, &alice, Some(alice.id));
    assert_eq!(totals, counted, "the owner's cloud after the last creates");
    if db.backend() == Backend::Postgres {
        let waiting = pending(&db, &alice);
        assert!(
            waiting <= i64::try_from(FOLD_EVERY).unwrap(),
            "{waiting} creates not folded, of {}",
            SAVES_EACH * (SAVERS + 1) + FOLD_EVERY
        );
    }
}

/// The table's dead rows as PostgreSQL's statistics count them.
fn dead_pending_rows(db: &Database) -> i64 {
    number(
        db,
        "SELECT n_dead_tup AS n FROM pg_stat_user_tables \
         WHERE relid = 'tag_total_changes'::regclass",
    )
}

#[test]
fn folded_rows_are_vacuumed_once_there_are_enough_of_them() {
    let (_guard, db) = TestDatabase::connect();
    let vacuum = |dead_after_last: i64| {
        db.read(|c| store::vacuum_pending_totals(c, dead_after_last))
            .unwrap()
    };
    if db.backend() != Backend::Postgres {
        assert!(!db.read(store::may_vacuum_pending_totals).unwrap());
        assert_eq!(vacuum(0), None);
        return;
    }
    assert!(
        db.read(store::may_vacuum_pending_totals).unwrap(),
        "the tests' database user owns the table"
    );
    let alice = add_user(&db, "alice");
    assert_eq!(vacuum(0), None, "nothing to vacuum in a new database");
    // As folds leave them: rows appended, then deleted (autovacuum kept away, so that only
    // the store's vacuum removes them). The statistics reach the table's counters when this
    // session's transaction ends (forced, not after up to a second).
    db.read(|c| {
        diesel::sql_query("ALTER TABLE tag_total_changes SET (autovacuum_enabled = false)")
            .execute(c)?;
        diesel::sql_query(format!(
            "INSERT INTO tag_total_changes (user_id, visibility, tag_ids) \
             SELECT {}, 'public', ARRAY[]::bigint[] FROM generate_series(1, 6000)",
            alice.id
        ))
        .execute(c)?;
        diesel::sql_query("DELETE FROM tag_total_changes").execute(c)?;
        diesel::sql_query("SELECT pg_stat_force_next_flush()").execute(c)?;
        Ok(())
    })
    .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while dead_pending_rows(&db) < 6000 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // Not when the previous vacuum left (say) 2,000 that a snapshot still needed.
    assert_eq!(
        vacuum(2000),
        None,
        "6,000 dead rows are not 5,000 more than 2,000"
    );
    assert_eq!(vacuum(0), Some(0), "6,000 dead rows vacuumed");
    assert_eq!(dead_pending_rows(&db), 0);
    assert_eq!(vacuum(0), None, "nothing left to vacuum");
}
