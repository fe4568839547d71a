//! A new bookmark on PostgreSQL in one statement.
//!
//! On PostgreSQL every statement is a round trip to the server, and the server's own CPU for a
//! create went mostly to receiving and answering them: half of its samples were in `send`,
//! `epoll_wait` and the scheduler (perf, 2026-12-04), for a create of two tags written as
//! fourteen statements. Here the bookmark, its tag links, its owner's tag totals, its search
//! document and its domain event are one statement of data-modifying `WITH` queries, kept
//! compiled, after one lookup of the tags' ids; with the token, `BEGIN` and `COMMIT` a create
//! is five round trips whatever its number of tags, once they exist (a new tag adds its insert
//! and a second lookup).
//!
//! SQLite, in the same process, pays nothing per statement for a trip and keeps the
//! statement-per-row writes of [`super::bookmarks`] (and groups its saves' commits instead,
//! [`super::group_commit`]). Both write the same rows; the store's tests run on both backends.

use super::bookmarks::{unsaved_bookmark, Bookmark};
use super::connection::DbConnection;
use super::error::StoreError;
use super::events::event_payload;
use super::now;
use super::search;
use super::tags::ensure_tags;
use crate::model::{BookmarkDraft, DomainEvent};
use chrono::NaiveDateTime;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Text, Timestamp};

/// Stores `draft` as a new bookmark of the user in one statement (after looking up, and if
/// need be creating, its tags), or returns `None` without writing it when the user saved its
/// address before (or no longer exists): the caller then takes the path that finds the
/// bookmark and changes it.
pub(crate) fn create_if_new(
    conn: &mut DbConnection,
    user_id: i64,
    draft: &BookmarkDraft,
) -> Result<Option<Bookmark>, StoreError> {
    let mut bookmark = unsaved_bookmark(user_id, draft);
    let names = bookmark.tags.names();
    let ids = ensure_tags(conn, &names)?;
    // Every name has its id after `ensure_tags`; a name without one would be left unlinked,
    // as `tags::link_new_bookmark` leaves it.
    let (tag_ids, tag_names): (Vec<i64>, Vec<&str>) = names
        .iter()
        .filter_map(|name| Some((*ids.get(name)?, name.as_str())))
        .unzip();
    let event = DomainEvent::BookmarkCreated {
        bookmark: bookmark.snapshot(),
    };
    let statement = InsertNewBookmark {
        bookmark: &bookmark,
        tag_ids,
        tag_names,
        tag_text: bookmark.tags.stored_text(),
        lexemes: search::postgres_lexemes_of(&bookmark),
        event_kind: event.kind(),
        event_payload: event_payload(&event)?,
        event_visible_to_others: event.visible_to_others(),
        event_at: now(),
    };
    let DbConnection::Postgres(c) = conn else {
        return Err(StoreError::Pool(
            "a PostgreSQL statement was asked of a SQLite connection".into(),
        ));
    };
    let stored: Option<(i64, String)> = statement.get_result(c).optional()?;
    Ok(stored.map(|(id, owner_name)| {
        bookmark.id = id;
        bookmark.owner_name = owner_name.into();
        bookmark
    }))
}

/// The statement: the bookmark, unless its owner has its address already (then nothing at all
/// is written and no row comes back), and with it its links, totals, document and event.
/// Answers the new bookmark's id and its owner's name.
struct InsertNewBookmark<'a> {
    bookmark: &'a Bookmark,
    /// The bookmark's tags in their order, with their ids.
    tag_ids: Vec<i64>,
    tag_names: Vec<&'a str>,
    /// The tags as `bookmarks.tag_names` keeps them (`TagList::stored_text`).
    tag_text: String,
    /// The search document's lexemes, space-separated (`search::postgres_lexemes_of`).
    lexemes: String,
    event_kind: &'static str,
    event_payload: String,
    event_visible_to_others: bool,
    event_at: NaiveDateTime,
}

