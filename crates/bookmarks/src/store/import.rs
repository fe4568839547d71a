//! Importing many bookmarks at once: one transaction per batch, multi-row inserts for the
//! bookmarks and their tags, their search documents a batch to a segment, and one event for the
//! batch (unless it federates), so 100,000 bookmarks take seconds, not minutes. Run each batch
//! inside [`super::Database::write`]; an interrupted import leaves whole batches only, and
//! running it again skips what is already there.

use super::bookmarks::{apply_changes, owned_bookmark};
use super::connection::{on_each_backend, DbConnection};
use super::error::StoreError;
use super::events::event_row;
use super::now;
use super::schema::{bookmarks, domain_events};
use super::search;
use super::stored_time::WrittenTime;
use super::tag_totals::{self, Tagged};
use super::tags::{
    ensure_tags, insert_kept_chunks, insert_links, LinkedBookmark, NewLink, ROWS_PER_INSERT,
};
use crate::model::{BookmarkChanges, BookmarkSnapshot, DomainEvent, ImportedBookmark, OnDuplicate};
use diesel::prelude::*;
use std::collections::HashMap;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct BatchReport {
    pub created: usize,
    pub updated: usize,
    /// Index in the batch and why that entry was not imported.
    pub skipped: Vec<(usize, String)>,
}

/// A batch of an import with the part of its writing that needs no database done: each entry's
/// search document. Made on another thread while the batch before it is written
/// ([`import_prepared_batch`]), it takes that work off the one thread that writes to SQLite.
pub struct PreparedBatch<'a> {
    entries: &'a [ImportedBookmark],
    /// Each entry's search document ([`search::document`]), in the entries' order.
    documents: Vec<String>,
}

impl<'a> PreparedBatch<'a> {
    pub fn new(entries: &'a [ImportedBookmark]) -> Self {
        let documents = entries
            .iter()
            .map(|entry| {
                search::document(
                    entry.title.as_str(),
                    entry.notes.as_str(),
                    entry.url.as_str(),
                    &entry.tags.names(),
                )
            })
            .collect();
        PreparedBatch { entries, documents }
    }

