//! Conditions that diesel keeps compiled, for the statements every listed page runs.
//!
//! Diesel never keeps a statement compiled when it holds `eq_any` over a list (`IN (?, ?, …)`,
//! one parameter per value, so its text changes with the list) or any SQL written with
//! `dsl::sql`. The tags and owners of every listed page, and a visitor's visibility filter,
//! were written that way, so each page paid for parsing and planning them again: 7 % of a JSON
//! list request's CPU on SQLite went to compiling its tag query alone. The conditions here
//! have a fixed text and at most one bound value, so each statement is compiled once per
//! connection and kept.

use super::connection::Backend;
use super::schema::users;
use crate::model::{Cursor, Visibility};
use chrono::NaiveDateTime;
use diesel::backend::Backend as DieselBackend;
use diesel::expression::{
    is_aggregate, AppearsOnTable, Expression, SelectableExpression, ValidGrouping,
};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Bool, HasSqlType, Nullable, Text, Timestamp};
use diesel::QueryResult;
use std::marker::PhantomData;

/// A column of ids that [`IdAmong`] can test, named by a type so that a statement holding the
/// condition has a type of its own: diesel then finds it in its cache by that type, without
/// writing its SQL out again to look it up.
pub(crate) trait IdColumn: 'static {
    /// Qualified SQL, such as `bookmarks.id`.
    const SQL: &'static str;
}

/// `bookmarks.id`.
pub(crate) struct BookmarkId;
impl IdColumn for BookmarkId {
    const SQL: &'static str = "bookmarks.id";
}

/// `users.id`.
pub(crate) struct UserId;
impl IdColumn for UserId {
    const SQL: &'static str = "users.id";
}

/// The column `C` is one of a list of ids, bound as one value. SQLite reads them as a JSON
/// array into a temporary B-tree and looks each one up; PostgreSQL as an array (`= ANY`).
/// (The text differs by backend, and each connection, which has its own cache, is of one
/// backend.)
pub(crate) struct IdAmong<C> {
    backend: Backend,
    list: String,
    column: PhantomData<C>,
}

pub(crate) fn id_among<C: IdColumn>(backend: Backend, ids: &[i64]) -> IdAmong<C> {
    // One string written in place (a page's fifty ids were fifty strings joined, then copied
    // into brackets).
    let json = backend == Backend::Sqlite;
    let mut list = String::with_capacity(2 + ids.len() * 8);
    if json {
        list.push('[');
    }
    let mut digits = itoa::Buffer::new();
    for (at, id) in ids.iter().enumerate() {
        if at > 0 {
            list.push(',');
        }
        list.push_str(digits.format(*id));
    }
    if json {
        list.push(']');
    }
    IdAmong {
        backend,
        list,
        column: PhantomData,
    }
}

impl<C: IdColumn, DB> QueryFragment<DB> for IdAmong<C>
where
    DB: DieselBackend + HasSqlType<Text>,
    String: ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(C::SQL);
        let (open, close) = match self.backend {
            Backend::Sqlite => (" IN (SELECT value FROM json_each(", "))"),
            Backend::Postgres => (" = ANY(CAST(string_to_array(", ", ',') AS BIGINT[]))"),
        };
        out.push_sql(open);
        out.push_bind_param::<Text, String>(&self.list)?;
        out.push_sql(close);
        Ok(())
    }
}

impl<C: IdColumn> QueryId for IdAmong<C> {
    type QueryId = Self;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<C> Expression for IdAmong<C> {
    type SqlType = Bool;
}
impl<C, QS> AppearsOnTable<QS> for IdAmong<C> {}
impl<C, QS> SelectableExpression<QS> for IdAmong<C> {}
impl<C, GB> ValidGrouping<GB> for IdAmong<C> {
    type IsAggregate = is_aggregate::Never;
}

/// The columns a listing walks in order: a bookmark's creation time and id.
pub(crate) trait ListingColumns: 'static {
    /// Qualified SQL of the two, as a row: `(bookmarks.created_at, bookmarks.id)`.
    const SQL: &'static str;
}

/// A user's or the instance's listing, read from the bookmarks.
pub(crate) struct BookmarksListing;
impl ListingColumns for BookmarksListing {
    const SQL: &'static str = "(bookmarks.created_at, bookmarks.id)";
}

