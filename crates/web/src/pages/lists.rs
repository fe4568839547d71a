//! Lists of bookmarks: the instance's recent public ones (`/`), a user's (`/u/{name}`), a user's
//! tags (`/u/{name}/t/{tag1}+{tag2}`), the instance's tags (`/t/{tag}`) and search. Newest first,
//! keyset-paginated with `?before=CURSOR`; the visibility rules live in the store's filter.

use super::html;
use crate::auth::session::PageContext;
use crate::blocking::{read_now_if_idle, run_db};
use crate::errors::PageError;
use crate::feeds::{feed_path, Format};
use crate::owner_cache::{OwnerCache, ReadOwner};
use crate::slow_listings::SlowListings;
use crate::state::AppState;
use crate::tag_counts_cache::{CountedTags, TagCountsCache};
use crate::views::{
    self, encode_query, tag_cloud, tag_href_prefix, BookmarkView, Chrome, TagCountView,
};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use bookmarks::model::{Cursor, TagName, UserName};
use bookmarks::store::federation::SocialHandles;
use bookmarks::store::{self, BookmarkFilter, BookmarkPage, DbConnection, KnownOwner, Scope};
use bookmarks::StoreError;
use percent_encoding::percent_decode_str;
use serde::Deserialize;
use std::sync::Arc;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/search", web::get().to(search))
        .route("/u/{name}", web::get().to(user_page))
        .route("/u/{name}/t/{tags}", web::get().to(user_tag_page))
        .route("/t/{tags}", web::get().to(instance_tag_page));
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage<'a> {
    chrome: Chrome,
    heading: String,
    subheading: String,
    other_scope: Option<(String, String)>,
    empty_message: String,
    bookmarks: Vec<BookmarkView<'a>>,
    next_href: Option<String>,
    tags_heading: &'static str,
    /// The tag cloud, HTML rendered by [`CloudHtml`] (kept with the counts it shows).
    cloud: Arc<str>,
    social: Option<SocialView>,
    /// The Atom and RSS feeds of this list.
    feed_atom: String,
    feed_rss: String,
}

#[derive(Template)]
#[template(path = "cloud.html")]
struct CloudHtml<'a> {
    tags: Vec<TagCountView<'a>>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    before: Option<String>,
    q: Option<String>,
    scope: Option<String>,
}

impl ListQuery {
    fn cursor(&self) -> Result<Option<Cursor>, PageError> {
        match self.before.as_deref().filter(|s| !s.is_empty()) {
            Some(raw) => Ok(Some(Cursor::parse(raw)?)),
            None => Ok(None),
        }
    }

    /// A filter for `scope` as `viewer` sees it, from this page's cursor and search.
    fn filter(&self, scope: Scope, viewer: Option<i64>) -> Result<BookmarkFilter, PageError> {
        let mut filter = BookmarkFilter::new(scope, viewer);
        filter.before = self.cursor()?;
        filter.search = self.search();
        Ok(filter)
    }

    fn search(&self) -> Option<String> {
        self.q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(str::to_owned)
    }
}

/// What a list page shows besides the bookmarks.
struct Listing {
    heading: String,
    subheading: String,
    /// A link to the same search in the other scope (address, label).
    other_scope: Option<(String, String)>,
    empty_message: String,
    tags_heading: &'static str,
    /// The start of the side list's links, each followed by its tag (`views::tag_href_prefix`).
    tag_href_prefix: String,
    /// Related tags (co-occurring with `filter.tags`) instead of the plain tag cloud.
    related: bool,
    /// On a user's page: their handle, followers and follows.
    social: Option<SocialView>,
}

/// Who follows a user (or one of their tags) from other instances, and whom they follow.
pub(crate) struct SocialView {
    handle: String,
    /// `(handle, page here, tag followed or empty)`.
    followers: Vec<(String, String, String)>,
    /// `(handle, page here)`.
    following: Vec<(String, String)>,
    /// How many there are in all, and how many of them are not listed.
    followers_total: i64,
    followers_unlisted: i64,
    following_total: i64,
    following_unlisted: i64,
}

/// The page here about a remote actor.
pub(crate) fn remote_profile_href(handle: &str) -> String {
    format!("/@{handle}")
}

