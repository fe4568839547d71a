//! Tag rows and the bookmark–tag links: assigning a bookmark's tags, loading the tags of a page
//! of bookmarks in one query.

use super::connection::{on_each_backend, DbConnection};
use super::error::StoreError;
use super::schema::{bookmark_tags, tags};
use crate::model::TagList;
use diesel::prelude::*;
use std::collections::HashMap;

/// Replaces the bookmark's tags with `list`, creating tag rows as needed.
pub(crate) fn set_bookmark_tags(
    conn: &mut DbConnection,
    bookmark_id: i64,
    list: &TagList,
) -> Result<(), StoreError> {
    diesel::delete(bookmark_tags::table.filter(bookmark_tags::bookmark_id.eq(bookmark_id)))
        .execute(conn)?;
    if list.is_empty() {
        return Ok(());
    }
    let names = list.names();
    let mut ids = tag_ids(conn, &names)?;
    let missing: Vec<_> = names
        .iter()
        .filter(|n| !ids.contains_key(*n))
        .map(|n| tags::name.eq(n.as_str()))
        .collect();
    if !missing.is_empty() {
        on_each_backend!(conn, |c| diesel::insert_into(tags::table)
            .values(&missing)
            .execute(c))?;
        ids = tag_ids(conn, &names)?;
    }
    let links: Vec<_> = names
        .iter()
        .enumerate()
        .filter_map(|(position, name)| {
            ids.get(name).map(|tag_id| {
                (
                    bookmark_tags::bookmark_id.eq(bookmark_id),
                    bookmark_tags::tag_id.eq(*tag_id),
                    bookmark_tags::position.eq(i32::try_from(position).unwrap_or(i32::MAX)),
                )
            })
        })
        .collect();
    on_each_backend!(conn, |c| diesel::insert_into(bookmark_tags::table)
        .values(&links)
        .execute(c))?;
    Ok(())
}

fn tag_ids(conn: &mut DbConnection, names: &[String]) -> Result<HashMap<String, i64>, StoreError> {
    let rows: Vec<(i64, String)> = tags::table
        .filter(tags::name.eq_any(names))
        .select((tags::id, tags::name))
        .load(conn)?;
    Ok(rows.into_iter().map(|(id, name)| (name, id)).collect())
}

/// The tags of each bookmark in `bookmark_ids`, in the order they were given. One query.
pub(crate) fn load_tags(
    conn: &mut DbConnection,
    bookmark_ids: &[i64],
) -> Result<HashMap<i64, Vec<String>>, StoreError> {
    let mut by_bookmark: HashMap<i64, Vec<String>> = HashMap::new();
    if bookmark_ids.is_empty() {
        return Ok(by_bookmark);
    }
    let rows: Vec<(i64, String)> = bookmark_tags::table
        .inner_join(tags::table)
        .filter(bookmark_tags::bookmark_id.eq_any(bookmark_ids))
        .order((bookmark_tags::bookmark_id, bookmark_tags::position))
        .select((bookmark_tags::bookmark_id, tags::name))
        .load(conn)?;
    for (bookmark_id, name) in rows {
        by_bookmark.entry(bookmark_id).or_default().push(name);
    }
    Ok(by_bookmark)
}