/// A tag's listing, read from its links.
pub(crate) struct TagLinksListing;
impl ListingColumns for TagLinksListing {
    const SQL: &'static str = "(bookmark_tags.bookmark_created_at, bookmark_tags.bookmark_id)";
}

/// Rows older than a page's cursor, in listing order, for PostgreSQL's pages whose plan is the
/// walk down a listing index whatever the values (`listing::walks_the_listing_index`):
/// `(created_at, id) < ((SELECT $1), (SELECT $2))`.
///
/// The cursor's values are each wrapped in a subquery so that PostgreSQL keeps one plan for
/// such a page. Compared with its values, a condition after a cursor deep in the listing
/// matches most rows, so a plan made for them reckons the page cheap (cost 28 at 2,500 rows
/// down 22,525), and the generic plan, for which an inequality against a parameter matches a
/// third of the rows, dear (60): PostgreSQL then planned every such page anew, a third of
/// its CPU for the page. A subquery's value is unknown to both, so both reckon a third, and
/// after five runs PostgreSQL keeps the generic plan, the same walk, starting at the cursor
/// (the row comparison is the index's condition). Pages planned for their values (dates, a
/// search) keep [`super::listing`]'s plain condition.
pub(crate) struct OlderThanCursor<C> {
    created_at: NaiveDateTime,
    id: i64,
    columns: PhantomData<C>,
}

pub(crate) fn older_than_cursor<C: ListingColumns>(cursor: Cursor) -> OlderThanCursor<C> {
    OlderThanCursor {
        created_at: cursor.created_at,
        id: cursor.id,
        columns: PhantomData,
    }
}

impl<C: ListingColumns, DB> QueryFragment<DB> for OlderThanCursor<C>
where
    DB: DieselBackend + HasSqlType<Timestamp> + HasSqlType<BigInt>,
    NaiveDateTime: ToSql<Timestamp, DB>,
    i64: ToSql<BigInt, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(C::SQL);
        out.push_sql(" < ((SELECT ");
        out.push_bind_param::<Timestamp, NaiveDateTime>(&self.created_at)?;
        out.push_sql("), (SELECT ");
        out.push_bind_param::<BigInt, i64>(&self.id)?;
        out.push_sql("))");
        Ok(())
    }
}

impl<C: ListingColumns> QueryId for OlderThanCursor<C> {
    type QueryId = Self;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<C> Expression for OlderThanCursor<C> {
    type SqlType = Bool;
}
impl<C, QS> AppearsOnTable<QS> for OlderThanCursor<C> {}
impl<C, QS> SelectableExpression<QS> for OlderThanCursor<C> {}
impl<C, GB> ValidGrouping<GB> for OlderThanCursor<C> {
    type IsAggregate = is_aggregate::Never;
}

/// `bookmarks.visibility` is one of these, written as constants (they are this crate's own
/// words, never input).
#[derive(Debug, Clone, Copy)]
pub(crate) struct VisibilityAmong(pub &'static [Visibility]);

impl<DB: DieselBackend> QueryFragment<DB> for VisibilityAmong {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("bookmarks.visibility IN (");
        for (i, visibility) in self.0.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            out.push_sql("'");
            out.push_sql(visibility.as_str());
            out.push_sql("'");
        }
        out.push_sql(")");
        Ok(())
    }
}

impl Expression for VisibilityAmong {
    type SqlType = Bool;
}
impl QueryId for VisibilityAmong {
    type QueryId = ();
    // The text depends on the visibilities, so diesel finds the statement by its SQL.
    const HAS_STATIC_QUERY_ID: bool = false;
}
impl<QS> AppearsOnTable<QS> for VisibilityAmong {}
impl<QS> SelectableExpression<QS> for VisibilityAmong {}
impl<GB> ValidGrouping<GB> for VisibilityAmong {
    type IsAggregate = is_aggregate::Never;
}

/// The change generation of the user a statement over `users` reads (see
/// [`super::ChangeGeneration`]), `NULL` before any change: the newest of their domain events'
/// ids. Fixed texts, so the statement holding them is kept compiled (diesel keeps none with
/// `dsl::sql`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct UsersNewestChange;

/// With [`UsersNewestChange`], on PostgreSQL the newest of the user's transactions among those
/// that have all ended; `NULL` on SQLite, where ids follow commits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UsersSettledChange;

