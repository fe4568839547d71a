//! Settings: API tokens (made, listed, revoked; a new token is shown once) and, for
//! administrators, invite links.

use super::{html, see_other};
use crate::auth::session::LoggedIn;
use crate::blocking::run_db;
use crate::errors::PageError;
use crate::interchange::{Export, ExportFormat};
use crate::state::AppState;
use crate::streamed_body::streamed;
use crate::views::{human_date, Chrome};
use crate::RegistrationMode;
use actix_web::{web, HttpResponse};
use askama::Template;
use bookmarks::store;
use bookmarks::store::federation::{instance_status, InstanceStatus};
use serde::Deserialize;

/// How long an invite link stays valid.
pub const INVITE_DAYS: i64 = 14;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings", web::get().to(show))
        .route("/settings/tokens", web::post().to(create_token))
        .route("/settings/tokens/{id}/revoke", web::post().to(revoke_token))
        .route("/settings/invites", web::post().to(create_invite))
        .route(
            "/settings/feed-token",
            web::post().to(regenerate_feed_token),
        )
        .route(
            "/settings/export.{format:html|json}",
            web::get().to(download_export),
        );
}

struct TokenView {
    id: i64,
    label: String,
    created: String,
    last_used: String,
}

struct InviteView {
    created: String,
    state: String,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    chrome: Chrome,
    error: String,
    tokens: Vec<TokenView>,
    /// The upload limit, for people ("50 MB").
    import_limit: String,
    /// The private Atom and RSS feed addresses, once the user made a feed token.
    private_feeds: Option<(String, String)>,
    /// The same for the network page (what the people and tags the user follows saved).
    network_feeds: Option<(String, String)>,
    new_token: Option<String>,
    is_admin: bool,
    invites_enabled: bool,
    registration: String,
    invite_days: i64,
    invites: Vec<InviteView>,
    new_invite: Option<String>,
    /// Delivery state per remote instance (admins only).
    instances: Vec<InstanceView>,
}

struct InstanceView {
    host: String,
    state: String,
    last_success: String,
    backlog: i64,
    last_error: String,
}

impl From<InstanceStatus> for InstanceView {
    fn from(i: InstanceStatus) -> Self {
        let state = if i.dead {
            format!(
                "dead (failing since {})",
                i.failing_since.map(human_date).unwrap_or_default()
            )
        } else if i.failures > 0 {
            format!(
                "failing ({} attempts), next try {}",
                i.failures,
                i.next_attempt_at.format("%H:%M:%S UTC")
            )
        } else {
            "ok".to_string()
        };
        Self {
            host: i.host,
            state,
            last_success: i
                .last_success_at
                .map(human_date)
                .unwrap_or_else(|| "never".into()),
            backlog: i.backlog,
            last_error: if i.failures > 0 {
                i.last_error
            } else {
                String::new()
            },
        }
    }
}

async fn render(
    state: &AppState,
    me: &LoggedIn,
    new_token: Option<String>,
    new_invite: Option<String>,
) -> Result<HttpResponse, PageError> {
    let (user_id, is_admin) = (me.user.id, me.user.is_admin);
    let (tokens, invites, feed_token, instances) = run_db(&state.db, move |db| {
        db.read(|c| {
            let tokens = store::list_api_tokens(c, user_id)?;
            let feed_token = store::feed_token(c, user_id)?;
            let (invites, instances) = if is_admin {
                (store::list_invites(c, user_id)?, instance_status(c)?)
            } else {
                (Vec::new(), Vec::new())
            };
            Ok((tokens, invites, feed_token, instances))
        })
    })
    .await?;
    let now = chrono::Utc::now().naive_utc();
    let feeds_at = |path: &str| {
        feed_token.as_ref().map(|token| {
            let base = format!("{}/u/{}/{path}", state.settings.base_url(), me.user.name);
            (
                format!("{base}.atom?token={token}"),
                format!("{base}.rss?token={token}"),
            )
        })
    };
    let private_feeds = feeds_at("feed");
    let network_feeds = feeds_at("network/feed");
    let body = SettingsPage {
        chrome: Chrome::new(state, &me.page),
        error: String::new(),
        tokens: tokens
            .into_iter()
            .map(|t| TokenView {
                id: t.id,
                label: t.label,
                created: human_date(t.created_at),
                last_used: t.last_used_at.map(human_date).unwrap_or_default(),
            })
            .collect(),
        new_token,
        private_feeds,
        network_feeds,
        instances: instances.into_iter().map(InstanceView::from).collect(),
        import_limit: crate::pages::import::megabytes(state.settings.import_max_bytes),
        is_admin,
        invites_enabled: state.settings.registration == RegistrationMode::Invite,
        registration: format!("{:?}", state.settings.registration).to_lowercase(),
        invite_days: INVITE_DAYS,
        invites: invites
            .into_iter()
            .map(|i| InviteView {
                created: human_date(i.created_at),
                state: match i.used_at {
                    Some(at) => format!("used {}", human_date(at)),
                    None if i.expires_at <= now => "expired".into(),
                    None => format!("open until {}", human_date(i.expires_at)),
                },
            })
            .collect(),
        new_invite,
    }
    .render()?;
    Ok(html(body))
}

