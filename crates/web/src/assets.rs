//! The stylesheet and scripts, compiled into the binary: no CDN, nothing to install beside it.

use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::{web, HttpResponse};

const STYLESHEET: &str = include_str!("../static/app.css");
const SAVE_SCRIPT: &str = include_str!("../static/save.js");
const SAVED_SCRIPT: &str = include_str!("../static/saved.js");

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/static/app.css",
        web::get().to(|| asset(STYLESHEET, "text/css; charset=utf-8")),
    )
    .route(
        "/static/save.js",
        web::get().to(|| asset(SAVE_SCRIPT, "text/javascript; charset=utf-8")),
    )
    .route(
        "/static/saved.js",
        web::get().to(|| asset(SAVED_SCRIPT, "text/javascript; charset=utf-8")),
    );
}

async fn asset(body: &'static str, content_type: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(CacheControl(vec![
            CacheDirective::Public,
            CacheDirective::MaxAge(3600),
        ]))
        .body(body)
}
