//! Runs an import: batches of entries, each in its own transaction, with progress reported
//! after each batch. Stopping half-way (an error, Ctrl-C) leaves whole batches only; running the
//! same import again skips what is already saved.

use super::{FileFormat, ParsedFile, Skipped};
use bookmarks::model::OnDuplicate;
use bookmarks::store;
use bookmarks::{Database, StoreError};

#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    pub on_duplicate: OnDuplicate,
    /// Send the imported bookmarks to followers (off by default).
    pub federate: bool,
    pub batch_size: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            on_duplicate: OnDuplicate::Skip,
            federate: false,
            batch_size: 2_000,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ImportReport {
    pub format: FileFormat,
    pub total: usize,
    pub created: usize,
    pub updated: usize,
    pub skipped: Vec<Skipped>,
}

/// Imports `parsed` for `user_id`; `progress(done, total)` is called after every batch.
pub fn run_import(
    db: &Database,
    user_id: i64,
    parsed: ParsedFile,
    options: ImportOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportReport, StoreError> {
    let ParsedFile {
        format,
        total,
        entries,
        numbers,
        mut skipped,
    } = parsed;
    let mut report = ImportReport {
        format,
        total,
        created: 0,
        updated: 0,
        skipped: Vec::new(),
    };
    let batch_size = options.batch_size.max(1);
    let mut done = skipped.len();
    progress(done, total);
    // The search index merges once, after the last batch, not after every batch.
    store::bulk_indexing::begin(db)?;
    let mut import_batches = || -> Result<(), StoreError> {
        for (batch_index, batch) in entries.chunks(batch_size).enumerate() {
            let offset = batch_index * batch_size;
            let result = db.write(|c| {
                store::import_batch(c, user_id, batch, options.on_duplicate, options.federate)
            })?;
            report.created += result.created;
            report.updated += result.updated;
            skipped.extend(result.skipped.into_iter().map(|(index, reason)| {
                Skipped {
                    entry: numbers.get(offset + index).copied().unwrap_or_default(),
                    url: batch
                        .get(index)
                        .map(|b| b.url.to_string())
                        .unwrap_or_default(),
                    reason,
                }
            }));
            done += batch.len();
            progress(done, total);
        }
        Ok(())
    };
    let imported = import_batches();
    // Also after a failed batch: the batches before it are stored and searchable.
    let merged = store::bulk_indexing::end(db, report.created + report.updated);
    imported?;
    merged?;
    db.analyze()?;
    skipped.sort_by_key(|s| s.entry);
    report.skipped = skipped;
    Ok(report)
}
