//! Atom 1.0 and RSS 2.0 feeds of every list: the instance (`/feed.atom`), a user
//! (`/u/{name}/feed.atom`), a user's tags (`/u/{name}/t/{tags}/feed.atom`), the instance's tags
//! (`/t/{tags}/feed.atom`) and a search (`/search/feed.atom?q=…`); `.rss` for RSS. Public feeds
//! need nothing; a user's own private bookmarks come with `?token=` their secret feed token, and so
//! does their network (`/u/{name}/network/feed.atom?token=…`), which is always private.
//! Feeds answer conditional GETs (ETag, Last-Modified → 304).

mod atom;
mod conditional;
mod entry;
mod rss_feed;

use crate::blocking::run_db;
use crate::errors::PageError;
use crate::pages::lists::parse_tag_path;
use crate::state::AppState;
use crate::views::encode_query;
use actix_web::{web, HttpRequest, HttpResponse};
use bookmarks::model::UserName;
use bookmarks::store::federation::list_network;
use bookmarks::store::{self, BookmarkFilter, Scope, User};
use chrono::NaiveDateTime;
use entry::FeedEntry;
use serde::Deserialize;

/// Entries per feed, newest first.
const FEED_SIZE: i64 = 50;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/feed.{format:atom|rss}", web::get().to(instance_feed))
        .route("/search/feed.{format:atom|rss}", web::get().to(search_feed))
        .route("/u/{name}/feed.{format:atom|rss}", web::get().to(user_feed))
        .route(
            "/u/{name}/t/{tags}/feed.{format:atom|rss}",
            web::get().to(user_tag_feed),
        )
        .route(
            "/t/{tags}/feed.{format:atom|rss}",
            web::get().to(instance_tag_feed),
        )
        .route(
            "/u/{name}/network/feed.{format:atom|rss}",
            web::get().to(network_feed),
        );
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Atom,
    Rss,
}

impl Format {
    fn of(req: &HttpRequest) -> Self {
        if req.match_info().get("format") == Some("rss") {
            Self::Rss
        } else {
            Self::Atom
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Atom => "atom",
            Self::Rss => "rss",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Atom => "application/atom+xml; charset=utf-8",
            Self::Rss => "application/rss+xml; charset=utf-8",
        }
    }
}

/// What a feed is about, independent of its format.
pub struct FeedInfo {
    /// Stable id: the feed's address without secrets.
    pub id: String,
    pub title: String,
    /// The HTML page the feed mirrors.
    pub page_url: String,
    /// The address this feed was requested at (including a token, if any).
    pub self_url: String,
    pub base_url: String,
}

#[derive(Deserialize)]
pub struct FeedQuery {
    token: Option<String>,
    q: Option<String>,
}

/// The address of the feed for the page at `path` (a path with an optional query).
pub fn feed_path(path: &str, format: Format) -> String {
    match path.split_once('?') {
        Some((page, query)) => format!(
            "{}/feed.{}?{query}",
            page.trim_end_matches('/'),
            format.extension()
        ),
        None => format!("{}/feed.{}", path.trim_end_matches('/'), format.extension()),
    }
}

/// Renders the feed. Its `updated`/`Last-Modified` is the latest change in its scope (the user
/// or the instance) that the reader may know of: changes to private bookmarks count only in a
/// feed opened with its owner's token (`private_owner`).
async fn respond(
    state: &AppState,
    req: &HttpRequest,
    mut filter: BookmarkFilter,
    info: FeedInfo,
    private_owner: Option<i64>,
) -> Result<HttpResponse, PageError> {
    filter.limit = FEED_SIZE;
    let scope_owner = match filter.scope {
        Scope::User { owner } => Some(owner),
        Scope::Instance => None,
    };
    let (page, latest) = run_db(&state.db, move |db| {
        db.read(|c| {
            let latest = store::latest_change(c, scope_owner, private_owner.is_some())?;
            Ok((store::list_bookmarks(c, &filter)?, latest))
        })
    })
    .await?;
    let entries: Vec<FeedEntry> = page
        .items
        .iter()
        .map(|b| FeedEntry::from_bookmark(b, &info.base_url))
        .collect();
    Ok(render(
        req,
        &info,
        &entries,
        latest,
        private_owner.is_some(),
    ))
}