fn social_view(state: &AppState, social: &SocialHandles, name: &str) -> SocialView {
    let unlisted = |total: i64, listed: usize| {
        total
            .saturating_sub(i64::try_from(listed).unwrap_or(i64::MAX))
            .max(0)
    };
    SocialView {
        followers_total: social.followers_total,
        followers_unlisted: unlisted(social.followers_total, social.followers.len()),
        following_total: social.following_total,
        following_unlisted: unlisted(social.following_total, social.following.len()),
        handle: format!("{name}@{}", state.federation.context().urls.authority()),
        followers: social
            .followers
            .iter()
            .map(|(handle, tag)| (handle.clone(), remote_profile_href(handle), tag.clone()))
            .collect(),
        following: social
            .following
            .iter()
            .map(|handle| (handle.clone(), remote_profile_href(handle)))
            .collect(),
    }
}

const PAGE_SIZE: i64 = 50;
const CLOUD_SIZE: i64 = 150;
/// Tags listed as related to the ones a page filters on.
const RELATED_SIZE: i64 = 30;

/// How many tags a list shows beside it.
fn tag_limit(related: bool) -> i64 {
    if related {
        RELATED_SIZE
    } else {
        CLOUD_SIZE
    }
}

/// An instance-wide list page's bookmarks and the tags beside them, read in one trip to the
/// database.
fn load_list(
    c: &mut DbConnection,
    cache: &TagCountsCache,
    filter: &BookmarkFilter,
    related: bool,
) -> Result<(BookmarkPage, Arc<CountedTags>), StoreError> {
    let result = store::list_bookmarks(c, filter)?;
    let counts = cache.counts(c, filter, related, tag_limit(related), None)?;
    Ok((result, counts))
}

async fn render_list(
    state: &AppState,
    page: &PageContext,
    req: &HttpRequest,
    mut filter: BookmarkFilter,
    listing: Listing,
) -> Result<HttpResponse, PageError> {
    filter.limit = PAGE_SIZE;
    let query_filter = filter.clone();
    let related = listing.related;
    let cache = state.tag_counts.clone();
    let (result, counts) = run_db(&state.db, move |db| {
        db.read(|c| load_list(c, &cache, &query_filter, related))
    })
    .await?;
    render_loaded(state, page, req, &filter, listing, result, &counts)
}

/// One user's list page, read in one trip to the database: the owner by name (with, on their
/// main page, their followers and follows), then the page and its tags. (In three trips, the two
/// extra hops to the blocking pool and back were a tenth of the page's CPU.)
struct OwnersList {
    /// The owner, their change generation and (on their main page) followers and follows, as
    /// read for this request or a moment before (`owner_cache`).
    owner: Arc<ReadOwner>,
    filter: BookmarkFilter,
    result: BookmarkPage,
    counts: Arc<CountedTags>,
}

impl OwnersList {
    fn render(
        self,
        state: &AppState,
        page: &PageContext,
        req: &HttpRequest,
        listing: Listing,
    ) -> Result<HttpResponse, PageError> {
        render_loaded(
            state,
            page,
            req,
            &self.filter,
            listing,
            self.result,
            &self.counts,
        )
    }
}

/// Reads [`OwnersList`] for the user named `name`, with `filter` (whose scope becomes the
/// owner's); not found when there is no such user. The owner is read afresh when they are
/// the viewer, and otherwise may be as read a moment ago (`owner_cache`).
async fn load_owners_list(
    state: &AppState,
    page: &PageContext,
    name: &str,
    mut filter: BookmarkFilter,
    related: bool,
    with_social: bool,
) -> Result<OwnersList, PageError> {
    let name = UserName::parse(name).map_err(|_| PageError::NotFound)?;
    let fresh = page
        .user
        .as_ref()
        .is_some_and(|viewer| viewer.name.as_str() == name.as_str());
    filter.limit = PAGE_SIZE;
    if !fresh {
        if let Some(loaded) =
            owners_list_on_worker(state, &name, &filter, related, with_social).await?
        {
            return Ok(loaded);
        }
    }
    let cache = state.tag_counts.clone();
    let owners = state.owners.clone();
    let slow = state.slow_listings.clone();
    run_db(&state.db, move |db| {
        db.read(|c| {
            // The owner's change generation (and on their main pages their followers and
            // follows) come with them, each a statement (on PostgreSQL a round trip) fewer.
            let Some(read) = owners.owner(c, &name, with_social, fresh)? else {
                return Ok(None);
            };
            filter.scope = Scope::User {
                owner: read.owner.id,
            };
            filter.known_owner = Some(KnownOwner::of(&read.owner));
            let known = Some((read.owner.id, read.generation));
            let result = rows_timed(c, &filter, (!fresh).then_some(&*slow))?;
            let counts = cache.counts(c, &filter, related, tag_limit(related), known)?;
            Ok(Some(OwnersList {
                owner: read,
                filter: filter.clone(),
                result,
                counts,
            }))
        })
    })
    .await?
    .ok_or(PageError::NotFound)
}

