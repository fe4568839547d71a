//! Tag counts over a set of bookmarks: a user's tag cloud, and the tags that co-occur with the
//! ones being looked at ("related tags"). Both respect the same visibility rules as listing.

use super::connection::DbBackend;
use super::connection::DbConnection;
use super::error::StoreError;
use super::filter_links;
use super::listing::{apply_filter, BookmarkFilter, Scope};
use super::schema::{bookmark_tags, bookmarks, tags};
use diesel::dsl::count_star;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagCount {
    pub name: String,
    pub count: i64,
}

/// Tags on the bookmarks `filter` matches, most used first (cursor and limit of the filter are
/// ignored; `limit` caps the number of tags).
pub fn tag_counts(
    conn: &mut DbConnection,
    filter: &BookmarkFilter,
    limit: i64,
) -> Result<Vec<TagCount>, StoreError> {
    if super::tag_totals::answers(filter) {
        return super::tag_totals::tag_cloud(conn, filter, limit);
    }
    count_tags(conn, filter, limit, false)
}

/// Tags that appear together with all of `filter.tags`, most frequent first, not counting
/// those tags themselves.
pub fn related_tags(
    conn: &mut DbConnection,
    filter: &BookmarkFilter,
    limit: i64,
) -> Result<Vec<TagCount>, StoreError> {
    count_tags(conn, filter, limit, true)
}

fn count_tags(
    conn: &mut DbConnection,
    filter: &BookmarkFilter,
    limit: i64,
    exclude_selected: bool,
) -> Result<Vec<TagCount>, StoreError> {
    let mut query = apply_filter!(
        bookmark_tags::table
            .inner_join(tags::table)
            .inner_join(bookmarks::table)
            .group_by(tags::name)
            .select((tags::name, count_star()))
            .order((count_star().desc(), tags::name.asc()))
            .limit(limit)
            .into_boxed::<DbBackend>(),
        filter,
        conn
    );
    if exclude_selected {
        let selected: Vec<String> = filter.tags.iter().map(|t| t.as_str().to_owned()).collect();
        query = query.filter(tags::name.ne_all(selected));
    }
    Ok(query
        .load::<(String, i64)>(conn)?
        .into_iter()
        .map(|(name, count)| TagCount { name, count })
        .collect())
}
