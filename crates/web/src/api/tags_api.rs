//! `GET /api/tags`: the caller's tags with how many bookmarks carry each, most used first.

use super::json::ErrorJson;
use crate::auth::bearer::ApiUser;
use crate::blocking::run_db;
use crate::errors::ApiError;
use crate::state::AppState;
use actix_web::{get, web, HttpResponse};
use bookmarks::store::{self, BookmarkFilter, Scope};
use serde::Serialize;

#[derive(Serialize, utoipa::ToSchema)]
pub struct TagJson {
    name: String,
    count: i64,
}

/// Far more tags than anyone uses; the cap only bounds the response.
const MAX_TAGS: i64 = 100_000;

/// Your tags with the number of bookmarks carrying each, most used first.
#[utoipa::path(
    tag = "tags",
    responses(
        (status = 200, description = "Your tags", body = Vec<TagJson>),
        (status = 401, description = "No or unknown bearer token", body = ErrorJson),
    ),
    security(("bearer" = []))
)]
#[get("/tags")]
pub async fn list_tags(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
) -> Result<HttpResponse, ApiError> {
    let filter = BookmarkFilter::new(Scope::User { owner: user.id }, Some(user.id));
    let counts = run_db(&state.db, move |db| {
        db.read(|c| store::tag_counts(c, &filter, MAX_TAGS))
    })
    .await?;
    let tags: Vec<TagJson> = counts
        .into_iter()
        .map(|c| TagJson {
            name: c.name,
            count: c.count,
        })
        .collect();
    Ok(HttpResponse::Ok().json(tags))
}
