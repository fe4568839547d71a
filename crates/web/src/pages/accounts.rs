//! Accounts: first-run setup of the admin, sign-up (open, by invite, or closed), log in and out.

use super::{html, html_with_status, see_other};
use crate::auth::client_address::client_address;
use crate::auth::session::{expired_session_cookie, session_cookie, PageContext};
use crate::blocking::run_db;
use crate::errors::PageError;
use crate::state::AppState;
use crate::views::Chrome;
use crate::RegistrationMode;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use bookmarks::model::{ActorKeys, Password, PasswordHash, SecretHash, UserName};
use bookmarks::store::{self, NewAccount, User};
use bookmarks::{FieldError, StoreError};
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login_form))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/signup", web::get().to(signup_form))
        .route("/signup", web::post().to(signup))
        .route("/setup", web::get().to(setup_form))
        .route("/setup", web::post().to(setup));
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    next: String,
    name: String,
    error: String,
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    chrome: Chrome,
    heading: &'static str,
    intro: String,
    action: &'static str,
    open: bool,
    code: String,
    name: String,
    error: String,
}

impl SignupPage {
    /// The form again, with what was typed and what was wrong (400).
    fn refused(mut self, name: &str, message: String) -> Result<HttpResponse, PageError> {
        self.name = name.to_owned();
        self.error = message;
        Ok(html_with_status(StatusCode::BAD_REQUEST, self.render()?))
    }
}

/// Only paths on this site are followed after login (`/save?…`), never `//other.host`. Control
/// characters and backslashes are refused anywhere, because browsers drop tabs and newlines and
/// read `\\` as `/`, which would turn `/\t/evil.example` into `//evil.example`.
fn safe_next(next: &str) -> Option<&str> {
    let local = next.starts_with('/') && !next.starts_with("//");
    let clean = !next
        .chars()
        .any(|c| c.is_control() || c == '\\' || c.is_whitespace());
    (local && clean).then_some(next)
}

#[derive(Deserialize)]
struct NextQuery {
    #[serde(default)]
    next: String,
}

