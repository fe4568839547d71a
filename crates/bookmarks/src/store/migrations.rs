//! The embedded migrations, and what the store does after some of them: fill the search index
//! that a migration emptied, refresh PostgreSQL's statistics after one that rewrote many rows,
//! vacuum the search documents after one that rewrote them all.
//!
//! Filling the search index takes minutes for a large database and runs after the migration
//! that emptied it has committed. So that a start stopped in between (killed, out of memory,
//! the machine restarted) cannot leave search incomplete for good, that migration's own
//! transaction also records, when bookmarks exist, that the index must be filled (the instance
//! setting [`SEARCH_INDEX_UNFILLED`]); every start fills the index while the record is there,
//! and removes it once every bookmark is indexed. Filling is safe to repeat: each bookmark's
//! document is deleted and written again.

use super::connection::{Backend, DbConnection};
use super::error::StoreError;
use super::schema::instance_settings;
use super::Database;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub(super) const SQLITE_MIGRATIONS: EmbeddedMigrations =
    embed_migrations!("../../migrations/sqlite");
pub(super) const POSTGRES_MIGRATIONS: EmbeddedMigrations =
    embed_migrations!("../../migrations/postgres");

/// The instance setting present while the search index lacks the documents of bookmarks saved
/// before a migration emptied it; its value is that migration's version.
pub(super) const SEARCH_INDEX_UNFILLED: &str = "search_index_unfilled";

/// Whether the migration `version` leaves the full-text search index empty: the one that added
/// it, on SQLite the one that recreated it with prefix indexes, and on PostgreSQL the one that
/// changed what its documents hold. A version is the migration's date and number
/// (`20261128000009`), so the number is matched at its end.
fn empties_search_index(backend: Backend, version: &str) -> bool {
    version.ends_with("000005")
        || match backend {
            Backend::Sqlite => version.ends_with("000008"),
            Backend::Postgres => version.ends_with("000009"),
        }
}

/// Whether the migration `version` rewrote every tag link (000012, which gave them their tags'
/// names) or every bookmark row (000013, which gave bookmarks their tags' names): on
/// PostgreSQL the planner's statistics are refreshed afterwards and the links vacuumed
/// ([`Database::analyze`]); the bookmark rows that 000013 rewrote are left to autovacuum.
fn rewrites_many_rows(version: &str) -> bool {
    version.ends_with("000012") || version.ends_with("000013")
}

/// Whether the migration `version` rewrote every search document on PostgreSQL (000018, which
/// gave them their owner): the table is vacuumed afterwards, which also merges the index's
/// pending entries that the rewrite left, and its statistics refreshed.
fn rewrites_search_documents(version: &str) -> bool {
    version.ends_with("000018")
}

/// Applies the pending migrations of `conn`'s backend, each in its own transaction, and
/// returns their versions. A migration that empties the search index records
/// [`SEARCH_INDEX_UNFILLED`] in its transaction.
pub(super) fn apply_pending(conn: &mut DbConnection) -> Result<Vec<String>, StoreError> {
    let applied = match conn {
        DbConnection::Sqlite(c) => apply_each(c, SQLITE_MIGRATIONS, Backend::Sqlite),
        DbConnection::Postgres(c) => apply_each(c, POSTGRES_MIGRATIONS, Backend::Postgres),
    };
    applied.map_err(|e| StoreError::Migration(e.to_string()))
}

type MigrationError = Box<dyn std::error::Error + Send + Sync>;

fn apply_each<C>(
    c: &mut C,
    source: EmbeddedMigrations,
    backend: Backend,
) -> Result<Vec<String>, MigrationError>
where
    C: Connection + MigrationHarness<C::Backend>,
{
    let mut applied = Vec::new();
    for migration in c.pending_migrations(source)? {
        let version = migration.name().version().to_string();
        if empties_search_index(backend, &version) {
            c.transaction::<_, MigrationError, _>(|c| {
                c.run_migration(migration.as_ref())?;
                // An index emptied with no bookmarks stored is complete: a new database has
                // nothing to fill.
                record_unfilled(c, &version, "EXISTS (SELECT 1 FROM bookmarks)")?;
                Ok(())
            })?;
        } else {
            c.run_migration(migration.as_ref())?;
        }
        applied.push(version);
    }
    Ok(applied)
}

