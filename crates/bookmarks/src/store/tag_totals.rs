//! Running totals of each user's tags per visibility (`tag_totals`), so a tag cloud reads a few
//! hundred rows instead of counting tens of thousands of bookmarks. Every change to a bookmark's
//! tags or visibility adjusts them in its own transaction, so they are always exact. A new
//! bookmark on PostgreSQL appends a row with its tags to `tag_total_changes` instead, folded
//! into the totals now and then (`super::postgres_create`); a cloud adds them to the totals.

use super::connection::{on_each_backend, DbConnection};
use super::error::StoreError;
use super::listing::{visible_to, BookmarkFilter, Scope};
use super::schema::tag_totals;
use super::tag_stats::TagCount;
use super::tags::{ensure_tags, ROWS_ONE_AT_A_TIME, ROWS_PER_INSERT};
use crate::model::Visibility;
use diesel::backend::Backend;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, HasSqlType, Text};
use diesel::upsert::excluded;
use std::collections::HashMap;

/// The first key of the PostgreSQL advisory lock on one owner's totals (the second is the
/// owner's id): held by transactions that adjust the totals many times ([`hold_owners_totals`]),
/// and tried by a create before it folds (`super::postgres_create`). `tgtl` in ASCII.
pub(crate) const OWNERS_TOTALS_LOCK: i32 = 0x7467_746c;

/// The lock's second key as SQL, following the owner's id (a `bigint`) in parentheses opened
/// before it: advisory lock keys are `integer`s. Written once, so that the hold and a fold's
/// try always name the same lock.
pub(crate) const OWNER_AS_LOCK_KEY: &str = " % 2147483647)::integer";

/// For a transaction that adjusts `user_id`'s totals many times (an import, a tag renamed
/// across bookmarks): on PostgreSQL, holds the owner's totals until it ends, so that no create
/// folds into them meanwhile. Each adjustment locks its totals in one order, as a fold does,
/// but a transaction of several takes several such turns, and a fold taking all of the
/// owner's at once could wait for it while it waited for the fold. Other writers of the totals
/// adjust them once per transaction and need no hold (one can still meet an import or rename
/// on a bookmark's row and a total at once; PostgreSQL finds that deadlock and
/// [`super::Database::write`] runs the loser again). Nothing on SQLite, which writes one
/// transaction at a time.
pub(crate) fn hold_owners_totals(conn: &mut DbConnection, user_id: i64) -> Result<(), StoreError> {
    if let DbConnection::Postgres(c) = conn {
        diesel::sql_query(format!(
            "SELECT pg_advisory_xact_lock($1, ($2{OWNER_AS_LOCK_KEY})"
        ))
        .bind::<diesel::sql_types::Integer, _>(OWNERS_TOTALS_LOCK)
        .bind::<BigInt, _>(user_id)
        .execute(c)?;
    }
    Ok(())
}

/// One bookmark's tags and visibility, as it was before a change or is after it.
pub(crate) struct Tagged<'a> {
    pub tags: &'a [String],
    pub visibility: Visibility,
}

/// Adjusts the user's totals for bookmarks that changed from `before` to `after` (`None` for a
/// bookmark created or deleted).
pub(crate) fn adjust<'a>(
    conn: &mut DbConnection,
    user_id: i64,
    changes: impl IntoIterator<Item = (Option<Tagged<'a>>, Option<Tagged<'a>>)>,
) -> Result<(), StoreError> {
    let deltas = deltas(changes);
    if deltas.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = deltas.keys().map(|(name, _)| (*name).to_owned()).collect();
    let ids = ensure_tags(conn, &names)?;
    apply(conn, user_id, deltas, &ids)
}

/// [`adjust`] for a new bookmark whose tags' ids the caller just looked up: one statement
/// fewer.
pub(crate) fn adjust_known(
    conn: &mut DbConnection,
    user_id: i64,
    ids: &HashMap<String, i64>,
    added: Tagged<'_>,
) -> Result<(), StoreError> {
    apply(conn, user_id, deltas([(None, Some(added))]), ids)
}

