//! Renaming or removing a tag across all of one user's bookmarks. Each bookmark that changes
//! records its own update event, as an edit by hand would.

use super::bookmarks::{apply_changes, owned_bookmark};
use super::connection::DbConnection;
use super::error::StoreError;
use super::listing::{list_bookmarks, BookmarkFilter, Scope, MAX_PAGE_SIZE};
use crate::model::{BookmarkChanges, TagList, TagName};

/// Replaces `from` with `to` (or removes it, with `to` = `None`) on the user's bookmarks;
/// returns how many bookmarks changed. Run inside [`super::Database::write`].
pub fn retag(
    conn: &mut DbConnection,
    user_id: i64,
    from: &TagName,
    to: Option<&TagName>,
) -> Result<usize, StoreError> {
    if to == Some(from) {
        return Ok(0);
    }
    // Each bookmark's change adjusts the totals in a turn of its own.
    super::tag_totals::hold_owners_totals(conn, user_id)?;
    let mut filter = BookmarkFilter::new(Scope::User { owner: user_id }, Some(user_id));
    filter.tags = vec![from.clone()];
    filter.limit = MAX_PAGE_SIZE;
    let mut changed = 0;
    loop {
        // Down the listing by cursor rather than the first page again and again: bookmarks
        // saved with `from` while the rename runs (on PostgreSQL, saves go on beside it) are
        // newer than its cursor, so it ends. It renames what was there when it began, except
        // one whose date an edit moves above the cursor meanwhile, and also any bookmark
        // given `from` meanwhile with a date below the cursor.
        let page = list_bookmarks(conn, &filter)?;
        for listed in page.items {
            // Its tags as they are now, locked: an edit or deletion may have come since the
            // page was read; one that no longer carries `from` is passed over.
            let bookmark = match owned_bookmark(conn, user_id, &listed.public_id) {
                Ok(bookmark) if bookmark.tags.contains(from) => bookmark,
                Ok(_) | Err(StoreError::NotFound(_)) => continue,
                Err(e) => return Err(e),
            };
            let names: Vec<String> = bookmark
                .tags
                .iter()
                .filter_map(|tag| match to {
                    _ if tag != from.as_str() => Some(tag.to_owned()),
                    Some(new) => Some(new.to_string()),
                    None => None,
                })
                .collect();
            let changes = BookmarkChanges {
                tags: Some(TagList::parse_each(&names)?),
                ..BookmarkChanges::default()
            };
            // Changed as read here, not read and locked once more by `update_bookmark`.
            apply_changes(conn, bookmark, None, &changes)?;
            changed += 1;
        }
        match page.next {
            Some(cursor) => filter.before = Some(cursor),
            None => return Ok(changed),
        }
    }
}
