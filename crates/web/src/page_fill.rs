//! Filling in what the user left empty before a save: when there is no title (and the bookmark
//! has none yet), fetch the page's title and description. Never fails the save.

use crate::page_meta::fetch_page_meta;
use crate::state::AppState;
use bookmarks::model::BookmarkDraft;

/// `existing_title_empty` is whether the bookmark already stored for this URL (if any) lacks a
/// title; a title that is merely not given keeps the stored one.
pub async fn fill_from_page(
    state: &AppState,
    draft: &mut BookmarkDraft,
    existing_title_empty: bool,
) {
    if !wants_title(draft).unwrap_or(existing_title_empty) {
        return;
    }
    let meta = fetch_page_meta(&state.http, &draft.url).await;
    if let Some(title) = meta.title {
        draft.changes.title = Some(title);
    }
    if draft.changes.description.is_none() {
        draft.changes.description = meta.description;
    }
}

/// Whether a save of `draft` fetches the page for its title: yes for an empty title, no for a
/// title given; `None` when no title is given, so that it depends on whether the bookmark
/// already stored for this URL has one.
pub fn wants_title(draft: &BookmarkDraft) -> Option<bool> {
    draft.changes.title.as_ref().map(|title| title.is_empty())
}
