//! An import that stores a file's bookmarks while the file is still being read: one thread
//! reads (decodes, tokenizes, parses each entry), the calling thread writes. Reading 100,000
//! bookmarks took about an eighth of an import that read the whole file first.
//!
//! A file found not whole at its end (truncated, say) still imports nothing: the batches
//! written before the file has been read through (two at most; then the writer waits for the
//! reader) go into one transaction, committed as soon as the reader has found the file whole,
//! and rolled back otherwise. The batches after it are written as [`super::run_import`] writes
//! them, each in its own transaction.

use super::from_disk::read_path;
use super::kept_entries::{KeptEntries, ReadEntry};
use super::runner::{write_entries, writers, ImportOptions, ImportReport, Progress};
use super::{FileFormat, FileRead, ImportError};
use bookmarks::store;
use bookmarks::{Database, StoreError};
use std::ops::Range;
use std::path::Path;
use std::sync::mpsc;

/// Why a streamed import stopped.
#[derive(Debug, thiserror::Error)]
pub enum StreamedImportError {
    /// The file is not whole or not a bookmark file: nothing was imported.
    #[error("{0}; nothing was imported")]
    File(ImportError),
    /// Storing failed: the batches committed before are stored.
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// What the reading thread sends: parts of the file's entries, then how the reading ended.
enum Read {
    Part(Vec<ReadEntry>),
    End(Result<FileRead, ImportError>),
}

/// Imports the file at `path` for `user_id`, reading it while its first batches are written.
/// `progress(done, total)` is called as the file is read (with `done` 0 and `total` the entries
/// read so far), once the writing goes on after the file has been read (with `done` the entries
/// skipped as they were read) and after every committed batch (with the whole file's `total`).
pub fn run_streamed_import(
    db: &Database,
    user_id: i64,
    path: &Path,
    options: ImportOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportReport, StreamedImportError> {
    // A larger file is read first, so that the write lock is not held while it is read.
    // A pipe's size is not known beforehand.
    let small =
        std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() <= STORED_WHILE_READING_BYTES);
    run_import_while_reading(
        db,
        user_id,
        |found| read_path(path, found),
        small,
        options,
        progress,
    )
}

/// Files up to this size are stored while they are read: 100,000 of the benchmark's bookmarks
/// are 37 MB, read in about half a second, while two batches of 10,000 are written.
const STORED_WHILE_READING_BYTES: u64 = 64 * 1024 * 1024;

/// Batches written at most while the file is read, all in the first transaction.
const FIRST_TRANSACTION_BATCHES: usize = 2;

/// Imports what `read` reads for `user_id`, as [`run_streamed_import`] does: `read` runs on a
/// thread of its own and hands the entries it reads to `found` a part at a time, stopping when
/// `found` returns `false`; its error means the file is not whole. With `store_while_reading`
/// false, or with batches side by side, nothing is written until `read` has returned.
pub fn run_import_while_reading(
    db: &Database,
    user_id: i64,
    read: impl FnOnce(&mut dyn FnMut(Vec<ReadEntry>) -> bool) -> Result<FileRead, ImportError> + Send,
    store_while_reading: bool,
    options: ImportOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportReport, StreamedImportError> {
    std::thread::scope(|scope| {
        let (sender, parts) = mpsc::channel();
        scope.spawn(move || {
            let read = read(&mut |part| sender.send(Read::Part(part)).is_ok());
            let _ = sender.send(Read::End(read));
        });
        import_while_reading(db, user_id, &parts, store_while_reading, options, progress)
    })
}

fn import_while_reading(
    db: &Database,
    user_id: i64,
    parts: &mpsc::Receiver<Read>,
    store_while_reading: bool,
    options: ImportOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportReport, StreamedImportError> {
    let mut reading = Reading {
        parts,
        kept: KeptEntries::default(),
        file: None,
        progress,
    };
    if !store_while_reading || writers(db, options) > 1 {
        // The file is read first when it is large or a pipe (so that the write lock is not
        // held while it is read), and with batches side by side (PostgreSQL), which would be
        // written one at a time while it is read, costing more than reading it took.
        reading.take(usize::MAX);
    }
    // The search index merges once, after the last batch, not after every batch.
    store::bulk_indexing::begin(db)?;
    let first = write_while_reading(db, user_id, options, &mut reading);
    let read = match reading.file {
        Some(Ok(read)) => Some(read),
        Some(Err(e)) => {
            if let Err(merge) = store::bulk_indexing::end(db, 0) {
                tracing::warn!(error = %merge, "the search index's settings were not put back");
            }
            return Err(StreamedImportError::File(e));
        }
        None => None,
    };
    let Reading { kept, progress, .. } = reading;
    let KeptEntries {
        entries,
        numbers,
        skipped,
        ..
    } = kept;
    let mut import = Progress::start(
        read.map_or(FileFormat::Netscape, |r| r.format),
        read.map_or(entries.len() + skipped.len(), |r| r.total),
        skipped,
        progress,
    );
    let written = match first {
        Ok(batches) => {
            let written = batches.last().map_or(0, |(range, _)| range.end);
            for (range, report) in batches {
                import.add_batch(report, &entries[range.clone()], &numbers[range]);
            }
            written
        }
        // Nothing of this import was committed.
        Err(e) => return Ok(import.finish(db, Err(e))?),
    };
    let rest = write_entries(
        db,
        user_id,
        &entries[written..],
        &numbers[written..],
        options,
        &mut import,
    );
    // What was read is no longer needed: it is freed on another thread while the search index
    // merges (100,000 entries took 1.5 % of the import to free).
    std::thread::scope(|scope| {
        // Without a thread, they are freed here when the closure is dropped.
        let _ = std::thread::Builder::new().spawn_scoped(scope, move || drop((entries, numbers)));
        Ok(import.finish(db, rest)?)
    })
}

/// The calling thread's side of the reading: what it has taken of the file so far.
struct Reading<'a, 'p> {
    parts: &'a mpsc::Receiver<Read>,
    kept: KeptEntries,
    /// How the reading ended, once it has.
    file: Option<Result<FileRead, ImportError>>,
    /// Told how many entries have been read, with none written yet.
    progress: &'p mut dyn FnMut(usize, usize),
}

impl Reading<'_, '_> {
    /// Takes every part read so far, so that the end of the file is noticed as soon as it is
    /// read, and waits for more while fewer than `wanted` entries are kept.
    fn take(&mut self, wanted: usize) {
        while self.file.is_none() {
            let message = if self.kept.entries.len() < wanted {
                self.parts
                    .recv()
                    .map_err(|_| mpsc::TryRecvError::Disconnected)
            } else {
                self.parts.try_recv()
            };
            match message {
                Ok(Read::Part(part)) => {
                    self.kept.add(part);
                    (self.progress)(0, self.kept.read());
                }
                Ok(Read::End(read)) => self.file = Some(read),
                Err(mpsc::TryRecvError::Empty) => return,
                Err(mpsc::TryRecvError::Disconnected) => {
                    self.file = Some(Err(ImportError("the file's reader stopped".into())))
                }
            }
        }
    }
}

/// Writes batches in one transaction while the file is read (at most
/// [`FIRST_TRANSACTION_BATCHES`], then it waits for the reader), and commits them once it has
/// been read through; rolls them back if it is not whole. Returns each batch's entries (as a range of
/// the kept entries, from the first) and report. Writes nothing if the file was read before.
fn write_while_reading(
    db: &Database,
    user_id: i64,
    options: ImportOptions,
    reading: &mut Reading<'_, '_>,
) -> Result<Vec<(Range<usize>, store::BatchReport)>, StoreError> {
    if reading.file.is_some() {
        return Ok(Vec::new());
    }
    let batch_size = options.batch_size.max(1);
    db.write(|c| {
        // Run again after a lost race: the batches are written again from the first kept
        // entry, since the transaction that wrote them was rolled back.
        let mut batches = Vec::new();
        let mut written: usize = 0;
        loop {
            // At most two batches go into this transaction: after them it waits for the end
            // of the file.
            let wanted = if batches.len() < FIRST_TRANSACTION_BATCHES {
                written.saturating_add(batch_size)
            } else {
                usize::MAX
            };
            reading.take(wanted);
            match &reading.file {
                // Rolls back what was written; the caller reports the file's error.
                Some(Err(_)) => return Err(StoreError::Conflict("the file is not whole".into())),
                // Read through: this transaction can commit; the rest go in their own.
                Some(Ok(_)) => return Ok(batches),
                None => {}
            }
            // `take` returned with the file not yet read through: a whole batch is kept.
            let end = written + batch_size;
            let batch = &reading.kept.entries[written..end];
            let report =
                store::import_batch(c, user_id, batch, options.on_duplicate, options.federate)?;
            batches.push((written..end, report));
            written = end;
        }
    })
}
