//! `GET /api/tags`: the caller's tags with how many bookmarks carry each, most used first.

use crate::auth::bearer::ApiUser;
use crate::blocking::run_db;
use crate::errors::ApiError;
use crate::state::AppState;
use actix_web::{web, HttpResponse};
use bookmarks::store::{self, BookmarkFilter, Scope};
use serde::Serialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/tags", web::get().to(list_tags));
}

#[derive(Serialize)]
struct TagJson {
    name: String,
    count: i64,
}

/// Far more tags than anyone uses; the cap only bounds the response.
const MAX_TAGS: i64 = 100_000;

async fn list_tags(
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