/// How many bookmarks each (tag, visibility) gains or loses; no zeros.
fn deltas<'a>(
    changes: impl IntoIterator<Item = (Option<Tagged<'a>>, Option<Tagged<'a>>)>,
) -> HashMap<(&'a str, Visibility), i64> {
    let mut deltas: HashMap<(&str, Visibility), i64> = HashMap::new();
    for (before, after) in changes {
        for (side, sign) in [(before, -1), (after, 1)] {
            if let Some(tagged) = side {
                for tag in tagged.tags {
                    *deltas.entry((tag.as_str(), tagged.visibility)).or_default() += sign;
                }
            }
        }
    }
    deltas.retain(|_, delta| *delta != 0);
    deltas
}

fn apply(
    conn: &mut DbConnection,
    user_id: i64,
    deltas: HashMap<(&str, Visibility), i64>,
    ids: &HashMap<String, i64>,
) -> Result<(), StoreError> {
    // In one order (tag, then visibility), so that concurrent transactions on PostgreSQL lock
    // the rows they share in the same order and wait for each other instead of deadlocking.
    let mut deltas: Vec<((&str, Visibility), i64)> = deltas.into_iter().collect();
    deltas.sort_unstable_by_key(|((name, visibility), _)| (*name, visibility.as_str()));
    let totals: Vec<AddToTotal<'_>> = deltas
        .into_iter()
        .filter_map(|((name, visibility), delta)| {
            Some(AddToTotal {
                user_id,
                tag_id: ids.get(name).copied()?,
                visibility: visibility.as_str(),
                delta,
            })
        })
        .collect();
    // A save's few totals one upsert each, kept compiled (`ROWS_ONE_AT_A_TIME`).
    if totals.len() <= ROWS_ONE_AT_A_TIME {
        for &total in &totals {
            on_each_backend!(conn, |c| total.execute(c))?;
        }
        return Ok(());
    }
    // Multi-row upserts (an import adjusts a few thousand totals per batch). Each key appears
    // once, as PostgreSQL requires of one statement.
    let rows: Vec<_> = totals
        .iter()
        .map(|total| {
            (
                tag_totals::user_id.eq(total.user_id),
                tag_totals::tag_id.eq(total.tag_id),
                tag_totals::visibility.eq(total.visibility),
                tag_totals::bookmarks.eq(total.delta),
            )
        })
        .collect();
    for chunk in rows.chunks(ROWS_PER_INSERT / 2) {
        on_each_backend!(conn, |c| diesel::insert_into(tag_totals::table)
            .values(chunk)
            .on_conflict((
                tag_totals::user_id,
                tag_totals::tag_id,
                tag_totals::visibility
            ))
            .do_update()
            .set(tag_totals::bookmarks.eq(tag_totals::bookmarks + excluded(tag_totals::bookmarks)))
            .execute(c))?;
    }
    Ok(())
}

/// True when the totals answer the filter: a whole user's (or the instance's) bookmarks, with no
/// tag, search, unread, address or date condition.
pub(crate) fn answers(filter: &BookmarkFilter) -> bool {
    filter.tags.is_empty()
        && filter.search.is_none()
        && !filter.unread_only
        && filter.url.is_none()
        && filter.created_from.is_none()
        && filter.created_until.is_none()
}

/// The tag cloud of an unfiltered listing, from the totals and, on PostgreSQL, the additions to
/// them not yet folded in (`tag_total_changes`, written by its creates): most used first, then
/// by name.
pub(crate) fn tag_cloud(
    conn: &mut DbConnection,
    filter: &BookmarkFilter,
    limit: i64,
) -> Result<Vec<TagCount>, StoreError> {
    let visible: Vec<&str> = visible_to(filter).iter().map(|v| v.as_str()).collect();
    if visible.is_empty() {
        return Ok(Vec::new());
    }
    let owner = match filter.scope {
        Scope::User { owner } => Some(owner),
        _ => None,
    };
    let rows = CloudRows {
        owner,
        visible: &visible,
        pending: matches!(conn, DbConnection::Postgres(_)),
    };
    // A handful of rows per tag (one per visibility and user, and the additions not yet
    // folded): summed here rather than with SQL's SUM, whose type differs between the backends.
    let mut totals: HashMap<String, i64> = HashMap::new();
    for (name, bookmarks) in on_each_backend!(conn, |c| rows.load::<(String, i64)>(c))? {
        *totals.entry(name).or_default() += bookmarks;
    }
    let mut counts: Vec<TagCount> = totals
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .map(|(name, count)| TagCount { name, count })
        .collect();
    counts.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    counts.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(counts)
}

