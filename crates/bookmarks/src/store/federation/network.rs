//! The network: bookmarks other servers sent us, stored once however many follows brought them,
//! and the entries that say which local user sees which of them through which follow.

use crate::model::Cursor;
use crate::store::connection::DbConnection;
use crate::store::error::StoreError;
use crate::store::now;
use crate::store::schema::{network_entries, remote_actors, remote_bookmarks};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A bookmark as it arrived, already parsed and sanitised by the federation side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteBookmark {
    /// The Note's id, as received.
    pub ap_id: String,
    pub url: String,
    /// The bookmark's page on its own server.
    pub remote_url: String,
    pub title: String,
    /// Plain text.
    pub notes: String,
    pub tags: Vec<String>,
    pub visibility: String,
    pub published_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A bookmark on someone's network page, with who saved it.
#[derive(Debug, Clone)]
pub struct NetworkBookmark {
    pub id: i64,
    pub bookmark: RemoteBookmark,
    pub author_handle: String,
    pub author_name: String,
    pub author_url: String,
}

#[derive(Debug, Clone)]
pub struct NetworkPage {
    pub items: Vec<NetworkBookmark>,
    pub next: Option<Cursor>,
}

/// Stores (or replaces the content of) a remote bookmark by `author_id`, and makes it visible to
/// each `(user_id, follow_id)` in `shown_through`. Returns the stored row's id.
pub fn store_remote_bookmark(
    conn: &mut DbConnection,
    author_id: i64,
    bookmark: &RemoteBookmark,
    shown_through: &[(i64, i64)],
) -> Result<i64, StoreError> {
    let tags = serde_json::to_string(&bookmark.tags)
        .map_err(|e| StoreError::Conflict(format!("could not encode tags: {e}")))?;
    let values = (
        remote_bookmarks::url.eq(&bookmark.url),
        remote_bookmarks::remote_url.eq(&bookmark.remote_url),
        remote_bookmarks::title.eq(&bookmark.title),
        remote_bookmarks::notes.eq(&bookmark.notes),
        remote_bookmarks::tags.eq(&tags),
        remote_bookmarks::visibility.eq(&bookmark.visibility),
        remote_bookmarks::updated_at.eq(bookmark.updated_at),
    );
    let id = match find_remote_bookmark(conn, &bookmark.ap_id)? {
        Some((id, _, _)) => {
            diesel::update(remote_bookmarks::table.find(id))
                .set(values)
                .execute(conn)?;
            id
        }
        None => {
            diesel::insert_into(remote_bookmarks::table)
                .values((
                    remote_bookmarks::ap_id.eq(&bookmark.ap_id),
                    remote_bookmarks::author_id.eq(author_id),
                    remote_bookmarks::published_at.eq(bookmark.published_at),
                    remote_bookmarks::received_at.eq(now()),
                    values,
                ))
                .execute(conn)?;
            find_remote_bookmark(conn, &bookmark.ap_id)?
                .map(|(id, _, _)| id)
                .ok_or(StoreError::NotFound("remote bookmark"))?
        }
    };
    for &(user_id, follow_id) in shown_through {
        let known = network_entries::table
            .find((user_id, id, follow_id))
            .count()
            .get_result::<i64>(conn)?;
        if known == 0 {
            diesel::insert_into(network_entries::table)
                .values((
                    network_entries::user_id.eq(user_id),
                    network_entries::remote_bookmark_id.eq(id),
                    network_entries::follow_id.eq(follow_id),
                ))
                .execute(conn)?;
        }
    }
    Ok(id)
}

/// `(row id, author's remote actor id, bookmark)` of a stored remote bookmark.
pub fn find_remote_bookmark(
    conn: &mut DbConnection,
    ap_id: &str,
) -> Result<Option<(i64, i64, RemoteBookmark)>, StoreError> {
    let row = remote_bookmarks::table
        .filter(remote_bookmarks::ap_id.eq(ap_id))
        .select((
            remote_bookmarks::id,
            remote_bookmarks::author_id,
            BookmarkRow::as_select(),
        ))
        .first::<(i64, i64, BookmarkRow)>(conn)
        .optional()?;
    Ok(row.map(|(id, author, b)| (id, author, b.into())))
}

/// Deletes a remote bookmark (and every network entry of it); false when it was not stored.
pub fn delete_remote_bookmark(conn: &mut DbConnection, ap_id: &str) -> Result<bool, StoreError> {
    let Some((id, _, _)) = find_remote_bookmark(conn, ap_id)? else {
        return Ok(false);
    };
    diesel::delete(network_entries::table.filter(network_entries::remote_bookmark_id.eq(id)))
        .execute(conn)?;
    diesel::delete(remote_bookmarks::table.find(id)).execute(conn)?;
    Ok(true)
}

/// Removes what `follow_id` made visible (only `remote_bookmark_id` when given). A bookmark that
/// no entry shows any more is deleted.
pub fn remove_network_entries(
    conn: &mut DbConnection,
    follow_id: i64,
    remote_bookmark_id: Option<i64>,
) -> Result<(), StoreError> {
    let mut query = network_entries::table
        .filter(network_entries::follow_id.eq(follow_id))
        .into_boxed();
    if let Some(id) = remote_bookmark_id {
        query = query.filter(network_entries::remote_bookmark_id.eq(id));
    }
    let affected: Vec<i64> = query
        .select(network_entries::remote_bookmark_id)
        .load(conn)?;
    let mut delete = diesel::delete(network_entries::table)
        .filter(network_entries::follow_id.eq(follow_id))
        .into_boxed();
    if let Some(id) = remote_bookmark_id {
        delete = delete.filter(network_entries::remote_bookmark_id.eq(id));
    }
    delete.execute(conn)?;
    for id in affected {
        let still_shown = network_entries::table
            .filter(network_entries::remote_bookmark_id.eq(id))
            .count()
            .get_result::<i64>(conn)?;
        if still_shown == 0 {
            diesel::delete(remote_bookmarks::table.find(id)).execute(conn)?;
        }
    }
    Ok(())
}

/// The newest public bookmarks by `author_id` this instance has received, for their profile
/// page here.
pub fn public_bookmarks_by(
    conn: &mut DbConnection,
    author_id: i64,
    limit: i64,
) -> Result<Vec<RemoteBookmark>, StoreError> {
    let rows: Vec<BookmarkRow> = remote_bookmarks::table
        .filter(remote_bookmarks::author_id.eq(author_id))
        .filter(remote_bookmarks::visibility.eq("public"))
        .order((
            remote_bookmarks::published_at.desc(),
            remote_bookmarks::id.desc(),
        ))
        .limit(limit)
        .select(BookmarkRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// A page of `user_id`'s network, newest first, each bookmark once.
pub fn list_network(
    conn: &mut DbConnection,
    user_id: i64,
    before: Option<Cursor>,
    limit: i64,
) -> Result<NetworkPage, StoreError> {
    let shown = network_entries::table
        .filter(network_entries::user_id.eq(user_id))
        .select(network_entries::remote_bookmark_id);
    let mut query = remote_bookmarks::table
        .inner_join(remote_actors::table)
        .filter(remote_bookmarks::id.eq_any(shown))
        .into_boxed();
    if let Some(cursor) = before {
        query = query.filter(
            remote_bookmarks::published_at
                .lt(cursor.created_at)
                .or(remote_bookmarks::published_at
                    .eq(cursor.created_at)
                    .and(remote_bookmarks::id.lt(cursor.id))),
        );
    }
    let rows: Vec<(i64, BookmarkRow, String, String, String)> = query
        .order((
            remote_bookmarks::published_at.desc(),
            remote_bookmarks::id.desc(),
        ))
        .limit(limit + 1)
        .select((
            remote_bookmarks::id,
            BookmarkRow::as_select(),
            remote_actors::handle,
            remote_actors::name,
            remote_actors::profile_url,
        ))
        .load(conn)?;
    let mut items: Vec<NetworkBookmark> = rows
        .into_iter()
        .map(
            |(id, row, author_handle, author_name, author_url)| NetworkBookmark {
                id,
                bookmark: row.into(),
                author_handle,
                author_name,
                author_url,
            },
        )
        .collect();
    let next = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|last| Cursor {
            created_at: last.bookmark.published_at,
            id: last.id,
        })
    } else {
        None
    };
    Ok(NetworkPage { items, next })
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = remote_bookmarks)]
struct BookmarkRow {
    ap_id: String,
    url: String,
    remote_url: String,
    title: String,
    notes: String,
    tags: String,
    visibility: String,
    published_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl From<BookmarkRow> for RemoteBookmark {
    fn from(row: BookmarkRow) -> Self {
        Self {
            ap_id: row.ap_id,
            url: row.url,
            remote_url: row.remote_url,
            title: row.title,
            notes: row.notes,
            tags: serde_json::from_str(&row.tags).unwrap_or_default(),
            visibility: row.visibility,
            published_at: row.published_at,
            updated_at: row.updated_at,
        }
    }
}
