//! Pure domain types. Each `parse` either returns a valid value or a [`FieldError`] that says
//! which field was wrong and what to do about it.

mod bookmark;
mod cursor;
mod event;
mod import;
mod keys;
mod password;
mod secret;
mod tag;
mod text;
mod time;
mod url;
mod username;
mod visibility;

pub use bookmark::{BookmarkChanges, BookmarkDraft};
pub use cursor::Cursor;
pub use event::{BookmarkSnapshot, DomainEvent};
pub use import::{ImportedBookmark, OnDuplicate};
pub use keys::ActorKeys;
pub use password::{Password, PasswordHash};
pub use secret::{Secret, SecretHash};
pub use tag::{TagList, TagListNames, TagName};
pub use tag::{MAX_TAGS_PER_BOOKMARK, MAX_TAG_LENGTH};
pub use text::{Description, Notes, Title, MAX_NOTES_LENGTH, MAX_TITLE_LENGTH};
pub use time::plausible_time;
pub use url::BookmarkUrl;
pub use url::MAX_URL_LENGTH;
pub use username::UserName;
pub use visibility::Visibility;

use std::fmt;

/// A rejected input value: which field, and a sentence saying what was wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FieldError {}
