//! The ActivityPub and discovery endpoints. `/u/{name}` and `/b/{id}` are also HTML pages (in the
//! web crate): the JSON routes here are guarded by the `Accept` header and registered first.

use super::actors::ApActor;
use super::documents::{self, find_user};
use super::error::FederationError;
use super::inbox::InboxActivity;
use crate::context::{Data, FederationContext};
use activitypub_federation::actix_web::inbox::receive_activity;
use activitypub_federation::actix_web::signing_actor;
use actix_web::guard;
use actix_web::http::header;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use bookmarks::store::schema::bookmarks as bookmark_rows;
use bookmarks::store::{count_users, StoreError};
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

pub const ACTIVITY_JSON: &str = "application/activity+json";
/// Largest activity the inbox reads.
const INBOX_MAX_BYTES: usize = 256 * 1024;
/// How long the inbox may work on one activity (fetching its actor included).
const INBOX_TIMEOUT: Duration = Duration::from_secs(20);

pub fn routes(cfg: &mut web::ServiceConfig) {
    let activity_json = || guard::fn_guard(|ctx| accepts_activity_json(ctx.head().headers()));
    cfg.route("/u/{name}", web::get().guard(activity_json()).to(person))
        .route("/b/{id}", web::get().guard(activity_json()).to(note))
        .route("/.well-known/webfinger", web::get().to(webfinger))
        .route("/.well-known/nodeinfo", web::get().to(nodeinfo_links))
        .route("/nodeinfo/2.1", web::get().to(nodeinfo))
        .route("/nodeinfo/2.0", web::get().to(nodeinfo))
        .route("/actor", web::get().to(instance_actor))
        .service(inbox_resource("/inbox"))
        .service(inbox_resource("/actor/inbox"))
        .service(inbox_resource("/u/{name}/inbox"))
        .service(inbox_resource("/u/{name}/tags/{feed}/inbox"))
        .route("/u/{name}/outbox", web::get().to(outbox))
        .route("/u/{name}/followers", web::get().to(followers))
        .route("/u/{name}/following", web::get().to(following))
        .route("/u/{name}/tags/{feed}", web::get().to(tag_feed))
        .route(
            "/u/{name}/tags/{feed}/followers",
            web::get().to(tag_feed_followers),
        )
        .route(
            "/u/{name}/tags/{feed}/outbox",
            web::get().to(tag_feed_outbox),
        );
}

fn inbox_resource(path: &str) -> actix_web::Resource {
    web::resource(path)
        .app_data(web::PayloadConfig::new(INBOX_MAX_BYTES))
        .route(web::post().to(inbox))
}

/// Whether the request asks for ActivityPub JSON rather than a page: `application/activity+json`
/// or `application/ld+json` (with or without the ActivityStreams profile) in `Accept`.
fn wants_activity_json(request: &HttpRequest) -> bool {
    accepts_activity_json(request.headers())
}

fn accepts_activity_json(headers: &header::HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let media = item.split(';').next().unwrap_or("").trim();
            media.eq_ignore_ascii_case(ACTIVITY_JSON)
                || media.eq_ignore_ascii_case("application/ld+json")
        })
}

pub fn activity_response(document: &Value) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ACTIVITY_JSON)
        .insert_header((header::VARY, "Accept"))
        .json(document)
}

async fn inbox(
    request: HttpRequest,
    body: Bytes,
    data: Data,
) -> Result<HttpResponse, FederationError> {
    let received = tokio::time::timeout(
        INBOX_TIMEOUT,
        receive_activity::<InboxActivity, ApActor, FederationContext>(request, body, &data),
    )
    .await
    .map_err(|_| FederationError::Fetch("processing the activity took too long".into()))?;
    received?;
    Ok(HttpResponse::Accepted().finish())
}

#[derive(Deserialize)]
struct WebfingerQuery {
    resource: String,
}

async fn webfinger(
    query: web::Query<WebfingerQuery>,
    data: Data,
) -> Result<HttpResponse, FederationError> {
    let urls = data.urls.clone();
    let resource = query.resource.trim();
    let not_found = || FederationError::NotFound(format!("no actor here is `{resource}`"));
    let (name, host) = if let Some((name, rest)) = resource
        .strip_prefix("acct:")
        .unwrap_or(resource)
        .trim_start_matches('@')
        .rsplit_once('@')
    {
        (name.to_string(), rest.to_string())
    } else if let Some((name, feed)) = urls.local_actor(resource) {
        let full = feed.map_or(name.clone(), |f| format!("{name}.{f}"));
        (full, urls.authority().to_string())
    } else if resource == urls.instance_actor().as_str() {
        ("instance".to_string(), urls.authority().to_string())
    } else {
        return Err(not_found());
    };
    if !host.eq_ignore_ascii_case(urls.authority()) && !host.eq_ignore_ascii_case(urls.host()) {
        return Err(not_found());
    }
    let (actor, page) = if name == "instance" {
        (urls.instance_actor(), urls.base().to_string())
    } else if let Some((user, feed)) = name.split_once('.') {
        let (user, feed) = documents::tag_feed(&data, user, feed).await?;
        let n = user.name.as_str();
        (
            urls.tag_feed(n, &feed.actor_name),
            urls.tag_page(n, &feed.tag),
        )
    } else {
        let lookup = name.clone();
        let user = data.read(move |conn| find_user(conn, &lookup)).await?;
        let actor = urls.user(user.name.as_str());
        (actor.clone(), actor.to_string())
    };
    let document = json!({
        "subject": format!("acct:{name}@{}", urls.authority()),
        "aliases": [actor],
        "links": [
            { "rel": "self", "type": ACTIVITY_JSON, "href": actor },
            { "rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": page },
        ],
    });
    Ok(HttpResponse::Ok()
        .content_type("application/jrd+json")
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .json(document))
}

