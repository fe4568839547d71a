//! The JSON shapes of the API: bookmarks out, bookmark fields in.

use crate::errors::ApiError;
use crate::rfc3339::Rfc3339;
use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use bookmarks::model::{BookmarkChanges, Notes, TagList, Title, Visibility};
use bookmarks::store::Bookmark;
use bookmarks::FieldError;
use chrono::NaiveDateTime;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize, Serializer};

/// Reads a JSON body into `T`, naming the field in the error: `tags: invalid type: string
/// "rust", expected a sequence`. (Malformed JSON is refused earlier by the JSON extractor.)
pub fn parse_body<T: DeserializeOwned>(body: serde_json::Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(body).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path == "." || path.is_empty() {
            ApiError::BadRequest(format!("the request body does not fit: {inner}"))
        } else {
            ApiError::BadRequest(format!("{path}: {inner}"))
        }
    })
}

// Its text is borrowed from the stored bookmark, not copied: a page of fifty is serialised
// straight from the store's values.
/// A bookmark. Times are RFC 3339 in UTC.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BookmarkJson<'a> {
    pub id: &'a str,
    pub url: &'a str,
    pub title: &'a str,
    /// The page's own description, when it was fetched.
    pub description: &'a str,
    pub notes: &'a str,
    #[schema(value_type = Vec<String>)]
    pub tags: TagNames<'a>,
    pub visibility: &'static str,
    pub unread: bool,
    #[schema(value_type = String)]
    pub created_at: Rfc3339,
    #[schema(value_type = String)]
    pub updated_at: Rfc3339,
}

/// A bookmark's tags as a JSON array of names, written from the stored list (a `Vec` of them
/// was an allocation per bookmark of a page).
#[derive(Debug)]
pub struct TagNames<'a>(pub &'a TagList);

impl Serialize for TagNames<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter())
    }
}

pub fn rfc3339(at: NaiveDateTime) -> String {
    Rfc3339(at).to_string()
}

/// An answer with `value` as JSON (Pinboard's answers), written into a buffer of
/// `expected_bytes` from the start, by sonic-rs through the serde derives: serde_json escapes
/// strings a byte at a time (about nine instructions a byte, 15 % of a JSON list request when
/// it wrote the list); sonic-rs looks at 16 or 32 bytes at once (the same bytes out, tested
/// below).
pub fn json_response_with<T: Serialize>(
    status: StatusCode,
    value: &T,
    expected_bytes: usize,
) -> HttpResponse {
    let mut body = Vec::with_capacity(expected_bytes);
    let written = sonic_rs::to_writer(&mut body, value).map(|()| body);
    written_json_response(status, written)
}

/// A JSON answer already written (or the error that stopped it: a 500, logged).
pub fn written_json_response(status: StatusCode, body: sonic_rs::Result<Vec<u8>>) -> HttpResponse {
    match body {
        Ok(body) => HttpResponse::build(status)
            .content_type(actix_web::http::header::ContentType::json())
            .body(body),
        Err(e) => {
            tracing::error!("writing a JSON response: {e}");
            HttpResponse::InternalServerError().finish()
        }
    }
}

impl<'a> From<&'a Bookmark> for BookmarkJson<'a> {
    fn from(b: &'a Bookmark) -> Self {
        Self {
            id: &b.public_id,
            url: b.url.as_str(),
            title: b.title.as_str(),
            description: b.description.as_str(),
            notes: b.notes.as_str(),
            tags: TagNames(&b.tags),
            visibility: b.visibility.as_str(),
            unread: b.unread,
            created_at: Rfc3339(b.created_at),
            updated_at: Rfc3339(b.updated_at),
        }
    }
}

/// Writes `bookmark` as [`BookmarkJson`] serialises it, with its keys as literal bytes: through
/// the derive, sonic-rs escaped every key as a string, ten per bookmark, 9 % of a JSON list
/// request's instructions (callgrind, 2026-12-05). The values go through sonic-rs as before.
/// The same bytes as the derive (tested below).
pub fn write_bookmark_json(out: &mut Vec<u8>, bookmark: &Bookmark) -> sonic_rs::Result<()> {
    let b = BookmarkJson::from(bookmark);
    out.extend_from_slice(b"{\"id\":");
    write_value(out, b.id)?;
    out.extend_from_slice(b",\"url\":");
    write_value(out, b.url)?;
    out.extend_from_slice(b",\"title\":");
    write_value(out, b.title)?;
    out.extend_from_slice(b",\"description\":");
    write_value(out, b.description)?;
    out.extend_from_slice(b",\"notes\":");
    write_value(out, b.notes)?;
    out.extend_from_slice(b",\"tags\":[");
    for (at, tag) in bookmark.tags.iter().enumerate() {
        if at > 0 {
            out.push(b',');
        }
        write_value(out, tag)?;
    }
    out.extend_from_slice(b"],\"visibility\":");
    write_value(out, b.visibility)?;
    out.extend_from_slice(if b.unread {
        b",\"unread\":true"
    } else {
        b",\"unread\":false"
    });
    out.extend_from_slice(b",\"created_at\":");
    write_value(out, &b.created_at)?;
    out.extend_from_slice(b",\"updated_at\":");
    write_value(out, &b.updated_at)?;
    out.push(b'}');
    Ok(())
}

