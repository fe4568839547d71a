//! Tag rows and the bookmark–tag links: assigning a bookmark's tags, loading the tags of a page
//! of bookmarks in one query.

use super::connection::{on_each_backend, DbConnection};
use super::error::StoreError;
use super::kept_conditions::{id_among, TaggedBookmarkId};
use super::schema::{bookmark_tags, tags};
use crate::model::{TagList, TagName};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Integer, Text};
use diesel::sqlite::Sqlite;
use std::collections::HashMap;

/// The bookmark a tag link belongs to: its id, and the owner and creation time every link
/// carries a copy of (the tag listing index, migration `000007_tag_listing`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct LinkedBookmark {
    pub id: i64,
    pub user_id: i64,
    pub created_at: NaiveDateTime,
}

/// Replaces the bookmark's tags with `list`, creating tag rows as needed.
pub(crate) fn set_bookmark_tags(
    conn: &mut DbConnection,
    bookmark: LinkedBookmark,
    list: &TagList,
) -> Result<(), StoreError> {
    diesel::delete(bookmark_tags::table.filter(bookmark_tags::bookmark_id.eq(bookmark.id)))
        .execute(conn)?;
    if list.is_empty() {
        return Ok(());
    }
    link_new_bookmark(conn, bookmark, &list.names()).map(|_| ())
}

/// Links a bookmark that has no tags yet to the named tags (in this order), creating tag rows
/// as needed; returns the tags' ids.
pub(crate) fn link_new_bookmark(
    conn: &mut DbConnection,
    bookmark: LinkedBookmark,
    names: &[String],
) -> Result<HashMap<String, i64>, StoreError> {
    if names.is_empty() {
        return Ok(HashMap::new());
    }
    let ids = ensure_tags(conn, names)?;
    let links = names
        .iter()
        .enumerate()
        .filter_map(|(position, name)| {
            ids.get(name).map(|tag_id| NewLink {
                bookmark,
                tag_id: *tag_id,
                tag_name: name,
                position,
            })
        })
        .collect::<Vec<_>>();
    insert_links(conn, &links)?;
    Ok(ids)
}

/// Keeps the tag links' copy of the bookmark's creation time equal to it, after it changed.
pub(crate) fn move_links(
    conn: &mut DbConnection,
    bookmark: LinkedBookmark,
) -> Result<(), StoreError> {
    diesel::update(bookmark_tags::table.filter(bookmark_tags::bookmark_id.eq(bookmark.id)))
        .set(bookmark_tags::bookmark_created_at.eq(bookmark.created_at))
        .execute(conn)?;
    Ok(())
}

/// The ids of the named tags, creating the missing ones (one multi-row insert).
pub(crate) fn ensure_tags(
    conn: &mut DbConnection,
    names: &[String],
) -> Result<HashMap<String, i64>, StoreError> {
    let mut ids = tag_ids(conn, names)?;
    let missing: Vec<_> = names
        .iter()
        .filter(|n| !ids.contains_key(*n))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|n| tags::name.eq(n.as_str()))
        .collect();
    for chunk in missing.chunks(ROWS_PER_INSERT) {
        on_each_backend!(conn, |c| diesel::insert_into(tags::table)
            .values(chunk)
            .execute(c))?;
    }
    if !missing.is_empty() {
        ids = tag_ids(conn, names)?;
    }
    Ok(ids)
}

/// Rows per multi-row insert: well under SQLite's and PostgreSQL's bound-parameter limits.
pub(crate) const ROWS_PER_INSERT: usize = 2_000;

/// One link of a bookmark to a tag. It carries the tag's name, so that a page's tags are read
/// from the links alone (migration `000012_tag_links_carry_names`); a tag's name never
/// changes (renaming a tag on bookmarks links them to another tag).
pub(crate) struct NewLink<'a> {
    pub bookmark: LinkedBookmark,
    pub tag_id: i64,
    pub tag_name: &'a str,
    /// Where the tag stands in the bookmark's list (0 first).
    pub position: usize,
}

