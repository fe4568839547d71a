//! Listing bookmarks: one user's or the whole instance's, filtered by tags and search words,
//! newest first, keyset-paginated. A page costs three queries however long it is (rows, owner
//! names, tags), and visibility is decided here, once, for every page and API that lists.

use super::bookmarks::{hydrate, Bookmark, BookmarkRow};
use super::connection::{DbBackend, DbConnection};
use super::error::StoreError;
use super::filter_links;
use super::schema::{bookmark_tags, bookmarks, users};
use crate::model::{BookmarkUrl, Cursor, TagName, Visibility};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashMap;

/// The most bookmarks one page may hold.
pub const MAX_PAGE_SIZE: i64 = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// One user's bookmarks: all of them for the owner, public and unlisted for anyone else.
    User { owner: i64 },
    /// The instance's public bookmarks (unlisted ones stay off instance-wide lists).
    Instance,
}

#[derive(Debug, Clone)]
pub struct BookmarkFilter {
    pub scope: Scope,
    /// Who is looking; `None` for a visitor who is not logged in.
    pub viewer: Option<i64>,
    /// Bookmarks must carry every one of these tags.
    pub tags: Vec<TagName>,
    /// Words that must each begin a word of the title, notes, URL or a tag (full-text search).
    pub search: Option<String>,
    pub unread_only: bool,
    /// Only the bookmark of this address.
    pub url: Option<BookmarkUrl>,
    /// Only bookmarks created at or after / before this time.
    pub created_from: Option<NaiveDateTime>,
    pub created_until: Option<NaiveDateTime>,
    /// Only bookmarks older than this (the previous page's last one).
    pub before: Option<Cursor>,
    /// Bookmarks to pass over first (for APIs that page by offset, like Pinboard's).
    pub offset: i64,
    pub limit: i64,
}

impl BookmarkFilter {
    pub fn new(scope: Scope, viewer: Option<i64>) -> Self {
        Self {
            scope,
            viewer,
            tags: Vec::new(),
            search: None,
            unread_only: false,
            url: None,
            created_from: None,
            created_until: None,
            before: None,
            offset: 0,
            limit: 50,
        }
    }
}

#[derive(Debug, Clone)]
pub struct BookmarkPage {
    pub items: Vec<Bookmark>,
    /// The cursor for the next (older) page, if there is one.
    pub next: Option<Cursor>,
}

/// Applies scope, visibility, tags, search and the unread flag (not the cursor) to a boxed
/// query whose source includes the `bookmarks` table. `$page` is true for a page of a listing
/// (newest first, a limit), false for counting over every match. A macro rather than a function because
/// it serves queries over different joins (listing, tag counts); the conditions are the same.
macro_rules! apply_filter {
    ($query:expr, $filter:expr, $conn:expr, $page:expr) => {{
        let filter: &BookmarkFilter = $filter;
        let conn: &mut $crate::store::DbConnection = $conn;
        let backend = conn.backend();
        let mut query = $query;
        if let Scope::User { owner } = filter.scope {
            query = query.filter(bookmarks::user_id.eq(owner));
        }
        let visible = $crate::store::listing::visible_to(filter);
        if visible.len() < $crate::store::listing::EVERY_VISIBILITY.len() {
            query = query.filter(bookmarks::visibility.eq_any(visible.iter().map(|v| v.as_str())));
        }
        // Tags are looked up by name first and filtered on by id: the planners estimate how many
        // bookmarks carry a tag from the statistics of its id (PostgreSQL, joining the tag by
        // name, guessed 154 bookmarks for a tag on 37,725 and chose a plan that read them all).
        let tag_ids = $crate::store::tags::tag_ids_in_order(conn, &filter.tags)?;
        for tag_id in tag_ids {
            let Some(tag_id) = tag_id else {
                // No bookmark carries a tag that does not exist.
                query = query.filter(diesel::dsl::sql::<diesel::sql_types::Bool>("1 = 0"));
                break;
            };
            // On SQLite a page of a common tag fills soonest walking the bookmarks newest first
            // and checking each (a few dozen checks), as long as enough of the newest carry it;
            // a rare tag, one not used lately, and any count start from the tag's bookmarks
            // (checking each of a user's 25,000 bookmarks to count their related tags took 3 s;
            // walking 20,000 new bookmarks without the tag took 500 ms a page). PostgreSQL's
            // planner makes that choice itself from the statistics.
            if $page
                && backend == $crate::store::Backend::Sqlite
                && $crate::store::listing::is_common_tag(conn, tag_id)?
                && $crate::store::listing::walk_fills_page(conn, filter, tag_id)?
            {
                query = query.filter($crate::store::listing::carries_tag(tag_id));
                continue;
            }
            if backend == $crate::store::Backend::Postgres {
                query = query.filter($crate::store::listing::tagged_uncached(tag_id));
                continue;
            }
            query = query.filter(
                bookmarks::id.eq_any(
                    filter_links
                        .filter(filter_links.field(bookmark_tags::tag_id).eq(tag_id))
                        .select(filter_links.field(bookmark_tags::bookmark_id)),
                ),
            );
        }
        if let Some(search) = filter
            .search
            .as_deref()
            .and_then(|words| $crate::store::search::index_query(backend, words))
        {
            query = query.filter($crate::store::search::matches(backend, search));
        }
        if filter.unread_only {
            query = query.filter(bookmarks::unread.eq(true));
        }
        if let Some(url) = &filter.url {
            query = query.filter(bookmarks::url.eq(url.as_str().to_owned()));
        }
        if let Some(from) = filter.created_from {
            query = query.filter(bookmarks::created_at.ge(from));
        }
        if let Some(until) = filter.created_until {
            query = query.filter(bookmarks::created_at.lt(until));
        }
        query
    }};
}