/// The feed in the requested format, answering conditional GETs.
fn render(
    req: &HttpRequest,
    info: &FeedInfo,
    entries: &[FeedEntry],
    latest_change: Option<NaiveDateTime>,
    private: bool,
) -> HttpResponse {
    let format = Format::of(req);
    let updated = feed_updated(entries, latest_change);
    let body = match format {
        Format::Atom => atom::render(info, entries, updated),
        Format::Rss => rss_feed::render(info, entries, updated),
    };
    conditional::respond(req, body, updated, format.content_type(), private)
}

/// The feed's `updated`: the latest change it may reveal, else its newest entry, else the epoch
/// for an empty feed that never changed.
fn feed_updated(items: &[FeedEntry], latest_change: Option<NaiveDateTime>) -> NaiveDateTime {
    let newest = items.iter().map(|e| e.updated).max();
    latest_change.max(newest).unwrap_or_default()
}

fn info(state: &AppState, req: &HttpRequest, page_path: &str, title: String) -> FeedInfo {
    let base = state.settings.base_url();
    let format = Format::of(req);
    let id_path = feed_path(page_path, format);
    let self_path = match req.uri().query() {
        Some(query) if !query.is_empty() => format!("{}?{query}", req.path()),
        _ => req.path().to_owned(),
    };
    FeedInfo {
        id: format!("{base}{id_path}"),
        title: format!("{title} · {}", state.settings.instance_name),
        page_url: format!("{base}{page_path}"),
        self_url: format!("{base}{self_path}"),
        base_url: base,
    }
}

async fn instance_feed(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let filter = BookmarkFilter::new(Scope::Instance, None);
    let info = info(&state, &req, "/", "Recent bookmarks".into());
    respond(&state, &req, filter, info, None).await
}

async fn search_feed(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<FeedQuery>,
) -> Result<HttpResponse, PageError> {
    let q = query.q.as_deref().map(str::trim).unwrap_or("").to_owned();
    if q.is_empty() {
        return Err(PageError::BadRequest(
            "a search feed needs words to search for: add `?q=…`".into(),
        ));
    }
    let mut filter = BookmarkFilter::new(Scope::Instance, None);
    filter.search = Some(q.clone());
    let page = format!("/search?q={}&scope=everyone", encode_query(&q));
    let mut info = info(&state, &req, &page, format!("Search: {q}"));
    info.id = format!(
        "{}/search/feed.{}?q={}",
        info.base_url,
        Format::of(&req).extension(),
        encode_query(&q)
    );
    respond(&state, &req, filter, info, None).await
}

/// The feed's owner and whether the request may see their private bookmarks (a valid token).
async fn owner_and_access(
    state: &AppState,
    req: &HttpRequest,
    token: Option<String>,
) -> Result<(User, Option<i64>), PageError> {
    let name = UserName::parse(req.match_info().get("name").unwrap_or(""))
        .map_err(|_| PageError::NotFound)?;
    let token_given = token.is_some();
    // A public feed's owner may be as read a moment ago (`owner_cache`), without a trip to the
    // database; a private feed's is read with its token.
    if !token_given {
        if let Some(read) = state.owners.remembered(&name) {
            return Ok((read.owner.clone(), None));
        }
    }
    let owners = state.owners.clone();
    let (owner, private) = run_db(&state.db, move |db| {
        db.read(|c| {
            let found = match &token {
                None => owners
                    .owner(c, &name, false, false)?
                    .map(|read| read.owner.clone()),
                Some(_) => store::find_user_by_name(c, &name)?,
            };
            let Some(owner) = found else {
                return Ok((None, false));
            };
            let private = match &token {
                Some(token) => store::feed_token_matches(c, owner.id, token)?,
                None => false,
            };
            Ok((Some(owner), private))
        })
    })
    .await?;
    let owner = owner.ok_or(PageError::NotFound)?;
    if token_given && !private {
        return Err(PageError::Forbidden(
            "this private feed address is no longer valid; copy the current one from Settings"
                .into(),
        ));
    }
    let viewer = private.then_some(owner.id);
    Ok((owner, viewer))
}

