//! Conditional GET for feeds: a strong ETag (SHA-256 of the body) and Last-Modified (the feed's
//! latest change). `If-None-Match` wins over `If-Modified-Since`, as RFC 9110 says.

use actix_web::http::header::{self, HttpDate};
use actix_web::{HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `private` feeds (opened with a token) must not be kept by shared caches.
pub fn respond(
    req: &HttpRequest,
    body: String,
    updated: NaiveDateTime,
    content_type: &str,
    private: bool,
) -> HttpResponse {
    let digest = Sha256::digest(body.as_bytes());
    let etag = format!(
        "\"{}\"",
        digest
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let seconds = u64::try_from(updated.and_utc().timestamp()).unwrap_or(0);
    // Never later than now: HTTP dates cannot express everything a timestamp can.
    let modified = (UNIX_EPOCH + Duration::from_secs(seconds)).min(SystemTime::now());
    let last_modified = HttpDate::from(modified).to_string();
    if not_modified(req, &etag, modified) {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::LAST_MODIFIED, last_modified))
            .finish();
    }
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::ETAG, etag))
        .insert_header((header::LAST_MODIFIED, last_modified))
        .insert_header((
            header::CACHE_CONTROL,
            if private {
                "private, no-cache"
            } else {
                "no-cache"
            },
        ))
        .body(body)
}

fn not_modified(req: &HttpRequest, etag: &str, modified: SystemTime) -> bool {
    let headers = req.headers();
    if let Some(candidates) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        return candidates
            .split(',')
            .map(str::trim)
            .any(|c| c == "*" || c == etag || c.strip_prefix("W/") == Some(etag));
    }
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<HttpDate>().ok())
        .is_some_and(|since| SystemTime::from(since) >= modified)
}
