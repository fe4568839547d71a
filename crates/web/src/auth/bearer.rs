//! API authentication: `Authorization: Bearer TOKEN`, a token made in settings or with
//! `commonplace token create`. The API takes no cookies, so it needs no CSRF token.

use crate::blocking::run_db;
use crate::errors::ApiError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{web, FromRequest, HttpRequest};
use bookmarks::store::{self, User};
use std::future::Future;
use std::pin::Pin;

pub struct ApiUser(pub User);

impl FromRequest for ApiUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let header = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let missing = || {
                ApiError::Unauthorized(
                    "send `Authorization: Bearer TOKEN` with a token from Settings → API tokens or `commonplace token create`".into(),
                )
            };
            let header = header.ok_or_else(missing)?;
            let token = header
                .strip_prefix("Bearer ")
                .or_else(|| header.strip_prefix("bearer "))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(missing)?
                .to_owned();
            let state = state.ok_or(ApiError::Internal)?;
            let user = run_db(&state.db, move |db| {
                db.read(|c| store::user_for_api_token(c, &token))
            })
            .await?;
            user.map(ApiUser).ok_or_else(|| {
                ApiError::Unauthorized(
                    "this API token is unknown or was revoked; create a new one in Settings".into(),
                )
            })
        })
    }
}