/// The rows a tag cloud sums: each tag's totals of one owner (of everyone, for `None`), of the
/// visibilities given, and on PostgreSQL the additions not yet folded (a row per new bookmark
/// with its tags' ids, unnested here). One statement, so that a fold that commits meanwhile is
/// either wholly in it or not at all (reads run outside transactions); diesel's backend for
/// both databases has no `UNION ALL`, so it is written out.
struct CloudRows<'a> {
    owner: Option<i64>,
    visible: &'a [&'a str],
    /// PostgreSQL's `tag_total_changes` too (SQLite has none).
    pending: bool,
}

impl CloudRows<'_> {
    /// `WHERE visibility IN (…) [AND user_id = …]`.
    fn walk_conditions<'b, DB>(&'b self, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()>
    where
        DB: Backend + HasSqlType<BigInt> + HasSqlType<Text>,
        i64: ToSql<BigInt, DB>,
        str: ToSql<Text, DB>,
    {
        out.push_sql(" WHERE visibility IN (");
        for (n, visibility) in self.visible.iter().enumerate() {
            if n > 0 {
                out.push_sql(", ");
            }
            out.push_bind_param::<Text, _>(*visibility)?;
        }
        out.push_sql(")");
        if let Some(owner) = &self.owner {
            out.push_sql(" AND user_id = ");
            out.push_bind_param::<BigInt, _>(owner)?;
        }
        Ok(())
    }
}

impl QueryId for CloudRows<'_> {
    type QueryId = ();
    // The text varies with the scope and the number of visibilities.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for CloudRows<'_> {
    type SqlType = (Text, BigInt);
}

impl<DB> QueryFragment<DB> for CloudRows<'_>
where
    DB: Backend + HasSqlType<BigInt> + HasSqlType<Text>,
    i64: ToSql<BigInt, DB>,
    str: ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(
            "SELECT tags.name, counted.bookmarks FROM (SELECT tag_id, bookmarks FROM tag_totals",
        );
        self.walk_conditions(&mut out)?;
        if self.pending {
            out.push_sql(
                " UNION ALL SELECT unnest(tag_ids) AS tag_id, 1::bigint AS bookmarks \
                 FROM tag_total_changes",
            );
            self.walk_conditions(&mut out)?;
        }
        out.push_sql(") AS counted JOIN tags ON tags.id = counted.tag_id");
        Ok(())
    }
}

impl RunQueryDsl<diesel::SqliteConnection> for CloudRows<'_> {}
impl RunQueryDsl<diesel::PgConnection> for CloudRows<'_> {}

/// `INSERT INTO tag_totals … VALUES (?, ?, ?, ?) ON CONFLICT … DO UPDATE` adding `delta` to
/// one total, as a statement diesel keeps compiled: it never keeps an upsert it builds itself
/// (`DO UPDATE` marks a statement unsafe to keep), so every save compiled its totals' upsert.
#[derive(Clone, Copy)]
struct AddToTotal<'a> {
    user_id: i64,
    tag_id: i64,
    visibility: &'a str,
    delta: i64,
}

impl QueryId for AddToTotal<'_> {
    type QueryId = AddToTotal<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<DB> QueryFragment<DB> for AddToTotal<'_>
where
    DB: Backend + HasSqlType<BigInt> + HasSqlType<Text>,
    i64: ToSql<BigInt, DB>,
    str: ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("INSERT INTO tag_totals (user_id, tag_id, visibility, bookmarks) VALUES (");
        out.push_bind_param::<BigInt, _>(&self.user_id)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&self.tag_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(self.visibility)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&self.delta)?;
        out.push_sql(
            ") ON CONFLICT (user_id, tag_id, visibility) \
             DO UPDATE SET bookmarks = tag_totals.bookmarks + excluded.bookmarks",
        );
        Ok(())
    }
}

impl RunQueryDsl<diesel::SqliteConnection> for AddToTotal<'_> {}
impl RunQueryDsl<diesel::PgConnection> for AddToTotal<'_> {}