async fn user_feed(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<FeedQuery>,
) -> Result<HttpResponse, PageError> {
    let (owner, viewer) = owner_and_access(&state, &req, query.into_inner().token).await?;
    let filter = BookmarkFilter::of_user(&owner, viewer);
    let title = if viewer.is_some() {
        format!("{}'s bookmarks (private feed)", owner.name)
    } else {
        format!("{}'s bookmarks", owner.name)
    };
    let mut info = info(&state, &req, &format!("/u/{}", owner.name), title);
    if viewer.is_some() {
        info.id.push_str("#private");
    }
    respond(&state, &req, filter, info, viewer).await
}

async fn user_tag_feed(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<FeedQuery>,
) -> Result<HttpResponse, PageError> {
    let (owner, viewer) = owner_and_access(&state, &req, query.into_inner().token).await?;
    let tags = parse_tag_path(req.match_info().get("tags").unwrap_or(""))?;
    let names: Vec<String> = tags.iter().map(ToString::to_string).collect();
    let mut filter = BookmarkFilter::of_user(&owner, viewer);
    filter.tags = tags;
    let path = crate::views::user_tag_href(
        owner.name.as_str(),
        &names.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let mut info = info(
        &state,
        &req,
        &path,
        format!("{} · {}", owner.name, names.join(" + ")),
    );
    if viewer.is_some() {
        info.id.push_str("#private");
    }
    respond(&state, &req, filter, info, viewer).await
}

async fn instance_tag_feed(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let tags = parse_tag_path(req.match_info().get("tags").unwrap_or(""))?;
    let names: Vec<String> = tags.iter().map(ToString::to_string).collect();
    let mut filter = BookmarkFilter::new(Scope::Instance, None);
    filter.tags = tags;
    let path = format!(
        "/t/{}",
        names
            .iter()
            .map(|t| encode_query(t))
            .collect::<Vec<_>>()
            .join("+")
    );
    let info = info(&state, &req, &path, format!("Tagged {}", names.join(" + ")));
    respond(&state, &req, filter, info, None).await
}

/// What the people and tags a user follows saved: always private, so only with the token.
async fn network_feed(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<FeedQuery>,
) -> Result<HttpResponse, PageError> {
    let (owner, viewer) = owner_and_access(&state, &req, query.into_inner().token).await?;
    if viewer.is_none() {
        return Err(PageError::Forbidden(
            "the network feed is private; copy its address (with the token) from Settings".into(),
        ));
    }
    let owner_id = owner.id;
    let page = run_db(&state.db, move |db| {
        db.read(|c| list_network(c, owner_id, None, FEED_SIZE))
    })
    .await?;
    let entries: Vec<FeedEntry> = page.items.iter().map(FeedEntry::from_network).collect();
    let mut info = info(
        &state,
        &req,
        "/network",
        format!("{}'s network", owner.name),
    );
    info.id = format!(
        "{}/u/{}/network/feed.{}",
        info.base_url,
        owner.name,
        Format::of(&req).extension()
    );
    // Removals change the body and so the ETag; the date is the newest entry's.
    Ok(render(&req, &info, &entries, None, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_paths_sit_beside_their_pages() {
        assert_eq!(feed_path("/u/alice", Format::Atom), "/u/alice/feed.atom");
        assert_eq!(feed_path("/", Format::Rss), "/feed.rss");
        assert_eq!(
            feed_path("/u/alice/t/rust+web", Format::Rss),
            "/u/alice/t/rust+web/feed.rss"
        );
    }

    #[test]
    fn updated_is_the_latest_change_or_newest_entry() {
        let at = |s: i64| {
            chrono::DateTime::from_timestamp(s, 0)
                .map(|d| d.naive_utc())
                .unwrap_or_default()
        };
        assert_eq!(feed_updated(&[], None), at(0));
        assert_eq!(feed_updated(&[], Some(at(50))), at(50));
    }
}