    /// How many entries the batch holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Imports one batch for `user_id`. URLs must be distinct within the batch (the caller dedupes
/// the file). With `federate` true each new bookmark records a `BookmarkCreated` event, which
/// federation sends; with `federate` false the batch records one `ImportBatch` event, which
/// it does not.
pub fn import_batch(
    conn: &mut DbConnection,
    user_id: i64,
    batch: &[ImportedBookmark],
    on_duplicate: OnDuplicate,
    federate: bool,
) -> Result<BatchReport, StoreError> {
    let prepared = PreparedBatch::new(batch);
    import_prepared_batch(conn, user_id, &prepared, on_duplicate, federate)
}

/// [`import_batch`] for a batch prepared beforehand ([`PreparedBatch`]).
pub fn import_prepared_batch(
    conn: &mut DbConnection,
    user_id: i64,
    batch: &PreparedBatch<'_>,
    on_duplicate: OnDuplicate,
    federate: bool,
) -> Result<BatchReport, StoreError> {
    // An import touches many index pages: a larger cache on the importing connection, for the
    // batch only, since the connection goes back to the server's pool afterwards.
    set_sqlite_cache(conn, super::connection::SQLITE_IMPORT_CACHE_KIB)?;
    let imported = import_into(conn, user_id, batch, on_duplicate, federate);
    let reset = set_sqlite_cache(conn, super::connection::SQLITE_CACHE_KIB);
    // The import's own error, if it failed, is the one to report.
    let report = imported?;
    reset?;
    Ok(report)
}

/// Creates every tag of `entries` that does not exist yet, before an import's batches (on
/// PostgreSQL): two batches creating the same tag would otherwise meet on its unique name,
/// the second waiting for the first's commit and then running again from its start, and a
/// batch creating one before it holds its owner's totals could wait for a tag rename that
/// holds them and creates the same tag. A tag is a name shared by every user, so one left
/// unused by an import that stopped is harmless.
pub fn create_import_tags(
    conn: &mut DbConnection,
    entries: &[ImportedBookmark],
) -> Result<(), StoreError> {
    let distinct: std::collections::BTreeSet<&str> =
        entries.iter().flat_map(|e| e.tags.iter()).collect();
    let names: Vec<String> = distinct.into_iter().map(str::to_owned).collect();
    ensure_tags(conn, &names).map(|_| ())
}

/// Sets a SQLite connection's page cache (at most, in KiB); nothing on PostgreSQL.
fn set_sqlite_cache(conn: &mut DbConnection, kib: u32) -> Result<(), StoreError> {
    if let DbConnection::Sqlite(sqlite) = conn {
        diesel::connection::SimpleConnection::batch_execute(
            sqlite,
            &format!("PRAGMA cache_size = -{kib}"),
        )?;
    }
    Ok(())
}

fn import_into(
    conn: &mut DbConnection,
    user_id: i64,
    prepared: &PreparedBatch<'_>,
    on_duplicate: OnDuplicate,
    federate: bool,
) -> Result<BatchReport, StoreError> {
    let batch = prepared.entries;
    let mut report = BatchReport::default();
    let urls: Vec<&str> = batch.iter().map(|b| b.url.as_str()).collect();
    let existing: HashMap<String, String> = bookmarks::table
        .filter(bookmarks::user_id.eq(user_id))
        .filter(bookmarks::url.eq_any(&urls))
        .select((bookmarks::url, bookmarks::public_id))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();

    let mut totals = TotalsHold::default();
    let mut new_entries = Vec::new();
    for (index, entry) in batch.iter().enumerate() {
        match (existing.get(entry.url.as_str()), on_duplicate) {
            (None, _) => new_entries.push(index),
            (Some(_), OnDuplicate::Skip) => report
                .skipped
                .push((index, format!("{} is already saved", entry.url))),
            (Some(public_id), OnDuplicate::Update) => {
                let changes = BookmarkChanges {
                    title: Some(entry.title.clone()),
                    description: Some(entry.description.clone()),
                    notes: Some(entry.notes.clone()),
                    tags: Some(entry.tags.clone()),
                    visibility: Some(entry.visibility),
                    unread: Some(entry.unread),
                    created_at: entry.created_at,
                };
                // The owner's totals first, then the bookmark's row, in the order a tag
                // rename takes them, so that the two wait for each other rather than deadlock.
                totals.hold(conn, user_id)?;
                // Locked and read again: on PostgreSQL another request may have deleted it, or
                // moved it to another address, since the batch looked. Then the entry's
                // address is no longer saved, and the entry is imported as new.
                match owned_bookmark(conn, user_id, public_id) {
                    Ok(bookmark) if bookmark.url == entry.url => {
                        apply_changes(conn, bookmark, None, &changes)?;
                        report.updated += 1;
                    }
                    Ok(_) | Err(StoreError::NotFound(_)) => new_entries.push(index),
                    Err(e) => return Err(e),
                }
            }
        }
    }
    if new_entries.is_empty() {
        return Ok(report);
    }
    // The entries to create, and where they are in the batch (for their prepared documents).
    let (new_indexes, new_entries): (Vec<usize>, Vec<&ImportedBookmark>) = new_entries
        .into_iter()
        .map(|index| (index, &batch[index]))
        .unzip();

    let imported_at = now();
    let public_ids: Vec<String> = new_entries
        .iter()
        .map(|_| uuid::Uuid::now_v7().simple().to_string())
        .collect();
    // Owned, so that the full statements are kept compiled (`insert_kept_chunks`).
    let rows: Vec<_> = new_entries
        .iter()
        .zip(&public_ids)
        .map(|(entry, public_id)| {
            let created_at = entry.created_at.unwrap_or(imported_at);
            (
                bookmarks::public_id.eq(public_id.clone()),
                bookmarks::user_id.eq(user_id),
                bookmarks::url.eq(entry.url.as_str().to_owned()),
                bookmarks::title.eq(entry.title.as_str().to_owned()),
                bookmarks::description.eq(entry.description.as_str().to_owned()),
                bookmarks::notes.eq(entry.notes.as_str().to_owned()),
                bookmarks::visibility.eq(entry.visibility.as_str()),
                bookmarks::unread.eq(entry.unread),
                bookmarks::created_at.eq(WrittenTime(created_at)),
                bookmarks::updated_at.eq(WrittenTime(
                    entry.updated_at.unwrap_or(created_at).max(created_at),
                )),
                bookmarks::tag_names.eq(entry.tags.stored_text()),
            )
        })
        .collect();
    // Each new bookmark's id, by its public id (the order of a statement's returned rows is
    // not defined).
    let mut ids: HashMap<String, i64> = HashMap::with_capacity(rows.len());
    insert_kept_chunks!(
        conn,
        bookmarks::table,
        rows,
        ROWS_PER_INSERT / 2,
        returning (bookmarks::public_id, bookmarks::id) => (String, i64),
        ids
    );
    drop(rows);
    // Every bookmark's tag links and search document are found through its id below.
    if ids.len() != new_entries.len() {
        return Err(StoreError::Conflict(format!(
            "the batch's insert returned {} ids for {} new bookmarks; nothing of it was stored",
            ids.len(),
            new_entries.len()
        )));
    }

    let names: Vec<String> = new_entries.iter().flat_map(|e| e.tags.names()).collect();
    let tag_ids = ensure_tags(conn, &names)?;
    let mut links: Vec<NewLink<'_>> = new_entries
        .iter()
        .zip(&public_ids)
        .filter_map(|(entry, public_id)| {
            let bookmark = LinkedBookmark {
                id: *ids.get(public_id)?,
                user_id,
                created_at: entry.created_at.unwrap_or(imported_at),
            };
            Some((bookmark, entry))
        })
        .flat_map(|(bookmark, entry)| {
            entry
                .tags
                .iter()
                .enumerate()
                .filter_map(|(position, tag)| {
                    tag_ids.get(tag).map(|tag_id| NewLink {
                        bookmark,
                        tag_id: *tag_id,
                        tag_name: tag,
                        position,
                    })
                })
                .collect::<Vec<_>>()
        })
        .collect();
    // In the order of the tag listing indexes, so that each of their pages is written once per
    // batch rather than once per link that falls on it.
    links.sort_unstable_by_key(|link| (link.tag_id, link.bookmark.created_at, link.bookmark.id));
    insert_links(conn, &links)?;
    let documents: Vec<search::Document> = new_indexes
        .iter()
        .zip(&public_ids)
        .filter_map(|(&index, public_id)| {
            Some(search::Document {
                bookmark_id: *ids.get(public_id)?,
                owner_id: user_id,
                words: prepared.documents.get(index)?.as_str().into(),
            })
        })
        .collect();
    // New bookmarks have no documents to replace.
    search::insert_new_documents(conn, &documents)?;
    let tag_names: Vec<Vec<String>> = new_entries.iter().map(|e| e.tags.names()).collect();
    totals.hold(conn, user_id)?;
    tag_totals::adjust(
        conn,
        user_id,
        new_entries.iter().zip(&tag_names).map(|(entry, tags)| {
            (
                None,
                Some(Tagged {
                    tags,
                    visibility: entry.visibility,
                }),
            )
        }),
    )?;

    if federate {
        // Followers are sent each bookmark, built from its event's snapshot.
        let events = new_entries
            .iter()
            .zip(&public_ids)
            .map(|(entry, public_id)| {
                let event = DomainEvent::BookmarkCreated {
                    bookmark: BookmarkSnapshot {
                        public_id: public_id.clone(),
                        url: entry.url.to_string(),
                        title: entry.title.as_str().to_owned(),
                        notes: entry.notes.as_str().to_owned(),
                        tags: entry.tags.names(),
                        visibility: entry.visibility.as_str().to_owned(),
                        unread: entry.unread,
                    },
                };
                event_row(user_id, &event, imported_at)
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        for chunk in events.chunks(ROWS_PER_INSERT) {
            on_each_backend!(conn, |c| diesel::insert_into(domain_events::table)
                .values(chunk)
                .execute(c))?;
        }
    } else {
        let visible = new_entries
            .iter()
            .filter(|e| e.visibility.is_open())
            .count();
        let event = DomainEvent::ImportBatch {
            count: u64::try_from(new_entries.len()).unwrap_or(u64::MAX),
            visible: u64::try_from(visible).unwrap_or(u64::MAX),
        };
        on_each_backend!(conn, |c| diesel::insert_into(domain_events::table)
            .values(event_row(user_id, &event, imported_at)?)
            .execute(c))?;
    }
    report.created = new_entries.len();
    Ok(report)
}

/// The owner's tag totals, held ([`tag_totals::hold_owners_totals`]) from a batch's first
/// duplicate to update or, without one, from its adjustment of the totals near its end, not
/// from its start: on PostgreSQL the batches of one import that only add bookmarks then write
/// them, their tag links and search documents side by side, and take turns only for the
/// totals, the event and the commit. Before the hold a batch locks nothing a tag rename could
/// want (its tags exist: [`create_import_tags`]; its rows are new), so that it cannot wait for
/// a rename that waits for it. (A holder saving one of the batch's new addresses, such as
/// another import's updating batch, waits for it, and PostgreSQL breaks that rare deadlock;
/// [`super::Database::write`] runs the loser again.)
#[derive(Default)]
struct TotalsHold {
    held: bool,
}

impl TotalsHold {
    fn hold(&mut self, conn: &mut DbConnection, user_id: i64) -> Result<(), StoreError> {
        if !self.held {
            tag_totals::hold_owners_totals(conn, user_id)?;
            self.held = true;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BookmarkUrl, TagList, Title, Visibility};
    use crate::store::connection::SQLITE_CACHE_KIB;
    use crate::store::Backend;
    use crate::test_db::{add_user, TestDatabase};
    use diesel::sql_types::BigInt;

    #[derive(diesel::QueryableByName)]
    struct CacheSize {
        #[diesel(sql_type = BigInt)]
        cache_size: i64,
    }

    fn cache_kib(c: &mut DbConnection) -> i64 {
        -diesel::sql_query("PRAGMA cache_size")
            .get_result::<CacheSize>(c)
            .expect("read the page cache's size")
            .cache_size
    }

    #[test]
    fn a_batch_leaves_its_connection_with_the_usual_page_cache() {
        let (_guard, db) = TestDatabase::connect();
        if db.backend() != Backend::Sqlite {
            return;
        }
        let alice = add_user(&db, "alice");
        let entry = ImportedBookmark {
            url: BookmarkUrl::parse("https://example.com/cache").expect("url"),
            title: Title::parse("Cache").expect("title"),
            description: Default::default(),
            notes: Default::default(),
            tags: TagList::parse_each(&["cache"]).expect("tags"),
            visibility: Visibility::Public,
            unread: false,
            created_at: None,
            updated_at: None,
        };
        // Without the reset the connection would keep the import's 16 MB in the pool.
        let after = db
            .write(|c| {
                let report = import_batch(
                    c,
                    alice.id,
                    std::slice::from_ref(&entry),
                    OnDuplicate::Skip,
                    false,
                )?;
                assert_eq!(report.created, 1);
                Ok(cache_kib(c))
            })
            .expect("import a batch");
        assert_eq!(after, i64::from(SQLITE_CACHE_KIB));
    }

    fn numbered_entries(from: usize, count: usize) -> Vec<ImportedBookmark> {
        (from..from + count)
            .map(|i| ImportedBookmark {
                url: BookmarkUrl::parse(&format!("https://example.com/{i}")).expect("url"),
                title: Title::parse(&format!("Page {i}")).expect("title"),
                description: Default::default(),
                notes: Default::default(),
                tags: TagList::parse_each(&[format!("t{}", i % 7), format!("u{}", i % 3)])
                    .expect("tags"),
                visibility: Visibility::Public,
                unread: false,
                created_at: None,
                updated_at: None,
            })
            .collect()
    }

    /// Batches of more rows than one statement takes: whole statements (kept compiled) and the
    /// rest, twice over, store every bookmark and link once with its own values.
    #[test]
    fn batches_larger_than_a_statement_store_every_row_with_its_values() {
        let (_guard, db) = TestDatabase::connect();
        let alice = add_user(&db, "alice");
        for (from, count) in [(0, 2_300), (2_300, 1_200)] {
            let batch = numbered_entries(from, count);
            let report = db
                .write(|c| import_batch(c, alice.id, &batch, OnDuplicate::Skip, false))
                .expect("import a batch");
            assert_eq!(report.created, count);
        }
        let mut stored: Vec<(String, String, String)> = db
            .read(|c| {
                Ok(bookmarks::table
                    .filter(bookmarks::user_id.eq(alice.id))
                    .select((bookmarks::url, bookmarks::title, bookmarks::tag_names))
                    .load(c)?)
            })
            .expect("bookmarks");
        stored.sort();
        let mut expected: Vec<(String, String, String)> = (0..3_500)
            .map(|i| {
                (
                    format!("https://example.com/{i}"),
                    format!("Page {i}"),
                    format!("t{} u{}", i % 7, i % 3),
                )
            })
            .collect();
        expected.sort();
        assert_eq!(stored, expected);
        use crate::store::schema::bookmark_tags;
        let mut links: Vec<(String, String, i32)> = db
            .read(|c| {
                Ok(bookmark_tags::table
                    .inner_join(bookmarks::table)
                    .select((
                        bookmarks::url,
                        bookmark_tags::tag_name,
                        bookmark_tags::position,
                    ))
                    .load(c)?)
            })
            .expect("links");
        links.sort();
        let mut expected_links: Vec<(String, String, i32)> = (0..3_500)
            .flat_map(|i| {
                let url = format!("https://example.com/{i}");
                [
                    (url.clone(), format!("t{}", i % 7), 0),
                    (url, format!("u{}", i % 3), 1),
                ]
            })
            .collect();
        expected_links.sort();
        assert_eq!(links, expected_links);
    }
}
