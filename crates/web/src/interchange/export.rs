//! Writing a user's whole collection as Netscape bookmark HTML or Pinboard JSON. Both carry
//! everything Commonplace stores (our extra attributes and fields are ignored by other tools),
//! so an export imported into a fresh instance gives the same collection back.

use crate::views::escape_html;
use bookmarks::store::{self, Bookmark, BookmarkFilter, Scope, User};
use bookmarks::{Database, StoreError};
use chrono::SecondsFormat;
use md5::{Digest, Md5};
use serde::Serialize;

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

/// Every bookmark of `user`, oldest first (as browsers write them, and so that bookmarks saved
/// in the same second come back in the same order), in `format`.
pub fn export(db: &Database, user: &User, format: ExportFormat) -> Result<String, StoreError> {
    let mut bookmarks = all_bookmarks(db, user.id)?;
    bookmarks.reverse();
    Ok(match format {
        ExportFormat::Netscape => netscape(&bookmarks),
        ExportFormat::PinboardJson => pinboard_json(&bookmarks),
    })
}

fn all_bookmarks(db: &Database, user_id: i64) -> Result<Vec<Bookmark>, StoreError> {
    let mut filter = BookmarkFilter::new(Scope::User { owner: user_id }, Some(user_id));
    filter.limit = store::MAX_PAGE_SIZE;
    let mut all = Vec::new();
    loop {
        let page = db.read(|c| store::list_bookmarks(c, &filter))?;
        all.extend(page.items);
        match page.next {
            Some(cursor) => filter.before = Some(cursor),
            None => return Ok(all),
        }
    }
}

fn netscape(bookmarks: &[Bookmark]) -> String {
    let mut out = String::from(
        "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<!-- Exported from Commonplace. -->\n\
         <META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=UTF-8\">\n\
         <TITLE>Bookmarks</TITLE>\n<H1>Bookmarks</H1>\n<DL><p>\n",
    );
    for b in bookmarks {
        let tags = b.tags.names().join(",");
        out.push_str(&format!(
            "<DT><A HREF=\"{}\" ADD_DATE=\"{}\" LAST_MODIFIED=\"{}\" PRIVATE=\"{}\" TOREAD=\"{}\" TAGS=\"{}\" VISIBILITY=\"{}\"",
            escape_html(b.url.as_str()),
            b.created_at.and_utc().timestamp(),
            b.updated_at.and_utc().timestamp(),
            u8::from(!b.visibility.is_open()),
            u8::from(b.unread),
            escape_html(&tags),
            b.visibility.as_str(),
        ));
        if !b.description.as_str().is_empty() {
            out.push_str(&format!(
                " DESCRIPTION=\"{}\"",
                escape_html(b.description.as_str())
            ));
        }
        out.push_str(&format!(">{}</A>\n", escape_html(b.title.as_str())));
        if !b.notes.as_str().is_empty() {
            out.push_str(&format!("<DD>{}\n", escape_html(b.notes.as_str())));
        }
    }
    out.push_str("</DL><p>\n");
    out
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

fn pinboard_json(bookmarks: &[Bookmark]) -> String {
    let posts: Vec<PinboardPost<'_>> = bookmarks
        .iter()
        .map(|b| {
            let tags = b.tags.names().join(" ");
            let meta = pinboard_meta(b);
            PinboardPost {
                href: b.url.as_str(),
                description: b.title.as_str(),
                extended: b.notes.as_str(),
                meta,
                hash: md5_hex(b.url.as_str()),
                time: b
                    .created_at
                    .and_utc()
                    .to_rfc3339_opts(SecondsFormat::Secs, true),
                shared: if !b.visibility.is_open() { "no" } else { "yes" },
                toread: if b.unread { "yes" } else { "no" },
                tags,
                visibility: b.visibility.as_str(),
                page_description: b.description.as_str(),
            }
        })
        .collect();
    serde_json::to_string_pretty(&posts).unwrap_or_else(|_| "[]".into())
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