async fn nodeinfo_links(data: Data) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "links": [
            { "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
              "href": format!("{}/nodeinfo/2.1", data.urls.base()) },
            { "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
              "href": format!("{}/nodeinfo/2.0", data.urls.base()) },
        ]
    }))
}

async fn nodeinfo(request: HttpRequest, data: Data) -> Result<HttpResponse, FederationError> {
    let version = if request.path().ends_with("2.0") {
        "2.0"
    } else {
        "2.1"
    };
    let (users_total, posts) = data
        .read(|conn| {
            let posts: i64 = bookmark_rows::table
                .filter(bookmark_rows::visibility.ne("private"))
                .count()
                .get_result(conn)?;
            Ok::<_, StoreError>((count_users(conn)?, posts))
        })
        .await?;
    let software = json!({ "name": "commonplace", "version": env!("CARGO_PKG_VERSION") });
    let profile = format!("http://nodeinfo.diaspora.software/ns/schema/{version}#");
    Ok(HttpResponse::Ok()
        .content_type(format!("application/json; profile=\"{profile}\""))
        .json(json!({
            "version": version,
            "software": software,
            "protocols": ["activitypub"],
            "services": { "inbound": [], "outbound": ["atom1.0", "rss2.0"] },
            "openRegistrations": data.settings.open_registrations,
            "usage": { "users": { "total": users_total }, "localPosts": posts },
            "metadata": { "nodeName": data.urls.host() },
        })))
}

async fn instance_actor(data: Data) -> HttpResponse {
    activity_response(&documents::instance_json(&data))
}

async fn person(path: web::Path<String>, data: Data) -> Result<HttpResponse, FederationError> {
    Ok(activity_response(&documents::person(&data, &path).await?))
}

async fn note(
    request: HttpRequest,
    path: web::Path<String>,
    data: Data,
) -> Result<HttpResponse, FederationError> {
    let organisation = signed_by_organisation(&request, &data).await;
    Ok(activity_response(
        &documents::note(&data, &path, organisation).await?,
    ))
}

/// Whether a GET carries a valid HTTP signature of an actor on an allowlisted instance (what
/// "my organisation" bookmarks need). Unsigned requests cost nothing.
async fn signed_by_organisation(request: &HttpRequest, data: &Data) -> bool {
    if !request.headers().contains_key("signature") {
        return false;
    }
    match signing_actor::<ApActor>(request, None, data).await {
        Ok(actor) => data.instance_in_organisation(&actor.stored.host),
        Err(e) => {
            tracing::debug!(error = %e, "a signed fetch did not verify");
            false
        }
    }
}

async fn outbox(path: web::Path<String>, data: Data) -> Result<HttpResponse, FederationError> {
    Ok(activity_response(&documents::outbox(&data, &path).await?))
}

async fn followers(path: web::Path<String>, data: Data) -> Result<HttpResponse, FederationError> {
    Ok(activity_response(
        &documents::followers(&data, &path, None).await?,
    ))
}

async fn following(path: web::Path<String>, data: Data) -> Result<HttpResponse, FederationError> {
    Ok(activity_response(
        &documents::following(&data, &path).await?,
    ))
}

async fn tag_feed(
    request: HttpRequest,
    path: web::Path<(String, String)>,
    data: Data,
) -> Result<HttpResponse, FederationError> {
    let (name, feed) = path.into_inner();
    let (user, feed) = documents::tag_feed(&data, &name, &feed).await?;
    if !wants_activity_json(&request) {
        return Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                data.urls.tag_page(user.name.as_str(), &feed.tag),
            ))
            .finish());
    }
    Ok(activity_response(&documents::tag_feed_json(
        &data, &user, &feed,
    )))
}

async fn tag_feed_followers(
    path: web::Path<(String, String)>,
    data: Data,
) -> Result<HttpResponse, FederationError> {
    let (name, feed) = path.into_inner();
    Ok(activity_response(
        &documents::followers(&data, &name, Some(&feed)).await?,
    ))
}

async fn tag_feed_outbox(
    path: web::Path<(String, String)>,
    data: Data,
) -> Result<HttpResponse, FederationError> {
    let (name, feed) = path.into_inner();
    let (user, feed) = documents::tag_feed(&data, &name, &feed).await?;
    let id = data
        .urls
        .tag_feed_outbox(user.name.as_str(), &feed.actor_name)
        .to_string();
    Ok(activity_response(&json!({
        "@context": super::actors::ACTIVITY_CONTEXT,
        "id": id,
        "type": "OrderedCollection",
        "totalItems": 0,
        "orderedItems": [],
    })))
}
