//! Following people and tag feeds on other instances, who follows you, and the network: what
//! the people and tags you follow saved.

use super::json::{rfc3339, ErrorJson};
use crate::auth::bearer::ApiUser;
use crate::blocking::run_db;
use crate::errors::ApiError;
use crate::state::AppState;
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use bookmarks::model::Cursor;
use bookmarks::store::federation::{
    list_followers, list_follows, list_network, Follow, NetworkBookmark, Slice,
};
use federation::activitypub::follow::{follow, unfollow};
use serde::{Deserialize, Serialize};

/// A follow of yours.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FollowJson {
    pub id: String,
    /// `name@host` of the person or tag feed.
    pub handle: String,
    /// The actor's id (its profile address).
    pub actor: String,
    pub name: String,
    /// `pending` until the other side accepts, then `accepted`.
    pub state: &'static str,
    pub created_at: String,
}

impl From<&Follow> for FollowJson {
    fn from(f: &Follow) -> Self {
        Self {
            id: f.public_id.clone(),
            handle: f.target.handle.clone(),
            actor: f.target.ap_id.clone(),
            name: f.target.name.clone(),
            state: f.state.as_str(),
            created_at: rfc3339(f.created_at),
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct FollowRequest {
    /// `alice@office-a.example`, `alice.rust@office-a.example` (her `rust` tag) or a profile URL.
    pub handle: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FollowsJson {
    pub follows: Vec<FollowJson>,
    /// Pass as `cursor` to get the next (older) page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// `limit` and `cursor` of a listing's query string.
#[derive(Debug, Deserialize)]
struct PageQuery {
    cursor: Option<String>,
    limit: Option<String>,
}

impl PageQuery {
    fn of(req: &HttpRequest) -> Result<Self, ApiError> {
        web::Query::<Self>::from_query(req.query_string())
            .map(web::Query::into_inner)
            .map_err(|e| ApiError::BadRequest(format!("bad query: {e}")))
    }

    /// `limit`, 1 to 200, 50 when not given.
    fn limit(&self) -> Result<i64, ApiError> {
        let Some(text) = self.limit.as_deref() else {
            return Ok(50);
        };
        text.trim()
            .parse::<i64>()
            .ok()
            .filter(|limit| (1..=200).contains(limit))
            .ok_or_else(|| {
                ApiError::BadRequest(format!("limit: `{text}` is not a number from 1 to 200"))
            })
    }

    /// The slice of follows or followers asked for: `cursor` is a `next_cursor` these lists
    /// gave.
    fn slice(&self) -> Result<Slice, ApiError> {
        let limit = self.limit()?;
        match self.cursor.as_deref().filter(|c| !c.is_empty()) {
            None => Ok(Slice::newest(limit)),
            Some(cursor) => Slice::after_cursor(cursor, limit).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "cursor `{cursor}` is not one this list gave; pass the `next_cursor` of \
                     the previous page, or none for the first"
                ))
            }),
        }
    }
}

/// Follow a person or a tag feed on another instance. The answer is `pending` until their
/// instance accepts.
#[utoipa::path(
    tag = "network",
    request_body = FollowRequest,
    responses(
        (status = 202, description = "Following, or asked to", body = FollowJson),
        (status = 400, description = "Not a handle, or not one that can be followed", body = ErrorJson),
        (status = 401, description = "No or unknown bearer token", body = ErrorJson),
        (status = 404, description = "No such actor", body = ErrorJson),
        (status = 502, description = "Their instance could not be reached", body = ErrorJson),
    ),
    security(("bearer" = []))
)]
#[post("/follows")]
pub async fn create(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let request: FollowRequest = super::json::parse_body(body.into_inner())?;
    let data = state.federation.data();
    let follow = follow(&data, &user, &request.handle).await?;
    Ok(HttpResponse::Accepted().json(FollowJson::from(&follow)))
}

/// The people and tag feeds you follow, newest first, a page at a time.
#[utoipa::path(
    tag = "network",
    params(
        ("limit" = Option<i64>, Query, description = "1–200, default 50"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "Your follows", body = FollowsJson),
        (status = 400, description = "A bad parameter", body = ErrorJson),
        (status = 401, description = "No or unknown bearer token", body = ErrorJson),
    ),
    security(("bearer" = []))
)]
#[get("/follows")]
pub async fn list(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let slice = PageQuery::of(&req)?.slice()?;
    let follows = run_db(&state.db, move |db| {
        db.read(|c| list_follows(c, user.id, None, slice))
    })
    .await?;
    Ok(HttpResponse::Ok().json(FollowsJson {
        follows: follows.items.iter().map(FollowJson::from).collect(),
        next_cursor: follows.next.map(|id| id.to_string()),
    }))
}

