//! Reading an import file from disk a part at a time, so that a large Netscape file is not held
//! in memory whole while its bookmarks are stored (37 MB for 100,000 bookmarks).
//!
//! A file is read as [`super::read_file`] reads it: UTF-8, or the character set it declares if
//! it is not UTF-8. That is only known once the whole file has been checked, so the file is
//! read twice: once to check that it is UTF-8 throughout and begins as a Netscape file, a
//! megabyte at a time (a few milliseconds, from the operating system's cache), then a part at
//! a time for its entries. Any other file (Pinboard JSON, another character set, not a bookmark
//! file, a pipe, which can be read only once) is read whole, as an upload is.

use super::kept_entries::ReadEntry;
use super::netscape::{PartReader, CHUNK_BYTES};
use super::{looks_like_netscape, numbered, read_file, FileFormat, FileRead, ImportError};
use std::io::Read;
use std::path::Path;

/// Bytes read at a time while checking the file.
const CHECK_BYTES: usize = 1024 * 1024;

/// Reads the file at `path` as [`read_file`] reads a file's bytes, handing its entries to
/// `found` a part at a time until `found` returns `false`.
pub fn read_path(
    path: &Path,
    found: &mut dyn FnMut(Vec<ReadEntry>) -> bool,
) -> Result<FileRead, ImportError> {
    // A pipe (`/dev/stdin`, say) can be read only once.
    let regular = std::fs::metadata(path).map_err(cannot_read)?.is_file();
    if regular && netscape_in_utf8(path).map_err(cannot_read)? {
        read_in_parts(path, found)
    } else {
        let bytes = std::fs::read(path).map_err(cannot_read)?;
        read_file(&bytes, found)
    }
}

fn cannot_read(e: std::io::Error) -> ImportError {
    ImportError(format!("cannot read it: {e}"))
}

/// The longest prefix of `bytes` that is UTF-8, if what follows it is at most the beginning of
/// a character cut off by the end of `bytes`; `None` if `bytes` holds something else.
fn utf8_prefix(bytes: &[u8]) -> Option<&str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Some(text),
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&bytes[..e.valid_up_to()]).ok(),
        Err(_) => None,
    }
}

/// Reads the file at `path` `buffer.len()` bytes at a time, handing `part` each read's text,
/// whole characters only (a character cut off by the end of a read comes with the next one).
/// Stops early when `part` returns `false`. `Ok(false)` if the file is not UTF-8 throughout.
fn for_each_part(
    path: &Path,
    buffer: &mut [u8],
    part: &mut dyn FnMut(&str) -> bool,
) -> std::io::Result<bool> {
    let mut file = std::fs::File::open(path)?;
    let mut carried = 0;
    loop {
        let read = file.read(&mut buffer[carried..])?;
        if read == 0 {
            // A character cut off by the end of the file.
            return Ok(carried == 0);
        }
        let filled = carried + read;
        let Some(text) = utf8_prefix(&buffer[..filled]) else {
            return Ok(false);
        };
        let whole = text.len();
        if !part(text) {
            return Ok(true);
        }
        buffer.copy_within(whole..filled, 0);
        carried = filled - whole;
    }
}

/// Whether the file is UTF-8 throughout and begins as a Netscape bookmark file.
fn netscape_in_utf8(path: &Path) -> std::io::Result<bool> {
    let mut buffer = vec![0; CHECK_BYTES];
    let mut first = true;
    let mut netscape = false;
    let utf8 = for_each_part(path, &mut buffer, &mut |text| {
        if first {
            first = false;
            let trimmed = text.trim_start_matches('\u{feff}').trim_start();
            netscape = !trimmed.starts_with('[') && looks_like_netscape(trimmed);
        }
        netscape
    })?;
    Ok(utf8 && netscape)
}

