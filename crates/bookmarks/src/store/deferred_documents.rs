//! Search documents of a group of saves, held back until the group's other statements are
//! written.
//!
//! FTS5 writes the documents it has collected out as a new segment of its index whenever a
//! statement opens a savepoint, and most of a save's statements do (multi-row inserts, the tag
//! totals' upsert). In a group of saves committed together ([`super::group_commit`]) every save
//! after the first would so write out the one before it's document: a segment per bookmark,
//! each later merged again. Held back and written after everything else, in rowid order, a
//! group's documents become one segment, written once at the commit.
//!
//! The documents are kept per thread while [`holding_back`] runs: a group is written by one
//! thread, inside one transaction, from start to end.

use super::connection::DbConnection;
use super::error::StoreError;
use super::search::{self, Document};
use std::cell::RefCell;

thread_local! {
    /// `Some` while this thread writes a group: the new bookmarks' documents not yet written.
    static HELD_BACK: RefCell<Option<Vec<Document<'static>>>> = const { RefCell::new(None) };
}

/// Runs `f` (inside the caller's transaction) with the documents of the bookmarks it creates
/// held back, then writes them, so that `f`'s other statements do not write them out one by
/// one. On an error nothing is written (the caller's transaction is rolled back).
pub(crate) fn holding_back<T>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    if holding() {
        return f(conn);
    }
    let holding = Holding::start();
    let value = f(conn)?;
    let mut documents = holding.finish();
    // In rowid order: FTS5 writes out what it has collected whenever a rowid comes lower than
    // the one before (a bookmark changed later in the group is held again at the end).
    documents.sort_unstable_by_key(|d| d.bookmark_id);
    search::insert_new_documents(conn, &documents)?;
    Ok(value)
}

/// Whether this thread is writing a group whose new documents are held back.
pub(crate) fn holding() -> bool {
    HELD_BACK.with(|held| held.borrow().is_some())
}

/// Keeps the document of a bookmark just created for the end of the group, when one is being
/// written on this thread; hands it back otherwise.
pub(crate) fn hold_back(document: Document<'static>) -> Option<Document<'static>> {
    HELD_BACK.with(|held| match held.borrow_mut().as_mut() {
        Some(documents) => {
            documents.push(document);
            None
        }
        None => Some(document),
    })
}

/// Takes back a held-back document of this bookmark, when there is one: the bookmark changed
/// or was deleted after it was created in the same group, so its document is replaced (held
/// back again, see `search::index_bookmark`) or dropped.
pub(crate) fn take_back(bookmark_id: i64) -> Option<Document<'static>> {
    HELD_BACK.with(|held| {
        let mut held = held.borrow_mut();
        let documents = held.as_mut()?;
        let position = documents
            .iter()
            .position(|d| d.bookmark_id == bookmark_id)?;
        Some(documents.swap_remove(position))
    })
}

/// This thread holds documents back until [`Holding::finish`], or until it is dropped (an error
/// or a panic in the group), which discards them.
struct Holding;

impl Holding {
    fn start() -> Self {
        HELD_BACK.with(|held| *held.borrow_mut() = Some(Vec::new()));
        Holding
    }

    fn finish(self) -> Vec<Document<'static>> {
        HELD_BACK.with(|held| held.borrow_mut().take().unwrap_or_default())
    }
}

impl Drop for Holding {
    fn drop(&mut self) {
        HELD_BACK.with(|held| *held.borrow_mut() = None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BookmarkChanges, BookmarkDraft, BookmarkUrl, TagList, Title};
    use crate::store::{
        delete_bookmark, list_bookmarks, save_bookmark, BookmarkFilter, Database, Scope,
    };
    use crate::test_db::{add_user, TestDatabase};
    use diesel::sql_types::BigInt;
    use diesel::RunQueryDsl;

    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    fn documents_in_index(c: &mut DbConnection) -> i64 {
        diesel::sql_query("SELECT count(*) AS n FROM bookmark_search")
            .get_result::<Count>(c)
            .expect("count the index's documents")
            .n
    }

    fn draft(path: &str, title: &str) -> BookmarkDraft {
        BookmarkDraft {
            url: BookmarkUrl::parse(&format!("https://example.com/{path}")).expect("url"),
            changes: BookmarkChanges {
                title: Some(Title::parse(title).expect("title")),
                tags: Some(TagList::parse_each(&["held"]).expect("tags")),
                ..BookmarkChanges::default()
            },
        }
    }

    fn found(db: &Database, owner: i64, words: &str) -> Vec<String> {
        let mut filter = BookmarkFilter::new(Scope::User { owner }, Some(owner));
        filter.search = Some(words.into());
        let page = db.read(|c| list_bookmarks(c, &filter)).expect("search");
        page.items
            .into_iter()
            .map(|b| b.title.as_str().to_owned())
            .collect()
    }

    /// A group's new documents are written after its saves, once; a bookmark changed or
    /// deleted after it was created in the same group gets its last document, or none.
    #[test]
    fn a_groups_documents_are_written_at_its_end_as_they_last_were() {
        let (_guard, db) = TestDatabase::connect();
        let alice = add_user(&db, "alice").id;
        db.write(|c| {
            holding_back(c, |c| {
                save_bookmark(c, alice, &draft("a", "Alpha first"))?;
                save_bookmark(c, alice, &draft("b", "Beta"))?;
                assert_eq!(documents_in_index(c), 0, "held back until the end");
                // The same address again: the bookmark created above changes.
                save_bookmark(c, alice, &draft("a", "Gamma second"))?;
                let doomed = save_bookmark(c, alice, &draft("c", "Delta"))?;
                delete_bookmark(c, alice, &doomed.bookmark.public_id)?;
                assert_eq!(documents_in_index(c), 0, "still held back");
                Ok(())
            })
        })
        .expect("the group");
        assert_eq!(db.read(|c| Ok(documents_in_index(c))).expect("count"), 2);
        assert_eq!(found(&db, alice, "gamma"), vec!["Gamma second"]);
        assert_eq!(found(&db, alice, "alpha"), Vec::<String>::new());
        assert_eq!(found(&db, alice, "beta"), vec!["Beta"]);
        assert_eq!(found(&db, alice, "delta"), Vec::<String>::new());
        // Outside a group a new bookmark's document is written with it.
        db.write(|c| {
            save_bookmark(c, alice, &draft("e", "Epsilon"))?;
            assert_eq!(documents_in_index(c), 3);
            Ok(())
        })
        .expect("a save alone");
    }

    /// A group that fails writes none of its documents, and leaves this thread holding none
    /// back, so the next save writes its own.
    #[test]
    fn a_failed_group_holds_nothing_back_afterwards() {
        let (_guard, db) = TestDatabase::connect();
        let alice = add_user(&db, "alice").id;
        let failed: Result<(), StoreError> = db.write(|c| {
            holding_back(c, |c| {
                save_bookmark(c, alice, &draft("a", "Alpha"))?;
                Err(StoreError::Conflict("refused".into()))
            })
        });
        assert!(matches!(failed, Err(StoreError::Conflict(_))), "{failed:?}");
        assert!(HELD_BACK.with(|held| held.borrow().is_none()));
        db.write(|c| save_bookmark(c, alice, &draft("b", "Beta")))
            .expect("a save alone");
        assert_eq!(db.read(|c| Ok(documents_in_index(c))).expect("count"), 1);
        assert_eq!(found(&db, alice, "beta"), vec!["Beta"]);
        assert_eq!(found(&db, alice, "alpha"), Vec::<String>::new());
    }
}