pub(crate) use apply_filter;

pub(crate) const EVERY_VISIBILITY: [Visibility; 4] = [
    Visibility::Public,
    Visibility::Unlisted,
    Visibility::Org,
    Visibility::Private,
];

/// Which bookmarks the filter's viewer may see in its scope: on a user's pages all of them for
/// the owner, public, unlisted and "my organisation" for colleagues logged in here, public and
/// unlisted for visitors; on instance-wide lists public ones only.
pub(crate) fn visible_to(filter: &BookmarkFilter) -> &'static [Visibility] {
    match filter.scope {
        Scope::User { owner } if filter.viewer == Some(owner) => &EVERY_VISIBILITY,
        Scope::User { .. } if filter.viewer.is_some() => &EVERY_VISIBILITY[..3],
        Scope::User { .. } => &EVERY_VISIBILITY[..2],
        Scope::Instance => &EVERY_VISIBILITY[..1],
    }
}

pub fn list_bookmarks(
    conn: &mut DbConnection,
    filter: &BookmarkFilter,
) -> Result<BookmarkPage, StoreError> {
    let limit = filter.limit.clamp(1, MAX_PAGE_SIZE);
    let mut query = apply_filter!(
        bookmarks::table.into_boxed::<DbBackend>(),
        filter,
        conn,
        true
    );
    if let Some(cursor) = filter.before {
        query = query.filter(before_cursor(cursor));
    }
    let mut rows: Vec<BookmarkRow> = query
        .order((bookmarks::created_at.desc(), bookmarks::id.desc()))
        .offset(filter.offset.max(0))
        .limit(limit + 1)
        .select(BookmarkRow::as_select())
        .load(conn)?;
    let has_more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let owner_ids: Vec<i64> = rows.iter().map(BookmarkRow::owner_id).collect();
    let owners: HashMap<i64, String> = if owner_ids.is_empty() {
        HashMap::new()
    } else {
        users::table
            .filter(users::id.eq_any(owner_ids))
            .select((users::id, users::name))
            .load::<(i64, String)>(conn)?
            .into_iter()
            .collect()
    };
    let with_owner = rows
        .into_iter()
        .map(|row| {
            let owner = owners.get(&row.owner_id()).cloned().unwrap_or_default();
            (row, owner)
        })
        .collect();
    let items = hydrate(conn, with_owner)?;
    let next = if has_more {
        items.last().map(Bookmark::cursor)
    } else {
        None
    };
    Ok(BookmarkPage { items, next })
}

/// Bookmarks older than the cursor's, in listing order (newest first, then by id). The first
/// condition alone is implied by the rest; it is there so that the planner starts the index walk
/// at the cursor rather than reading every newer row.
fn before_cursor<DB: diesel::backend::Backend>(
    cursor: Cursor,
) -> Box<dyn BoxableExpression<bookmarks::table, DB, SqlType = diesel::sql_types::Bool>>
where
    diesel::dsl::And<
        diesel::dsl::LtEq<bookmarks::created_at, NaiveDateTime>,
        diesel::dsl::Or<
            diesel::dsl::Lt<bookmarks::created_at, NaiveDateTime>,
            diesel::dsl::And<
                diesel::dsl::Eq<bookmarks::created_at, NaiveDateTime>,
                diesel::dsl::Lt<bookmarks::id, i64>,
            >,
        >,
    >: BoxableExpression<bookmarks::table, DB, SqlType = diesel::sql_types::Bool>,
{
    Box::new(
        bookmarks::created_at.le(cursor.created_at).and(
            bookmarks::created_at
                .lt(cursor.created_at)
                .or(bookmarks::created_at
                    .eq(cursor.created_at)
                    .and(bookmarks::id.lt(cursor.id))),
        ),
    )
}

