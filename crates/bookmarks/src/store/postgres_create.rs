//! A new bookmark on PostgreSQL in one statement.
//!
//! On PostgreSQL every statement is a round trip to the server, and half of the server's CPU
//! for a create went to system calls, most of them receiving, answering and waiting for the
//! next statement (perf, 2026-12-04), for a create of two tags written as fourteen statements.
//! Here the bookmark, its tag links, its additions to its owner's tag totals, its search
//! document and its domain event are one statement of data-modifying `WITH` queries, kept
//! compiled, that looks the tags up itself. A save from the JSON API or Pinboard's `posts/add`
//! ([`super::Database::save_bookmark`]) runs it as a transaction of its own: an API create
//! with a title is the token's lookup and this statement, two round trips (Pinboard's add
//! reads the address's bookmark first, for its rules, so three). A new tag costs a
//! transaction that creates it and runs the statement again; an address saved before falls
//! back, in a transaction, to the path that finds and changes that bookmark.
//!
//! SQLite, in the same process, pays nothing per statement for a trip and keeps the
//! statement-per-row writes of [`super::bookmarks`] (and groups its saves' commits instead,
//! [`super::group_commit`]). Both write the same rows but one: the tag totals. An upsert of a
//! total locks its row until the commit is on disk, so on PostgreSQL every save of one user
//! with a tag waited for the previous such save's WAL flush, in a line (2,400–2,500 creates a
//! second on eight connections with the same two tags, against 3,100 with one of sixteen pairs;
//! seventeenth performance round). Here a create appends a row with its tags' ids to
//! `tag_total_changes`, which locks nothing another save wants, and about two creates in
//! [`FOLD_EVERY`] fold their owner's into `tag_totals`; tag clouds add what is not folded yet
//! ([`super::tag_totals::tag_cloud`]). The store's tests run on both backends.

use super::bookmarks::{unsaved_bookmark, Bookmark};
use super::connection::DbConnection;
use super::error::StoreError;
use super::events::event_payload;
use super::now;
use super::search;
use super::tags::ensure_tags;
use crate::model::{BookmarkDraft, DomainEvent, TagList};
use chrono::NaiveDateTime;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Text, Timestamp};
use rand::Rng;

/// A new bookmark whose id is a multiple of this folds its owner's pending additions to their
/// tag totals into them (see the statement), and so does one in this many at random besides,
/// so that no pattern of ids (two users saving in turn, say) keeps a user from folding: a tag
/// cloud reads about this many of the owner's pending rows beside the totals, and a create
/// waits for others' on its owner's totals only that often.
const FOLD_EVERY: u32 = 32;

/// What one run of the statement did.
pub(crate) enum Attempt {
    /// The bookmark is stored, with everything that goes with it.
    Created(Box<Bookmark>),
    /// Some of its tags do not exist yet, so nothing was written: create them
    /// ([`super::tags::ensure_tags`]) and run it again.
    TagsMissing,
    /// Nothing was written: the owner saved this address before (or no longer exists). The
    /// caller takes the path that finds that bookmark and changes it.
    NotCreated,
}

/// Stores `draft` as a new bookmark of the user in one statement, when its tags exist and its
/// address is new to them. Outside a transaction the statement is one of its own; inside one,
/// part of it.
pub(crate) fn attempt(
    conn: &mut DbConnection,
    user_id: i64,
    draft: &BookmarkDraft,
) -> Result<Attempt, StoreError> {
    let mut bookmark = unsaved_bookmark(user_id, draft);
    let names = bookmark.tags.names();
    let tag_count = i64::try_from(names.len()).unwrap_or(i64::MAX);
    let event = DomainEvent::BookmarkCreated {
        bookmark: bookmark.snapshot(),
    };
    let statement = InsertNewBookmark {
        bookmark: &bookmark,
        tag_names: &names,
        tag_count,
        tag_text: bookmark.tags.stored_text(),
        lexemes: search::postgres_lexemes_of(&bookmark),
        event_kind: event.kind(),
        event_payload: event_payload(&event)?,
        event_visible_to_others: event.visible_to_others(),
        event_at: now(),
        fold_anyway: rand::thread_rng().gen_ratio(1, FOLD_EVERY),
    };
    let DbConnection::Postgres(c) = conn else {
        return Err(StoreError::Pool(
            "a PostgreSQL statement was asked of a SQLite connection".into(),
        ));
    };
    let (id, owner_name, tags_found): (Option<i64>, Option<String>, i64) =
        statement.get_result(c)?;
    Ok(match (id, owner_name) {
        (Some(id), Some(owner_name)) => {
            bookmark.id = id;
            bookmark.owner_name = owner_name.into();
            Attempt::Created(Box::new(bookmark))
        }
        // The owner's row was read to insert the bookmark; it cannot be gone from the answer.
        (Some(_), None) => {
            return Err(StoreError::Conflict(
                "a bookmark was stored for an owner the database no longer finds".into(),
            ))
        }
        (None, _) if tags_found < tag_count => Attempt::TagsMissing,
        (None, _) => Attempt::NotCreated,
    })
}