impl QueryId for InsertNewBookmark<'_> {
    type QueryId = InsertNewBookmark<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for InsertNewBookmark<'_> {
    type SqlType = (BigInt, Text);
}

impl QueryFragment<Pg> for InsertNewBookmark<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let b = self.bookmark;
        out.push_sql(
            "WITH new_bookmark AS (\
             INSERT INTO bookmarks (public_id, user_id, url, title, description, notes, \
             visibility, unread, created_at, updated_at, tag_names) \
             SELECT ",
        );
        out.push_bind_param::<Text, _>(&b.public_id)?;
        out.push_sql(", users.id, ");
        out.push_bind_param::<Text, _>(b.url.as_str())?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(b.title.as_str())?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(b.description.as_str())?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(b.notes.as_str())?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(b.visibility.as_str())?;
        out.push_sql(", ");
        out.push_bind_param::<Bool, _>(&b.unread)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&b.created_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&b.updated_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&self.tag_text)?;
        // From the owner's row, so that an owner deleted meanwhile writes nothing (and the
        // caller's usual path reports them missing) rather than failing on the foreign key.
        out.push_sql(" FROM users WHERE users.id = ");
        out.push_bind_param::<BigInt, _>(&b.owner_id)?;
        out.push_sql(
            " ON CONFLICT (user_id, url) DO NOTHING RETURNING id, user_id, created_at\
             ), tagged AS (\
             SELECT tag.id, tag.name, tag.position - 1 AS position \
             FROM unnest(",
        );
        out.push_bind_param::<Array<BigInt>, _>(&self.tag_ids)?;
        out.push_sql("::bigint[], ");
        out.push_bind_param::<Array<Text>, _>(&self.tag_names)?;
        out.push_sql(
            "::text[]) WITH ORDINALITY AS tag(id, name, position)\
             ), links AS (\
             INSERT INTO bookmark_tags \
             (bookmark_id, tag_id, position, user_id, bookmark_created_at, tag_name) \
             SELECT new_bookmark.id, tagged.id, tagged.position::integer, \
             new_bookmark.user_id, new_bookmark.created_at, tagged.name \
             FROM new_bookmark, tagged\
             ), totals AS (\
             INSERT INTO tag_totals (user_id, tag_id, visibility, bookmarks) \
             SELECT new_bookmark.user_id, tagged.id, ",
        );
        out.push_bind_param::<Text, _>(b.visibility.as_str())?;
        // In the order of the tags' names, byte by byte as Rust orders them
        // (`tag_totals::apply`): transactions lock the totals they share in one order and wait
        // for each other instead of deadlocking.
        out.push_sql(
            ", 1 FROM new_bookmark, tagged ORDER BY tagged.name COLLATE \"C\" \
             ON CONFLICT (user_id, tag_id, visibility) \
             DO UPDATE SET bookmarks = tag_totals.bookmarks + excluded.bookmarks\
             ), document AS (\
             INSERT INTO bookmark_search (bookmark_id, document) \
             SELECT new_bookmark.id, array_to_tsvector(string_to_array(",
        );
        out.push_bind_param::<Text, _>(&self.lexemes)?;
        out.push_sql(
            "::text, ' ')) FROM new_bookmark\
             ), event AS (\
             INSERT INTO domain_events \
             (kind, user_id, bookmark_public_id, payload, created_at, visible_to_others) \
             SELECT ",
        );
        out.push_bind_param::<Text, _>(self.event_kind)?;
        out.push_sql(", new_bookmark.user_id, ");
        out.push_bind_param::<Text, _>(&b.public_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&self.event_payload)?;
        out.push_sql(", ");
        out.push_bind_param::<Timestamp, _>(&self.event_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Bool, _>(&self.event_visible_to_others)?;
        out.push_sql(
            " FROM new_bookmark\
             ) SELECT new_bookmark.id, users.name FROM new_bookmark \
             JOIN users ON users.id = new_bookmark.user_id",
        );
        Ok(())
    }
}

impl RunQueryDsl<PgConnection> for InsertNewBookmark<'_> {}
