//! Writing many documents to SQLite's full-text index at once (an import, a rebuild).
//!
//! FTS5 keeps its index as segments. It collects a transaction's new entries in memory and
//! writes them out as a new segment whenever they pass `hashsize` (1 MB) and at commit; after
//! each transaction it merges any level that holds `automerge` (4) segments into one segment of
//! the next level, and any level that reaches `crisismerge` (16) at once. A bulk write therefore
//! wrote a batch of 10,000 bookmarks as eight segments (twenty with multi-row inserts, see
//! `search::write_documents`) and rewrote the same entries once per level as the index grew: an
//! import of 100,000 bookmarks spent a fifth of its time merging.
//!
//! During a bulk write the index collects up to 8 MB before writing a segment (one per batch)
//! and does not merge, up to 64 segments a level. Afterwards it is merged once:
//!
//! - into a single segment (`optimize`) when the bulk write wrote at least a quarter of the
//!   index. A single segment is also what searches read fastest: at 100,000 bookmarks a search
//!   took 2.3–2.5 ms on it, against 3.8–4.2 ms with the segments that merging as it goes leaves.
//! - otherwise, as FTS5 would have merged it (a `merge` of the levels that are due), so that a
//!   small import into a large index does not rewrite the whole index.
//!
//! These settings are the index's own (FTS5 stores them in the database), so they also hold for
//! the other connections while a bulk write runs. A bulk write that was killed half-way leaves
//! them set; [`super::Database::connect`] puts them back.
//!
//! PostgreSQL's GIN index needs none of this: new entries go to its pending list, which
//! [`super::Database::analyze`] merges after an import.

use super::connection::DbConnection;
use super::error::StoreError;
use super::schema::bookmarks;
use super::Database;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

/// FTS5's own defaults, which the index has outside bulk writes.
const USUAL_SETTINGS: MergeSettings = MergeSettings {
    automerge: 4,
    crisismerge: 16,
    hashsize: 1024 * 1024,
};
/// During a bulk write: no merging until a level holds 64 segments, and a segment written out
/// every 8 MB of entries (a batch of 10,000 of the benchmark's bookmarks fits in one).
const BULK_SETTINGS: MergeSettings = MergeSettings {
    automerge: 0,
    crisismerge: 64,
    hashsize: 8 * 1024 * 1024,
};

/// The index's settings of when it writes segments out and merges them (FTS5's names).
struct MergeSettings {
    automerge: i64,
    crisismerge: i64,
    hashsize: i64,
}

/// Pages written per `merge` step; each step is its own transaction, so a running server's
/// writes are not held up for the whole merge.
const PAGES_PER_MERGE_STEP: i64 = 2_000;

/// Merge steps at most, so that a merge that never reports it is done cannot loop forever
/// (2,000 steps of 2,000 pages of 4 kB is 16 GB written, far more than any index here).
const MAX_MERGE_STEPS: usize = 2_000;

/// Sets the index up for a bulk write until [`end`]. Nothing to do on PostgreSQL.
pub fn begin(db: &Database) -> Result<(), StoreError> {
    apply(db, &BULK_SETTINGS)
}

/// Puts the index's usual settings back and merges what the bulk write left, which wrote
/// `written` documents (new or rewritten): the whole index into one segment when that is at
/// least a quarter of it, otherwise the levels that are due (none, after a bulk write that
/// wrote nothing).
pub fn end(db: &Database, written: usize) -> Result<(), StoreError> {
    if db.backend() != super::Backend::Sqlite {
        return Ok(());
    }
    apply(db, &USUAL_SETTINGS)?;
    let indexed: i64 = db.read(|c| Ok(bookmarks::table.count().get_result(c)?))?;
    let written = i64::try_from(written).unwrap_or(i64::MAX);
    if written > 0 && written.saturating_mul(4) >= indexed {
        return db.write(|c| {
            c.batch_execute("INSERT INTO bookmark_search(bookmark_search) VALUES ('optimize')")?;
            Ok(())
        });
    }
    for _ in 0..MAX_MERGE_STEPS {
        if !db.write(merge_step)? {
            return Ok(());
        }
    }
    tracing::warn!(
        steps = MAX_MERGE_STEPS,
        "the search index was still merging; it will go on merging as bookmarks are saved"
    );
    Ok(())
}

/// Puts the index's usual settings back if a bulk write was stopped before it could (on opening
/// the database). Reads one row when there is nothing to do.
pub(crate) fn resume_merging(db: &Database) -> Result<(), StoreError> {
    if db.backend() != super::Backend::Sqlite {
        return Ok(());
    }
    if automerge(db)? == Some(0) {
        tracing::info!("an earlier import stopped half-way; the search index merges again");
        apply(db, &USUAL_SETTINGS)?;
    }
    Ok(())
}

/// The index's `automerge` setting, `None` when it was never set (FTS5's default applies).
fn automerge(db: &Database) -> Result<Option<i64>, StoreError> {
    #[derive(QueryableByName)]
    struct Setting {
        #[diesel(sql_type = Nullable<BigInt>)]
        v: Option<i64>,
    }
    db.read(|c| {
        Ok(diesel::sql_query(
            "SELECT CAST(v AS INTEGER) AS v FROM bookmark_search_config WHERE k = ?",
        )
        .bind::<Text, _>("automerge")
        .get_result::<Setting>(c)
        .optional()?
        .and_then(|setting| setting.v))
    })
}

fn apply(db: &Database, settings: &MergeSettings) -> Result<(), StoreError> {
    if db.backend() != super::Backend::Sqlite {
        return Ok(());
    }
    let MergeSettings {
        automerge,
        crisismerge,
        hashsize,
    } = settings;
    db.write(|c| {
        c.batch_execute(&format!(
            "INSERT INTO bookmark_search(bookmark_search, rank) VALUES ('automerge', {automerge});
             INSERT INTO bookmark_search(bookmark_search, rank) VALUES ('crisismerge', {crisismerge});
             INSERT INTO bookmark_search(bookmark_search, rank) VALUES ('hashsize', {hashsize});"
        ))?;
        Ok(())
    })
}

/// One step of merging the levels that are due; false when there was nothing to merge (FTS5
/// changes fewer than two rows then).
fn merge_step(conn: &mut DbConnection) -> Result<bool, StoreError> {
    #[derive(QueryableByName)]
    struct Changes {
        #[diesel(sql_type = BigInt)]
        changes: i64,
    }
    let total_changes = |c: &mut DbConnection| -> Result<i64, StoreError> {
        Ok(diesel::sql_query("SELECT total_changes() AS changes")
            .get_result::<Changes>(c)?
            .changes)
    };
    let before = total_changes(conn)?;
    conn.batch_execute(&format!(
        "INSERT INTO bookmark_search(bookmark_search, rank) VALUES ('merge', {PAGES_PER_MERGE_STEP})"
    ))?;
    Ok(total_changes(conn)? - before >= 2)
}