/// What follows the migrations `applied` (and any earlier start's that did not finish): fills
/// the search index while [`SEARCH_INDEX_UNFILLED`] is recorded, then the statistics and
/// vacuums that PostgreSQL needs after the migrations that rewrote many rows. Returns how many
/// bookmarks were indexed, if the index was filled.
pub(super) fn follow_up(db: &Database, applied: &[String]) -> Result<Option<usize>, StoreError> {
    let unfilled = db.read(|c| super::get_setting(c, SEARCH_INDEX_UNFILLED))?;
    let indexed = match unfilled {
        Some(recorded) => {
            let indexed = fill_search_index(db, &recorded)?;
            tracing::info!(indexed, by = %recorded, "built the full-text search index");
            Some(indexed)
        }
        None => {
            if db.backend() == Backend::Postgres
                && applied.iter().any(|name| rewrites_many_rows(name))
            {
                db.analyze()?;
            }
            None
        }
    };
    if db.backend() == Backend::Postgres
        && applied.iter().any(|name| rewrites_search_documents(name))
    {
        db.read(|c| {
            c.batch_execute("VACUUM (ANALYZE) bookmark_search")
                .map_err(StoreError::from)
        })?;
    }
    Ok(indexed)
}

/// Applies pending migrations, records [`SEARCH_INDEX_UNFILLED`] (as `reindex` and the time, so
/// that this fill removes its own record and no other's), then fills the index and does what
/// the migrations need after them. Returns how many bookmarks were indexed.
pub(super) fn reindex(db: &Database) -> Result<usize, StoreError> {
    let applied = {
        let mut conn = db.connection()?;
        apply_pending(&mut conn)?
    };
    let by = format!("reindex-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S%6f"));
    db.write(|c| {
        record_unfilled(c, &by, "TRUE")?;
        Ok(())
    })?;
    let indexed = follow_up(db, &applied)?;
    Ok(indexed.unwrap_or_default())
}

/// Indexes every bookmark, refreshes the statistics, and removes [`SEARCH_INDEX_UNFILLED`] if
/// it still holds `recorded` (a fill recorded meanwhile by another process is left for it, or
/// for the next start).
fn fill_search_index(db: &Database, recorded: &str) -> Result<usize, StoreError> {
    let indexed = super::search::rebuild_search_index(db)?;
    db.analyze()?;
    db.write(|c| {
        diesel::delete(
            instance_settings::table
                .find(SEARCH_INDEX_UNFILLED)
                .filter(instance_settings::value.eq(recorded)),
        )
        .execute(c)?;
        Ok(())
    })?;
    Ok(indexed)
}