impl<DB: DieselBackend> QueryFragment<DB> for UsersNewestChange {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(
            "(SELECT max(domain_events.id) FROM domain_events \
             WHERE domain_events.user_id = users.id)",
        );
        Ok(())
    }
}

impl QueryFragment<diesel::sqlite::Sqlite> for UsersSettledChange {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::sqlite::Sqlite>) -> QueryResult<()> {
        out.push_sql("NULL");
        Ok(())
    }
}

impl QueryFragment<diesel::pg::Pg> for UsersSettledChange {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        out.push_sql(
            "(SELECT max(domain_events.xact_id) FROM domain_events \
             WHERE domain_events.user_id = users.id AND domain_events.xact_id < ",
        );
        out.push_sql(super::events::SETTLED_BEFORE);
        out.push_sql(")");
        Ok(())
    }
}

/// How many of a user's followers, and of their follows, their page lists by name: the newest.
/// A user followed from across the fediverse may have thousands; their page gives the number
/// and these (all of 10,000 listed made their page 650 kB long and served a tenth as often).
const SOCIAL_HANDLES_LISTED: &str = "50";

/// A user's newest [`SOCIAL_HANDLES_LISTED`] followers elsewhere (for a statement over
/// `users`), as the JSON text of an array of `[id, handle, tag]`, the tag empty for a follow of
/// all their bookmarks; `NULL` or `[]` for none. Read with the user, a user's page needs no
/// statement of its own for them (on PostgreSQL a round trip).
#[derive(Debug, Clone, Copy)]
pub(crate) struct UsersFollowers;

/// With [`UsersFollowers`], whom the user follows, the newest [`SOCIAL_HANDLES_LISTED`]
/// accepted follows, as the JSON text of an array of `[id, handle]`; `NULL` or `[]` for none.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UsersFollowing;

/// How many followers elsewhere the user has (for a statement over `users`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct UsersFollowersTotal;

/// How many accepted follows the user has (for a statement over `users`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct UsersFollowingTotal;

/// What follows the backend's aggregate in [`UsersFollowers`]' subquery, up to its limit
/// ([`SOCIAL_HANDLES_LISTED`] and [`LISTED_END`]): the newest followers, by
/// `followers_user_newest`.
const FOLLOWERS_FROM: &str = " FROM (SELECT followers.id, remote_actors.handle, followers.tag \
     FROM followers INNER JOIN remote_actors ON followers.remote_actor_id = remote_actors.id \
     WHERE followers.user_id = users.id ORDER BY followers.id DESC LIMIT ";
/// What follows the backend's aggregate in [`UsersFollowing`]' subquery, up to its limit: the
/// newest accepted follows, by `follows_user_newest`.
const FOLLOWING_FROM: &str = " FROM (SELECT follows.id, remote_actors.handle \
     FROM follows INNER JOIN remote_actors ON follows.remote_actor_id = remote_actors.id \
     WHERE follows.user_id = users.id AND follows.state = 'accepted' \
     ORDER BY follows.id DESC LIMIT ";

/// What ends both subqueries after their limit.
const LISTED_END: &str = ") AS listed)";

impl QueryFragment<diesel::sqlite::Sqlite> for UsersFollowers {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::sqlite::Sqlite>) -> QueryResult<()> {
        out.push_sql("(SELECT json_group_array(json_array(listed.id, listed.handle, listed.tag))");
        out.push_sql(FOLLOWERS_FROM);
        out.push_sql(SOCIAL_HANDLES_LISTED);
        out.push_sql(LISTED_END);
        Ok(())
    }
}

impl QueryFragment<diesel::pg::Pg> for UsersFollowers {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        out.push_sql(
            "(SELECT json_agg(json_build_array(listed.id, listed.handle, listed.tag))::text",
        );
        out.push_sql(FOLLOWERS_FROM);
        out.push_sql(SOCIAL_HANDLES_LISTED);
        out.push_sql(LISTED_END);
        Ok(())
    }
}

impl QueryFragment<diesel::sqlite::Sqlite> for UsersFollowing {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::sqlite::Sqlite>) -> QueryResult<()> {
        out.push_sql("(SELECT json_group_array(json_array(listed.id, listed.handle))");
        out.push_sql(FOLLOWING_FROM);
        out.push_sql(SOCIAL_HANDLES_LISTED);
        out.push_sql(LISTED_END);
        Ok(())
    }
}

