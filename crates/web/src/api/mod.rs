//! The JSON API under `/api`, authenticated with bearer tokens, and `/healthz`. Errors are
//! `{"error": "…"}` with a fitting status, including malformed JSON and unknown routes.

mod bookmarks_api;
mod health;
mod json;
mod tags_api;

use crate::errors::ApiError;
use actix_web::{web, HttpRequest};

/// Request bodies larger than this are refused (a bookmark with 10,000 characters of notes
/// and 100 tags is far smaller).
const MAX_JSON_BYTES: usize = 256 * 1024;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .service(
            web::scope("/api")
                .app_data(json_config())
                .app_data(web::PathConfig::default().error_handler(|err, _| {
                    ApiError::BadRequest(format!("bad path: {err}")).into()
                }))
                .configure(bookmarks_api::routes)
                .configure(tags_api::routes)
                .default_service(web::to(not_found)),
        );
}

fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(MAX_JSON_BYTES)
        .error_handler(|err, _| {
            let message = match &err {
                actix_web::error::JsonPayloadError::ContentType => {
                    "send the body as JSON with `Content-Type: application/json`".to_owned()
                }
                actix_web::error::JsonPayloadError::Overflow { limit }
                | actix_web::error::JsonPayloadError::OverflowKnownLength { limit, .. } => {
                    format!("the request body is larger than {limit} bytes")
                }
                other => format!("the request body is not valid JSON for this endpoint: {other}"),
            };
            ApiError::BadRequest(message).into()
        })
}

async fn not_found(req: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!(
        "there is no API endpoint {} {}; see the README for the endpoints",
        req.method(),
        req.path()
    )))
}