/// Reads a UTF-8 Netscape file a part at a time.
fn read_in_parts(
    path: &Path,
    found: &mut dyn FnMut(Vec<ReadEntry>) -> bool,
) -> Result<FileRead, ImportError> {
    let mut reader = PartReader::new();
    let mut total = 0;
    let mut first = true;
    let mut stopped = false;
    let mut buffer = vec![0; CHUNK_BYTES];
    let whole = for_each_part(path, &mut buffer, &mut |text| {
        let text = if first {
            first = false;
            text.trim_start_matches('\u{feff}')
        } else {
            text
        };
        let ready = reader.feed(text);
        stopped = !ready.is_empty() && !found(numbered(ready, &mut total));
        !stopped
    })
    .map_err(cannot_read)?;
    let read = FileRead {
        format: FileFormat::Netscape,
        total,
    };
    if stopped {
        return Ok(read);
    }
    if !whole {
        return Err(ImportError(
            "the file changed while it was read (it is no longer UTF-8); import it again".into(),
        ));
    }
    let last = reader.finish()?;
    if !last.is_empty() {
        found(numbered(last, &mut total));
    }
    Ok(FileRead { total, ..read })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each entry's number, address and title, or its number and why it is skipped.
    fn summary(entries: Vec<ReadEntry>) -> Vec<(usize, String)> {
        entries
            .into_iter()
            .map(|e| match e.parsed {
                Ok(b) => (e.number, format!("{} {}", b.url, b.title.as_str())),
                Err(skipped) => (e.number, skipped.reason),
            })
            .collect()
    }

    fn from_path(bytes: &[u8]) -> (Result<FileRead, ImportError>, Vec<(usize, String)>, usize) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("bookmarks");
        std::fs::write(&path, bytes).expect("write the file");
        let mut entries = Vec::new();
        let mut parts = 0;
        let read = read_path(&path, &mut |part| {
            parts += 1;
            entries.extend(part);
            true
        });
        (read, summary(entries), parts)
    }

    fn from_bytes(bytes: &[u8]) -> (Result<FileRead, ImportError>, Vec<(usize, String)>) {
        let mut entries = Vec::new();
        let read = read_file(bytes, &mut |part| {
            entries.extend(part);
            true
        });
        (read, summary(entries))
    }

    #[test]
    fn a_utf8_file_is_read_in_parts_as_it_would_be_whole() {
        // A character cut by the end of the first part: its title begins one byte before it.
        let mut file = String::from("\u{feff}<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n");
        let link = "<DT><A HREF=\"https://e.example/cut\">";
        file.push_str(&"x".repeat(CHUNK_BYTES - 1 - file.len() - link.len()));
        file.push_str(link);
        file.push_str("日本 cut</A>\n");
        for i in 0..2_000 {
            file.push_str(&format!(
                "<DT><A HREF=\"https://e.example/{i}\">Café {i}</A>\n<DD>Notes ✓ {i}\n"
            ));
        }
        file.push_str("<DT><A HREF=\"place:x\">not a page</A>\n</DL><p>\n");
        let (read, entries, parts) = from_path(file.as_bytes());
        let read = read.expect("a whole file");
        assert_eq!((read.format, read.total), (FileFormat::Netscape, 2_002));
        assert!(parts > 2, "{parts} parts");
        assert_eq!(entries[0], (1, "https://e.example/cut 日本 cut".to_owned()));
        let (whole, expected) = from_bytes(file.as_bytes());
        assert_eq!(whole.map(|r| r.total), Ok(2_002));
        assert_eq!(entries, expected);
    }

    #[test]
    fn other_files_read_as_they_would_be_whole() {
        let declared = b"<META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=windows-1252\"><DL><DT><A HREF=\"https://e.com/\">caf\xe9</A></DL>";
        let json = br#"[{"href":"https://e.com/a","description":"A"}]"#;
        let undeclared = b"<DL><DT><A HREF=\"https://e.com/\">caf\xe9</A></DL>";
        let truncated = b"<DL><DT><A HREF=\"https://e.com/\">cut</A>";
        for file in [&declared[..], json, undeclared, truncated, b"hello"] {
            let (read, entries, _) = from_path(file);
            let (expected_read, expected) = from_bytes(file);
            assert_eq!(
                read.map(|r| (r.format, r.total)),
                expected_read.map(|r| (r.format, r.total))
            );
            assert_eq!(entries, expected);
        }
        assert_eq!(
            from_path(declared).1,
            [(1, "https://e.com/ café".to_owned())]
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_pipe_is_read_once_whole() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let pipe = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&pipe).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        let file =
            "<DL><DT><A HREF=\"https://e.com/a\">A</A><DT><A HREF=\"https://e.com/b\">B</A></DL>";
        let writer = std::thread::spawn({
            let pipe = pipe.clone();
            move || std::fs::write(&pipe, file)
        });
        // On a thread of its own: a reader that opened the pipe a second time would wait
        // forever for a writer, and the test fails rather than hangs.
        let (done, outcome) = std::sync::mpsc::channel();
        std::thread::spawn({
            let pipe = pipe.clone();
            move || {
                let mut entries = Vec::new();
                let read = read_path(&pipe, &mut |part| {
                    entries.extend(part);
                    true
                });
                let _ = done.send((read, entries));
            }
        });
        let (read, entries) = outcome
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("the pipe is read once, to its end, within 30 s");
        // Checked before the writer is waited for, which would wait forever had the reader
        // failed without opening the pipe.
        assert_eq!(read.map(|r| r.total), Ok(2));
        assert!(writer.join().is_ok_and(|written| written.is_ok()));
        assert_eq!(summary(entries), from_bytes(file.as_bytes()).1);
    }

    #[test]
    fn a_missing_file_says_it_cannot_be_read() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let read = read_path(&dir.path().join("missing.html"), &mut |_| true);
        assert!(read.is_err_and(|e| e.0.starts_with("cannot read it")));
    }
}