/// [`OwnersList`] for other people's views of a page of one listing when all but its rows is
/// known ([`known_beside_rows`]): the rows are one statement down a listing index, read on
/// this worker when a connection is idle (`read_now_if_idle`). `None` when something else
/// must be read first; the caller reads it all on the blocking pool.
async fn owners_list_on_worker(
    state: &AppState,
    name: &UserName,
    filter: &BookmarkFilter,
    related: bool,
    with_social: bool,
) -> Result<Option<OwnersList>, PageError> {
    let Some(known) = known_beside_rows(
        &state.owners,
        &state.tag_counts,
        &state.slow_listings,
        name,
        filter,
        related,
        with_social,
    ) else {
        return Ok(None);
    };
    let query = known.filter.clone();
    let slow = state.slow_listings.clone();
    let result = read_now_if_idle(&state.db, move |c| rows_timed(c, &query, Some(&slow))).await?;
    Ok(Some(OwnersList {
        owner: known.owner,
        filter: known.filter,
        result,
        counts: known.counts,
    }))
}

/// A user's page but its rows, taken from what this process read a moment ago.
struct KnownBesideRows {
    owner: Arc<ReadOwner>,
    /// The page's filter, in the owner's scope.
    filter: BookmarkFilter,
    counts: Arc<CountedTags>,
}

/// What a page of `filter` of the user named `name` needs besides its rows, when none of it
/// has to be read: a page of one listing (at most one tag and a cursor,
/// `BookmarkFilter::reads_one_listing`) whose owner was read a moment ago (`owner_cache`, so
/// for other people's views only), whose pages did not take long to read for other people
/// lately (`slow_listings`) and whose tags were counted since they last changed
/// (`tag_counts_cache`). Looks nothing up in the database and waits for no other request.
fn known_beside_rows(
    owners: &OwnerCache,
    tag_counts: &TagCountsCache,
    slow: &SlowListings,
    name: &UserName,
    filter: &BookmarkFilter,
    related: bool,
    with_social: bool,
) -> Option<KnownBesideRows> {
    if !filter.reads_one_listing() {
        return None;
    }
    let owner = owners.remembered_as(name, with_social)?;
    if slow.recently_slow(owner.owner.id) {
        return None;
    }
    let mut filter = filter.clone();
    filter.scope = Scope::User {
        owner: owner.owner.id,
    };
    filter.known_owner = Some(KnownOwner::of(&owner.owner));
    let known = (owner.owner.id, owner.generation);
    let counts = tag_counts.known_counts(&filter, related, tag_limit(related), known)?;
    Some(KnownBesideRows {
        owner,
        filter,
        counts,
    })
}

/// The page's rows; with `slow`, for someone other than the owner, noting how long they took
/// when the page is one that could be read on a worker (`slow_listings`; a search, say, waits
/// for its turn and reads more, and says nothing about the listing).
fn rows_timed(
    c: &mut DbConnection,
    filter: &BookmarkFilter,
    slow: Option<&SlowListings>,
) -> Result<BookmarkPage, StoreError> {
    let started = std::time::Instant::now();
    let page = store::list_bookmarks(c, filter)?;
    if let (Some(slow), Scope::User { owner }) = (slow, filter.scope) {
        if filter.reads_one_listing() {
            slow.note(owner, started.elapsed());
        }
    }
    Ok(page)
}

