//! Keeping PostgreSQL's search index's pending list short, from the server's background.
//!
//! The GIN index of search documents takes new entries into a pending list (its `fastupdate`),
//! and the insert that finds the list past 4 MB (`gin_pending_list_limit`) merges all of it into
//! the index itself, inside that request: with the suite's documents every few thousand creates
//! one took 121–183 ms where the others took about 1 ms (`auto_explain`: the search
//! document's insert, 17,499 buffers read; nineteenth performance round). Every search also reads
//! the whole list. Autovacuum merges it too, at most once a minute and not at all where it is
//! off. The server merges it every second instead (`web::maintenance`), so that requests do not
//! find the list full; SQLite's search index has no such list.

use super::connection::DbConnection;
use super::error::StoreError;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

/// The search documents' GIN index (migration `000005`).
const SEARCH_INDEX: &str = "bookmark_search_document";

#[derive(QueryableByName)]
struct Merged {
    #[diesel(sql_type = BigInt)]
    pages: i64,
}

/// Whether this server may merge the pending list: on PostgreSQL, when the database user owns
/// the index (or is a superuser), as `gin_clean_pending_list` requires.
pub fn may_clean_search_pending_list(conn: &mut DbConnection) -> Result<bool, StoreError> {
    match conn {
        DbConnection::Postgres(c) => super::pending_vacuum::owns(c, SEARCH_INDEX),
        DbConnection::Sqlite(_) => Ok(false),
    }
}

/// On PostgreSQL, merges the search index's pending list into the index and returns how many
/// of the list's pages it emptied (0 when there was nothing to merge); `None` on SQLite.
pub fn clean_search_pending_list(conn: &mut DbConnection) -> Result<Option<i64>, StoreError> {
    let DbConnection::Postgres(c) = conn else {
        return Ok(None);
    };
    let merged = diesel::sql_query(format!(
        "SELECT gin_clean_pending_list('{SEARCH_INDEX}'::regclass) AS pages"
    ))
    .get_result::<Merged>(c)?;
    Ok(Some(merged.pages))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BookmarkChanges, BookmarkDraft, BookmarkUrl, TagList, Title};
    use crate::store::Backend;
    use crate::test_db::{add_user, TestDatabase};

    #[test]
    fn the_pending_list_is_merged_and_then_empty() {
        let (_guard, db) = TestDatabase::connect();
        let clean = || {
            db.read(clean_search_pending_list)
                .expect("merge the pending list")
        };
        if db.backend() != Backend::Postgres {
            assert!(!db.read(may_clean_search_pending_list).expect("ownership"));
            assert_eq!(clean(), None);
            return;
        }
        assert!(
            db.read(may_clean_search_pending_list).expect("ownership"),
            "the tests' database user owns the index"
        );
        let alice = add_user(&db, "alice");
        for n in 0..40 {
            let draft = BookmarkDraft {
                url: BookmarkUrl::parse(&format!("https://pending.example/{n}")).expect("url"),
                changes: BookmarkChanges {
                    title: Some(Title::parse("Words for the pending list").expect("title")),
                    tags: Some(TagList::parse_each(&["search", "pending"]).expect("tags")),
                    ..BookmarkChanges::default()
                },
            };
            db.save_bookmark(alice.id, draft).expect("save");
        }
        assert!(
            clean().is_some_and(|pages| pages > 0),
            "the saves' search entries waited in the pending list"
        );
        assert_eq!(clean(), Some(0), "nothing left to merge");
    }
}