impl QueryFragment<diesel::pg::Pg> for UsersFollowing {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        out.push_sql("(SELECT json_agg(json_build_array(listed.id, listed.handle))::text");
        out.push_sql(FOLLOWING_FROM);
        out.push_sql(SOCIAL_HANDLES_LISTED);
        out.push_sql(LISTED_END);
        Ok(())
    }
}

impl<DB: diesel::backend::Backend> QueryFragment<DB> for UsersFollowersTotal {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("(SELECT count(*) FROM followers WHERE followers.user_id = users.id)");
        Ok(())
    }
}

impl<DB: diesel::backend::Backend> QueryFragment<DB> for UsersFollowingTotal {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(
            "(SELECT count(*) FROM follows \
             WHERE follows.user_id = users.id AND follows.state = 'accepted')",
        );
        Ok(())
    }
}

macro_rules! users_expression {
    ($fragment:ty, $sql_type:ty) => {
        impl Expression for $fragment {
            type SqlType = $sql_type;
        }
        impl QueryId for $fragment {
            type QueryId = Self;
            const HAS_STATIC_QUERY_ID: bool = true;
        }
        impl AppearsOnTable<users::table> for $fragment {}
        impl SelectableExpression<users::table> for $fragment {}
        impl<GB> ValidGrouping<GB> for $fragment {
            type IsAggregate = is_aggregate::Never;
        }
    };
}
users_expression!(UsersNewestChange, Nullable<BigInt>);
users_expression!(UsersSettledChange, Nullable<BigInt>);
users_expression!(UsersFollowers, Nullable<Text>);
users_expression!(UsersFollowing, Nullable<Text>);
users_expression!(UsersFollowersTotal, BigInt);
users_expression!(UsersFollowingTotal, BigInt);

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::debug_query;
    use diesel::sqlite::Sqlite;

    #[test]
    fn a_page_lists_the_newest_fifty() {
        let sql = debug_query::<Sqlite, _>(&UsersFollowers).to_string();
        assert!(
            sql.contains("ORDER BY followers.id DESC LIMIT 50) AS listed)"),
            "{sql}"
        );
        let sql = debug_query::<Sqlite, _>(&UsersFollowing).to_string();
        assert!(
            sql.contains("ORDER BY follows.id DESC LIMIT 50) AS listed)"),
            "{sql}"
        );
    }

    #[test]
    fn ids_are_bound_as_one_value() {
        let sqlite = id_among::<BookmarkId>(Backend::Sqlite, &[3, 1, 2]);
        assert_eq!(
            debug_query::<Sqlite, _>(&sqlite).to_string(),
            r#"bookmarks.id IN (SELECT value FROM json_each(?)) -- binds: ["[3,1,2]"]"#
        );
        let postgres = id_among::<UserId>(Backend::Postgres, &[7]);
        assert_eq!(
            debug_query::<Sqlite, _>(&postgres).to_string(),
            r#"users.id = ANY(CAST(string_to_array(?, ',') AS BIGINT[])) -- binds: ["7"]"#
        );
        let bound = |backend, ids: &[i64]| id_among::<UserId>(backend, ids).list;
        let extremes = [i64::MIN, 0, i64::MAX];
        assert_eq!(
            bound(Backend::Sqlite, &extremes),
            format!("[{},0,{}]", i64::MIN, i64::MAX)
        );
        assert_eq!(
            bound(Backend::Postgres, &extremes),
            format!("{},0,{}", i64::MIN, i64::MAX)
        );
        assert_eq!(bound(Backend::Sqlite, &[]), "[]");
        assert_eq!(bound(Backend::Postgres, &[]), "");
    }

    #[test]
    fn a_users_follows_are_the_accepted_ones() {
        // Written as a constant in the SQL; the state is stored as `FollowState` spells it.
        let accepted = crate::store::federation::FollowState::Accepted.as_str();
        assert!(FOLLOWING_FROM.contains(&format!("follows.state = '{accepted}'")));
    }

    #[test]
    fn visibilities_are_written_as_constants() {
        let visible = VisibilityAmong(&[Visibility::Public, Visibility::Unlisted]);
        assert_eq!(
            debug_query::<Sqlite, _>(&visible).to_string(),
            "bookmarks.visibility IN ('public', 'unlisted') -- binds: []"
        );
    }
}
