//! Runs an import: batches of entries, each in its own transaction, with progress reported
//! after each batch. Stopping half-way (an error, Ctrl-C) leaves whole batches only; running the
//! same import again skips what is already saved.

use super::{FileFormat, ParsedFile, Skipped};
use bookmarks::model::{ImportedBookmark, OnDuplicate};
use bookmarks::store::{self, Backend, PreparedBatch};
use bookmarks::{Database, StoreError};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread::{Scope, ScopedJoinHandle};

#[derive(Debug, Clone, Copy)]
pub struct ImportOptions {
    pub on_duplicate: OnDuplicate,
    /// Send the imported bookmarks to followers (off by default).
    pub federate: bool,
    pub batch_size: usize,
    /// Batches written at once, each in its own transaction on its own connection. Only
    /// PostgreSQL writes them side by side (its server then works on as many cores); SQLite
    /// writes one transaction at a time, so it always takes one.
    pub writers: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            on_duplicate: OnDuplicate::Skip,
            federate: false,
            batch_size: 2_000,
            writers: 1,
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

/// Batches written at once at most, whatever a caller asks: well inside a pool of PostgreSQL
/// connections (16).
const MAX_WRITERS: usize = 4;

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
        skipped,
    } = parsed;
    let mut import = Progress::start(format, total, skipped, progress);
    // The search index merges once, after the last batch, not after every batch.
    store::bulk_indexing::begin(db)?;
    let imported = write_entries(db, user_id, &entries, &numbers, options, &mut import);
    import.finish(db, imported)
}

/// An import's report so far, and its caller's progress callback.
pub(super) struct Progress<'a> {
    pub report: ImportReport,
    /// Entries written, or skipped as they were read.
    pub done: usize,
    pub progress: &'a mut dyn FnMut(usize, usize),
}

impl<'a> Progress<'a> {
    /// Starts the report of an import of `total` entries of which `skipped` were skipped as
    /// they were read, and reports them done.
    pub fn start(
        format: FileFormat,
        total: usize,
        skipped: Vec<Skipped>,
        progress: &'a mut dyn FnMut(usize, usize),
    ) -> Self {
        let mut import = Progress {
            done: skipped.len(),
            report: ImportReport {
                format,
                total,
                created: 0,
                updated: 0,
                skipped,
            },
            progress,
        };
        import.advance(0);
        import
    }

    /// Adds `written` entries to those done and reports it.
    pub fn advance(&mut self, written: usize) {
        self.done += written;
        (self.progress)(self.done, self.report.total);
    }

    /// Adds a batch's outcome; `numbers` and `batch` are the batch's entries' numbers in the
    /// file and the entries.
    pub fn add_batch(
        &mut self,
        result: store::BatchReport,
        batch: &[ImportedBookmark],
        numbers: &[usize],
    ) {
        self.report.created += result.created;
        self.report.updated += result.updated;
        self.report
            .skipped
            .extend(result.skipped.into_iter().map(|(at, reason)| Skipped {
                entry: numbers.get(at).copied().unwrap_or_default(),
                url: batch.get(at).map(|b| b.url.to_string()).unwrap_or_default(),
                reason,
            }));
        self.advance(batch.len());
    }

    /// Ends the import whose batches ended with `imported`: merges the search index (also
    /// after a failed batch: the batches that committed are stored and searchable) and
    /// refreshes the planner's statistics.
    pub fn finish(
        mut self,
        db: &Database,
        imported: Result<(), StoreError>,
    ) -> Result<ImportReport, StoreError> {
        let merged = store::bulk_indexing::end(db, self.report.created + self.report.updated);
        imported?;
        merged?;
        db.analyze()?;
        self.report.skipped.sort_by_key(|s| s.entry);
        Ok(self.report)
    }
}

/// How many batches an import writes at once: as many as `options` asks on PostgreSQL (at most
/// [`MAX_WRITERS`]), one on SQLite.
pub(super) fn writers(db: &Database, options: ImportOptions) -> usize {
    match db.backend() {
        Backend::Postgres => options.writers.clamp(1, MAX_WRITERS),
        Backend::Sqlite => 1,
    }
}

