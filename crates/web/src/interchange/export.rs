//! Writing a user's whole collection as Netscape bookmark HTML or Pinboard JSON. Both carry
//! everything Commonplace stores (our extra attributes and fields are ignored by other tools),
//! so an export imported into a fresh instance gives the same collection back.

use crate::views::escape_html;
use bookmarks::model::Cursor;
use bookmarks::store::{self, Bookmark, User};
use bookmarks::{Database, StoreError};
use chrono::SecondsFormat;
use md5::{Digest, Md5};
use serde::Serialize;
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Netscape,
    PinboardJson,
}

impl ExportFormat {
    pub fn file_name(self, user: &str) -> String {
        match self {
            Self::Netscape => format!("commonplace-{user}.html"),
            Self::PinboardJson => format!("commonplace-{user}.json"),
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Netscape => "text/html; charset=utf-8",
            Self::PinboardJson => "application/json",
        }
    }
}

/// Bookmarks read and written per piece of an export.
const PIECE: i64 = store::MAX_PAGE_SIZE;

/// A user's whole collection in `format`, oldest first (as browsers write them, and so that
/// bookmarks saved in the same second come back in the same order), written a page of
/// bookmarks at a time: [`Export::next_piece`] reads the next page and gives its text, the
/// first piece starting the document and the last ending it. An export holds one page,
/// whatever the collection's size, and a download starts with the first.
pub struct Export {
    owner: User,
    format: ExportFormat,
    /// Where the next page starts: after this bookmark.
    after: Option<Cursor>,
    /// How many bookmarks the pieces so far held.
    written: u64,
    stage: Stage,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Start,
    Rows,
    Finished,
}

impl Export {
    pub fn new(owner: User, format: ExportFormat) -> Self {
        Self {
            owner,
            format,
            after: None,
            written: 0,
            stage: Stage::Start,
        }
    }

    /// The next piece of the document; `None` once it is whole.
    pub fn next_piece(&mut self, db: &Database) -> Result<Option<String>, StoreError> {
        if self.stage == Stage::Finished {
            return Ok(None);
        }
        let page = db.read(|c| store::list_oldest_first(c, &self.owner, self.after, PIECE))?;
        let mut out = String::with_capacity(page.items.len() * 600 + 256);
        if self.stage == Stage::Start {
            out.push_str(self.format.head());
        }
        for bookmark in &page.items {
            match self.format {
                ExportFormat::Netscape => netscape_entry(&mut out, bookmark),
                ExportFormat::PinboardJson => {
                    out.push_str(if self.written == 0 { "\n" } else { ",\n" });
                    pinboard_entry(&mut out, bookmark);
                }
            }
            self.written += 1;
        }
        match page.next {
            Some(cursor) => {
                self.after = Some(cursor);
                self.stage = Stage::Rows;
            }
            None => {
                out.push_str(self.format.tail());
                self.stage = Stage::Finished;
            }
        }
        Ok(Some(out))
    }
}

impl ExportFormat {
    fn head(self) -> &'static str {
        match self {
            Self::Netscape => {
                "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<!-- Exported from Commonplace. -->\n\
                 <META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=UTF-8\">\n\
                 <TITLE>Bookmarks</TITLE>\n<H1>Bookmarks</H1>\n<DL><p>\n"
            }
            Self::PinboardJson => "[",
        }
    }

    fn tail(self) -> &'static str {
        match self {
            Self::Netscape => "</DL><p>\n",
            Self::PinboardJson => "\n]\n",
        }
    }
}

/// The whole document at once, for a caller that keeps it anyway (tests).
pub fn export(db: &Database, user: &User, format: ExportFormat) -> Result<String, StoreError> {
    let mut export = Export::new(user.clone(), format);
    let mut document = String::new();
    while let Some(piece) = export.next_piece(db)? {
        document.push_str(&piece);
    }
    Ok(document)
}

fn netscape_entry(out: &mut String, b: &Bookmark) {
    let tags = b.tags.names().join(",");
    let _ = write!(
        out,
        "<DT><A HREF=\"{}\" ADD_DATE=\"{}\" LAST_MODIFIED=\"{}\" PRIVATE=\"{}\" TOREAD=\"{}\" TAGS=\"{}\" VISIBILITY=\"{}\"",
        escape_html(b.url.as_str()),
        b.created_at.and_utc().timestamp(),
        b.updated_at.and_utc().timestamp(),
        u8::from(!b.visibility.is_open()),
        u8::from(b.unread),
        escape_html(&tags),
        b.visibility.as_str(),
    );
    if !b.description.as_str().is_empty() {
        let _ = write!(
            out,
            " DESCRIPTION=\"{}\"",
            escape_html(b.description.as_str())
        );
    }
    let _ = writeln!(out, ">{}</A>", escape_html(b.title.as_str()));
    if !b.notes.as_str().is_empty() {
        let _ = writeln!(out, "<DD>{}", escape_html(b.notes.as_str()));
    }
}

#[derive(Serialize)]
struct PinboardPost<'a> {
    href: &'a str,
    description: &'a str,
    extended: &'a str,
    meta: String,
    hash: String,
    time: String,
    shared: &'static str,
    toread: &'static str,
    tags: String,
    visibility: &'static str,
    page_description: &'a str,
}

pub(crate) fn md5_hex(text: &str) -> String {
    Md5::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Pinboard's `meta`: changes whenever the bookmark's content does (MD5 of its fields).
pub(crate) fn pinboard_meta(b: &Bookmark) -> String {
    md5_hex(&format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        b.url.as_str(),
        b.title.as_str(),
        b.notes.as_str(),
        b.tags.names().join(" "),
        b.visibility,
        b.unread
    ))
}

/// One bookmark as an element of Pinboard's JSON export (one line).
fn pinboard_entry(out: &mut String, b: &Bookmark) {
    let post = PinboardPost {
        href: b.url.as_str(),
        description: b.title.as_str(),
        extended: b.notes.as_str(),
        meta: pinboard_meta(b),
        hash: md5_hex(b.url.as_str()),
        time: b
            .created_at
            .and_utc()
            .to_rfc3339_opts(SecondsFormat::Secs, true),
        shared: if !b.visibility.is_open() { "no" } else { "yes" },
        toread: if b.unread { "yes" } else { "no" },
        tags: b.tags.names().join(" "),
        visibility: b.visibility.as_str(),
        page_description: b.description.as_str(),
    };
    // Strings and `&'static str`s only: serializing cannot fail.
    if let Ok(json) = serde_json::to_string(&post) {
        out.push_str(&json);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinboard_hash_is_md5_of_the_url() {
        assert_eq!(md5_hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(md5_hex(""), "d41d8cd98f00b204e9800998ecf8427e");
    }
}
