//! CSRF protection for every form: a signed double-submit token. Each browser gets a random
//! `cp_csrf` cookie (HttpOnly, SameSite=Lax); a form's token is HMAC-SHA256 of that cookie and
//! the session cookie under the instance's key. Another site can neither read the cookies nor
//! compute the token, and a token stops working when the session changes.

use super::session::SESSION_COOKIE;
use crate::errors::PageError;
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{web, HttpMessage, HttpRequest};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

pub const CSRF_COOKIE: &str = "cp_csrf";

/// The browser's CSRF seed for this request: from its cookie, or made when the request's page
/// first writes a form token ([`FormToken`]) and then set as a cookie on the response by
/// [`ensure_seed_cookie`]. A page without a form (most of what visitors read) makes no seed and
/// sets no cookie.
#[derive(Clone)]
enum Seed {
    FromCookie(String),
    New(String),
}

impl Seed {
    fn value(&self) -> &str {
        match self {
            Seed::FromCookie(seed) | Seed::New(seed) => seed,
        }
    }
}

fn new_seed() -> String {
    bookmarks::model::Secret::generate().into_string()
}

/// Middleware step: pages get the browser's seed from its cookie, and a browser without one
/// gets the seed its page's forms were signed with as a cookie.
pub async fn ensure_seed_cookie<B: MessageBody>(
    req: ServiceRequest,
    next: actix_web::middleware::Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let existing = req
        .cookie(CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty());
    let secure = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.settings.secure_cookies());
    if let Some(seed) = existing {
        req.extensions_mut().insert(Seed::FromCookie(seed));
    }
    let mut response = next.call(req).await?;
    let made = match response.request().extensions().get::<Seed>() {
        Some(Seed::New(seed)) => Some(seed.clone()),
        _ => None,
    };
    if let Some(seed) = made {
        let cookie = Cookie::build(CSRF_COOKIE, seed)
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(secure)
            .permanent()
            .finish();
        response.response_mut().add_cookie(&cookie)?;
    }
    Ok(response)
}

/// The token this request's forms must carry, signed when a page writes it (signing it for
/// every page, most of which have no form for a visitor, was 1.4 % of a tag page's
/// instructions; callgrind, twenty-sixth performance round).
#[derive(Clone)]
pub struct FormToken(HttpRequest);

impl FormToken {
    pub fn of(req: &HttpRequest) -> Self {
        Self(req.clone())
    }
}

impl fmt::Display for FormToken {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        out.write_str(&token_for(&self.0))
    }
}

/// This request's token once signed, for the page's other forms.
#[derive(Clone)]
struct Signed(String);

/// The token forms rendered for this request must carry, signed once per request; makes the
/// browser's seed if it has none yet (the same one for every form of the page).
fn token_for(req: &HttpRequest) -> String {
    if let Some(Signed(token)) = req.extensions().get::<Signed>() {
        return token.clone();
    }
    let token = sign_for(req);
    req.extensions_mut().insert(Signed(token.clone()));
    token
}

fn sign_for(req: &HttpRequest) -> String {
    let known = req.extensions().get::<Seed>().map(|s| s.value().to_owned());
    let seed = match known {
        Some(seed) => seed,
        None => {
            let seed = new_seed();
            req.extensions_mut().insert(Seed::New(seed.clone()));
            seed
        }
    };
    let session = req
        .cookie(SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    match req.app_data::<web::Data<AppState>>() {
        Some(state) => sign(&state.csrf_key, &seed, &session),
        None => String::new(),
    }
}

fn sign(key: &[u8], seed: &str, session: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(seed.as_bytes());
    mac.update(b"|");
    mac.update(session.as_bytes());
    lower_hex(&mac.finalize().into_bytes())
}

/// Two lowercase hex digits a byte, written into one string (a `format!` a byte was 32
/// allocations on every page).
fn lower_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

/// Accepts the submitted token only if it matches this browser's cookies (constant time).
pub fn verify(req: &HttpRequest, submitted: &str) -> Result<(), PageError> {
    let refuse = || {
        PageError::Forbidden(
            "this form has expired or did not come from this site; go back, reload the page and submit it again".into(),
        )
    };
    let seed = req
        .cookie(CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .ok_or_else(refuse)?;
    let session = req
        .cookie(SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    let state = req.app_data::<web::Data<AppState>>().ok_or_else(refuse)?;
    let expected = sign(&state.csrf_key, &seed, &session);
    if !expected.is_empty() && constant_time_eq(expected.as_bytes(), submitted.trim().as_bytes()) {
        Ok(())
    } else {
        Err(refuse())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_two_lowercase_digits_a_byte() {
        let every: Vec<u8> = (0..=255).collect();
        let expected: String = every.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(lower_hex(&every), expected);
        assert_eq!(lower_hex(&[]), "");
    }

    #[test]
    fn token_depends_on_key_seed_and_session() {
        let base = sign(b"key", "seed", "");
        assert_eq!(base.len(), 64);
        assert_eq!(base, sign(b"key", "seed", ""));
        assert_ne!(base, sign(b"other", "seed", ""));
        assert_ne!(base, sign(b"key", "seed2", ""));
        assert_ne!(base, sign(b"key", "seed", "session"));
    }

    #[test]
    fn comparison_requires_equal_length_and_bytes() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
