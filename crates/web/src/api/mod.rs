//! The JSON API under `/api`, authenticated with bearer tokens, and `/healthz`. Errors are
//! `{"error": "…"}` with a fitting status, including malformed JSON and unknown routes.

mod bookmarks_api;
mod follows_api;
mod health;
pub(crate) mod json;
mod tags_api;

use crate::errors::ApiError;
use actix_web::{get, web, HttpRequest};

/// Request bodies larger than this are refused (a bookmark with 10,000 characters of notes
/// and 100 tags is far smaller).
const MAX_JSON_BYTES: usize = 256 * 1024;

/// The `/api` scope. Handlers are added with `service(...)` of utoipa-actix-web, which
/// registers each route and its OpenAPI description together, so the document cannot drift.
fn api_scope() -> utoipa_actix_web::scope::Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    utoipa_actix_web::scope("/api")
        .app_data(json_config())
        .app_data(
            web::PathConfig::default()
                .error_handler(|err, _| ApiError::BadRequest(format!("bad path: {err}")).into()),
        )
        .service(bookmarks_api::create)
        .service(bookmarks_api::list)
        .service(bookmarks_api::get_one)
        .service(bookmarks_api::update)
        .service(bookmarks_api::delete)
        .service(tags_api::list_tags)
        .service(follows_api::create)
        .service(follows_api::list)
        .service(follows_api::remove)
        .service(follows_api::followers)
        .service(follows_api::network)
        .service(openapi_json)
        .default_service(web::to(not_found))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .service(api_scope());
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Commonplace API",
        description = "Bookmarks of the token's owner. Authenticate with `Authorization: Bearer TOKEN`; errors are `{\"error\": \"…\"}`.",
        license(name = "AGPL-3.0-or-later")
    ),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The OpenAPI 3 document of everything under `/api` (built from the same scope that serves it).
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa::OpenApi;
    use utoipa_actix_web::OpenApiFactory;
    let scope = api_scope();
    let mut document = ApiDoc::openapi();
    document.info.version = env!("CARGO_PKG_VERSION").to_owned();
    document.paths.paths.extend(scope.paths().paths);
    let mut schemas = Vec::new();
    scope.schemas(&mut schemas);
    document
        .components
        .get_or_insert_with(Default::default)
        .schemas
        .extend(schemas);
    document
}

/// This document, as JSON.
#[utoipa::path(tag = "meta", responses((status = 200, description = "The OpenAPI 3 document")))]
#[get("/openapi.json")]
pub async fn openapi_json() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().json(openapi())
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
