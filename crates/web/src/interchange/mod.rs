//! Import and export of whole bookmark collections: Netscape bookmark HTML (every browser,
//! Pinboard, Delicious, linkding) and Pinboard JSON. Files are hostile until parsed: every entry
//! that cannot be imported is reported with its reason, and a file that is not whole (truncated,
//! wrongly encoded, not a bookmark file) imports nothing.

mod export;
mod from_disk;
mod kept_entries;
mod netscape;
mod pinboard_json;
mod runner;
mod streamed;

pub use export::{export, Export, ExportFormat};
pub(crate) use export::{md5_hex, pinboard_meta};
pub use kept_entries::{KeptEntries, ReadEntry};
pub use runner::{run_import, ImportOptions, ImportReport};
pub use streamed::{run_import_while_reading, run_streamed_import, StreamedImportError};

use bookmarks::model::{
    plausible_time, BookmarkUrl, Description, ImportedBookmark, Notes, TagList, TagName, Title,
    Visibility, MAX_TITLE_LENGTH,
};
use chrono::{DateTime, NaiveDateTime};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Netscape,
    PinboardJson,
}

impl fmt::Display for FileFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Netscape => "Netscape bookmark HTML",
            Self::PinboardJson => "Pinboard JSON",
        })
    }
}

/// A whole-file problem: nothing is imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ImportError(pub String);

/// An entry that was not imported, numbered from 1 in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub entry: usize,
    pub url: String,
    pub reason: String,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "entry {} ({}): {}",
            self.entry,
            if self.url.is_empty() {
                "no address"
            } else {
                &self.url
            },
            self.reason
        )
    }
}

#[derive(Debug)]
pub struct ParsedFile {
    pub format: FileFormat,
    /// Entries in the file, including those skipped.
    pub total: usize,
    pub entries: Vec<ImportedBookmark>,
    /// The entry number in the file of each of `entries`.
    pub numbers: Vec<usize>,
    pub skipped: Vec<Skipped>,
}

/// An entry as found in a file, before its values are parsed.
#[derive(Debug, Default, Clone)]
pub(crate) struct RawEntry {
    pub url: String,
    pub title: String,
    pub description: String,
    pub notes: String,
    /// Tags as written; spaces inside a tag become `-`.
    pub tags: Vec<String>,
    pub visibility: Visibility,
    pub unread: bool,
    pub created_at: Option<NaiveDateTime>,
    pub updated_at: Option<NaiveDateTime>,
    /// Set when the entry could not even be read; the reason it is skipped.
    pub problem: Option<String>,
}

/// Detects the format, decodes and parses the file, and drops later duplicates of a URL.
pub fn parse_file(bytes: &[u8]) -> Result<ParsedFile, ImportError> {
    let mut kept = KeptEntries::default();
    let read = read_file(bytes, &mut |part| {
        kept.add(part);
        true
    })?;
    let KeptEntries {
        entries,
        numbers,
        skipped,
        ..
    } = kept;
    Ok(ParsedFile {
        format: read.format,
        total: read.total,
        entries,
        numbers,
        skipped,
    })
}

/// What is known of a file once it has been read through.
#[derive(Debug, Clone, Copy)]
pub struct FileRead {
    pub format: FileFormat,
    /// Entries in the file, including those skipped.
    pub total: usize,
}

/// Detects the format, decodes the file and reads it, handing its entries to `found` a part at
/// a time, in file order, numbered, each parsed or with the reason it is skipped, until `found`
/// returns `false`. Duplicates are not dropped here ([`KeptEntries`] does). An error means the
/// file is not whole (truncated, say), found possibly after some entries were handed over:
/// none of them may then be kept.
pub fn read_file(
    bytes: &[u8],
    found: &mut dyn FnMut(Vec<ReadEntry>) -> bool,
) -> Result<FileRead, ImportError> {
    let text = decode(bytes)?;
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let mut total = 0;
    let mut convert_all = |raw: Vec<RawEntry>| found(numbered(raw, &mut total));
    let format = if trimmed.starts_with('[') {
        convert_all(pinboard_json::parse(trimmed)?);
        FileFormat::PinboardJson
    } else if looks_like_netscape(trimmed) {
        netscape::read(trimmed, &mut convert_all)?;
        FileFormat::Netscape
    } else {
        return Err(ImportError(
            "this is neither a Netscape bookmark file (what browsers, Pinboard, Delicious and linkding export as HTML) nor a Pinboard JSON export".into(),
        ));
    };
    Ok(FileRead { format, total })
}

/// Entries as read, numbered after the `total` read before them, each parsed or with the reason
/// it is skipped.
fn numbered(raw: Vec<RawEntry>, total: &mut usize) -> Vec<ReadEntry> {
    raw.into_iter()
        .map(|entry| {
            *total += 1;
            let parsed = convert(&entry).map_err(|reason| Skipped {
                entry: *total,
                url: entry.url.chars().take(200).collect(),
                reason,
            });
            ReadEntry {
                number: *total,
                parsed,
            }
        })
        .collect()
}

fn looks_like_netscape(text: &str) -> bool {
    let head: String = text
        .chars()
        .take(4096)
        .collect::<String>()
        .to_ascii_lowercase();
    head.contains("<!doctype netscape-bookmark-file-1>") || head.contains("<dl")
}

