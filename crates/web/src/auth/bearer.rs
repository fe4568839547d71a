//! API authentication: `Authorization: Bearer TOKEN`, a token made in settings or with
//! `commonplace token create`. The API takes no cookies, so it needs no CSRF token.

use super::token_cache::ApiTokenCache;
use crate::blocking::run_db;
use crate::errors::ApiError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{web, FromRequest, HttpRequest};
use bookmarks::store::{DbConnection, User};
use bookmarks::StoreError;
use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::sync::Arc;

/// The signed-in API user: the bearer token remembered from a moment ago
/// ([`ApiTokenCache`]) or checked in its own trip to the database.
pub struct ApiUser(pub User);

/// The request's bearer token, not yet checked: for the busiest reads, which check it in the
/// same trip to the database as their own query ([`BearerToken::user`]), one hop to the
/// blocking pool and back instead of two (the second trip was 5–6 % of a JSON list request's
/// CPU, in thread wake-ups).
pub struct BearerToken {
    presented: String,
    known: Arc<ApiTokenCache>,
}

impl BearerToken {
    /// The token's user; `None` for a token that is unknown or revoked
    /// ([`unknown_token`]). A token checked a moment ago needs no statement
    /// ([`ApiTokenCache`]).
    pub fn user(&self, conn: &mut DbConnection) -> Result<Option<User>, StoreError> {
        self.known.user(conn, &self.presented)
    }

    /// The token's user if the token was checked a moment ago ([`ApiTokenCache`]): no
    /// statement needed, and none that writes when it was last used.
    pub fn remembered(&self) -> Option<User> {
        self.known.remembered(&self.presented)
    }
}

fn missing_token() -> ApiError {
    ApiError::Unauthorized(
        "send `Authorization: Bearer TOKEN` with a token from Settings → API tokens or `commonplace token create`".into(),
    )
}

/// The answer to a token that is unknown or was revoked.
pub fn unknown_token() -> ApiError {
    ApiError::Unauthorized(
        "this API token is unknown or was revoked; create a new one in Settings".into(),
    )
}

fn presented_token(req: &HttpRequest) -> Result<BearerToken, ApiError> {
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(missing_token)?;
    let presented = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(missing_token)?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or(ApiError::Internal)?;
    Ok(BearerToken {
        presented: presented.to_owned(),
        known: state.api_tokens.clone(),
    })
}

impl FromRequest for BearerToken {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(presented_token(req))
    }
}

impl FromRequest for ApiUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = presented_token(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let token = token?;
            // A token checked a moment ago needs no trip to the database at all.
            if let Some(user) = token.known.remembered(&token.presented) {
                return Ok(ApiUser(user));
            }
            let state = state.ok_or(ApiError::Internal)?;
            let user = run_db(&state.db, move |db| db.read(|c| token.user(c))).await?;
            user.map(ApiUser).ok_or_else(unknown_token)
        })
    }
}