fn render_loaded(
    state: &AppState,
    page: &PageContext,
    req: &HttpRequest,
    filter: &BookmarkFilter,
    listing: Listing,
    result: BookmarkPage,
    counts: &CountedTags,
) -> Result<HttpResponse, PageError> {
    let next_href = result
        .next
        .map(|cursor| next_page_href(req, &cursor.encode()));
    // The feed of what this page lists to everyone (a search feed searches public bookmarks).
    let feed_page = match (req.path(), &filter.search) {
        ("/search", Some(q)) => format!("/search?q={}", encode_query(q)),
        (path, _) => path.to_owned(),
    };
    let body = ListPage {
        chrome: Chrome::new(state, page).with_search(filter.search.as_deref().unwrap_or("")),
        heading: listing.heading,
        subheading: listing.subheading,
        other_scope: listing.other_scope,
        empty_message: listing.empty_message,
        bookmarks: views::views(&result.items, page.viewer_id()),
        next_href,
        tags_heading: listing.tags_heading,
        cloud: counts.cloud_html(&listing.tag_href_prefix, |counts| {
            if counts.is_empty() {
                // No tags, no side list.
                return Ok(String::new());
            }
            CloudHtml {
                tags: tag_cloud(counts, &listing.tag_href_prefix),
            }
            .render()
        })?,
        social: listing.social,
        feed_atom: feed_path(&feed_page, Format::Atom),
        feed_rss: feed_path(&feed_page, Format::Rss),
    }
    .render()?;
    Ok(html(body))
}

async fn home(
    state: web::Data<AppState>,
    page: PageContext,
    req: HttpRequest,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let filter = query.filter(Scope::Instance, page.viewer_id())?;
    let listing = Listing {
        heading: "Recent bookmarks".into(),
        subheading: format!(
            "What people on {} saved lately.",
            state.settings.instance_name
        ),
        other_scope: None,
        empty_message: "Nothing public has been saved here yet.".into(),
        tags_heading: "Popular tags",
        tag_href_prefix: tag_href_prefix(None, &[]),
        related: false,
        social: None,
    };
    render_list(&state, &page, &req, filter, listing).await
}

async fn search(
    state: web::Data<AppState>,
    page: PageContext,
    req: HttpRequest,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let search = query.search().unwrap_or_default();
    let mine = page.user.is_some() && query.scope.as_deref() != Some("everyone");
    let scope = match (&page.user, mine) {
        (Some(user), true) => Scope::User { owner: user.id },
        _ => Scope::Instance,
    };
    let mut filter = query.filter(scope, page.viewer_id())?;
    filter.search = Some(search.clone());
    if mine {
        filter.known_owner = page.user.as_ref().map(KnownOwner::of);
    }
    let encoded = encode_query(&search);
    let (subheading, other_scope) = match (page.user.is_some(), mine) {
        (true, true) => (
            "In your bookmarks.".to_owned(),
            Some((
                format!("/search?q={encoded}&scope=everyone"),
                "Search everyone's public bookmarks instead".to_owned(),
            )),
        ),
        (true, false) => (
            "In everyone's public bookmarks.".to_owned(),
            Some((
                format!("/search?q={encoded}"),
                "Search only your bookmarks".to_owned(),
            )),
        ),
        (false, _) => ("In public bookmarks.".to_owned(), None),
    };
    let tag_href_prefix = match (&page.user, mine) {
        (Some(user), true) => tag_href_prefix(Some(user.name.as_str()), &[]),
        _ => tag_href_prefix(None, &[]),
    };
    let listing = Listing {
        heading: format!("Search: {search}"),
        subheading,
        other_scope,
        empty_message: "No bookmark matches every word. Try fewer or shorter words.".into(),
        tags_heading: "Tags in the results",
        tag_href_prefix,
        related: false,
        social: None,
    };
    render_list(&state, &page, &req, filter, listing).await
}

async fn user_page(
    state: web::Data<AppState>,
    page: PageContext,
    req: HttpRequest,
    name: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    // The scope is the owner's once they are found (`load_owners_list`).
    let filter = query.filter(Scope::Instance, page.viewer_id())?;
    let loaded = load_owners_list(&state, &page, &name, filter, false, true).await?;
    let owner_name = loaded.owner.owner.name.to_string();
    let is_owner = page.viewer_id() == Some(loaded.owner.owner.id);
    let listing = Listing {
        heading: format!("{owner_name}'s bookmarks"),
        subheading: if is_owner {
            "Only you see your private bookmarks here.".into()
        } else {
            String::new()
        },
        other_scope: None,
        empty_message: if is_owner {
            "You have not saved anything yet. Use “Save a link” or the bookmarklet.".into()
        } else {
            "Nothing to see yet.".into()
        },
        tags_heading: "Tags",
        social: loaded
            .owner
            .social
            .as_ref()
            .map(|social| social_view(&state, social, &owner_name)),
        tag_href_prefix: tag_href_prefix(Some(&owner_name), &[]),
        related: false,
    };
    loaded.render(&state, &page, &req, listing)
}

