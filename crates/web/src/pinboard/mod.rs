//! A Pinboard v1-compatible API under `/api/v1/`, so Pinboard apps, libraries and scripts work
//! by changing only their base URL. Same methods, parameter names, response shapes (XML by
//! default, JSON with `format=json`) and result codes; authentication by
//! `auth_token=USER:TOKEN` (a Commonplace API token) or HTTP Basic with the user's password.

pub(crate) mod basic_cache;
mod output;
mod posts;
mod tags_user;

use crate::auth::client_address::client_address;
use crate::blocking::run_db;
use crate::state::AppState;
use actix_web::http::header::AUTHORIZATION;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bookmarks::model::{TagName, UserName};
use bookmarks::store::{self, User};
use output::{result_code, Format};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .configure(posts::routes)
            .configure(tags_user::routes)
            .default_service(web::to(unknown_method)),
    );
}

/// Query parameters (Pinboard takes them on GET; a form body on POST is read too).
pub struct Params(Vec<(String, String)>);

impl Params {
    fn from_request(req: &HttpRequest, body: &[u8]) -> Self {
        let mut pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(req.query_string().as_bytes())
                .into_owned()
                .collect();
        let is_form = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if is_form {
            pairs.extend(url::form_urlencoded::parse(body).into_owned());
        }
        Self(pairs)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// A yes/no parameter (`1`/`0` and `true`/`false` too); `None` when absent.
    pub fn yes(&self, name: &str) -> Result<Option<bool>, String> {
        match self.get(name).map(|v| v.trim().to_ascii_lowercase()) {
            None => Ok(None),
            Some(v) if v == "yes" || v == "1" || v == "true" => Ok(Some(true)),
            Some(v) if v == "no" || v == "0" || v == "false" || v.is_empty() => Ok(Some(false)),
            Some(v) => Err(format!("{name} must be yes or no, not `{v}`")),
        }
    }

    /// The `tag` filter: up to three tags, space-separated or repeated.
    pub fn tag_filter(&self) -> Result<Vec<TagName>, String> {
        let mut tags = Vec::new();
        for (_, value) in self.0.iter().filter(|(key, _)| key == "tag") {
            for word in value.split_whitespace() {
                let tag = TagName::parse(word).map_err(|e| e.message)?;
                if !tags.contains(&tag) {
                    tags.push(tag);
                }
            }
        }
        if tags.len() > 3 {
            return Err("at most three tags can be given in `tag`".into());
        }
        Ok(tags)
    }

    pub fn format(&self) -> Format {
        if self
            .get("format")
            .is_some_and(|f| f.eq_ignore_ascii_case("json"))
        {
            Format::Json
        } else {
            Format::Xml
        }
    }
}

/// A call after authentication: who, in which format, with which parameters.
pub struct Call {
    pub user: User,
    pub format: Format,
    pub params: Params,
    /// The token this call authenticated with, if it used `auth_token`.
    pub token: Option<String>,
}

/// Authenticates the call or answers 401 in the requested format.
pub(crate) async fn authenticate(
    state: &AppState,
    req: &HttpRequest,
    body: &[u8],
) -> Result<Call, HttpResponse> {
    let params = Params::from_request(req, body);
    let format = params.format();
    let refuse = |message: &str| {
        let mut response = result_code(format, StatusCode::UNAUTHORIZED, message);
        response.headers_mut().insert(
            actix_web::http::header::WWW_AUTHENTICATE,
            actix_web::http::header::HeaderValue::from_static("Basic realm=\"Commonplace\""),
        );
        response
    };
    if let Some(auth_token) = params.get("auth_token") {
        let Some((name, token)) = auth_token.split_once(':') else {
            return Err(refuse(
                "auth_token must be USER:TOKEN, with a token from Settings → API tokens",
            ));
        };
        let (name, token) = (name.to_owned(), token.to_owned());
        let lookup = token.clone();
        let known = state.api_tokens.clone();
        // A token checked a moment ago needs no trip to the database at all.
        let remembered = known.remembered(&lookup);
        let user = match remembered {
            Some(user) => Ok(Some(user)),
            None => run_db(&state.db, move |db| db.read(|c| known.user(c, &lookup))).await,
        }
        .map_err(|_| {
            result_code(
                format,
                StatusCode::INTERNAL_SERVER_ERROR,
                "something went wrong",
            )
        })?;
        return match user {
            Some(user) if user.name.as_str() == name.to_ascii_lowercase() => Ok(Call {
                user,
                format,
                params,
                token: Some(token),
            }),
            _ => Err(refuse(
                "this auth_token is unknown or revoked; make a new API token in Settings",
            )),
        };
    }
    let basic = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|encoded| STANDARD.decode(encoded.trim()).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok());
    let Some((name, password)) = basic.as_deref().and_then(|b| b.split_once(':')) else {
        return Err(refuse(
            "authenticate with auth_token=USER:TOKEN or HTTP Basic (user name and password)",
        ));
    };
    if let Some(user_id) = state.pinboard_logins.get(name, password) {
        if let Ok(user) = run_db(&state.db, move |db| {
            db.read(|c| store::get_user(c, user_id))
        })
        .await
        {
            return Ok(Call {
                user,
                format,
                params,
                token: None,
            });
        }
    }
    if UserName::parse(name).is_err() {
        return Err(refuse("the user name and password do not match"));
    }
    if !state
        .login_limiter
        .allow(client_address(req, &state.settings.trusted_proxies), name)
    {
        return Err(refuse(
            "too many failed logins; wait a minute and try again",
        ));
    }
    match crate::pages::accounts::authenticate(state, name, password.to_owned()).await {
        Ok(Some(user)) => {
            state.pinboard_logins.remember(name, password, user.id);
            Ok(Call {
                user,
                format,
                params,
                token: None,
            })
        }
        _ => Err(refuse("the user name and password do not match")),
    }
}

async fn unknown_method(req: HttpRequest) -> HttpResponse {
    let format = Params::from_request(&req, &[]).format();
    result_code(
        format,
        StatusCode::NOT_FOUND,
        &format!(
            "{} is not a Pinboard v1 method here; see the README for the supported ones",
            req.path()
        ),
    )
}