/// Bookmarks on which a tag counts as common: beyond this many, a filter on it walks the
/// bookmarks in order rather than looking its bookmarks up.
const COMMON_TAG_BOOKMARKS: i64 = 1_000;

/// True when at least [`COMMON_TAG_BOOKMARKS`] bookmarks carry the tag (reads at most that many
/// index entries).
pub(crate) fn is_common_tag(conn: &mut DbConnection, tag_id: i64) -> Result<bool, StoreError> {
    let seen: Vec<i64> = bookmark_tags::table
        .filter(bookmark_tags::tag_id.eq(tag_id))
        .select(bookmark_tags::bookmark_id)
        .limit(COMMON_TAG_BOOKMARKS)
        .load(conn)?;
    Ok(seen.len() >= usize::try_from(COMMON_TAG_BOOKMARKS).unwrap_or(usize::MAX))
}

/// How far, at most, a page of a common tag walks the bookmarks newest first.
const WALK_WINDOW: i64 = 1_000;

/// True when, of the scope's [`WALK_WINDOW`] newest bookmarks the viewer may see (after the
/// cursor), enough carry the tag to fill the page: then walking them newest first and checking
/// each stops within them. A tag not used lately (a user who saved 20,000 other things since)
/// is better looked up. Reads at most the window's index entries.
pub(crate) fn walk_fills_page(
    conn: &mut DbConnection,
    filter: &BookmarkFilter,
    tag_id: i64,
) -> Result<bool, StoreError> {
    // Written for SQLite alone: a boxed subquery cannot be built for both backends at once, and
    // PostgreSQL's planner makes this choice itself.
    let DbConnection::Sqlite(conn) = conn else {
        return Ok(false);
    };
    let wanted = filter.limit.clamp(1, MAX_PAGE_SIZE) + filter.offset.max(0) + 1;
    if wanted > WALK_WINDOW {
        return Ok(false);
    }
    let mut window = bookmarks::table
        .select(bookmarks::id)
        .into_boxed::<diesel::sqlite::Sqlite>();
    if let Scope::User { owner } = filter.scope {
        window = window.filter(bookmarks::user_id.eq(owner));
    }
    let visible = visible_to(filter);
    if visible.len() < EVERY_VISIBILITY.len() {
        window = window.filter(bookmarks::visibility.eq_any(visible.iter().map(|v| v.as_str())));
    }
    if let Some(cursor) = filter.before {
        window = window.filter(before_cursor(cursor));
    }
    let window = window
        .order((bookmarks::created_at.desc(), bookmarks::id.desc()))
        .limit(WALK_WINDOW);
    let carrying: Vec<i64> = bookmark_tags::table
        .filter(bookmark_tags::tag_id.eq(tag_id))
        .filter(bookmark_tags::bookmark_id.eq_any(window))
        .select(bookmark_tags::bookmark_id)
        .limit(wanted)
        .load(conn)?;
    Ok(i64::try_from(carrying.len()).unwrap_or(i64::MAX) >= wanted)
}

/// The bookmark (of the outer query) is among the tag's bookmarks, for PostgreSQL. Written as
/// SQL so that diesel does not keep the statement prepared: PostgreSQL may give a statement
/// prepared once and run many times a generic plan, which ignores which tag is asked for; for
/// a tag filter that plan assumed 16 bookmarks per tag and read all 3,638 of a popular one
/// (168 ms instead of 1 ms). An unkept statement is planned with its values each time.
/// (Planning every statement that way, with `plan_cache_mode`, would cost each simple query
/// as much planning as running: 0.06–0.4 ms.)
pub(crate) fn tagged_uncached(tag_id: i64) -> TagCondition {
    diesel::dsl::sql::<diesel::sql_types::Bool>(
        "bookmarks.id IN (SELECT tagged.bookmark_id FROM bookmark_tags tagged \
         WHERE tagged.tag_id = ",
    )
    .bind::<diesel::sql_types::BigInt, _>(tag_id)
    .sql(")")
}

/// A condition written in SQL with one bound tag id.
pub(crate) type TagCondition = diesel::expression::SqlLiteral<
    diesel::sql_types::Bool,
    diesel::expression::UncheckedBind<
        diesel::expression::SqlLiteral<diesel::sql_types::Bool>,
        <i64 as diesel::expression::AsExpression<diesel::sql_types::BigInt>>::Expression,
    >,
