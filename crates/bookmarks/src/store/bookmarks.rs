//! Saving, changing and deleting one bookmark. Each function runs inside the caller's
//! transaction ([`super::Database::write`]) and records its domain event there, so the
//! bookmark, its tags and its event are stored together or not at all.

use super::connection::{on_each_backend, Backend, DbBackend, DbConnection};
use super::deferred_documents;
use super::error::StoreError;
use super::events::record_event;
use super::now;
use super::postgres_create;
use super::schema::{bookmarks, users};
use super::search;
use super::stored_time::{StoredTime, WrittenTime};
use super::stored_visibility::StoredVisibility;
use super::tag_totals::{self, Tagged};
use super::tags::{link_new_bookmark, move_links, set_bookmark_tags, LinkedBookmark};
use crate::model::{
    BookmarkChanges, BookmarkDraft, BookmarkSnapshot, BookmarkUrl, Cursor, Description,
    DomainEvent, Notes, TagList, Title, Visibility,
};
use chrono::{NaiveDateTime, Timelike};
use diesel::expression::BoxableExpression;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use std::sync::Arc;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = bookmarks)]
#[diesel(check_for_backend(super::connection::DbBackend))]
pub(crate) struct BookmarkRow {
    id: i64,
    public_id: String,
    user_id: i64,
    url: String,
    title: String,
    description: String,
    notes: String,
    #[diesel(deserialize_as = StoredVisibility)]
    visibility: Visibility,
    unread: bool,
    #[diesel(deserialize_as = StoredTime)]
    created_at: NaiveDateTime,
    #[diesel(deserialize_as = StoredTime)]
    updated_at: NaiveDateTime,
    /// Its tags' names in order, space-separated (`TagList::stored_text`).
    tag_names: String,
}

/// A stored bookmark with its owner's name and its tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bookmark {
    /// Internal row id (for cursors); never shown.
    pub id: i64,
    /// The stable public id, used in URLs, the API and (later) as the ActivityPub object id.
    pub public_id: String,
    pub owner_id: i64,
    /// Shared by the bookmarks of a page with one owner: one name, not one copy per row.
    pub owner_name: Arc<str>,
    pub url: BookmarkUrl,
    pub title: Title,
    pub description: Description,
    pub notes: Notes,
    pub tags: TagList,
    pub visibility: Visibility,
    pub unread: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl BookmarkRow {
    pub(crate) fn owner_id(&self) -> i64 {
        self.user_id
    }
}

impl Bookmark {
    /// The single rule for who may see one bookmark: its owner always; others unless private.
    pub fn visible_to(&self, viewer: Option<i64>) -> bool {
        match self.visibility {
            Visibility::Public | Visibility::Unlisted => true,
            Visibility::Org => viewer.is_some(),
            Visibility::Private => viewer == Some(self.owner_id),
        }
    }

    /// What to call it in lists and feeds: its title, or its address when it has none.
    pub fn heading(&self) -> &str {
        if self.title.is_empty() {
            self.url.as_str()
        } else {
            self.title.as_str()
        }
    }

    pub fn cursor(&self) -> Cursor {
        Cursor {
            created_at: self.created_at,
            id: self.id,
        }
    }

    pub fn snapshot(&self) -> BookmarkSnapshot {
        BookmarkSnapshot {
            public_id: self.public_id.clone(),
            url: self.url.to_string(),
            title: self.title.as_str().to_owned(),
            notes: self.notes.as_str().to_owned(),
            tags: self.tags.names(),
            visibility: self.visibility.as_str().to_owned(),
            unread: self.unread,
        }
    }