/// Links bookmarks to tags, in multi-row inserts.
pub(crate) fn insert_links(
    conn: &mut DbConnection,
    links: &[NewLink<'_>],
) -> Result<(), StoreError> {
    let rows: Vec<_> = links
        .iter()
        .map(|link| {
            (
                bookmark_tags::bookmark_id.eq(link.bookmark.id),
                bookmark_tags::tag_id.eq(link.tag_id),
                bookmark_tags::position.eq(i32::try_from(link.position).unwrap_or(i32::MAX)),
                bookmark_tags::user_id.eq(link.bookmark.user_id),
                bookmark_tags::bookmark_created_at.eq(link.bookmark.created_at),
                bookmark_tags::tag_name.eq(link.tag_name),
            )
        })
        .collect();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        on_each_backend!(conn, |c| diesel::insert_into(bookmark_tags::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

/// Looks tags up by name, a few thousand names per query (bound-parameter limits).
fn tag_ids(conn: &mut DbConnection, names: &[String]) -> Result<HashMap<String, i64>, StoreError> {
    let distinct: Vec<&String> = names
        .iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut ids = HashMap::with_capacity(distinct.len());
    for chunk in distinct.chunks(ROWS_PER_INSERT) {
        let rows: Vec<(i64, String)> = tags::table
            .filter(tags::name.eq_any(chunk))
            .select((tags::id, tags::name))
            .load(conn)?;
        ids.extend(rows.into_iter().map(|(id, name)| (name, id)));
    }
    Ok(ids)
}

/// The names of the tags with these ids, a few thousand per query (bound-parameter limits).
pub(crate) fn tag_names(
    conn: &mut DbConnection,
    ids: &[i64],
) -> Result<HashMap<i64, String>, StoreError> {
    let mut names = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(ROWS_PER_INSERT) {
        let rows: Vec<(i64, String)> = tags::table
            .filter(tags::id.eq_any(chunk))
            .select((tags::id, tags::name))
            .load(conn)?;
        names.extend(rows);
    }
    Ok(names)
}

/// The id of each named tag, in the order given; `None` for a tag no bookmark has ever carried.
pub(crate) fn tag_ids_in_order(
    conn: &mut DbConnection,
    names: &[TagName],
) -> Result<Vec<Option<i64>>, StoreError> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    if let [name] = names {
        // A page filtered by one tag, the usual case: a statement kept compiled (a list of
        // names, `IN (?, …)`, is compiled anew each time; see `kept_conditions`).
        let id = on_each_backend!(conn, |c| tags::table
            .filter(tags::name.eq(name.as_str()))
            .select(tags::id)
            .first::<i64>(c)
            .optional())?;
        return Ok(vec![id]);
    }
    let names: Vec<String> = names.iter().map(|n| n.as_str().to_owned()).collect();
    let ids = tag_ids(conn, &names)?;
    Ok(names.iter().map(|name| ids.get(name).copied()).collect())
}

/// The tags of each bookmark in `bookmark_ids`, in the order they were given. One query, of
/// the links alone: each carries its tag's name ([`NewLink`]), so no tag is looked up.
/// The ids are bound as one value so that the statement stays compiled ([`id_among`]; on
/// SQLite walked as a table, [`SqliteLinksOfPage`]), and the few tags of each bookmark are put
/// in order here rather than by a sort in the database. The ids must be distinct (a page's
/// are): on SQLite a repeated id would bring its links twice.
pub(crate) fn load_tags(
    conn: &mut DbConnection,
    bookmark_ids: &[i64],
) -> Result<LoadedTags, StoreError> {
    if bookmark_ids.is_empty() {
        return Ok(LoadedTags { links: Vec::new() });
    }
    debug_assert!(
        bookmark_ids
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len()
            == bookmark_ids.len(),
        "repeated bookmark ids"
    );
    let among = id_among::<TaggedBookmarkId>(conn.backend(), bookmark_ids);
    let mut links: Vec<(i64, i32, String)> = match conn {
        DbConnection::Sqlite(c) => SqliteLinksOfPage {
            ids: among.bound_list(),
        }
        .load(c)?,
        DbConnection::Postgres(c) => bookmark_tags::table
            .filter(among)
            .select((
                bookmark_tags::bookmark_id,
                bookmark_tags::position,
                bookmark_tags::tag_name,
            ))
            .load(c)?,
    };
    links.sort_unstable_by_key(|(bookmark_id, position, _)| (*bookmark_id, *position));
    Ok(LoadedTags { links })
}

/// A page's tag links, by bookmark and position. Each bookmark's are found by binary search
/// rather than in a map: hashing every link and bookmark id was 2.5 % of a JSON list request.
pub(crate) struct LoadedTags {
    links: Vec<(i64, i32, String)>,
}

impl LoadedTags {
    /// The names of `bookmark_id`'s tags in order, moved out (a second call gets none).
    pub(crate) fn take(&mut self, bookmark_id: i64) -> Vec<String> {
        let start = self.links.partition_point(|(id, _, _)| *id < bookmark_id);
        let end = self.links.partition_point(|(id, _, _)| *id <= bookmark_id);
        self.links[start..end]
            .iter_mut()
            .map(|(_, _, name)| std::mem::take(name))
            .filter(|name| !name.is_empty())
            .collect()
    }
}

/// The tag links of a page's bookmarks on SQLite, given their ids as a JSON array: the array
/// is walked as the outer table and each id looked up in the links' key. Written as a filter
/// (`bookmark_id IN (SELECT value FROM json_each(?))`), SQLite copied the ids into a temporary
/// B-tree first, on every page; diesel cannot write this join, and a statement with a fixed
/// text and a type of its own stays compiled.
struct SqliteLinksOfPage<'a> {
    ids: &'a str,
}

impl QueryId for SqliteLinksOfPage<'_> {
    type QueryId = SqliteLinksOfPage<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for SqliteLinksOfPage<'_> {
    type SqlType = (BigInt, Integer, Text);
}

impl QueryFragment<Sqlite> for SqliteLinksOfPage<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        out.push_sql(
            "SELECT bookmark_tags.bookmark_id, bookmark_tags.position, bookmark_tags.tag_name \
             FROM json_each(",
        );
        out.push_bind_param::<Text, _>(self.ids)?;
        out.push_sql(
            ") AS page CROSS JOIN bookmark_tags ON bookmark_tags.bookmark_id = page.value",
        );
        Ok(())
    }
}

impl RunQueryDsl<SqliteConnection> for SqliteLinksOfPage<'_> {}
