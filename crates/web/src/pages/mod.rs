//! The HTML pages. Each module owns a group of routes and their templates.

pub(crate) mod accounts;
mod bookmark;
pub(crate) mod import;
pub(crate) mod lists;
mod network;
mod network_people;
mod remote_profile;
mod save;
mod settings;
mod tools;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    lists::routes(cfg);
    bookmark::routes(cfg);
    save::routes(cfg);
    accounts::routes(cfg);
    settings::routes(cfg);
    import::routes(cfg);
    tools::routes(cfg);
    network::routes(cfg);
    network_people::routes(cfg);
    remote_profile::routes(cfg);
}

/// An HTML response.
pub(crate) fn html(body: String) -> actix_web::HttpResponse {
    html_with_status(actix_web::http::StatusCode::OK, body)
}

/// An HTML response with another status, e.g. a form shown again with what was wrong.
pub(crate) fn html_with_status(
    status: actix_web::http::StatusCode,
    body: String,
) -> actix_web::HttpResponse {
    actix_web::HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body)
}

/// A 303 redirect, the answer to a successful form submission.
pub(crate) fn see_other(location: &str) -> actix_web::HttpResponse {
    actix_web::HttpResponse::SeeOther()
        .insert_header((actix_web::http::header::LOCATION, location.to_owned()))
        .finish()
}