/// This page's address with `before` set to `cursor`, keeping every other parameter (`q`,
/// `scope`).
fn next_page_href(req: &HttpRequest, cursor: &str) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        if key != "before" {
            query.append_pair(&key, &value);
        }
    }
    query.append_pair("before", cursor);
    format!("{}?{}", req.path(), query.finish())
}

/// `rust+c%2B%2B` → `["rust", "c++"]`: `+` separates, a `+` inside a tag arrives encoded.
pub(crate) fn parse_tag_path(raw: &str) -> Result<Vec<TagName>, PageError> {
    let tags = raw
        .split('+')
        .map(|part| {
            let decoded = percent_decode_str(part).decode_utf8_lossy();
            TagName::parse(&decoded).map_err(PageError::from)
        })
        .collect::<Result<Vec<_>, _>>()?;
    if tags.len() > 8 {
        return Err(PageError::BadRequest(
            "at most 8 tags can be combined in one address".into(),
        ));
    }
    Ok(tags)
}

fn raw_tags(req: &HttpRequest) -> &str {
    req.match_info().get("tags").unwrap_or("")
}

async fn user_tag_page(
    state: web::Data<AppState>,
    page: PageContext,
    req: HttpRequest,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let tags = parse_tag_path(raw_tags(&req))?;
    // The scope is the owner's once they are found (`load_owners_list`).
    let mut filter = query.filter(Scope::Instance, page.viewer_id())?;
    filter.tags = tags.clone();
    let name = req.match_info().get("name").unwrap_or("");
    let loaded = load_owners_list(&state, &page, name, filter, true, false).await?;
    let owner_name = loaded.owner.owner.name.to_string();
    let names: Vec<String> = tags.iter().map(ToString::to_string).collect();
    let listing = Listing {
        heading: format!("{owner_name} · {}", names.join(" + ")),
        subheading: String::new(),
        other_scope: None,
        empty_message: "No bookmark has all of these tags.".into(),
        tags_heading: "Related tags",
        tag_href_prefix: tag_href_prefix(
            Some(&owner_name),
            &names.iter().map(String::as_str).collect::<Vec<_>>(),
        ),
        related: true,
        social: None,
    };
    loaded.render(&state, &page, &req, listing)
}

