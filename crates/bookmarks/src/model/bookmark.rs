//! What a user asks to save (`BookmarkDraft`) or change (`BookmarkChanges`), already parsed.
//! `None` means "not given": on a new bookmark the default applies, on an existing one the
//! stored value stays.

use super::BookmarkUrl;
use super::{Description, Notes, TagList, Title, Visibility};

#[derive(Debug, Clone)]
pub struct BookmarkDraft {
    pub url: BookmarkUrl,
    pub changes: BookmarkChanges,
}

#[derive(Debug, Clone, Default)]
pub struct BookmarkChanges {
    pub title: Option<Title>,
    /// The page's own description, set when the page was fetched.
    pub description: Option<Description>,
    pub notes: Option<Notes>,
    pub tags: Option<TagList>,
    pub visibility: Option<Visibility>,
    pub unread: Option<bool>,
    /// Set the creation time (imports, Pinboard's `dt`); otherwise it is the time of saving.
    pub created_at: Option<chrono::NaiveDateTime>,
}
