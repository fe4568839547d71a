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
    let wants_title = match &draft.changes.title {
        Some(title) => title.is_empty(),
        None => existing_title_empty,
    };
    if !wants_title {
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