/// UTF-8, or the charset a Netscape file declares in its META tag.
fn decode(bytes: &[u8]) -> Result<std::borrow::Cow<'_, str>, ImportError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(std::borrow::Cow::Borrowed(text)),
        Err(e) => {
            let head =
                String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_ascii_lowercase();
            let declared = head.split("charset=").nth(1).map(|rest| {
                rest.trim_start_matches(['"', '\''])
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect::<String>()
            });
            match declared.as_deref().and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes())) {
                Some(encoding) if encoding != encoding_rs::UTF_8 => Ok(std::borrow::Cow::Owned(encoding.decode(bytes).0.into_owned())),
                _ => Err(ImportError(format!(
                    "the file is not valid UTF-8 (at byte {}) and declares no other character set; export it again, or convert it first, e.g. `iconv -f windows-1252 -t utf-8 FILE`",
                    e.valid_up_to()
                ))),
            }
        }
    }
}

/// Parses one entry's values; the error is the reason it is skipped.
fn convert(entry: &RawEntry) -> Result<ImportedBookmark, String> {
    if let Some(problem) = &entry.problem {
        return Err(problem.clone());
    }
    let url = BookmarkUrl::parse(&entry.url).map_err(|e| e.message)?;
    let title: String = entry.title.chars().take(MAX_TITLE_LENGTH).collect();
    let tags: Vec<String> = entry
        .tags
        .iter()
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join("-"))
        .filter(|t| !t.is_empty())
        .collect();
    Ok(ImportedBookmark {
        url,
        title: Title::parse(&title).map_err(|e| e.message)?,
        description: Description::from_page(&entry.description),
        notes: Notes::parse(&entry.notes).map_err(|e| e.message)?,
        tags: TagList::parse_each(&tags).map_err(|e| e.message)?,
        visibility: entry.visibility,
        unread: entry.unread,
        created_at: entry.created_at.and_then(plausible_time),
        updated_at: entry.updated_at.and_then(plausible_time),
    })
}

/// A folder name as a tag (`Reading List` → `reading-list`), or `None` for browsers' root
/// folders, which say nothing about the bookmark.
pub(crate) fn folder_tag(folder: &str) -> Option<String> {
    const ROOTS: &[&str] = &[
        "bookmarks",
        "bookmarks bar",
        "bookmarks toolbar",
        "bookmarks menu",
        "other bookmarks",
        "mobile bookmarks",
        "favorites",
        "favorites bar",
        "favourites",
        "favourites bar",
        "unsorted bookmarks",
    ];
    let name = folder.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || ROOTS.contains(&name.to_lowercase().as_str()) {
        return None;
    }
    TagName::parse(&name.replace([' ', ','], "-"))
        .ok()
        .map(|t| t.to_string())
}

/// Seconds since the epoch, as ADD_DATE writes them; milliseconds and microseconds (which some
/// tools write) are recognised by their size.
pub(crate) fn epoch_time(value: &str) -> Option<NaiveDateTime> {
    let number: i64 = value.trim().parse().ok()?;
    let micros = if number.abs() > 100_000_000_000_000 {
        number
    } else if number.abs() > 100_000_000_000 {
        number.checked_mul(1_000)?
    } else {
        number.checked_mul(1_000_000)?
    };
    DateTime::from_timestamp_micros(micros).map(|d| d.naive_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_become_tags_except_browser_roots() {
        assert_eq!(folder_tag("Reading List").as_deref(), Some("reading-list"));
        assert_eq!(folder_tag("Bookmarks Toolbar"), None);
        assert_eq!(folder_tag("Other bookmarks"), None);
        assert_eq!(folder_tag(&"x".repeat(100)), None);
    }

    #[test]
    fn epoch_times_in_seconds_milliseconds_and_microseconds() {
        let expected = DateTime::from_timestamp(1_700_000_000, 0).map(|d| d.naive_utc());
        assert_eq!(epoch_time("1700000000"), expected);
        assert_eq!(epoch_time("1700000000000"), expected);
        assert_eq!(epoch_time("1700000000000000"), expected);
        assert_eq!(epoch_time("soon"), None);
    }

    #[test]
    fn later_entries_with_an_address_seen_before_are_skipped_in_file_order() {
        let file = br#"<!DOCTYPE NETSCAPE-Bookmark-file-1><DL>
            <DT><A HREF="https://a.example/">one</A>
            <DT><A HREF="place:sort=8">two</A>
            <DT><A HREF="https://b.example/">three</A>
            <DT><A HREF="https://A.example">four</A>
            <DT><A HREF="https://c.example/">five</A>
            <DT><A HREF="https://b.example/">six</A>
            <DT><A HREF="https://a.example/">seven</A>
            </DL>"#;
        let parsed = parse_file(file).expect("a Netscape file");
        assert_eq!(parsed.total, 7);
        let titles: Vec<&str> = parsed.entries.iter().map(|e| e.title.as_str()).collect();
        assert_eq!(titles, ["one", "three", "five"]);
        assert_eq!(parsed.numbers, [1, 3, 5]);
        let skipped: Vec<(usize, &str)> = parsed
            .skipped
            .iter()
            .map(|s| (s.entry, s.reason.as_str()))
            .collect();
        assert_eq!(skipped[0].0, 2);
        assert_eq!(
            &skipped[1..],
            [
                (4, "same address as entry 1"),
                (6, "same address as entry 3"),
                (7, "same address as entry 1"),
            ]
        );
    }

    #[test]
    fn unknown_and_undecodable_files_are_refused() {
        assert!(parse_file(b"hello world").is_err_and(|e| e.0.contains("neither")));
        let latin1_without_charset = b"<DL><DT><A HREF=\"https://e.com/\">caf\xe9</A></DL>";
        assert!(parse_file(latin1_without_charset).is_err_and(|e| e.0.contains("not valid UTF-8")));
        let declared = b"<META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=windows-1252\"><DL><DT><A HREF=\"https://e.com/\">caf\xe9</A></DL>";
        let parsed = parse_file(declared).expect("declared charset decodes");
        assert_eq!(parsed.entries[0].title.as_str(), "café");
    }
}