/// One JSON value, written by sonic-rs at the end of `out`.
pub fn write_value<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> sonic_rs::Result<()> {
    sonic_rs::to_writer(out, value)
}

/// Fields of `POST /api/bookmarks` and `PATCH /api/bookmarks/{id}`. Absent fields keep their
/// stored value (or take the default on a new bookmark).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookmarkFields {
    pub url: Option<String>,
    pub title: Option<String>,
    pub notes: Option<String>,
    pub tags: Option<Vec<String>>,
    pub visibility: Option<String>,
    pub unread: Option<bool>,
}

impl BookmarkFields {
    pub fn changes(&self) -> Result<BookmarkChanges, FieldError> {
        Ok(BookmarkChanges {
            title: self.title.as_deref().map(Title::parse).transpose()?,
            description: None,
            notes: self.notes.as_deref().map(Notes::parse).transpose()?,
            tags: self.tags.as_deref().map(TagList::parse_each).transpose()?,
            visibility: self
                .visibility
                .as_deref()
                .map(Visibility::parse)
                .transpose()?,
            unread: self.unread,
            created_at: None,
        })
    }
}

/// Every error: what was wrong and what to do.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorJson {
    pub error: String,
}

/// A bookmark whose texts are `text` in several places (for tests of what is written).
#[cfg(test)]
pub(crate) fn sample_bookmark(
    text: &str,
    tags: &[&str],
    unread: bool,
    nanosecond: u32,
) -> Bookmark {
    let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 5)
        .and_then(|d| d.and_hms_nano_opt(9, 30, 1, nanosecond))
        .expect("a valid time");
    Bookmark {
        id: 7,
        public_id: format!("id{text}"),
        owner_id: 1,
        owner_name: "alice".into(),
        url: bookmarks::model::BookmarkUrl::from_stored(format!("https://e.example/{text}")),
        title: Title::from_stored(text.to_owned()),
        description: bookmarks::model::Description::from_stored(text.repeat(2)),
        notes: Notes::from_stored(format!("{text}\n\n{text}")),
        tags: TagList::parse_each(tags).expect("tags"),
        visibility: Visibility::Org,
        unread,
        created_at: at,
        updated_at: at + chrono::Duration::days(400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Sample {
        text: String,
        list: Vec<String>,
        missing: Option<String>,
        number: i64,
        flag: bool,
    }

    /// The hand-written bookmark is the derived one, byte for byte, whatever its text holds.
    #[test]
    fn bookmarks_are_written_as_the_derive_writes_them() {
        let texts = [
            "",
            "plain",
            "a \"quoted\" \\ path\u{0}\u{1f}</script>\u{2028}é漢字🦀",
            "\u{7f}\t\r",
        ];
        let tag_lists: [&[&str]; 3] = [&[], &["rust"], &["c++", "école", "a\"b", "x\\y"]];
        for (at, text) in texts.iter().enumerate() {
            for tags in tag_lists {
                for unread in [false, true] {
                    let nanosecond = [0, 250_000_000, 123_456, 7][at];
                    let b = sample_bookmark(text, tags, unread, nanosecond);
                    let mut ours = Vec::new();
                    write_bookmark_json(&mut ours, &b).expect("written");
                    let derived = sonic_rs::to_vec(&BookmarkJson::from(&b)).expect("sonic-rs");
                    assert_eq!(ours, derived, "{}", String::from_utf8_lossy(&ours));
                    let standard = serde_json::to_vec(&BookmarkJson::from(&b)).expect("serde");
                    assert_eq!(ours, standard);
                }
            }
        }
    }

    /// sonic-rs writes the same bytes as serde_json for every ASCII character (each control
    /// character, quote, backslash and DEL), non-ASCII text and longer strings that cross its
    /// 16- and 32-byte blocks, so the API's answers did not change with the writer.
    #[test]
    fn responses_are_written_as_serde_json_writes_them() {
        let mut samples: Vec<String> = (0u8..=0x7f).map(|b| char::from(b).to_string()).collect();
        samples.push("a \"quoted\" \\ path\u{0}\u{1f}</script>\u{2028}é漢字🦀".into());
        samples.push("x".repeat(31) + "\n" + &"y".repeat(33) + "\"");
        samples.push("🦀".repeat(40));
        for text in samples {
            let value = Sample {
                text: text.clone(),
                list: vec![text.clone(), String::new()],
                missing: None,
                number: -42,
                flag: true,
            };
            let ours = sonic_rs::to_vec(&value).expect("sonic-rs");
            let theirs = serde_json::to_vec(&value).expect("serde_json");
            assert_eq!(ours, theirs, "{text:?}");
        }
    }

    #[test]
    fn tags_are_an_array_of_names_in_their_order() {
        let tags = TagList::parse_each(&["web", "rust", "a\"b"]).expect("tags");
        let written = sonic_rs::to_string(&TagNames(&tags)).expect("sonic-rs");
        assert_eq!(written, r#"["web","rust","a\"b"]"#);
        let none = TagList::default();
        assert_eq!(
            sonic_rs::to_string(&TagNames(&none)).expect("sonic-rs"),
            "[]"
        );
    }
}