/// Stop following; what arrived only through this follow leaves your network.
#[utoipa::path(
    tag = "network",
    params(("id" = String, Path, description = "The follow's id")),
    responses(
        (status = 204, description = "No longer following"),
        (status = 401, description = "No or unknown bearer token", body = ErrorJson),
        (status = 404, description = "No such follow of yours", body = ErrorJson),
    ),
    security(("bearer" = []))
)]
#[delete("/follows/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let data = state.federation.data();
    if unfollow(&data, &user, &id).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound(
            "follow not found; ids come from `GET /api/follows`".into(),
        ))
    }
}

/// Someone on another instance following you or one of your tags.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FollowerJson {
    pub handle: String,
    pub actor: String,
    pub name: String,
    /// The tag they follow, or `null` when they follow you.
    pub tag: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FollowersJson {
    pub followers: Vec<FollowerJson>,
    /// Pass as `cursor` to get the next (older) page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Who follows you and your tags, newest first, a page at a time.
#[utoipa::path(
    tag = "network",
    params(
        ("limit" = Option<i64>, Query, description = "1–200, default 50"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "Your followers", body = FollowersJson),
        (status = 400, description = "A bad parameter", body = ErrorJson),
        (status = 401, description = "No or unknown bearer token", body = ErrorJson),
    ),
    security(("bearer" = []))
)]
#[get("/followers")]
pub async fn followers(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let slice = PageQuery::of(&req)?.slice()?;
    let page = run_db(&state.db, move |db| {
        db.read(|c| list_followers(c, user.id, None, slice))
    })
    .await?;
    Ok(HttpResponse::Ok().json(FollowersJson {
        next_cursor: page.next.map(|id| id.to_string()),
        followers: page
            .items
            .into_iter()
            .map(|f| FollowerJson {
                handle: f.actor.handle,
                actor: f.actor.ap_id,
                name: f.actor.name,
                tag: (!f.tag.is_empty()).then_some(f.tag),
                created_at: rfc3339(f.created_at),
            })
            .collect(),
    }))
}

/// A bookmark from your network: the bookmark fields, plus who saved it and where.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NetworkBookmarkJson {
    pub id: String,
    pub url: String,
    pub title: String,
    pub description: String,
    pub notes: String,
    pub tags: Vec<String>,
    pub visibility: String,
    pub unread: bool,
    pub created_at: String,
    pub updated_at: String,
    /// `name@host` of who saved it.
    pub author: String,
    /// The bookmark's page on their instance.
    pub remote_url: String,
}

impl From<&NetworkBookmark> for NetworkBookmarkJson {
    fn from(n: &NetworkBookmark) -> Self {
        let b = &n.bookmark;
        Self {
            id: b.ap_id.clone(),
            url: b.url.clone(),
            title: b.title.clone(),
            description: String::new(),
            notes: b.notes.clone(),
            tags: b.tags.clone(),
            visibility: b.visibility.clone(),
            unread: false,
            created_at: rfc3339(b.published_at),
            updated_at: rfc3339(b.updated_at),
            author: n.author_handle.clone(),
            remote_url: b.remote_url.clone(),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NetworkJson {
    pub bookmarks: Vec<NetworkBookmarkJson>,
    /// Pass as `cursor` to get the next (older) page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// What the people and tags you follow saved, newest first, each bookmark once.
#[utoipa::path(
    tag = "network",
    params(
        ("limit" = Option<i64>, Query, description = "1–200, default 50"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "One page", body = NetworkJson),
        (status = 400, description = "A bad parameter", body = ErrorJson),
        (status = 401, description = "No or unknown bearer token", body = ErrorJson),
    ),
    security(("bearer" = []))
)]
#[get("/network")]
pub async fn network(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query = PageQuery::of(&req)?;
    let before = query
        .cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(Cursor::parse)
        .transpose()?;
    let limit = query.limit()?;
    let page = run_db(&state.db, move |db| {
        db.read(|c| list_network(c, user.id, before, limit))
    })
    .await?;
    Ok(HttpResponse::Ok().json(NetworkJson {
        bookmarks: page.items.iter().map(NetworkBookmarkJson::from).collect(),
        next_cursor: page.next.map(|c| c.encode()),
    }))
}
