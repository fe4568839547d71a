//! A user's whole collection read oldest first, a page at a time: what an export writes.
//! Browsers write their bookmark files oldest first, and an import of such a file keeps
//! bookmarks saved in the same second in their order. Each page is one statement up the
//! owner's listing index (`bookmarks_user_created`, walked backwards) from the previous page's
//! last bookmark, so an export holds one page in memory whatever the collection's size. A
//! bookmark saved while it runs is in it or not; one whose date changes while it runs may be
//! written twice or left out; every other bookmark is written once.

use super::bookmarks::{hydrate, BookmarkRow};
use super::connection::{on_each_backend, DbConnection};
use super::error::StoreError;
use super::listing::{BookmarkPage, MAX_PAGE_SIZE};
use super::schema::bookmarks;
use super::users::User;
use crate::model::Cursor;
use diesel::prelude::*;
use std::sync::Arc;

/// Up to `limit` (at most [`MAX_PAGE_SIZE`]) of `owner`'s bookmarks, private ones included,
/// oldest first, starting after `after` (`None`: the oldest); the page's `next` is the cursor
/// of the page after it.
pub fn list_oldest_first(
    conn: &mut DbConnection,
    owner: &User,
    after: Option<Cursor>,
    limit: i64,
) -> Result<BookmarkPage, StoreError> {
    let limit = limit.clamp(1, MAX_PAGE_SIZE);
    let owner_id = owner.id;
    // On the concrete connection, as every listing's statements are (see `on_each_backend!`).
    let mut rows: Vec<BookmarkRow> = on_each_backend!(conn, |c| {
        let mut query = bookmarks::table
            .filter(bookmarks::user_id.eq(owner_id))
            .into_boxed();
        if let Some(after) = after {
            // The first condition alone is implied by the rest: it starts the index walk at
            // the cursor (as `listing::older_than!` does the other way).
            query = query.filter(
                bookmarks::created_at.ge(after.created_at).and(
                    bookmarks::created_at
                        .gt(after.created_at)
                        .or(bookmarks::created_at
                            .eq(after.created_at)
                            .and(bookmarks::id.gt(after.id))),
                ),
            );
        }
        query
            .order((bookmarks::created_at.asc(), bookmarks::id.asc()))
            .limit(limit + 1)
            .select(BookmarkRow::as_select())
            .load(c)
    })?;
    let wanted = usize::try_from(limit).unwrap_or(usize::MAX);
    let has_more = rows.len() > wanted;
    rows.truncate(wanted);
    let name: Arc<str> = Arc::from(owner.name.as_str());
    let items = hydrate(rows.into_iter().map(|row| (row, name.clone())).collect());
    let next = if has_more {
        items.last().map(super::Bookmark::cursor)
    } else {
        None
    };
    Ok(BookmarkPage { items, next })
}