    pub(crate) fn from_row(row: BookmarkRow, owner_name: Arc<str>) -> Self {
        Self {
            id: row.id,
            public_id: row.public_id,
            owner_id: row.user_id,
            owner_name,
            url: BookmarkUrl::from_stored(row.url),
            title: Title::from_stored(row.title),
            description: Description::from_stored(row.description),
            notes: Notes::from_stored(row.notes),
            tags: TagList::from_stored_text(row.tag_names),
            visibility: row.visibility,
            unread: row.unread,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// Full bookmarks from rows selected with their owners' names (each row carries its tags).
pub(crate) fn hydrate(rows: Vec<(BookmarkRow, Arc<str>)>) -> Vec<Bookmark> {
    rows.into_iter()
        .map(|(row, owner)| Bookmark::from_row(row, owner))
        .collect()
}

fn load_one(
    conn: &mut DbConnection,
    filter: impl FnOnce(
        bookmarks::BoxedQuery<'static, DbBackend>,
    ) -> bookmarks::BoxedQuery<'static, DbBackend>,
) -> Result<Option<Bookmark>, StoreError> {
    let ids: Vec<i64> = filter(bookmarks::table.into_boxed())
        .select(bookmarks::id)
        .limit(1)
        .load(conn)?;
    let Some(id) = ids.first() else {
        return Ok(None);
    };
    let rows: Vec<(BookmarkRow, String)> = bookmarks::table
        .inner_join(users::table)
        .filter(bookmarks::id.eq(id))
        .select((BookmarkRow::as_select(), users::name))
        .load(conn)?;
    let rows = rows
        .into_iter()
        .map(|(row, owner)| (row, Arc::from(owner)))
        .collect();
    Ok(hydrate(rows).pop())
}

/// Any bookmark by public id; the caller decides with [`Bookmark::visible_to`] who may see it.
pub fn get_bookmark(
    conn: &mut DbConnection,
    public_id: &str,
) -> Result<Option<Bookmark>, StoreError> {
    let public_id = public_id.to_owned();
    load_one(conn, |q| q.filter(bookmarks::public_id.eq(public_id)))
}

/// The user's bookmark of this (normalised) URL, if they saved it before.
pub fn find_bookmark_by_url(
    conn: &mut DbConnection,
    user_id: i64,
    url: &BookmarkUrl,
) -> Result<Option<Bookmark>, StoreError> {
    let url = url.as_str().to_owned();
    load_one(conn, |q| {
        q.filter(bookmarks::user_id.eq(user_id))
            .filter(bookmarks::url.eq(url))
    })
}

#[derive(Debug, Clone)]
pub struct SavedBookmark {
    pub bookmark: Bookmark,
    /// False when the URL was saved before and this save updated that bookmark.
    pub created: bool,
}

/// Saves `draft` for the user: creates the bookmark, or, when they saved this URL before,
/// applies the changes to that bookmark (same public id).
pub fn save_bookmark(
    conn: &mut DbConnection,
    user_id: i64,
    draft: &BookmarkDraft,
) -> Result<SavedBookmark, StoreError> {
    // On PostgreSQL a new address is stored in one statement, which writes nothing when the
    // address was saved before; then the bookmark is found and changed as below. (Not in a
    // group whose documents are held back for its end, which that statement cannot do.)
    if conn.backend() == Backend::Postgres && !deferred_documents::holding() {
        if let Some(bookmark) = postgres_create::create_if_new(conn, user_id, draft)? {
            return Ok(SavedBookmark {
                bookmark,
                created: true,
            });
        }
    }
    save_found_or_new(conn, user_id, draft)
}

/// [`save_bookmark`] by finding the user's bookmark of the address first: changes it, or
/// inserts a new one statement by statement.
pub(crate) fn save_found_or_new(
    conn: &mut DbConnection,
    user_id: i64,
    draft: &BookmarkDraft,
) -> Result<SavedBookmark, StoreError> {
    lock_for_change(
        conn,
        Box::new(
            bookmarks::user_id
                .eq(user_id)
                .and(bookmarks::url.eq(draft.url.as_str().to_owned())),
        ),
    )?;
    if let Some(existing) = find_bookmark_by_url(conn, user_id, &draft.url)? {
        let bookmark = apply_changes(conn, existing, None, &draft.changes)?;
        return Ok(SavedBookmark {
            bookmark,
            created: false,
        });
    }
    Ok(SavedBookmark {
        bookmark: insert_bookmark(conn, user_id, draft)?,
        created: true,
    })
}

/// Stores a bookmark of a URL the user has not saved. The bookmark it returns is built from
/// what was written, not read back: a create is a dozen statements behind SQLite's one writer,
/// and reading the row, its owner and its tags again was three of them.
fn insert_bookmark(
    conn: &mut DbConnection,
    user_id: i64,
    draft: &BookmarkDraft,
) -> Result<Bookmark, StoreError> {
    let owner_name: Arc<str> = users::table
        .find(user_id)
        .select(users::name)
        .first::<String>(conn)
        .optional()?
        .ok_or(StoreError::NotFound("user"))?
        .into();
    let mut bookmark = unsaved_bookmark(user_id, draft);
    bookmark.owner_name = owner_name;
    let created_at = bookmark.created_at;
    let row = (
        bookmarks::public_id.eq(&bookmark.public_id),
        bookmarks::user_id.eq(user_id),
        bookmarks::url.eq(bookmark.url.as_str()),
        bookmarks::title.eq(bookmark.title.as_str()),
        bookmarks::description.eq(bookmark.description.as_str()),
        bookmarks::notes.eq(bookmark.notes.as_str()),
        bookmarks::visibility.eq(bookmark.visibility.as_str()),
        bookmarks::unread.eq(bookmark.unread),
        bookmarks::created_at.eq(WrittenTime(created_at)),
        bookmarks::updated_at.eq(WrittenTime(bookmark.updated_at)),
        bookmarks::tag_names.eq(bookmark.tags.stored_text()),
    );
    bookmark.id = on_each_backend!(conn, |c| diesel::insert_into(bookmarks::table)
        .values(row)
        .returning(bookmarks::id)
        .get_result(c))?;
    let tags = bookmark.tags.names();
    let linked = LinkedBookmark {
        id: bookmark.id,
        user_id,
        created_at,
    };
    let ids = link_new_bookmark(conn, linked, &tags)?;
    search::index_new_bookmark(conn, &bookmark)?;
    tag_totals::adjust_known(
        conn,
        user_id,
        &ids,
        Tagged {
            tags: &tags,
            visibility: bookmark.visibility,
        },
    )?;
    record_event(
        conn,
        user_id,
        &DomainEvent::BookmarkCreated {
            bookmark: bookmark.snapshot(),
        },
    )?;
    Ok(bookmark)
}

/// The bookmark `draft` makes for the user, before it is stored: no row id yet (0), a new
/// public id, and its owner's name left for whoever stores it to fill in.
pub(crate) fn unsaved_bookmark(user_id: i64, draft: &BookmarkDraft) -> Bookmark {
    let changes = &draft.changes;
    let updated_at = now();
    // Stored to the microsecond on both backends, so the value returned is the value kept.
    let created_at = changes.created_at.map_or(updated_at, whole_microseconds);
    Bookmark {
        id: 0,
        public_id: uuid::Uuid::now_v7().simple().to_string(),
        owner_id: user_id,
        owner_name: Arc::default(),
        url: draft.url.clone(),
        title: changes.title.clone().unwrap_or_default(),
        description: changes.description.clone().unwrap_or_default(),
        notes: changes.notes.clone().unwrap_or_default(),
        tags: changes.tags.clone().unwrap_or_default(),
        visibility: changes.visibility.unwrap_or_default(),
        unread: changes.unread.unwrap_or(false),
        created_at,
        updated_at,
    }
}

/// `time` without its nanoseconds beyond the microsecond (what PostgreSQL keeps).
fn whole_microseconds(time: NaiveDateTime) -> NaiveDateTime {
    time.with_nanosecond(time.nanosecond() / 1_000 * 1_000)
        .unwrap_or(time)
}

/// Changes the user's bookmark `public_id`. Someone else's bookmark is "not found", never
/// "forbidden", so ids of private bookmarks cannot be probed.
pub fn update_bookmark(
    conn: &mut DbConnection,
    user_id: i64,
    public_id: &str,
    new_url: Option<&BookmarkUrl>,
    changes: &BookmarkChanges,
) -> Result<Bookmark, StoreError> {
    let existing = owned_bookmark(conn, user_id, public_id)?;
    if let Some(url) = new_url.filter(|url| **url != existing.url) {
        if let Some(other) = find_bookmark_by_url(conn, user_id, url)? {
            return Err(StoreError::Conflict(format!(
                "you already saved {url} (bookmark {}); edit that bookmark instead",
                other.public_id
            )));
        }
    }
    apply_changes(conn, existing, new_url, changes)
}

pub fn delete_bookmark(
    conn: &mut DbConnection,
    user_id: i64,
    public_id: &str,
) -> Result<Bookmark, StoreError> {
    let existing = owned_bookmark(conn, user_id, public_id)?;
    diesel::delete(bookmarks::table.filter(bookmarks::id.eq(existing.id))).execute(conn)?;
    search::remove_document(conn, existing.id)?;
    let tags = existing.tags.names();
    tag_totals::adjust(
        conn,
        user_id,
        [(
            Some(Tagged {
                tags: &tags,
                visibility: existing.visibility,
            }),
            None,
        )],
    )?;
    record_event(
        conn,
        user_id,
        &DomainEvent::BookmarkDeleted {
            bookmark: existing.snapshot(),
        },
    )?;
    Ok(existing)
}

/// On PostgreSQL, locks the bookmark rows `condition` picks for the rest of the transaction,
/// before they are read for a change: two changes of one bookmark (an edit and a tag rename,
/// say) then take turns, and the second adjusts the tag totals from what the first wrote, not
/// from what both read before either wrote (which left the totals off by the first change's
/// tags). SQLite writes one transaction at a time.
fn lock_for_change(
    conn: &mut DbConnection,
    condition: Box<dyn BoxableExpression<bookmarks::table, Pg, SqlType = Bool>>,
) -> Result<(), StoreError> {
    if let DbConnection::Postgres(c) = conn {
        bookmarks::table
            .filter(condition)
            .select(bookmarks::id)
            .for_no_key_update()
            .load::<i64>(c)?;
    }
    Ok(())
}

/// The user's bookmark `public_id`, locked for a change on PostgreSQL (see
/// [`lock_for_change`]); someone else's is "not found".
pub(crate) fn owned_bookmark(
    conn: &mut DbConnection,
    user_id: i64,
    public_id: &str,
) -> Result<Bookmark, StoreError> {
    lock_for_change(
        conn,
        Box::new(
            bookmarks::public_id
                .eq(public_id.to_owned())
                .and(bookmarks::user_id.eq(user_id)),
        ),
    )?;
    get_bookmark(conn, public_id)?
        .filter(|b| b.owner_id == user_id)
        .ok_or(StoreError::NotFound("bookmark"))
}

/// Writes `changes` to `existing`, as read (and on PostgreSQL locked, [`owned_bookmark`]) in
/// this transaction, with its links, document, totals and event.
pub(crate) fn apply_changes(
    conn: &mut DbConnection,
    existing: Bookmark,
    new_url: Option<&BookmarkUrl>,
    changes: &BookmarkChanges,
) -> Result<Bookmark, StoreError> {
    let url = new_url.unwrap_or(&existing.url);
    let title = changes.title.as_ref().unwrap_or(&existing.title);
    // The stored description belongs to the page at the old address.
    let url_changed = new_url.is_some_and(|url| *url != existing.url);
    let no_description = Description::default();
    let description = match &changes.description {
        Some(description) => description,
        None if url_changed => &no_description,
        None => &existing.description,
    };
    let notes = changes.notes.as_ref().unwrap_or(&existing.notes);
    let tags = changes.tags.as_ref().unwrap_or(&existing.tags);
    let created_at = changes.created_at.unwrap_or(existing.created_at);
    diesel::update(bookmarks::table.filter(bookmarks::id.eq(existing.id)))
        .set((
            bookmarks::url.eq(url.as_str()),
            bookmarks::title.eq(title.as_str()),
            bookmarks::description.eq(description.as_str()),
            bookmarks::notes.eq(notes.as_str()),
            bookmarks::visibility.eq(changes.visibility.unwrap_or(existing.visibility).as_str()),
            bookmarks::unread.eq(changes.unread.unwrap_or(existing.unread)),
            bookmarks::created_at.eq(WrittenTime(created_at)),
            bookmarks::updated_at.eq(WrittenTime(now())),
            bookmarks::tag_names.eq(tags.stored_text()),
        ))
        .execute(conn)?;
    let linked = LinkedBookmark {
        id: existing.id,
        user_id: existing.owner_id,
        created_at,
    };
    if let Some(tags) = &changes.tags {
        set_bookmark_tags(conn, linked, tags)?;
    } else if created_at != existing.created_at {
        move_links(conn, linked)?;
    }
    let updated =
        get_bookmark(conn, &existing.public_id)?.ok_or(StoreError::NotFound("bookmark"))?;
    search::index_bookmark(conn, &updated)?;
    let (tags_before, tags_after) = (existing.tags.names(), updated.tags.names());
    tag_totals::adjust(
        conn,
        existing.owner_id,
        [(
            Some(Tagged {
                tags: &tags_before,
                visibility: existing.visibility,
            }),
            Some(Tagged {
                tags: &tags_after,
                visibility: updated.visibility,
            }),
        )],
    )?;
    record_event(
        conn,
        existing.owner_id,
        &DomainEvent::BookmarkUpdated {
            before: existing.snapshot(),
            after: updated.snapshot(),
        },
    )?;
    Ok(updated)
}