/// Creates the draft's missing tags, then runs [`attempt`]: for a save whose first attempt
/// found tags missing. `None` when nothing was written (the address was saved before).
pub(crate) fn create_with_new_tags(
    conn: &mut DbConnection,
    user_id: i64,
    draft: &BookmarkDraft,
) -> Result<Option<Bookmark>, StoreError> {
    let names = draft
        .changes
        .tags
        .as_ref()
        .map(TagList::names)
        .unwrap_or_default();
    ensure_tags(conn, &names)?;
    Ok(match attempt(conn, user_id, draft)? {
        Attempt::Created(bookmark) => Some(*bookmark),
        Attempt::TagsMissing | Attempt::NotCreated => None,
    })
}

/// [`attempt`], and when tags were missing, [`create_with_new_tags`]: the new bookmark, or
/// `None` when nothing was written because the owner saved its address before.
pub(crate) fn create_if_new(
    conn: &mut DbConnection,
    user_id: i64,
    draft: &BookmarkDraft,
) -> Result<Option<Bookmark>, StoreError> {
    match attempt(conn, user_id, draft)? {
        Attempt::Created(bookmark) => Ok(Some(*bookmark)),
        Attempt::TagsMissing => create_with_new_tags(conn, user_id, draft),
        Attempt::NotCreated => Ok(None),
    }
}

/// The statement: the bookmark, unless one of its tags is missing or its owner has its
/// address already (then nothing at all is written), and with it its links, totals, document
/// and event. Answers one row: the new bookmark's id and its owner's name (both null when
/// nothing was written), and how many of its tags exist.
struct InsertNewBookmark<'a> {
    bookmark: &'a Bookmark,
    /// The bookmark's tags in their order.
    tag_names: &'a [String],
    tag_count: i64,
    /// The tags as `bookmarks.tag_names` keeps them (`TagList::stored_text`).
    tag_text: String,
    /// The search document's lexemes, space-separated (`search::postgres_lexemes_of`).
    lexemes: String,
    event_kind: &'static str,
    event_payload: String,
    event_visible_to_others: bool,
    event_at: NaiveDateTime,
    /// Fold the owner's pending additions whatever the new bookmark's id (the random one in
    /// [`FOLD_EVERY`]).
    fold_anyway: bool,
}

impl QueryId for InsertNewBookmark<'_> {
    type QueryId = InsertNewBookmark<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for InsertNewBookmark<'_> {
    type SqlType = (Nullable<BigInt>, Nullable<Text>, BigInt);
}