/// Records that the search index must be filled, by `by` (a migration's version, or
/// `reindex-` and a time), when the SQL condition `when` holds.
fn record_unfilled<C: Connection>(c: &mut C, by: &str, when: &str) -> diesel::QueryResult<()> {
    // `by` and `when` come from this binary; `by` is letters, digits and `-`.
    debug_assert!(by.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    c.batch_execute(&format!(
        "INSERT INTO instance_settings (name, value) \
         SELECT '{SEARCH_INDEX_UNFILLED}', '{by}' WHERE {when} \
         ON CONFLICT (name) DO UPDATE SET value = excluded.value"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{list_bookmarks, BookmarkFilter, Scope};
    use crate::test_db::TestDatabase;

    /// Applies `source`'s pending migrations up to the one whose version ends with `stop`,
    /// without it and without recording anything: as an older build left the database.
    fn run_until<C>(c: &mut C, source: EmbeddedMigrations, stop: &str)
    where
        C: Connection + MigrationHarness<C::Backend>,
    {
        let pending = c.pending_migrations(source).expect("pending migrations");
        let mut reached = false;
        for migration in pending {
            if migration.name().version().to_string().ends_with(stop) {
                reached = true;
                break;
            }
            c.run_migration(migration.as_ref())
                .expect("an earlier migration");
        }
        assert!(reached, "migration {stop} is not pending");
    }

    /// A user (7) with a public bookmark (1) and a private one (2), both tagged `rust`, as an
    /// older build stored them, in SQL both backends read.
    const OLDER_ROWS: &str = "
        INSERT INTO users (id, name, password_hash, public_key_pem, private_key_pem, created_at)
            VALUES (7, 'alice', 'x', 'pub', 'priv', '2026-01-01 00:00:00');
        INSERT INTO bookmarks (id, public_id, user_id, url, title, notes, visibility, created_at, updated_at)
            VALUES (1, 'b1', 7, 'https://e.com/1', 'Ferris one', 'why it matters', 'public',
                    '2026-01-02 00:00:00', '2026-01-02 00:00:00'),
                   (2, 'b2', 7, 'https://e.com/2', 'Ferris two', '', 'private',
                    '2026-01-03 00:00:00', '2026-01-03 00:00:00');
        INSERT INTO tags (id, name) VALUES (10, 'rust');";

    /// What [`SEARCH_INDEX_UNFILLED`] holds, if anything.
    fn recorded(db: &Database) -> Option<String> {
        db.read(|c| super::super::get_setting(c, SEARCH_INDEX_UNFILLED))
            .expect("setting")
    }

    fn open_before(test_db: &TestDatabase, stop: &str) -> Database {
        let db = Database::open(&test_db.url).expect("open");
        let mut conn = db.connection().expect("connection");
        match &mut **conn {
            DbConnection::Sqlite(c) => run_until(c, SQLITE_MIGRATIONS, stop),
            DbConnection::Postgres(c) => run_until(c, POSTGRES_MIGRATIONS, stop),
        }
        drop(conn);
        db
    }

    /// The titles a search for `words` finds in alice's bookmarks (user 7), as `viewer` sees
    /// them.
    fn found(db: &Database, words: &str, viewer: Option<i64>) -> Vec<String> {
        found_in(db, 7, words, viewer)
    }

    /// The titles a search for `words` finds in `owner`'s bookmarks, as `viewer` sees them.
    fn found_in(db: &Database, owner: i64, words: &str, viewer: Option<i64>) -> Vec<String> {
        let filter = BookmarkFilter {
            search: Some(words.to_owned()),
            ..BookmarkFilter::new(Scope::User { owner }, viewer)
        };
        let page = db.read(|c| list_bookmarks(c, &filter)).expect("search");
        page.items
            .iter()
            .map(|b| b.title.as_str().to_owned())
            .collect()
    }

    /// An upgrade from before the search index whose first start stopped after the
    /// migrations committed and before the index was filled: the next start fills it, and
    /// the older bookmarks are found (the private one by its owner alone).
    #[test]
    fn a_search_index_left_unfilled_by_a_stopped_start_is_filled_at_the_next() {
        let test_db = TestDatabase::new();
        let db = open_before(&test_db, "000005");
        db.read(|c| {
            c.batch_execute(OLDER_ROWS)?;
            c.batch_execute(
                "INSERT INTO bookmark_tags (bookmark_id, tag_id, position) VALUES (1, 10, 0), (2, 10, 0)",
            )?;
            Ok(())
        })
        .expect("rows before the search index");
        // The upgrade's migrations commit; the start stops there.
        let applied = apply_pending(&mut db.connection().expect("connection")).expect("migrate");
        assert!(applied.iter().any(|v| v.ends_with("000005")), "{applied:?}");
        assert!(recorded(&db).is_some(), "the emptying migration records it");
        assert!(
            found(&db, "ferris", Some(7)).is_empty(),
            "nothing indexed yet"
        );
        drop(db);

        let db = Database::connect(&test_db.url).expect("the next start");
        assert_eq!(found(&db, "ferris", Some(7)), ["Ferris two", "Ferris one"]);
        assert_eq!(found(&db, "matters rust", None), ["Ferris one"]);
        assert_eq!(recorded(&db), None, "removed once filled");
        assert_eq!(db.migrate().expect("another start"), Vec::<String>::new());
    }

    /// A new database's migrations record nothing to fill: its index is empty, and so is it.
    #[test]
    fn a_new_database_has_no_search_index_to_fill() {
        let test_db = TestDatabase::new();
        let db = Database::open(&test_db.url).expect("open");
        let applied = apply_pending(&mut db.connection().expect("connection")).expect("migrate");
        assert!(applied.iter().any(|v| v.ends_with("000005")), "{applied:?}");
        assert_eq!(recorded(&db), None);
    }

    /// `commonplace reindex` writes every bookmark's document again: a search finds what it
    /// found before the index was emptied, and nothing is left recorded.
    #[test]
    fn reindex_fills_an_emptied_search_index() {
        use crate::model::{BookmarkChanges, BookmarkDraft, BookmarkUrl, TagList, Title};
        let (_guard, db) = TestDatabase::connect();
        let alice = crate::test_db::add_user(&db, "alice").id;
        for (n, title) in [(1, "Ferris one"), (2, "Ferris two")] {
            let draft = BookmarkDraft {
                url: BookmarkUrl::parse(&format!("https://e.com/{n}")).expect("url"),
                changes: BookmarkChanges {
                    title: Some(Title::parse(title).expect("title")),
                    tags: Some(TagList::parse_each(&["rust"]).expect("tags")),
                    ..BookmarkChanges::default()
                },
            };
            db.write(|c| crate::store::save_bookmark(c, alice, &draft))
                .expect("save");
        }
        let search = |words: &str| found_in(&db, alice, words, Some(alice)).len();
        assert_eq!((search("ferris"), search("rust two")), (2, 1));
        let empty = match db.backend() {
            Backend::Sqlite => {
                "INSERT INTO bookmark_search (bookmark_search) VALUES ('delete-all')"
            }
            Backend::Postgres => "DELETE FROM bookmark_search",
        };
        db.write(|c| Ok(c.batch_execute(empty)?))
            .expect("empty the index");
        assert_eq!(search("ferris"), 0);

        assert_eq!(db.reindex().expect("reindex"), 2);
        assert_eq!((search("ferris"), search("rust two")), (2, 1));
        assert_eq!(recorded(&db), None);
    }

    /// A fill leaves a record that another process made while it ran, for that process or the
    /// next start.
    #[test]
    fn a_fill_removes_its_own_record_only() {
        let (_guard, db) = TestDatabase::connect();
        db.write(|c| Ok(record_unfilled(c, "reindex-2", "TRUE")?))
            .expect("record");
        fill_search_index(&db, "reindex-1").expect("fill");
        assert_eq!(recorded(&db).as_deref(), Some("reindex-2"));
        fill_search_index(&db, "reindex-2").expect("fill");
        assert_eq!(recorded(&db), None);
    }

    /// A reindex that reaches a bookmark while an edit of it is under way on PostgreSQL
    /// waits for the edit and indexes the edited bookmark, rather than writing the words it
    /// had before over the edit's document. (On SQLite writers take turns.)
    #[test]
    fn a_reindex_during_an_edit_keeps_the_edits_words() {
        use crate::model::{BookmarkChanges, BookmarkDraft, BookmarkUrl, Title};
        use std::sync::mpsc;
        let (guard, db) = TestDatabase::connect();
        if db.backend() != Backend::Postgres {
            return;
        }
        let alice = crate::test_db::add_user(&db, "alice").id;
        let draft = BookmarkDraft {
            url: BookmarkUrl::parse("https://e.com/1").expect("url"),
            changes: BookmarkChanges {
                title: Some(Title::parse("Ferris").expect("title")),
                ..BookmarkChanges::default()
            },
        };
        let saved = db
            .write(|c| crate::store::save_bookmark(c, alice, &draft))
            .expect("save");
        let public_id = saved.bookmark.public_id.clone();
        let editor = Database::open(&guard.url).expect("a second pool");
        let (edited, wait_for_edit) = mpsc::channel();
        let (commit, wait_for_commit) = mpsc::channel::<()>();
        let edit = std::thread::spawn(move || {
            let changes = BookmarkChanges {
                title: Some(Title::parse("Crab").expect("title")),
                ..BookmarkChanges::default()
            };
            editor.write(|c| {
                crate::store::update_bookmark(c, alice, &public_id, None, &changes)?;
                let _ = edited.send(());
                let _ = wait_for_commit.recv_timeout(std::time::Duration::from_secs(30));
                Ok(())
            })
        });
        wait_for_edit.recv().expect("the edit is under way");
        let reindexing = db.clone();
        let reindex = std::thread::spawn(move || reindexing.reindex());
        // The edit commits once the reindex waits for a lock (the edit's), having read or
        // tried to read the bookmark.
        let waiting = || {
            #[derive(diesel::QueryableByName)]
            struct Waiting {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                backends: i64,
            }
            db.read(|c| {
                Ok(diesel::sql_query(
                    "SELECT count(*) AS backends FROM pg_stat_activity \
                     WHERE datname = current_database() AND wait_event_type = 'Lock'",
                )
                .get_result::<Waiting>(c)?)
            })
            .expect("activity")
            .backends
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while waiting() == 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "the reindex never waited"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        commit.send(()).expect("commit the edit");
        edit.join().expect("edit thread").expect("edit");
        assert_eq!(reindex.join().expect("reindex thread").expect("reindex"), 1);
        let search = |words: &str| found_in(&db, alice, words, Some(alice)).len();
        assert_eq!((search("crab"), search("ferris")), (1, 0));
    }

    /// PostgreSQL's migration 000018 gives each search document written before it its
    /// bookmark's owner, and searches in the owner's bookmarks find them.
    #[test]
    fn postgresql_search_documents_written_before_000018_gain_their_owner() {
        let test_db = TestDatabase::new();
        let db = open_before(&test_db, "000018");
        if db.backend() != Backend::Postgres {
            return;
        }
        // Since 000013 a bookmark carries its tags' names; `OLDER_ROWS` gives it the empty
        // default for the moment, as that migration's did.
        db.read(|c| {
            c.batch_execute("ALTER TABLE bookmarks ALTER COLUMN tag_names SET DEFAULT ''")?;
            c.batch_execute(OLDER_ROWS)?;
            c.batch_execute(
                "ALTER TABLE bookmarks ALTER COLUMN tag_names DROP DEFAULT;
                 UPDATE bookmarks SET tag_names = 'rust';
                 INSERT INTO bookmark_tags (bookmark_id, tag_id, position, user_id, bookmark_created_at, tag_name)
                     VALUES (1, 10, 0, 7, '2026-01-02 00:00:00', 'rust'),
                            (2, 10, 0, 7, '2026-01-03 00:00:00', 'rust');
                 INSERT INTO bookmark_search (bookmark_id, document)
                     VALUES (1, array_to_tsvector(ARRAY['ferris', 'fe*', 'fer*', 'ferr*', 'ferri*', 'one', 'rust'])),
                            (2, array_to_tsvector(ARRAY['ferris', 'fe*', 'fer*', 'ferr*', 'ferri*', 'two', 'rust']));",
            )?;
            Ok(())
        })
        .expect("rows written by an older build");
        let applied = db.migrate().expect("migrate");
        assert!(applied.iter().any(|v| v.ends_with("000018")), "{applied:?}");
        #[derive(diesel::QueryableByName, Debug, PartialEq)]
        struct Owner {
            #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
            user_id: Option<i64>,
        }
        let owners: Vec<Owner> = db
            .read(|c| {
                Ok(
                    diesel::sql_query("SELECT user_id FROM bookmark_search ORDER BY bookmark_id")
                        .load(c)?,
                )
            })
            .expect("owners");
        assert_eq!(
            owners,
            [Owner { user_id: Some(7) }, Owner { user_id: Some(7) }]
        );
        assert_eq!(found(&db, "ferris", Some(7)), ["Ferris two", "Ferris one"]);
        assert_eq!(found(&db, "ferri", None), ["Ferris one"]);
    }

    /// Migration 000010 copies the tag links into a table without a rowid: every link, with
    /// its position and listing columns, is there afterwards, and so are the listing indexes.
    #[test]
    fn tag_links_survive_losing_their_rowid_and_gain_their_names() {
        use diesel::sql_types::{BigInt, Integer, Text};
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName, Debug, PartialEq)]
        struct Link {
            #[diesel(sql_type = BigInt)]
            bookmark_id: i64,
            #[diesel(sql_type = BigInt)]
            tag_id: i64,
            #[diesel(sql_type = Integer)]
            position: i32,
            #[diesel(sql_type = BigInt)]
            user_id: i64,
            #[diesel(sql_type = Text)]
            bookmark_created_at: String,
        }
        #[derive(diesel::QueryableByName)]
        struct Sql {
            #[diesel(sql_type = Text)]
            sql: String,
        }
        let links = "SELECT bookmark_id, tag_id, position, user_id, bookmark_created_at \
                     FROM bookmark_tags ORDER BY bookmark_id, tag_id";
        let table_sql = "SELECT sql FROM sqlite_master WHERE name = 'bookmark_tags'";

        let dir = tempfile::tempdir().expect("temporary directory");
        let url = dir.path().join("links.db").to_string_lossy().into_owned();
        let db = Database::open(&url).expect("open");
        let mut conn = db.connection().expect("connection");
        let DbConnection::Sqlite(c) = &mut **conn else {
            panic!("a file path opens SQLite");
        };
        run_until(c, SQLITE_MIGRATIONS, "000010");
        c.batch_execute(
            "INSERT INTO users (id, name, password_hash, public_key_pem, private_key_pem, created_at)
                 VALUES (7, 'alice', 'x', 'pub', 'priv', '2026-01-01 00:00:00');
             INSERT INTO bookmarks (id, public_id, user_id, url, title, visibility, created_at, updated_at)
                 VALUES (1, 'b1', 7, 'https://e.com/1', 'one', 'public', '2026-01-02 00:00:00', '2026-01-02 00:00:00'),
                        (2, 'b2', 7, 'https://e.com/2', 'two', 'private', '2026-01-03 00:00:00', '2026-01-03 00:00:00');
             INSERT INTO tags (id, name) VALUES (10, 'rust'), (11, 'web');
             INSERT INTO bookmark_tags (bookmark_id, tag_id, position, user_id, bookmark_created_at)
                 VALUES (1, 11, 0, 7, '2026-01-02 00:00:00'), (1, 10, 1, 7, '2026-01-02 00:00:00'),
                        (2, 10, 0, 7, '2026-01-03 00:00:00');",
        )
        .expect("rows before the migration");
        let before: Vec<Link> = diesel::sql_query(links).load(c).expect("links before");
        assert_eq!(before.len(), 3);

        c.run_pending_migrations(SQLITE_MIGRATIONS)
            .expect("the rest of the migrations");

        let after: Vec<Link> = diesel::sql_query(links).load(c).expect("links after");
        assert_eq!(after, before);
        // Migration 000012: every link carries its tag's name.
        let names: Vec<Sql> = diesel::sql_query(
            "SELECT tag_name AS sql FROM bookmark_tags ORDER BY bookmark_id, tag_id",
        )
        .load(c)
        .expect("names");
        let names: Vec<&str> = names.iter().map(|n| n.sql.as_str()).collect();
        assert_eq!(names, ["rust", "web", "rust"]);
        // Migration 000013: every bookmark carries its tags' names, in their positions' order.
        let carried: Vec<Sql> =
            diesel::sql_query("SELECT tag_names AS sql FROM bookmarks ORDER BY id")
                .load(c)
                .expect("bookmarks' tag names");
        let carried: Vec<&str> = carried.iter().map(|n| n.sql.as_str()).collect();
        assert_eq!(carried, ["web rust", "rust"]);
        let table: Vec<Sql> = diesel::sql_query(table_sql).load(c).expect("table");
        assert_eq!(table.len(), 1);
        assert!(table[0].sql.ends_with("WITHOUT ROWID"), "{}", table[0].sql);
        // A link written without its tag's name is refused, not stored with an empty one.
        let nameless = c.batch_execute(
            "INSERT INTO bookmark_tags (bookmark_id, tag_id, position, user_id, bookmark_created_at)
                 VALUES (2, 11, 1, 7, '2026-01-03 00:00:00')",
        );
        assert!(nameless.is_err(), "{nameless:?}");
        let indexes: Vec<Sql> = diesel::sql_query(
            "SELECT name AS sql FROM sqlite_master WHERE tbl_name = 'bookmark_tags' \
             AND type = 'index' AND sql IS NOT NULL ORDER BY name",
        )
        .load(c)
        .expect("indexes");
        let names: Vec<&str> = indexes.iter().map(|i| i.sql.as_str()).collect();
        assert_eq!(
            names,
            ["bookmark_tags_listing", "bookmark_tags_user_listing"]
        );
        // Deleting a bookmark still takes its links with it.
        c.batch_execute("DELETE FROM bookmarks WHERE id = 1")
            .expect("delete");
        let left: Vec<Link> = diesel::sql_query(links).load(c).expect("links left");
        assert_eq!(left.len(), 1);
    }
}