/// Writes `entries` (numbered `numbers` in the file) in batches, each in its own transaction,
/// as many at once as `options` and the backend allow.
pub(super) fn write_entries(
    db: &Database,
    user_id: i64,
    entries: &[ImportedBookmark],
    numbers: &[usize],
    options: ImportOptions,
    import: &mut Progress<'_>,
) -> Result<(), StoreError> {
    if entries.is_empty() {
        return Ok(());
    }
    let batch_size = options.batch_size.max(1);
    let writers = writers(db, options);
    if db.backend() == Backend::Postgres {
        db.write(|c| store::create_import_tags(c, entries))?;
    }
    let batches: Vec<&[ImportedBookmark]> = entries.chunks(batch_size).collect();
    let mut first_error = None;
    write_batches(
        db,
        &batches,
        writers,
        options,
        user_id,
        &mut |index, result| match result {
            Ok(result) => {
                let offset = index * batch_size;
                let batch = batches[index];
                let numbers = numbers.get(offset..).unwrap_or_default();
                import.add_batch(result, batch, numbers);
            }
            // The first batch that failed says why; the others stop before their next.
            Err(e) => match first_error {
                None => first_error = Some(e),
                Some(_) => tracing::warn!(error = %e, "another batch of the import failed too"),
            },
        },
    );
    first_error.map_or(Ok(()), Err)
}

/// Writes `batches` with `writers` threads, each taking the next batch not yet taken, and hands
/// every batch's outcome, by its index, to `outcome` on the calling thread. After a batch
/// fails no further batch is started; those already running end (and commit) as they would.
fn write_batches(
    db: &Database,
    batches: &[&[ImportedBookmark]],
    writers: usize,
    options: ImportOptions,
    user_id: i64,
    outcome: &mut dyn FnMut(usize, Result<store::BatchReport, StoreError>),
) {
    let write = |batch: &PreparedBatch<'_>| {
        db.write(|c| {
            store::import_prepared_batch(c, user_id, batch, options.on_duplicate, options.federate)
        })
    };
    if writers <= 1 {
        write_one_at_a_time(batches, &write, outcome);
        return;
    }
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (sender, outcomes) = mpsc::channel();
        for _ in 0..writers {
            let (sender, next, failed, write) = (sender.clone(), &next, &failed, &write);
            scope.spawn(move || {
                // A writer that panics stops the others before their next batch too.
                let _stop_on_panic = StopOnPanic(failed);
                while !failed.load(Ordering::Relaxed) {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(batch) = batches.get(index) else {
                        return;
                    };
                    let result = write(&PreparedBatch::new(batch));
                    if result.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    if sender.send((index, result)).is_err() {
                        return;
                    }
                }
            });
        }
        // Only the writers hold senders now: the loop ends when the last of them is done.
        drop(sender);
        for (index, result) in outcomes {
            outcome(index, result);
        }
    });
}