>;

/// The bookmark (of the outer query) carries the tag: checked per bookmark, through the
/// (bookmark, tag) primary key.
pub(crate) fn carries_tag(tag_id: i64) -> TagCondition {
    diesel::dsl::sql::<diesel::sql_types::Bool>(
        "EXISTS (SELECT 1 FROM bookmark_tags carried \
         WHERE carried.bookmark_id = bookmarks.id AND carried.tag_id = ",
    )
    .bind::<diesel::sql_types::BigInt, _>(tag_id)
    .sql(")")
}

/// Makes `%`, `_` and `\` match themselves in a LIKE pattern (escape character `\`).
pub(crate) fn escape_like(word: &str) -> String {
    let mut escaped = String::with_capacity(word.len());
    for c in word.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// How many bookmarks `filter` matches (its cursor, offset and limit aside).
pub fn count_bookmarks(
    conn: &mut DbConnection,
    filter: &BookmarkFilter,
) -> Result<i64, StoreError> {
    let query = apply_filter!(
        bookmarks::table
            .select(diesel::dsl::count_star())
            .into_boxed::<DbBackend>(),
        filter,
        conn,
        false
    );
    Ok(query.first(conn)?)
}

/// When each bookmark the filter matches was created (cursor, offset and limit ignored), for
/// per-day counts.
pub fn bookmark_times(
    conn: &mut DbConnection,
    filter: &BookmarkFilter,
) -> Result<Vec<NaiveDateTime>, StoreError> {
    let query = apply_filter!(
        bookmarks::table
            .select(bookmarks::created_at)
            .into_boxed::<DbBackend>(),
        filter,
        conn,
        false
    );
    Ok(query.load(conn)?)
}

#[cfg(test)]
mod tests {
    // A failing expectation in a test should panic with its message.
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::model::{ImportedBookmark, OnDuplicate, TagList, Title};
    use crate::store::import_batch;
    use crate::test_db::{add_user, TestDatabase};

    #[test]
    fn a_common_tag_is_walked_only_where_its_bookmarks_are() {
        let (_guard, db) = TestDatabase::connect();
        if db.backend() != crate::store::Backend::Sqlite {
            // PostgreSQL's planner chooses for itself; the store never walks there.
            return;
        }
        let alice = add_user(&db, "alice");
        // 1,200 older bookmarks tagged "common", then 1,500 newer ones tagged "fresh" only.
        let entries = |range: std::ops::Range<usize>, tag: &str| -> Vec<ImportedBookmark> {
            range
                .map(|i| ImportedBookmark {
                    url: BookmarkUrl::parse(&format!("https://e.com/{i}")).unwrap(),
                    title: Title::parse(&format!("Page {i}")).unwrap(),
                    description: Default::default(),
                    notes: Default::default(),
                    tags: TagList::parse_each(&[tag]).unwrap(),
                    visibility: Visibility::Public,
                    unread: false,
                    created_at: Some(
                        chrono::DateTime::from_timestamp(1_700_000_000 + i as i64 * 60, 0)
                            .unwrap()
                            .naive_utc(),
                    ),
                    updated_at: None,
                })
                .collect()
        };
        for batch in [entries(0..1_200, "common"), entries(1_200..2_700, "fresh")] {
            db.write(|c| import_batch(c, alice.id, &batch, OnDuplicate::Skip, false))
                .unwrap();
        }
        let tag_id = |name: &str| {
            db.read(|c| crate::store::tags::tag_ids_in_order(c, &[TagName::parse(name).unwrap()]))
                .unwrap()[0]
                .unwrap()
        };
        let (common, fresh) = (tag_id("common"), tag_id("fresh"));
        let mut filter = BookmarkFilter::new(Scope::User { owner: alice.id }, None);
        let walks = |filter: &BookmarkFilter, tag: i64| {
            db.read(|c| walk_fills_page(c, filter, tag)).unwrap()
        };
        // The newest thousand carry "fresh", none "common": "common" is looked up.
        assert!(walks(&filter, fresh));
        assert!(!walks(&filter, common));
        // Deeper down, past the "fresh" ones, "common" fills the page within the window.
        let page = db.read(|c| list_bookmarks(c, &filter)).unwrap();
        let mut deep = page.items[0].cursor();
        deep.created_at = chrono::DateTime::from_timestamp(1_700_000_000 + 1_200 * 60, 0)
            .unwrap()
            .naive_utc();
        filter.before = Some(deep);
        assert!(walks(&filter, common));
        // A page bigger than the window is never walked.
        filter.offset = WALK_WINDOW;
        assert!(!walks(&filter, common));
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }
}
