//! Tag rows and the bookmark–tag links: assigning a bookmark's tags. (A bookmark's row carries
//! its tags' names too, `bookmarks.tag_names`, written beside its links, so that a listed page
//! reads them with its rows.)

use super::connection::{on_each_backend, DbConnection};
use super::error::StoreError;
use super::schema::{bookmark_tags, tags};
use super::stored_time::WrittenTime;
use crate::model::{TagList, TagName};
use chrono::NaiveDateTime;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Text};
use std::collections::HashMap;

/// Inserts `rows` (a `Vec` of insertable values) into `table`: one per statement up to
/// [`ROWS_ONE_AT_A_TIME`], otherwise [`ROWS_PER_INSERT`] per statement. A macro because each
/// table's rows have a type of their own.
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {{
        let rows = &$rows;
        if rows.len() <= ROWS_ONE_AT_A_TIME {
            for row in rows {
                on_each_backend!($conn, |c| diesel::insert_into($table)
                    .values(row)
                    .execute(c))?;
            }
        } else {
            for chunk in rows.chunks(ROWS_PER_INSERT) {
                on_each_backend!($conn, |c| diesel::insert_into($table)
                    .values(chunk)
                    .execute(c))?;
            }
        }
    }};
}

/// Inserts `rows` (a `Vec` of insertable values that own what they hold) into `table`, `$per`
/// rows per statement. A full statement's rows go as an array: its statement then has one text
/// and a type of its own, and diesel keeps it compiled, as it never keeps one over a slice
/// (whose text changes with its length). Compiling an import's multi-row inserts anew was 5 %
/// of a SQLite import. diesel finds a kept statement by its values' type, which therefore
/// cannot borrow: the rows own their strings.
macro_rules! insert_kept_chunks {
    ($conn:expr, $table:expr, $rows:expr, $per:expr) => {
        insert_kept_chunks!(@each $conn, $table, $rows, $per, |c, insert| {
            insert.execute(c)?;
        })
    };
    // The same, collecting the inserted rows' `$returning` columns (as `$row`s) into `$into`.
    ($conn:expr, $table:expr, $rows:expr, $per:expr, returning $returning:expr => $row:ty, $into:expr) => {
        insert_kept_chunks!(@each $conn, $table, $rows, $per, |c, insert| {
            $into.extend(insert.returning($returning).load::<$row>(c)?);
        })
    };
    // Runs `$run` with each statement's insert (`$insert`) on the concrete connection (`$c`).
    (@each $conn:expr, $table:expr, $rows:expr, $per:expr, |$c:ident, $insert:ident| $run:block) => {{
        let (full, rest) = $rows.as_chunks::<{ $per }>();
        for chunk in full {
            on_each_backend!($conn, |$c| {
                let $insert = diesel::insert_into($table).values(chunk);
                $run
            });
        }
        if !rest.is_empty() {
            on_each_backend!($conn, |$c| {
                let $insert = diesel::insert_into($table).values(rest);
                $run
            });
        }
    }};
}
pub(crate) use insert_kept_chunks;

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
        .set(bookmark_tags::bookmark_created_at.eq(WrittenTime(bookmark.created_at)))
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
    insert_rows!(conn, tags::table, missing);
    if !missing.is_empty() {
        ids = tag_ids(conn, names)?;
    }
    Ok(ids)
}

/// Rows per multi-row insert: well under SQLite's and PostgreSQL's bound-parameter limits.
pub(crate) const ROWS_PER_INSERT: usize = 2_000;

/// Up to this many rows (a save's handful of tags) are written, and tags looked up, one per
/// statement, each statement kept compiled. diesel never keeps a statement over a list of rows
/// or values (its text changes with their number), and compiling a save's tag lookup, tag
/// links and tag totals anew was about a tenth of a create's instructions on SQLite
/// (callgrind, 2026-12-03), inside the one writer; an import's thousands of rows still go
/// many per statement.
pub(crate) const ROWS_ONE_AT_A_TIME: usize = 8;

/// One link of a bookmark to a tag. It carries the tag's name, so that a bookmark's tags are
/// read from its links alone (migration `000012_tag_links_carry_names`; the search index's
/// documents are built that way, a listed page reads `bookmarks.tag_names`); a tag's name
/// never changes (renaming a tag on bookmarks links them to another tag).
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
                bookmark_tags::bookmark_created_at.eq(WrittenTime(link.bookmark.created_at)),
                bookmark_tags::tag_name.eq(link.tag_name.to_owned()),
            )
        })
        .collect();
    if rows.len() <= ROWS_ONE_AT_A_TIME {
        insert_rows!(conn, bookmark_tags::table, rows);
    } else {
        insert_kept_chunks!(conn, bookmark_tags::table, rows, ROWS_PER_INSERT);
    }
    Ok(())
}

/// Looks tags up by name. On PostgreSQL the names go as one array, a few thousand per query;
/// on SQLite a few go one statement each, more a few thousand per query (bound-parameter
/// limits).
fn tag_ids(conn: &mut DbConnection, names: &[String]) -> Result<HashMap<String, i64>, StoreError> {
    let distinct: Vec<&String> = names
        .iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut ids = HashMap::with_capacity(distinct.len());
    if let DbConnection::Postgres(c) = conn {
        // The names go as one array: one round trip for a save's tags, one per few thousand
        // names beyond.
        for chunk in distinct.chunks(ROWS_PER_INSERT) {
            let rows: Vec<(i64, String)> = TagsNamed { names: chunk }.load(c)?;
            ids.extend(rows.into_iter().map(|(id, name)| (name, id)));
        }
        return Ok(ids);
    }
    if distinct.len() <= ROWS_ONE_AT_A_TIME {
        for name in distinct {
            let id: Option<i64> = on_each_backend!(conn, |c| tags::table
                .filter(tags::name.eq(name))
                .select(tags::id)
                .first(c)
                .optional())?;
            if let Some(id) = id {
                ids.insert(name.clone(), id);
            }
        }
        return Ok(ids);
    }
    for chunk in distinct.chunks(ROWS_PER_INSERT) {
        let rows: Vec<(i64, String)> = tags::table
            .filter(tags::name.eq_any(chunk))
            .select((tags::id, tags::name))
            .load(conn)?;
        ids.extend(rows.into_iter().map(|(id, name)| (name, id)));
    }
    Ok(ids)
}

/// `SELECT id, name FROM tags WHERE name = ANY($1)` on PostgreSQL, with the names as one array
/// parameter: a fixed text, so diesel keeps it compiled.
struct TagsNamed<'a> {
    names: &'a [&'a String],
}

impl QueryId for TagsNamed<'_> {
    type QueryId = TagsNamed<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for TagsNamed<'_> {
    type SqlType = (BigInt, Text);
}

impl QueryFragment<Pg> for TagsNamed<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("SELECT id, name FROM tags WHERE name = ANY(");
        out.push_bind_param::<Array<Text>, _>(self.names)?;
        out.push_sql("::text[])");
        Ok(())
    }
}

impl RunQueryDsl<PgConnection> for TagsNamed<'_> {}

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
    // A few names are looked up one statement each, kept compiled (`tag_ids`).
    let names: Vec<String> = names.iter().map(|n| n.as_str().to_owned()).collect();
    let ids = tag_ids(conn, &names)?;
    Ok(names.iter().map(|name| ids.get(name).copied()).collect())
}
