//! Imports that store a file's bookmarks while it is still being read (`commonplace import`):
//! every entry once, in file order, and nothing at all from a file found not whole at its end,
//! even after batches of it were written.

use crate::helpers::spawn_app;
use crate::import_export::{all, tag_counts, tagged_file};
use bookmarks::model::{DomainEvent, OnDuplicate};
use bookmarks::store::{self, BookmarkFilter, Scope};
use bookmarks::Database;
use web::interchange::{
    read_file, run_import_while_reading, run_streamed_import, FileFormat, ImportError,
    ImportOptions, ImportReport, StreamedImportError,
};

/// Entries in the files below: more than one part of the reader's (64 kB) and many batches.
const ENTRIES: usize = 1_500;

fn streamed(
    db: &Database,
    user_id: i64,
    file: &str,
    on_duplicate: OnDuplicate,
    progress: &mut Vec<(usize, usize)>,
) -> Result<ImportReport, StreamedImportError> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("bookmarks");
    std::fs::write(&path, file).expect("write the file");
    let options = ImportOptions {
        on_duplicate,
        batch_size: 40,
        writers: 2,
        ..Default::default()
    };
    run_streamed_import(db, user_id, &path, options, &mut |done, total| {
        progress.push((done, total))
    })
}

fn import_batches(db: &Database) -> usize {
    db.read(|c| store::list_events(c, 0, 10_000))
        .expect("events")
        .iter()
        .filter(|e| matches!(e.event, DomainEvent::ImportBatch { .. }))
        .count()
}

#[tokio::test]
async fn a_file_read_while_it_is_stored_imports_every_entry_once_in_file_order() {
    let app = spawn_app().await;
    let alice = app.add_user("alice", false);
    // Entry 3 repeats entry 1's address, entry 4 has none a bookmark can have, and the last
    // repeats entry 8's (`/5`), many parts of the file later.
    let tagged = tagged_file(ENTRIES, "shared");
    let mut lines: Vec<&str> = tagged.lines().collect();
    lines.insert(4, "<DT><A HREF=\"https://example.com/0\">again</A>");
    lines.insert(5, "<DT><A HREF=\"ftp://example.com/\">ftp</A>");
    lines.insert(
        lines.len() - 1,
        "<DT><A HREF=\"https://example.com/5\">late</A>",
    );
    let file = lines.join("\n");
    let mut progress = Vec::new();
    let report =
        streamed(&app.db, alice.id, &file, OnDuplicate::Skip, &mut progress).expect("a whole file");
    assert_eq!(report.format, FileFormat::Netscape);
    assert_eq!((report.total, report.created), (ENTRIES + 3, ENTRIES));
    let skipped: Vec<(usize, &str)> = report
        .skipped
        .iter()
        .map(|s| (s.entry, s.reason.as_str()))
        .collect();
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    assert_eq!(skipped[0], (3, "same address as entry 1"));
    assert_eq!(skipped[1].0, 4);
    assert_eq!(skipped[2], (ENTRIES + 3, "same address as entry 8"));
    assert_eq!(progress.last(), Some(&(ENTRIES + 3, ENTRIES + 3)));
    assert!(progress.windows(2).all(|w| w[0].0 <= w[1].0));

    let counts = tag_counts(&app.db, alice.id);
    let shared = counts.iter().find(|(name, _)| name == "shared");
    assert_eq!(shared, Some(&("shared".to_owned(), ENTRIES as i64)));
    let mine = BookmarkFilter::new(Scope::User { owner: alice.id }, Some(alice.id));
    let saved = app
        .db
        .read(|c| store::count_bookmarks(c, &mine))
        .expect("count");
    assert_eq!(saved, ENTRIES as i64);
    assert_eq!(import_batches(&app.db), ENTRIES.div_ceil(40));

    // Again: every entry is already saved, and reported by its number.
    let again = streamed(&app.db, alice.id, &file, OnDuplicate::Skip, &mut Vec::new())
        .expect("a whole file");
    assert_eq!(again.created, 0);
    let numbers: Vec<usize> = again.skipped.iter().map(|s| s.entry).collect();
    assert_eq!(numbers, (1..=ENTRIES + 3).collect::<Vec<_>>());
    assert_eq!(all(&app.db, alice.id).len(), 200);
}

