//! A bookmark read from an import file, already parsed into domain values. Dates are optional
//! (a file may not have them; the import time is used then).

use super::{BookmarkUrl, Description, Notes, TagList, Title, Visibility};
use chrono::NaiveDateTime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedBookmark {
    pub url: BookmarkUrl,
    pub title: Title,
    pub description: Description,
    pub notes: Notes,
    pub tags: TagList,
    pub visibility: Visibility,
    pub unread: bool,
    pub created_at: Option<NaiveDateTime>,
    pub updated_at: Option<NaiveDateTime>,
}

/// What to do with an imported URL the user has already saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnDuplicate {
    /// Keep the saved bookmark as it is (re-running an import is then safe and cheap).
    #[default]
    Skip,
    /// Overwrite it with the file's values.
    Update,
}
