//! Listing bookmarks: one user's or the whole instance's, filtered by tags and search words,
//! newest first, keyset-paginated. A page costs the same statements however long it is: its rows
//! with their tags' names, and its owners' names, which a caller that read the owner's account
//! passes in instead ([`KnownOwner`]); a filter on several tags adds one to look the others'
//! ids up (the first tag's is looked up inside the page's statement), and a search on SQLite
//! one to plan it. Visibility is decided here, once, for every page and API
//! that lists.

use super::bookmarks::{hydrate, Bookmark, BookmarkRow};
use super::connection::{on_each_backend, DbBackend, DbConnection};
use super::error::StoreError;
use super::filter_links;
use super::kept_conditions::{
    id_among, older_than_cursor, BookmarksListing, TagLinksListing, UserId,
};
use super::page_limit::Page;
use super::schema::{bookmark_tags, bookmarks, tags, users};
use super::search::SqlitePlan;
use super::users::User;
use crate::model::{BookmarkUrl, Cursor, TagName, Visibility};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::borrow::Cow;
use std::sync::Arc;

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
    /// The owner of a [`Scope::User`] listing, as the request read their account: a page of
    /// their bookmarks then needs no statement for its owner's name.
    pub known_owner: Option<KnownOwner>,
}

/// A user's id and name, taken from their account ([`User`]) as read for the same request.
/// [`list_bookmarks`] uses the name only for bookmarks whose owner has this id, and looks the
/// name up otherwise.
#[derive(Debug, Clone)]
pub struct KnownOwner {
    id: i64,
    name: Arc<str>,
}

