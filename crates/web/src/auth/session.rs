//! Browser sessions: a random secret in an HttpOnly, SameSite=Lax cookie (Secure on https), its
//! hash in the `sessions` table. `PageContext` gives a handler the visitor (if logged in) and
//! the CSRF token for the forms it renders; `LoggedIn` also insists on a login.

use super::csrf;
use crate::blocking::run_db;
use crate::errors::PageError;
use crate::state::AppState;
use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use bookmarks::store::{self, User};
use std::future::Future;
use std::pin::Pin;

pub const SESSION_COOKIE: &str = "cp_session";

/// The cookie that logs a browser in.
pub fn session_cookie(secret: String, state: &AppState) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, secret)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.secure_cookies())
        .max_age(time::Duration::days(i64::from(state.settings.session_days)))
        .finish()
}

/// The cookie that logs it out again.
pub fn expired_session_cookie(state: &AppState) -> Cookie<'static> {
    let mut cookie = session_cookie(String::new(), state);
    cookie.make_removal();
    cookie
}

/// The visitor's account, looked up once per request and remembered in its extensions.
#[derive(Clone)]
struct CachedUser(Option<User>);

async fn current_user(req: &HttpRequest) -> Result<Option<User>, PageError> {
    if let Some(CachedUser(user)) = req.extensions().get::<CachedUser>() {
        return Ok(user.clone());
    }
    let user = match (
        req.cookie(SESSION_COOKIE),
        req.app_data::<web::Data<AppState>>(),
    ) {
        (Some(cookie), Some(state)) if !cookie.value().is_empty() => {
            let presented = cookie.value().to_owned();
            run_db(&state.db, move |db| {
                db.read(|c| store::user_for_session(c, &presented))
            })
            .await?
        }
        _ => None,
    };
    req.extensions_mut().insert(CachedUser(user.clone()));
    Ok(user)
}

/// The path and query of this request, for coming back after logging in.
pub fn return_path(req: &HttpRequest) -> String {
    match req.uri().path_and_query() {
        Some(pq) => pq.as_str().to_owned(),
        None => "/".into(),
    }
}

/// A page's view of the request: who is looking (if anyone) and the CSRF token for its forms.
pub struct PageContext {
    pub user: Option<User>,
    pub csrf: csrf::FormToken,
    request: HttpRequest,
}

impl PageContext {
    pub fn viewer_id(&self) -> Option<i64> {
        self.user.as_ref().map(|u| u.id)
    }

    /// Checks a submitted form's token; a mismatch means the form did not come from our page.
    pub fn verify_csrf(&self, submitted: &str) -> Result<(), PageError> {
        csrf::verify(&self.request, submitted)
    }

    /// Insists on a login, sending the visitor to the login page and back here otherwise.
    pub fn require_user(&self) -> Result<&User, PageError> {
        self.user.as_ref().ok_or_else(|| PageError::LoginRequired {
            next: return_path(&self.request),
        })
    }
}

impl FromRequest for PageContext {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let user = current_user(&req).await?;
            let csrf = csrf::FormToken::of(&req);
            Ok(Self {
                user,
                csrf,
                request: req,
            })
        })
    }
}

/// A page that only logged-in people may see.
pub struct LoggedIn {
    pub user: User,
    pub page: PageContext,
}

impl FromRequest for LoggedIn {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let page = PageContext::from_request(req, payload);
        Box::pin(async move {
            let page = page.await?;
            let user = page.require_user()?.clone();
            Ok(Self { user, page })
        })
    }
}