#[tokio::test]
async fn a_file_found_truncated_after_batches_were_written_imports_nothing() {
    let app = spawn_app().await;
    let alice = app.add_user("alice", false);
    let whole = tagged_file(ENTRIES, "shared");
    let cut = &whole[..whole.len() - "</DL><p>\n".len()];
    let mut progress = Vec::new();
    let error = streamed(&app.db, alice.id, cut, OnDuplicate::Skip, &mut progress)
        .expect_err("a truncated file");
    assert!(
        matches!(&error, StreamedImportError::File(e) if e.0.contains("truncated")),
        "{error}"
    );
    assert!(
        error.to_string().ends_with("nothing was imported"),
        "{error}"
    );
    assert!(all(&app.db, alice.id).is_empty());
    assert!(tag_counts(&app.db, alice.id).is_empty());
    assert_eq!(import_batches(&app.db), 0);
    assert!(progress.iter().all(|&(done, _)| done == 0), "{progress:?}");
    assert!(!progress.is_empty(), "told of the entries read");

    // The same file whole imports as usual afterwards.
    let report = streamed(
        &app.db,
        alice.id,
        &whole,
        OnDuplicate::Skip,
        &mut Vec::new(),
    )
    .expect("a whole file");
    assert_eq!(report.created, ENTRIES);
}

/// The reader hands every entry over, then, well after the writer has written batches of
/// them, finds the file not whole: those batches are rolled back.
#[tokio::test]
async fn batches_written_before_the_file_is_found_not_whole_are_rolled_back() {
    let app = spawn_app().await;
    let alice = app.add_user("alice", false);
    let whole = tagged_file(ENTRIES, "shared");
    let mut progress = Vec::new();
    let options = ImportOptions {
        batch_size: 40,
        ..Default::default()
    };
    let error = run_import_while_reading(
        &app.db,
        alice.id,
        |found| {
            read_file(whole.as_bytes(), found)?;
            std::thread::sleep(std::time::Duration::from_millis(500));
            Err(ImportError("the file ends in the middle".into()))
        },
        true,
        options,
        &mut |done, total| progress.push((done, total)),
    )
    .expect_err("a file not whole");
    assert!(matches!(&error, StreamedImportError::File(e) if e.0.contains("middle")));
    assert!(all(&app.db, alice.id).is_empty());
    assert!(tag_counts(&app.db, alice.id).is_empty());
    assert_eq!(import_batches(&app.db), 0);
    // Told of the entries read, none of them written.
    assert_eq!(progress.last(), Some(&(0, ENTRIES)));
    assert!(progress.iter().all(|&(done, _)| done == 0), "{progress:?}");
}

#[tokio::test]
async fn a_pinboard_json_file_imports_the_same_way() {
    let app = spawn_app().await;
    let alice = app.add_user("alice", false);
    let json = r#"[{"href":"https://e.com/a","description":"A","tags":"x y","time":"2020-01-01T00:00:00Z"},
                   {"href":"https://e.com/b","description":"B","tags":"y"}]"#;
    let report = streamed(&app.db, alice.id, json, OnDuplicate::Skip, &mut Vec::new())
        .expect("a whole file");
    assert_eq!(
        (report.format, report.created),
        (FileFormat::PinboardJson, 2)
    );
    assert_eq!(
        tag_counts(&app.db, alice.id),
        [("x".to_owned(), 1), ("y".to_owned(), 2)]
    );
    let broken = streamed(
        &app.db,
        alice.id,
        "[{\"href\": ",
        OnDuplicate::Skip,
        &mut Vec::new(),
    )
    .expect_err("a truncated file");
    assert!(matches!(broken, StreamedImportError::File(_)), "{broken}");
}