impl KnownOwner {
    pub fn of(user: &User) -> Self {
        Self {
            id: user.id,
            name: Arc::from(user.name.as_str()),
        }
    }
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
            known_owner: None,
        }
    }

    /// Whether a page of this filter is one walk down a listing index, a page's worth of
    /// entries (with [`list_bookmarks`]): at most one tag, a cursor and a limit, and nothing
    /// else to filter on or pass over. For the owner that is exactly the page's rows (plus
    /// one); other people's view of it also passes over the owner's private bookmarks among
    /// them. A search, more tags, the unread flag, an address, dates or an offset may read far
    /// more rows than a page.
    pub fn reads_one_listing(&self) -> bool {
        walks_the_listing_index(self) && self.offset == 0
    }

    /// `owner`'s bookmarks as `viewer` may see them, with the owner's name known
    /// ([`KnownOwner`]).
    pub fn of_user(owner: &User, viewer: Option<i64>) -> Self {
        Self {
            known_owner: Some(KnownOwner::of(owner)),
            ..Self::new(Scope::User { owner: owner.id }, viewer)
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
/// query whose source includes the `bookmarks` table. A macro rather than a function because it
/// serves queries over different joins (listing, tag counts); the conditions are the same.
///
/// With a connection it looks the filter's tags up first; given the backend and the tags' ids
/// (from [`super::tags::tag_ids_in_order`]) it needs none, so that the query can be built for
/// the concrete connection inside [`on_each_backend!`].
macro_rules! apply_filter {
    ($query:expr, $filter:expr, $conn:expr) => {{
        let filter: &BookmarkFilter = $filter;
        let conn: &mut $crate::store::DbConnection = $conn;
        let backend = conn.backend();
        let tag_ids = $crate::store::tags::tag_ids_in_order(conn, &filter.tags)?;
        $crate::store::listing::apply_filter!($query, filter, backend, tag_ids)
    }};
    ($query:expr, $filter:expr, $backend:expr, $tag_ids:expr) => {{
        let filter: &BookmarkFilter = $filter;
        let backend: $crate::store::Backend = $backend;
        let tag_ids: Vec<Option<i64>> = $tag_ids;
        let mut query = $query;
        let owner = match filter.scope {
            Scope::User { owner } => Some(owner),
            Scope::Instance => None,
        };
        if let Some(owner) = owner {
            query = query.filter(bookmarks::user_id.eq(owner));
        }
        let visible = $crate::store::listing::visible_to(filter);
        if visible.len() < $crate::store::listing::EVERY_VISIBILITY.len() {
            query = query.filter($crate::store::kept_conditions::VisibilityAmong(visible));
        }
        // Tags are looked up by name first and filtered on by id: the planners estimate how many
        // bookmarks carry a tag from the statistics of its id (PostgreSQL, joining the tag by
        // name, guessed 154 bookmarks for a tag on 37,725 and chose a plan that read them all).
        // A user's tagged bookmarks are found through the tag listing index, by tag and owner.
        for tag_id in tag_ids {
            let Some(tag_id) = tag_id else {
                // No bookmark carries a tag that does not exist.
                query = query.filter(diesel::dsl::sql::<diesel::sql_types::Bool>("1 = 0"));
                break;
            };
            query = match (backend, owner) {
                ($crate::store::Backend::Postgres, Some(owner)) => query.filter(
                    $crate::store::listing::owned_and_tagged_uncached(tag_id, owner),
                ),
                ($crate::store::Backend::Postgres, None) => {
                    query.filter($crate::store::listing::tagged_uncached(tag_id))
                }
                ($crate::store::Backend::Sqlite, Some(owner)) => query.filter(
                    bookmarks::id.eq_any(
                        filter_links
                            .filter(filter_links.field(bookmark_tags::tag_id).eq(tag_id))
                            .filter(filter_links.field(bookmark_tags::user_id).eq(owner))
                            .select(filter_links.field(bookmark_tags::bookmark_id)),
                    ),
                ),
                ($crate::store::Backend::Sqlite, None) => query.filter(
                    bookmarks::id.eq_any(
                        filter_links
                            .filter(filter_links.field(bookmark_tags::tag_id).eq(tag_id))
                            .select(filter_links.field(bookmark_tags::bookmark_id)),
                    ),
                ),
            };
        }
        if let Some(search) = filter
            .search
            .as_deref()
            .and_then(|words| $crate::store::search::index_query(backend, words, filter.scope))
        {
            query = query.filter($crate::store::search::matches(
                backend,
                search,
                filter.scope,
            ));
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
    // A search on PostgreSQL waits for its turn (`search_gate`); its rows are its costly part.
    let turn = super::search_gate::for_filter(conn.backend(), filter);
    let mut rows = match filter.tags.first() {
        None => list_rows(conn, filter, limit)?,
        Some(first) => list_tagged_rows(conn, filter, first, limit)?,
    };
    drop(turn);
    let has_more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let mut owner_ids: Vec<i64> = rows.iter().map(BookmarkRow::owner_id).collect();
    owner_ids.sort_unstable();
    owner_ids.dedup();
    // By id, found by binary search (a page has one owner or a few), each name once, shared by
    // its bookmarks.
    let mut owners: Vec<(i64, Arc<str>)> = match (owner_ids.as_slice(), &filter.known_owner) {
        ([], _) => Vec::new(),
        // A page of the owner whose account the request read already (their pages, the API's
        // list of their bookmarks): no statement for the name (on PostgreSQL, no round trip).
        ([only], Some(known)) if known.id == *only => vec![(known.id, known.name.clone())],
        // One owner otherwise looked up by its id alone: a list of ids costs SQLite a
        // temporary B-tree (`id_among`).
        ([only], _) => {
            let only = *only;
            shared_names(on_each_backend!(conn, |c| users::table
                .filter(users::id.eq(only))
                .select((users::id, users::name))
                .load(c))?)
        }
        (several, _) => {
            let among = id_among::<UserId>(conn.backend(), several);
            shared_names(on_each_backend!(conn, |c| users::table
                .filter(among)
                .select((users::id, users::name))
                .load(c))?)
        }
    };
    owners.sort_unstable_by_key(|(id, _)| *id);
    let with_owner = rows
        .into_iter()
        .map(|row| {
            let owner = owners
                .binary_search_by_key(&row.owner_id(), |(id, _)| *id)
                .ok()
                .and_then(|at| owners.get(at))
                .map(|(_, name)| name.clone())
                .unwrap_or_default();
            (row, owner)
        })
        .collect();
    let items = hydrate(with_owner);
    let next = if has_more {
        items.last().map(Bookmark::cursor)
    } else {
        None
    };
    Ok(BookmarkPage { items, next })
}

fn shared_names(owners: Vec<(i64, String)>) -> Vec<(i64, Arc<str>)> {
    owners
        .into_iter()
        .map(|(id, name)| (id, Arc::from(name)))
        .collect()
}

/// Bookmarks older than the cursor's, in listing order (newest first, then by id), given the
/// columns holding a bookmark's creation time and id. The first condition alone is implied by
/// the rest; it is there so that the planner starts the index walk at the cursor rather than
/// reading every newer row.
macro_rules! older_than {
    ($created_at:expr, $id:expr, $cursor:expr) => {{
        let cursor: Cursor = $cursor;
        $created_at.le(cursor.created_at).and(
            $created_at
                .lt(cursor.created_at)
                .or($created_at.eq(cursor.created_at).and($id.lt(cursor.id))),
        )
    }};
}

/// Rows of a page without a tag filter, read in listing order from the bookmarks.
fn list_rows(
    conn: &mut DbConnection,
    filter: &BookmarkFilter,
    limit: i64,
) -> Result<Vec<BookmarkRow>, StoreError> {
    let one_plan = walks_the_listing_index(filter);
    // SQLite's search is planned here, by how many bookmarks match (see `search::SqlitePlan`).
    let plan = super::search::sqlite_plan(conn, filter.search.as_deref(), filter.scope)?;
    let filter = match plan {
        Some(_) => Cow::Owned(BookmarkFilter {
            search: None,
            ..filter.clone()
        }),
        None => Cow::Borrowed(filter),
    };
    if matches!(&plan, Some(SqlitePlan::LookUp(ids)) if ids.is_empty()) {
        return Ok(Vec::new());
    }
    let backend = conn.backend();
    let tag_ids = super::tags::tag_ids_in_order(conn, &filter.tags)?;
    // Built and run on the concrete connection (see `on_each_backend!`).
    Ok(on_each_backend!(conn, |c| {
        let mut query = apply_filter!(bookmarks::table.into_boxed(), &filter, backend, tag_ids);
        match plan {
            Some(SqlitePlan::LookUp(ids)) => query = query.filter(super::search::one_of(&ids)),
            Some(SqlitePlan::Walk(search)) => {
                query = query.filter(super::search::matches_while_walking(search));
            }
            None => {}
        }
        if let Some(cursor) = filter.before {
            query = if one_plan && backend == super::Backend::Postgres {
                query.filter(older_than_cursor::<BookmarksListing>(cursor))
            } else {
                query.filter(older_than!(bookmarks::created_at, bookmarks::id, cursor))
            };
        }
        let query = query
            .order((bookmarks::created_at.desc(), bookmarks::id.desc()))
            .select(BookmarkRow::as_select());
        Page::new(query, limit + 1, filter.offset.max(0), one_plan).load(c)
    })?)
}

/// Rows of a page of the bookmarks carrying `tag` (the filter's first tag), read off the tag
/// listing index in listing order: a page reads one page's worth of the tag's links whether
/// 10 or 40,000 bookmarks carry it, and checks the filter's other conditions on those alone.
/// (Starting from the bookmarks, a page of a tag on 37,725 bookmarks took 27 ms on SQLite, or
/// walked every bookmark saved since the tag was last used.)
fn list_tagged_rows(
    conn: &mut DbConnection,
    filter: &BookmarkFilter,
    tag: &TagName,
    limit: i64,
) -> Result<Vec<BookmarkRow>, StoreError> {
    let backend = conn.backend();
    let other_tags = BookmarkFilter {
        tags: filter.tags.get(1..).unwrap_or_default().to_vec(),
        ..filter.clone()
    };
    let other_tag_ids = super::tags::tag_ids_in_order(conn, &other_tags.tags)?;
    // A PostgreSQL page that is planned with its values must see the tag's id, not a lookup
    // the planner cannot read (`apply_filter!`: it estimates from the id's statistics).
    let one_plan = walks_the_listing_index(filter);
    let planned_with_id = backend == super::Backend::Postgres && !one_plan;
    let first_id = if planned_with_id {
        match super::tags::tag_ids_in_order(conn, std::slice::from_ref(tag))?.first() {
            Some(Some(id)) => Some(*id),
            // No bookmark carries a tag that does not exist.
            _ => return Ok(Vec::new()),
        }
    } else {
        None
    };
    // Built and run on the concrete connection (see `on_each_backend!`).
    Ok(on_each_backend!(conn, |c| {
        let mut query = bookmark_tags::table
            .inner_join(bookmarks::table)
            .into_boxed();
        // Otherwise the tag's id is looked up inside the page's statement (on PostgreSQL a
        // round trip fewer, and a generic plan kept); a tag that does not exist has none, and
        // the page is empty.
        query = if let Some(tag_id) = first_id {
            query.filter(links_of_tag_uncached(tag_id))
        } else {
            query.filter(
                bookmark_tags::tag_id.nullable().eq(tags::table
                    .filter(tags::name.eq(tag.as_str().to_owned()))
                    .select(tags::id)
                    .single_value()),
            )
        };
        if let Scope::User { owner } = filter.scope {
            query = query.filter(bookmark_tags::user_id.eq(owner));
        }
        let mut query = apply_filter!(query, &other_tags, backend, other_tag_ids);
        if let Some(cursor) = filter.before {
            query = if one_plan && backend == super::Backend::Postgres {
                query.filter(older_than_cursor::<TagLinksListing>(cursor))
            } else {
                query.filter(older_than!(
                    bookmark_tags::bookmark_created_at,
                    bookmark_tags::bookmark_id,
                    cursor
                ))
            };
        }
        let query = query
            .order((
                bookmark_tags::bookmark_created_at.desc(),
                bookmark_tags::bookmark_id.desc(),
            ))
            .select(BookmarkRow::as_select());
        Page::new(query, limit + 1, filter.offset.max(0), one_plan).load(c)
    })?)
}

/// Whether PostgreSQL may keep a page's plan (a tag's page prepared, see below; a page's limit
/// in its text, `page_limit`): true when the page has nothing to filter on but at most one
/// tag, its owner, its visibility and the cursor. Such a page's plan for any tag is
/// the walk down the tag listing index, and a generic plan chooses it as well (checked with
/// `plan_cache_mode = force_generic_plan` on the tags of 37,725 and of 3 links, for the owner,
/// a visitor and the instance, with and without a cursor), so it is parsed once per connection
/// rather than for every page (0.1–0.3 ms of PostgreSQL's time). With dates, an address, the
/// unread flag, a search or more tags (Pinboard's `posts/all`, the API's filters) a generic plan
/// could start elsewhere, not knowing how narrow the condition is; those pages are planned with
/// their values, as [`tagged_uncached`] explains.
fn walks_the_listing_index(filter: &BookmarkFilter) -> bool {
    filter.created_from.is_none()
        && filter.created_until.is_none()
        && filter.url.is_none()
        && !filter.unread_only
        && filter.search.is_none()
        && filter.tags.len() <= 1
}

/// The tag link (of a listing read off the tag listing index) is the tag's, for PostgreSQL;
/// written as SQL with the tag's id for the reason [`tagged_uncached`] gives, for pages that
/// [`walks_the_listing_index`] does not cover.
fn links_of_tag_uncached(tag_id: i64) -> TagCondition {
    diesel::dsl::sql::<diesel::sql_types::Bool>("bookmark_tags.tag_id = (")
        .bind::<diesel::sql_types::BigInt, _>(tag_id)
        .sql(")")
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

/// [`tagged_uncached`] for one owner's bookmarks, found by tag and owner in the tag listing
/// index.
pub(crate) fn owned_and_tagged_uncached(tag_id: i64, owner: i64) -> OwnedTagCondition {
    diesel::dsl::sql::<diesel::sql_types::Bool>(
        "bookmarks.id IN (SELECT tagged.bookmark_id FROM bookmark_tags tagged \
         WHERE tagged.tag_id = ",
    )
    .bind::<diesel::sql_types::BigInt, _>(tag_id)
    .sql(" AND tagged.user_id = ")
    .bind::<diesel::sql_types::BigInt, _>(owner)
    .sql(")")
}

/// A condition written in SQL with one bound id.
pub(crate) type TagCondition = diesel::expression::SqlLiteral<
    diesel::sql_types::Bool,
    diesel::expression::UncheckedBind<
        diesel::expression::SqlLiteral<diesel::sql_types::Bool>,
        BigIntBind,
    >,
>;

/// A condition written in SQL with two bound ids.
pub(crate) type OwnedTagCondition = diesel::expression::SqlLiteral<
    diesel::sql_types::Bool,
    diesel::expression::UncheckedBind<TagCondition, BigIntBind>,
>;

type BigIntBind = <i64 as diesel::expression::AsExpression<diesel::sql_types::BigInt>>::Expression;

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
        conn
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
        conn
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

    fn at(minute: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_700_000_000 + minute * 60, 0)
            .unwrap()
            .naive_utc()
    }

    /// Every page of `filter`, one bookmark at a time (so every cursor is used), as titles.
    fn titles_paged(db: &crate::store::Database, filter: &BookmarkFilter) -> Vec<String> {
        let mut filter = filter.clone();
        filter.limit = 1;
        crate::test_db::titles_of_every_page(db, &filter)
    }

    #[test]
    fn one_listing_is_at_most_one_tag_a_cursor_and_a_limit() {
        let tag = |name: &str| TagName::parse(name).unwrap();
        let mut filter = BookmarkFilter::new(Scope::User { owner: 1 }, None);
        assert!(filter.reads_one_listing());
        filter.tags = vec![tag("rust")];
        filter.before = Some(Cursor::parse("1700000000000000-7").unwrap());
        filter.limit = MAX_PAGE_SIZE;
        assert!(filter.reads_one_listing());
        let more_rows: [fn(&mut BookmarkFilter); 6] = [
            |f| f.tags.push(TagName::parse("web").unwrap()),
            |f| f.search = Some("rust".into()),
            |f| f.unread_only = true,
            |f| f.url = Some(BookmarkUrl::parse("https://e.com/").unwrap()),
            |f| f.created_from = Some(at(1)),
            |f| f.offset = 50,
        ];
        for widen in more_rows {
            let mut wider = filter.clone();
            widen(&mut wider);
            assert!(!wider.reads_one_listing(), "{wider:?}");
        }
    }

    #[test]
    fn a_tag_page_follows_its_bookmarks_through_edits() {
        let (_guard, db) = TestDatabase::connect();
        let alice = add_user(&db, "alice");
        let bob = add_user(&db, "bob");
        let entry = |n: i64, tags: &[&str], visibility: Visibility| ImportedBookmark {
            url: BookmarkUrl::parse(&format!("https://e.com/{n}")).unwrap(),
            title: Title::parse(&format!("b{n}")).unwrap(),
            description: Default::default(),
            notes: Default::default(),
            tags: TagList::parse_each(tags).unwrap(),
            visibility,
            unread: false,
            created_at: Some(at(n)),
            updated_at: None,
        };
        let alices = vec![
            entry(1, &["t"], Visibility::Public),
            entry(2, &["t", "u"], Visibility::Public),
            entry(3, &["u"], Visibility::Public),
            entry(4, &["t"], Visibility::Private),
        ];
        db.write(|c| import_batch(c, alice.id, &alices, OnDuplicate::Skip, false))
            .unwrap();
        let bobs = vec![entry(5, &["t"], Visibility::Public)];
        db.write(|c| import_batch(c, bob.id, &bobs, OnDuplicate::Skip, false))
            .unwrap();
        let tagged = |scope: Scope, viewer: Option<i64>, tags: &[&str]| {
            let mut filter = BookmarkFilter::new(scope, viewer);
            filter.tags = tags.iter().map(|t| TagName::parse(t).unwrap()).collect();
            titles_paged(&db, &filter)
        };
        let alices_t = || tagged(Scope::User { owner: alice.id }, Some(alice.id), &["t"]);
        assert_eq!(alices_t(), ["b4", "b2", "b1"]);
        assert_eq!(
            tagged(Scope::User { owner: alice.id }, None, &["t"]),
            ["b2", "b1"]
        );
        assert_eq!(tagged(Scope::Instance, None, &["t"]), ["b5", "b2", "b1"]);
        assert_eq!(
            tagged(Scope::User { owner: alice.id }, None, &["t", "u"]),
            ["b2"]
        );

        let public_id = |title: &str| {
            let mut filter = BookmarkFilter::new(Scope::User { owner: alice.id }, Some(alice.id));
            filter.limit = MAX_PAGE_SIZE;
            let page = db.read(|c| list_bookmarks(c, &filter)).unwrap();
            page.items
                .into_iter()
                .find(|b| b.title.as_str() == title)
                .unwrap()
                .public_id
        };
        let edit = |title: &str, changes: crate::model::BookmarkChanges| {
            let id = public_id(title);
            db.write(|c| crate::store::update_bookmark(c, alice.id, &id, None, &changes))
                .unwrap();
        };
        // Dated newest without touching its tags, b1 moves to the top of the tag's page.
        edit(
            "b1",
            crate::model::BookmarkChanges {
                created_at: Some(at(9)),
                ..Default::default()
            },
        );
        assert_eq!(alices_t(), ["b1", "b4", "b2"]);
        // Retagged and dated oldest at once, b2 leaves "u" and goes to the bottom.
        edit(
            "b2",
            crate::model::BookmarkChanges {
                created_at: Some(at(0)),
                tags: Some(TagList::parse_each(&["t"]).unwrap()),
                ..Default::default()
            },
        );
        assert_eq!(alices_t(), ["b1", "b4", "b2"]);
        assert!(tagged(Scope::User { owner: alice.id }, None, &["t", "u"]).is_empty());
        // Tagged afterwards, b3 joins the page where its date puts it.
        edit(
            "b3",
            crate::model::BookmarkChanges {
                tags: Some(TagList::parse_each(&["u", "t"]).unwrap()),
                ..Default::default()
            },
        );
        assert_eq!(alices_t(), ["b1", "b4", "b3", "b2"]);
        assert_eq!(
            tagged(Scope::Instance, None, &["t"]),
            ["b1", "b5", "b3", "b2"]
        );
        // A tag nobody has used lists nothing.
        assert!(tagged(Scope::Instance, None, &["never"]).is_empty());
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }
}
