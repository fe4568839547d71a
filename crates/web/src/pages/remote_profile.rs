//! A remote actor's page here (`/@alice@office-a.example`): what this instance knows of them,
//! their public bookmarks that reached it, and buttons to follow them or one of their tags.
//! Someone logged in may open a handle this instance has never seen: it is looked up then
//! (WebFinger and the actor document, through the SSRF-safe client). Visitors only see actors
//! already known, so an anonymous request never makes the server fetch anything.

use super::html;
use crate::auth::session::PageContext;
use crate::blocking::run_db;
use crate::errors::{ApiError, PageError};
use crate::state::AppState;
use crate::views::Chrome;
use actix_web::{web, HttpResponse};
use askama::Template;
use bookmarks::store::federation::{
    actor_name_for, find_follow, find_remote_actor_by_handle, public_bookmarks_by, FollowState,
    RemoteActor, RemoteBookmark,
};
use federation::activitypub::follow::resolve_actor;

/// Bookmarks shown on a profile.
const SHOWN: i64 = 50;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/@{handle}", web::get().to(show));
}

#[derive(Template)]
#[template(path = "remote_profile.html")]
struct ProfilePage {
    chrome: Chrome,
    handle: String,
    name: String,
    summary: String,
    profile_url: String,
    logged_in: bool,
    /// `Some((follow id, pending))` when the viewer follows them.
    follow: Option<(String, bool)>,
    /// `(tag, handle of the tag feed)` for their tags seen here, when they run Commonplace.
    tag_feeds: Vec<(String, String)>,
    bookmarks: Vec<ProfileBookmark>,
}

struct ProfileBookmark {
    url: String,
    title: String,
    notes: String,
    tags: Vec<String>,
    date: String,
}

fn web_link(url: &str) -> String {
    if url.starts_with("https://") || url.starts_with("http://") {
        url.to_string()
    } else {
        "#".to_string()
    }
}

impl From<RemoteBookmark> for ProfileBookmark {
    fn from(b: RemoteBookmark) -> Self {
        Self {
            title: if b.title.is_empty() {
                b.url.clone()
            } else {
                b.title
            },
            url: web_link(&b.url),
            notes: b.notes,
            tags: b.tags,
            date: b.published_at.format("%Y-%m-%d").to_string(),
        }
    }
}

/// Tag feeds exist on Commonplace instances, whose people live at `/u/{name}`.
fn offers_tag_feeds(actor: &RemoteActor) -> bool {
    actor.kind == "Person"
        && actor
            .ap_id
            .rsplit_once("/u/")
            .is_some_and(|(_, name)| !name.is_empty() && !name.contains('/'))
}

async fn show(
    state: web::Data<AppState>,
    page: PageContext,
    handle: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let handle = handle
        .into_inner()
        .trim_start_matches('@')
        .to_ascii_lowercase();
    // Someone on this instance has their own page here.
    if let Some((name, host)) = handle.rsplit_once('@') {
        if host == state.federation.context().urls.authority() {
            let user = name.split('.').next().unwrap_or(name);
            return Ok(super::see_other(&format!(
                "/u/{}",
                crate::views::encode_query(user)
            )));
        }
    }
    let lookup = handle.clone();
    let known = run_db(&state.db, move |db| {
        db.read(|c| find_remote_actor_by_handle(c, &lookup))
    })
    .await?;
    let actor = match (known, page.viewer_id()) {
        (Some(actor), _) => actor,
        (None, Some(_)) => {
            resolve_actor(&state.federation.data(), &handle)
                .await
                .map_err(|e| match ApiError::from(e) {
                    ApiError::NotFound(_) => PageError::NotFound,
                    other => PageError::BadRequest(other.to_string()),
                })?
                .stored
        }
        (None, None) => return Err(PageError::NotFound),
    };
    let (actor_id, viewer) = (actor.id, page.viewer_id());
    let (bookmarks, follow) = run_db(&state.db, move |db| {
        db.read(|c| {
            let follow = match viewer {
                Some(user) => find_follow(c, user, actor_id)?,
                None => None,
            };
            Ok((public_bookmarks_by(c, actor_id, SHOWN)?, follow))
        })
    })
    .await?;
    let mut tags: Vec<String> = bookmarks.iter().flat_map(|b| b.tags.clone()).collect();
    tags.sort();
    tags.dedup();
    let (name_part, host) = actor.handle.rsplit_once('@').unwrap_or((&actor.handle, ""));
    let tag_feeds = if offers_tag_feeds(&actor) {
        tags.iter()
            .map(|t| {
                (
                    t.clone(),
                    format!("{name_part}.{}@{host}", actor_name_for(t)),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let body = ProfilePage {
        chrome: Chrome::new(&state, &page),
        handle: actor.handle.clone(),
        name: actor.name.clone(),
        summary: actor.summary.clone(),
        profile_url: web_link(&actor.profile_url),
        logged_in: viewer.is_some(),
        follow: follow.map(|f| (f.public_id, f.state == FollowState::Pending)),
        tag_feeds,
        bookmarks: bookmarks.into_iter().map(ProfileBookmark::from).collect(),
    }
    .render()?;
    Ok(html(body))
}