/// Writes `batches` one after the other on the calling thread, each batch prepared on a thread
/// of its own while the one before it is written: on SQLite the calling thread is the one that
/// writes, and the machine's other cores would otherwise idle. The writing stays on the calling
/// thread so that memory its allocator freed (an earlier batch's pages, say) is used again,
/// rather than another thread's allocator taking more. Stops after a batch that failed.
fn write_one_at_a_time(
    batches: &[&[ImportedBookmark]],
    write: &dyn Fn(&PreparedBatch<'_>) -> Result<store::BatchReport, StoreError>,
    outcome: &mut dyn FnMut(usize, Result<store::BatchReport, StoreError>),
) {
    std::thread::scope(|scope| {
        let mut prepared = batches.first().map(|batch| PreparedBatch::new(batch));
        for index in 0..batches.len() {
            let Some(batch) = prepared.take() else {
                return;
            };
            let next = batches
                .get(index + 1)
                .map(|&next| Preparing::start(scope, next));
            let result = write(&batch);
            drop(batch);
            let failed = result.is_err();
            outcome(index, result);
            if failed {
                if let Some(next) = next {
                    next.abandon();
                }
                return;
            }
            prepared = next.map(Preparing::finish);
        }
    });
}

/// A batch being prepared on a thread of its own, or, when no thread could be started, to be
/// prepared when it is needed.
enum Preparing<'scope, 'a> {
    Beside(
        &'a [ImportedBookmark],
        ScopedJoinHandle<'scope, PreparedBatch<'a>>,
    ),
    Here(&'a [ImportedBookmark]),
}

impl<'scope, 'a: 'scope> Preparing<'scope, 'a> {
    fn start<'env>(scope: &'scope Scope<'scope, 'env>, batch: &'a [ImportedBookmark]) -> Self {
        match std::thread::Builder::new().spawn_scoped(scope, move || PreparedBatch::new(batch)) {
            Ok(preparing) => Preparing::Beside(batch, preparing),
            Err(e) => {
                tracing::warn!(error = %e, "no thread to prepare an import's batch on; preparing it in turn");
                Preparing::Here(batch)
            }
        }
    }

    /// For a batch that will not be written: waits for its thread, and drops what it made
    /// (or its panic).
    fn abandon(self) {
        if let Preparing::Beside(_, preparing) = self {
            let _ = preparing.join();
        }
    }

    /// The prepared batch. If its thread panicked, it is prepared again here (and a panic then
    /// is this thread's, as it was before batches were prepared beside).
    fn finish(self) -> PreparedBatch<'a> {
        match self {
            Preparing::Beside(batch, preparing) => preparing.join().unwrap_or_else(|_| {
                tracing::error!("preparing an import's batch panicked; preparing it again");
                PreparedBatch::new(batch)
            }),
            Preparing::Here(batch) => PreparedBatch::new(batch),
        }
    }
}

/// Sets its flag when dropped during a panic.
struct StopOnPanic<'a>(&'a AtomicBool);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn entries(count: usize) -> Vec<ImportedBookmark> {
        let mut file = String::from("<DL>");
        for i in 0..count {
            file.push_str(&format!("<DT><A HREF=\"https://e.com/{i}\">{i}</A>"));
        }
        file.push_str("</DL>");
        super::super::parse_file(file.as_bytes())
            .expect("a whole file")
            .entries
    }

    /// Every batch is written once, in order, each prepared before it is written.
    #[test]
    fn one_at_a_time_writes_every_batch_in_order() {
        let entries = entries(7);
        let batches: Vec<&[ImportedBookmark]> = entries.chunks(2).collect();
        let written = Cell::new(0);
        let write = |batch: &PreparedBatch<'_>| {
            written.set(written.get() + 1);
            Ok(store::BatchReport {
                created: batch.len(),
                ..Default::default()
            })
        };
        let mut outcomes = Vec::new();
        write_one_at_a_time(&batches, &write, &mut |index, result| {
            outcomes.push((index, result.map(|r| r.created).ok()));
        });
        assert_eq!(written.get(), 4);
        assert_eq!(
            outcomes,
            [(0, Some(2)), (1, Some(2)), (2, Some(2)), (3, Some(1))]
        );
    }

    /// After a batch fails no other is written, though the next was being prepared.
    #[test]
    fn one_at_a_time_stops_after_a_failed_batch() {
        let entries = entries(8);
        let batches: Vec<&[ImportedBookmark]> = entries.chunks(2).collect();
        let written = Cell::new(0);
        let write = |_: &PreparedBatch<'_>| {
            written.set(written.get() + 1);
            if written.get() == 2 {
                Err(StoreError::Conflict("the second batch fails".into()))
            } else {
                Ok(store::BatchReport::default())
            }
        };
        let mut outcomes = Vec::new();
        write_one_at_a_time(&batches, &write, &mut |index, result| {
            outcomes.push((index, result.is_ok()));
        });
        assert_eq!(written.get(), 2);
        assert_eq!(outcomes, [(0, true), (1, false)]);
    }
}