async fn login_form(
    state: web::Data<AppState>,
    page: PageContext,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, PageError> {
    let next = safe_next(&query.next).unwrap_or("").to_owned();
    if page.user.is_some() && !next.is_empty() {
        return Ok(see_other(&next));
    }
    let body = LoginPage {
        chrome: Chrome::new(&state, &page),
        next,
        name: String::new(),
        error: String::new(),
    }
    .render()?;
    Ok(html(body))
}

#[derive(Deserialize)]
struct LoginForm {
    csrf: String,
    name: String,
    password: String,
    #[serde(default)]
    next: String,
}

async fn login(
    state: web::Data<AppState>,
    page: PageContext,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, PageError> {
    page.verify_csrf(&form.csrf)?;
    let LoginForm {
        name,
        password,
        next,
        ..
    } = form.into_inner();
    if !state
        .login_limiter
        .allow(client_address(&req, &state.settings.trusted_proxies), &name)
    {
        return Err(PageError::TooManyRequests(
            "too many login attempts; wait a minute and try again".into(),
        ));
    }
    let user = authenticate(&state, &name, password).await?;
    let Some(user) = user else {
        let body = LoginPage {
            chrome: Chrome::new(&state, &page),
            next,
            name,
            error: "that user name and password do not match; check both and try again".into(),
        }
        .render()?;
        return Ok(html_with_status(StatusCode::UNAUTHORIZED, body));
    };
    let destination = safe_next(&next).map_or_else(|| format!("/u/{}", user.name), str::to_owned);
    start_session(&state, &user, &destination).await
}

/// The user, if the name exists and the password matches. Unknown names cost the same time.
pub(crate) async fn authenticate(
    state: &AppState,
    name: &str,
    password: String,
) -> Result<Option<User>, PageError> {
    let user = match UserName::parse(name) {
        Ok(name) => {
            run_db(&state.db, move |db| {
                db.read(|c| store::find_user_by_name(c, &name))
            })
            .await?
        }
        Err(_) => None,
    };
    let user = web::block(move || {
        let matches = match &user {
            Some(u) => u.password_hash.verify(&password),
            None => PasswordHash::decoy().verify(&password),
        };
        user.filter(|_| matches)
    })
    .await
    .map_err(|e| PageError::Internal(format!("the login could not be checked: {e}")))?;
    Ok(user)
}

async fn start_session(
    state: &AppState,
    user: &User,
    destination: &str,
) -> Result<HttpResponse, PageError> {
    let user_id = user.id;
    let lifetime = chrono::Duration::days(i64::from(state.settings.session_days));
    let secret = run_db(&state.db, move |db| {
        db.write(|c| store::create_session(c, user_id, lifetime))
    })
    .await?;
    let mut response = see_other(destination);
    response
        .add_cookie(&session_cookie(secret.into_string(), state))
        .map_err(|e| PageError::Internal(format!("could not set the session cookie: {e}")))?;
    Ok(response)
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    state: web::Data<AppState>,
    page: PageContext,
    req: HttpRequest,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    page.verify_csrf(&form.csrf)?;
    if let Some(cookie) = req.cookie(crate::auth::session::SESSION_COOKIE) {
        let presented = cookie.value().to_owned();
        run_db(&state.db, move |db| {
            db.write(|c| store::delete_session(c, &presented))
        })
        .await?;
    }
    let mut response = see_other("/");
    response
        .add_cookie(&expired_session_cookie(&state))
        .map_err(|e| PageError::Internal(format!("could not clear the session cookie: {e}")))?;
    Ok(response)
}

#[derive(Deserialize)]
struct CodeQuery {
    #[serde(default, alias = "invite")]
    code: String,
}

fn signup_page(state: &AppState, page: &PageContext, code: String) -> SignupPage {
    let (open, intro) = match state.settings.registration {
        RegistrationMode::Open => (true, String::new()),
        RegistrationMode::Invite if !code.is_empty() => (
            true,
            "You were invited. Choose a user name and a password.".into(),
        ),
        RegistrationMode::Invite => (
            false,
            "Accounts here are by invitation. Ask an administrator for an invite link.".into(),
        ),
        RegistrationMode::Closed => (
            false,
            "This instance does not take sign-ups. Ask an administrator to add you.".into(),
        ),
    };
    SignupPage {
        chrome: Chrome::new(state, page),
        heading: "Sign up",
        intro,
        action: "/signup",
        open,
        code,
        name: String::new(),
        error: String::new(),
    }
}

async fn signup_form(
    state: web::Data<AppState>,
    page: PageContext,
    query: web::Query<CodeQuery>,
) -> Result<HttpResponse, PageError> {
    let body = signup_page(&state, &page, query.into_inner().code).render()?;
    Ok(html(body))
}

#[derive(Deserialize)]
struct AccountForm {
    csrf: String,
    name: String,
    password: String,
    #[serde(default)]
    code: String,
}

/// Parses and prepares a new account: hashes the password and makes the key pair (both slow,
/// so on the blocking pool).
async fn new_account(
    name: &str,
    password: String,
    is_admin: bool,
) -> Result<NewAccount, FieldError> {
    let name = UserName::parse(name)?;
    let password = Password::parse(&password)?;
    web::block(move || {
        Ok(NewAccount {
            name,
            password_hash: PasswordHash::new(&password)?,
            is_admin,
            keys: ActorKeys::generate()?,
        })
    })
    .await
    .map_err(|e| FieldError::new("account", format!("could not prepare the account: {e}")))?
}

async fn signup(
    state: web::Data<AppState>,
    page: PageContext,
    form: web::Form<AccountForm>,
) -> Result<HttpResponse, PageError> {
    page.verify_csrf(&form.csrf)?;
    let AccountForm {
        name,
        password,
        code,
        ..
    } = form.into_inner();
    let mode = state.settings.registration;
    let refuse = |message: String| signup_page(&state, &page, code.clone()).refused(&name, message);
    if mode == RegistrationMode::Closed || (mode == RegistrationMode::Invite && code.is_empty()) {
        return Err(PageError::Forbidden(
            "sign-up needs an invite link here; ask an administrator".into(),
        ));
    }
    let account = match new_account(&name, password, false).await {
        Ok(account) => account,
        Err(e) => return refuse(e.to_string()),
    };
    let invite_code = code.clone();
    let created = run_db(&state.db, move |db| {
        db.write(|c| {
            // The first account is the administrator and comes from the setup link.
            if store::count_users(c)? == 0 {
                return Err(StoreError::Conflict(
                    "this instance is not set up yet: its operator creates the first account with the setup link printed at start".into(),
                ));
            }
            match mode {
                RegistrationMode::Invite => store::accept_invite(c, &invite_code, &account),
                _ => store::create_user(c, &account),
            }
        })
    })
    .await;
    match created {
        Ok(user) => start_session(&state, &user, &format!("/u/{}", user.name)).await,
        Err(StoreError::Invalid(e)) => refuse(e.to_string()),
        Err(StoreError::Conflict(message)) => refuse(message),
        Err(other) => Err(other.into()),
    }
}

fn setup_page(state: &AppState, page: &PageContext, code: String) -> SignupPage {
    SignupPage {
        chrome: Chrome::new(state, page),
        heading: "Set up Commonplace",
        intro: "Create the first account. It will be an administrator: it can invite people and manage the instance.".into(),
        action: "/setup",
        open: true,
        code,
        name: String::new(),
        error: String::new(),
    }
}

fn setup_code_matches(state: &AppState, presented: &str) -> bool {
    let expected = state
        .setup_code
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    expected.is_some_and(|hash| hash == SecretHash::of(presented))
}

fn setup_link_invalid() -> PageError {
    PageError::Forbidden(
        "this setup link is not valid: the first account already exists, or the server was restarted and printed a new link".into(),
    )
}

async fn setup_form(
    state: web::Data<AppState>,
    page: PageContext,
    query: web::Query<CodeQuery>,
) -> Result<HttpResponse, PageError> {
    let code = query.into_inner().code;
    if !setup_code_matches(&state, &code) {
        return Err(setup_link_invalid());
    }
    Ok(html(setup_page(&state, &page, code).render()?))
}

async fn setup(
    state: web::Data<AppState>,
    page: PageContext,
    form: web::Form<AccountForm>,
) -> Result<HttpResponse, PageError> {
    page.verify_csrf(&form.csrf)?;
    let AccountForm {
        name,
        password,
        code,
        ..
    } = form.into_inner();
    if !setup_code_matches(&state, &code) {
        return Err(setup_link_invalid());
    }
    let account = match new_account(&name, password, true).await {
        Ok(account) => account,
        Err(e) => return setup_page(&state, &page, code).refused(&name, e.to_string()),
    };
    let created = run_db(&state.db, move |db| {
        db.write(|c| {
            if store::count_users(c)? > 0 {
                return Err(StoreError::Conflict(
                    "the first account already exists; log in instead".into(),
                ));
            }
            store::create_user(c, &account)
        })
    })
    .await?;
    *state.setup_code.lock().unwrap_or_else(|p| p.into_inner()) = None;
    tracing::info!(user = %created.name, "first account created; the setup link no longer works");
    start_session(&state, &created, &format!("/u/{}", created.name)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next("/save?url=x"), Some("/save?url=x"));
        assert_eq!(safe_next("//evil.example/"), None);
        assert_eq!(safe_next("/\\evil.example"), None);
        assert_eq!(safe_next("/\t/evil.example"), None);
        assert_eq!(safe_next("/\n/evil.example"), None);
        assert_eq!(safe_next("/a\\b"), None);
        assert_eq!(safe_next("https://evil.example/"), None);
        assert_eq!(safe_next(""), None);
    }
}
