//! The network page (`/network`): follow someone (or one of their tags) on another instance,
//! see and end your newest follows, see who follows you newest, and read what the people and
//! tags you follow saved. Every follow and follower, a page at a time, are on
//! [`super::network_people`]'s pages.

use super::network_people::{People, PersonView, FOLLOWERS_PATH, FOLLOWING_PATH};
use super::{html_with_status, see_other};
use crate::auth::session::LoggedIn;
use crate::blocking::run_db;
use crate::errors::PageError;
use crate::state::AppState;
use crate::views::Chrome;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use bookmarks::model::Cursor;
use bookmarks::store::federation::{list_network, NetworkBookmark, Slice};
use federation::activitypub::follow::{follow, unfollow};
use serde::Deserialize;

const PAGE_SIZE: i64 = 50;
/// How many of the newest follows and followers the page lists beside the bookmarks.
const PEOPLE_LISTED: i64 = 50;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/network", web::get().to(show))
        .route("/network/follow", web::post().to(create_follow))
        .route("/network/unfollow/{id}", web::post().to(remove_follow));
}

#[derive(Template)]
#[template(path = "network.html")]
struct NetworkPage {
    chrome: Chrome,
    handle: String,
    error: Option<String>,
    follows: Vec<PersonView>,
    /// All of the user's follows, listed or not.
    follows_total: i64,
    followers: Vec<PersonView>,
    /// All of the user's followers, listed or not.
    followers_total: i64,
    following_path: &'static str,
    followers_path: &'static str,
    /// Where an unfollow form returns to.
    back: &'static str,
    bookmarks: Vec<NetworkBookmarkView>,
    next_href: Option<String>,
}

struct NetworkBookmarkView {
    url: String,
    title: String,
    notes: String,
    tags: Vec<String>,
    author: String,
    remote_url: String,
    date: String,
}

impl NetworkBookmarkView {
    /// The author's page here.
    fn author_page(&self) -> String {
        crate::pages::lists::remote_profile_href(&self.author)
    }
}

/// Only http(s) links from other servers become links on our pages.
fn safe_link(url: &str) -> String {
    if url.starts_with("https://") || url.starts_with("http://") {
        url.to_string()
    } else {
        "#".to_string()
    }
}

impl From<&NetworkBookmark> for NetworkBookmarkView {
    fn from(n: &NetworkBookmark) -> Self {
        let b = &n.bookmark;
        Self {
            url: safe_link(&b.url),
            title: if b.title.is_empty() {
                b.url.clone()
            } else {
                b.title.clone()
            },
            notes: b.notes.clone(),
            tags: b.tags.clone(),
            author: n.author_handle.clone(),
            remote_url: safe_link(&b.remote_url),
            date: b.published_at.format("%Y-%m-%d").to_string(),
        }
    }
}

#[derive(Deserialize)]
struct NetworkQuery {
    cursor: Option<String>,
}

async fn render(
    state: &AppState,
    me: &LoggedIn,
    before: Option<Cursor>,
    handle: String,
    error: Option<String>,
) -> Result<HttpResponse, PageError> {
    let user_id = me.user.id;
    let newest = Slice::newest(PEOPLE_LISTED);
    let (follows, followers, page) = run_db(&state.db, move |db| {
        db.read(|c| {
            Ok((
                People::Following.read(c, user_id, newest)?,
                People::Followers.read(c, user_id, newest)?,
                list_network(c, user_id, before, PAGE_SIZE)?,
            ))
        })
    })
    .await?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let body = NetworkPage {
        chrome: Chrome::new(state, &me.page),
        handle,
        error,
        follows: follows.people,
        follows_total: follows.total,
        followers: followers.people,
        followers_total: followers.total,
        following_path: FOLLOWING_PATH,
        followers_path: FOLLOWERS_PATH,
        back: "/network",
        bookmarks: page.items.iter().map(NetworkBookmarkView::from).collect(),
        next_href: page.next.map(|c| format!("/network?cursor={}", c.encode())),
    }
    .render()?;
    Ok(html_with_status(status, body))
}

async fn show(
    state: web::Data<AppState>,
    me: LoggedIn,
    query: web::Query<NetworkQuery>,
) -> Result<HttpResponse, PageError> {
    let before = query
        .cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(Cursor::parse)
        .transpose()?;
    render(&state, &me, before, String::new(), None).await
}

#[derive(Deserialize)]
struct FollowForm {
    csrf: String,
    handle: String,
    /// A remote profile page (`/@…`) to return to instead of the network page.
    back: Option<String>,
}

/// Where a follow or unfollow form returns to: the remote profile or the page of follows it
/// came from, else the network page.
fn back_to(back: Option<&str>) -> String {
    match back {
        Some(path)
            if path.starts_with("/@")
                && !path.contains("//")
                && !path.chars().any(char::is_control) =>
        {
            path.to_string()
        }
        Some(path) if super::network_people::is_following_page(path) => path.to_string(),
        _ => "/network".to_string(),
    }
}

async fn create_follow(
    state: web::Data<AppState>,
    me: LoggedIn,
    form: web::Form<FollowForm>,
) -> Result<HttpResponse, PageError> {
    me.page.verify_csrf(&form.csrf)?;
    let FollowForm { handle, back, .. } = form.into_inner();
    match follow(&state.federation.data(), &me.user, &handle).await {
        Ok(_) => Ok(see_other(&back_to(back.as_deref()))),
        Err(e) => {
            let message = crate::errors::ApiError::from(e).to_string();
            render(&state, &me, None, handle, Some(message)).await
        }
    }
}

#[derive(Deserialize)]
struct UnfollowForm {
    csrf: String,
    back: Option<String>,
}

async fn remove_follow(
    state: web::Data<AppState>,
    me: LoggedIn,
    id: web::Path<String>,
    form: web::Form<UnfollowForm>,
) -> Result<HttpResponse, PageError> {
    me.page.verify_csrf(&form.csrf)?;
    unfollow(&state.federation.data(), &me.user, &id)
        .await
        .map_err(|e| PageError::BadRequest(crate::errors::ApiError::from(e).to_string()))?;
    Ok(see_other(&back_to(form.back.as_deref())))
}