impl QueryFragment<Pg> for InsertNewBookmark<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let b = self.bookmark;
        // The tags by their names' index (`= ANY`): joined to the unnested names instead, the
        // kept plan, which cannot know how many names come, hashed the whole table.
        out.push_sql("WITH tagged AS (SELECT tags.id, tags.name, array_position(");
        out.push_bind_param::<Array<Text>, _>(self.tag_names)?;
        out.push_sql("::text[], tags.name) - 1 AS position FROM tags WHERE tags.name = ANY(");
        out.push_bind_param::<Array<Text>, _>(self.tag_names)?;
        out.push_sql(
            "::text[])\
             ), new_bookmark AS (\
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
        // From the owner's row, so that an owner deleted before the statement began writes
        // nothing (and the caller's usual path reports them missing) rather than failing on
        // the foreign key (a deletion committed while it runs still fails on it, as on the
        // usual path); and only with every tag there, so that none is left unlinked.
        out.push_sql(" FROM users WHERE users.id = ");
        out.push_bind_param::<BigInt, _>(&b.owner_id)?;
        out.push_sql(" AND (SELECT count(*) FROM tagged) = ");
        out.push_bind_param::<BigInt, _>(&self.tag_count)?;
        out.push_sql(
            " ON CONFLICT (user_id, url) DO NOTHING RETURNING id, user_id, created_at\
             ), links AS (\
             INSERT INTO bookmark_tags \
             (bookmark_id, tag_id, position, user_id, bookmark_created_at, tag_name) \
             SELECT new_bookmark.id, tagged.id, tagged.position::integer, \
             new_bookmark.user_id, new_bookmark.created_at, tagged.name \
             FROM new_bookmark, tagged\
             ), changes AS (\
             INSERT INTO tag_total_changes (user_id, visibility, tag_ids) \
             SELECT new_bookmark.user_id, ",
        );
        out.push_bind_param::<Text, _>(b.visibility.as_str())?;
        // A bookmark whose id is a multiple of `FOLD_EVERY`, and one in `FOLD_EVERY` at random,
        // also folds its owner's additions into their totals, when no other transaction holds
        // them (`tag_totals::hold_owners_totals`: imports and renames, which adjust totals
        // many times in one transaction and so could otherwise deadlock with a fold; another
        // fold of the same owner): the rows no other fold holds (`SKIP LOCKED`, found by the
        // owner's index and deleted by `ctid`, as rows here are never updated), counted per tag
        // and visibility, in the order of the tags' names, byte by byte as Rust orders them
        // (`tag_totals::apply`), so that transactions lock the totals they share in one order
        // and wait for each other instead of deadlocking. Only these bookmarks' saves wait for
        // others' on their totals.
        out.push_sql(
            ", ARRAY(SELECT tagged.id FROM tagged) FROM new_bookmark \
             WHERE EXISTS (SELECT 1 FROM tagged)\
             ), fold_now AS (\
             SELECT pg_try_advisory_xact_lock(",
        );
        out.push_bind_param::<Integer, _>(&super::tag_totals::OWNERS_TOTALS_LOCK)?;
        out.push_sql(", (");
        out.push_bind_param::<BigInt, _>(&b.owner_id)?;
        out.push_sql(super::tag_totals::OWNER_AS_LOCK_KEY);
        out.push_sql(") AS taken WHERE (SELECT id FROM new_bookmark) % ");
        out.push_sql(&FOLD_EVERY.to_string());
        out.push_sql(" = 0 OR ((SELECT id FROM new_bookmark) IS NOT NULL AND ");
        out.push_bind_param::<Bool, _>(&self.fold_anyway)?;
        out.push_sql(
            ")\
             ), folded AS (\
             DELETE FROM tag_total_changes \
             WHERE (SELECT taken FROM fold_now) \
             AND ctid = ANY(ARRAY(SELECT ctid FROM tag_total_changes WHERE user_id = ",
        );
        out.push_bind_param::<BigInt, _>(&b.owner_id)?;
        out.push_sql(
            " FOR UPDATE SKIP LOCKED)) \
             RETURNING visibility, tag_ids\
             ), totals AS (\
             INSERT INTO tag_totals (user_id, tag_id, visibility, bookmarks) \
             SELECT ",
        );
        out.push_bind_param::<BigInt, _>(&b.owner_id)?;
        out.push_sql(
            ", added.tag_id, folded.visibility, count(*) \
             FROM folded CROSS JOIN LATERAL unnest(folded.tag_ids) AS added(tag_id) \
             JOIN tags ON tags.id = added.tag_id \
             GROUP BY added.tag_id, folded.visibility, tags.name \
             ORDER BY tags.name COLLATE \"C\", folded.visibility COLLATE \"C\" \
             ON CONFLICT (user_id, tag_id, visibility) \
             DO UPDATE SET bookmarks = tag_totals.bookmarks + excluded.bookmarks\
             ), document AS (\
             INSERT INTO bookmark_search (bookmark_id, user_id, document) \
             SELECT new_bookmark.id, new_bookmark.user_id, array_to_tsvector(string_to_array(",
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
             ) SELECT (SELECT id FROM new_bookmark), \
             (SELECT users.name FROM new_bookmark JOIN users ON users.id = new_bookmark.user_id), \
             (SELECT count(*) FROM tagged)",
        );
        Ok(())
    }
}

impl RunQueryDsl<PgConnection> for InsertNewBookmark<'_> {}