async fn show(state: web::Data<AppState>, me: LoggedIn) -> Result<HttpResponse, PageError> {
    render(&state, &me, None, None).await
}

#[derive(Deserialize)]
struct TokenForm {
    csrf: String,
    label: String,
}

async fn create_token(
    state: web::Data<AppState>,
    me: LoggedIn,
    form: web::Form<TokenForm>,
) -> Result<HttpResponse, PageError> {
    me.page.verify_csrf(&form.csrf)?;
    let (user_id, label) = (me.user.id, form.into_inner().label);
    let secret = run_db(&state.db, move |db| {
        db.write(|c| store::create_api_token(c, user_id, &label))
    })
    .await?;
    render(&state, &me, Some(secret.into_string()), None).await
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn revoke_token(
    state: web::Data<AppState>,
    me: LoggedIn,
    id: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    me.page.verify_csrf(&form.csrf)?;
    let (user_id, token_id) = (me.user.id, id.into_inner());
    let known = state.api_tokens.clone();
    run_db(&state.db, move |db| {
        let revoked = db.write(|c| store::revoke_api_token(c, user_id, token_id));
        // Refused from now on by this server, in the same closure as the revocation so that
        // it happens even if the request is dropped meanwhile, and whatever the answer (a
        // failed commit may have committed); another process on the database forgets it
        // within `token_cache::REMEMBER_FOR`.
        known.forget_user(user_id);
        revoked
    })
    .await?;
    Ok(see_other("/settings"))
}

async fn create_invite(
    state: web::Data<AppState>,
    me: LoggedIn,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    me.page.verify_csrf(&form.csrf)?;
    if !me.user.is_admin {
        return Err(PageError::Forbidden(
            "only administrators can invite people".into(),
        ));
    }
    let user_id = me.user.id;
    let secret = run_db(&state.db, move |db| {
        db.write(|c| store::create_invite(c, user_id, chrono::Duration::days(INVITE_DAYS)))
    })
    .await?;
    let link = format!(
        "{}/signup?invite={}",
        state.settings.base_url(),
        secret.as_str()
    );
    render(&state, &me, None, Some(link)).await
}

async fn regenerate_feed_token(
    state: web::Data<AppState>,
    me: LoggedIn,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    me.page.verify_csrf(&form.csrf)?;
    let user_id = me.user.id;
    run_db(&state.db, move |db| {
        db.write(|c| store::regenerate_feed_token(c, user_id))
    })
    .await?;
    Ok(see_other("/settings#private-feed"))
}

/// The whole collection as a download: `.html` (Netscape, for browsers) or `.json` (Pinboard),
/// written a page of bookmarks at a time (`streamed_body`).
/// A GET that changes nothing, so no CSRF token; the session decides whose bookmarks.
async fn download_export(
    state: web::Data<AppState>,
    me: LoggedIn,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, PageError> {
    let format = match req.match_info().get("format") {
        Some("json") => ExportFormat::PinboardJson,
        _ => ExportFormat::Netscape,
    };
    let body = streamed(&state.db, Export::new(me.user.clone(), format)).await?;
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}\"",
                format.file_name(me.user.name.as_str())
            ),
        ))
        .streaming(body))
}