async fn instance_tag_page(
    state: web::Data<AppState>,
    page: PageContext,
    req: HttpRequest,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let tags = parse_tag_path(raw_tags(&req))?;
    let mut filter = query.filter(Scope::Instance, page.viewer_id())?;
    filter.tags = tags.clone();
    let names: Vec<String> = tags.iter().map(ToString::to_string).collect();
    let listing = Listing {
        heading: format!("Tagged {}", names.join(" + ")),
        subheading: format!("Public bookmarks on {}.", state.settings.instance_name),
        other_scope: None,
        empty_message: "No public bookmark has all of these tags.".into(),
        tags_heading: "Related tags",
        tag_href_prefix: tag_href_prefix(
            None,
            &names.iter().map(String::as_str).collect::<Vec<_>>(),
        ),
        related: true,
        social: None,
    };
    render_list(&state, &page, &req, filter, listing).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_known_but_its_rows_once_its_owner_and_tags_were_read() {
        use bookmarks::test_db::{add_user, TestDatabase};
        let (_guard, db) = TestDatabase::connect();
        let alice = add_user(&db, "alice");
        let name = UserName::parse("alice").expect("a name");
        // Remembered for an hour: a slow database between the reads below must not forget.
        let owners = OwnerCache::remembering_for(std::time::Duration::from_secs(3_600));
        let (counts, slow) = (TagCountsCache::default(), SlowListings::default());
        let mut filter = BookmarkFilter::new(Scope::Instance, None);
        filter.tags = vec![TagName::parse("rust").expect("a tag")];
        filter.before = Some(Cursor::parse("1700000000000000-7").expect("a cursor"));
        let known = |filter: &BookmarkFilter, with_social| {
            known_beside_rows(&owners, &counts, &slow, &name, filter, true, with_social)
        };
        assert!(known(&filter, false).is_none(), "nothing read yet");
        // As a page read on the blocking pool leaves them: its owner remembered, then its
        // tags counted at the owner's generation.
        let read = db
            .read(|c| owners.owner(c, &name, false, false))
            .expect("read")
            .expect("alice");
        assert!(known(&filter, false).is_none(), "tags not counted yet");
        let mut scoped = filter.clone();
        scoped.scope = Scope::User { owner: alice.id };
        let counted = db
            .read(|c| {
                let known = Some((alice.id, read.generation));
                counts.counts(c, &scoped, true, tag_limit(true), known)
            })
            .expect("counted");
        let page = known(&filter, false).expect("all but the rows known");
        assert!(Arc::ptr_eq(&page.owner, &read) && Arc::ptr_eq(&page.counts, &counted));
        assert_eq!(page.filter.scope, Scope::User { owner: alice.id });
        assert_eq!(page.filter.before, filter.before);
        // Not the owner as read with their followers, another audience's tags, nor a page
        // that is not one listing.
        assert!(known(&filter, true).is_none());
        let mut colleague = filter.clone();
        colleague.viewer = Some(alice.id + 1);
        assert!(known(&colleague, false).is_none());
        let mut search = filter.clone();
        search.search = Some("rust".into());
        let mut scoped = search.clone();
        scoped.scope = Scope::User { owner: alice.id };
        db.read(|c| {
            let known = Some((alice.id, read.generation));
            counts.counts(c, &scoped, true, tag_limit(true), known)
        })
        .expect("counted");
        assert!(
            known(&search, false).is_none(),
            "a search is not one listing"
        );
        // Nor an owner read longer ago than owners are remembered.
        let forgetful = OwnerCache::remembering_for(std::time::Duration::ZERO);
        db.read(|c| forgetful.owner(c, &name, false, false))
            .expect("read");
        assert!(
            known_beside_rows(&forgetful, &counts, &slow, &name, &filter, true, false).is_none()
        );
        // Nor once a page of the owner's took long to read for someone else.
        assert!(known(&filter, false).is_some());
        slow.note(alice.id, crate::slow_listings::SLOW);
        assert!(
            known(&filter, false).is_none(),
            "the owner's pages read slowly"
        );
    }

    #[test]
    fn a_page_of_one_listing_marks_its_owner_when_slow_and_a_search_does_not() {
        use bookmarks::test_db::{add_user, TestDatabase};
        let (_guard, db) = TestDatabase::connect();
        let alice = add_user(&db, "alice");
        // Every read counts as slow here.
        let slow = SlowListings::marking_at(std::time::Duration::ZERO);
        let mut search = BookmarkFilter::new(Scope::User { owner: alice.id }, None);
        search.search = Some("rust".into());
        db.read(|c| rows_timed(c, &search, Some(&slow)))
            .expect("read");
        assert!(!slow.recently_slow(alice.id), "a search says nothing");
        let listing = BookmarkFilter::new(Scope::User { owner: alice.id }, None);
        db.read(|c| rows_timed(c, &listing, None)).expect("read");
        assert!(
            !slow.recently_slow(alice.id),
            "the owner's own view is not timed"
        );
        db.read(|c| rows_timed(c, &listing, Some(&slow)))
            .expect("read");
        assert!(slow.recently_slow(alice.id));
    }

    #[test]
    fn the_next_page_keeps_search_and_scope() {
        let req = actix_web::test::TestRequest::with_uri(
            "/search?q=rust%20web&scope=everyone&before=1-2",
        )
        .to_http_request();
        assert_eq!(
            next_page_href(&req, "5-6"),
            "/search?q=rust+web&scope=everyone&before=5-6"
        );
        let plain = actix_web::test::TestRequest::with_uri("/u/alice").to_http_request();
        assert_eq!(next_page_href(&plain, "5-6"), "/u/alice?before=5-6");
    }

    #[test]
    fn tag_paths_split_on_plus_and_decode() {
        let tags = parse_tag_path("rust+c%2B%2B+%C3%A9cole")
            .map(|t| t.iter().map(ToString::to_string).collect::<Vec<_>>());
        assert_eq!(
            tags.ok(),
            Some(vec![
                "rust".to_owned(),
                "c++".to_owned(),
                "école".to_owned()
            ])
        );
        assert!(parse_tag_path("a+b+c+d+e+f+g+h+i").is_err());
        assert!(parse_tag_path("").is_err());
    }
}
