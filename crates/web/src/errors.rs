//! Errors at the edge. Pages answer with an HTML page (or a redirect to the login page); the JSON
//! API answers `{"error": "..."}`. Every message says what was wrong and what to do; storage
//! failures are logged in full and shown as a short apology.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use bookmarks::{FieldError, StoreError};
use std::fmt;

#[derive(Debug)]
pub enum PageError {
    NotFound,
    /// Not logged in: send them to the login page, and back to `next` afterwards.
    LoginRequired {
        next: String,
    },
    Forbidden(String),
    BadRequest(String),
    Conflict(String),
    TooManyRequests(String),
    Internal(String),
}

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound => f.write_str("not found"),
            Self::LoginRequired { .. } => f.write_str("login required"),
            Self::Forbidden(m)
            | Self::BadRequest(m)
            | Self::Conflict(m)
            | Self::TooManyRequests(m)
            | Self::Internal(m) => f.write_str(m),
        }
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(field) => Self::BadRequest(field.to_string()),
            StoreError::NotFound(_) => Self::NotFound,
            StoreError::Conflict(message) => Self::BadRequest(message),
            other => {
                tracing::error!(error = %other, "storage failed while rendering a page");
                Self::Internal("the database did not answer; try again in a moment, and tell the operator if it persists".into())
            }
        }
    }
}

impl From<FieldError> for PageError {
    fn from(e: FieldError) -> Self {
        Self::BadRequest(e.to_string())
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        tracing::error!(error = %e, "a template failed to render");
        Self::Internal("this page could not be shown; tell the operator".into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    heading: &'a str,
    message: &'a str,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::LoginRequired { .. } => StatusCode::SEE_OTHER,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::LoginRequired { next } = self {
            let location = format!("/login?next={}", crate::views::encode_query(next));
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, location))
                .finish();
        }
        let (heading, message) = match self {
            Self::NotFound => (
                "Not found",
                "There is nothing here, or it is not yours to see. Check the address.",
            ),
            Self::Forbidden(m) => ("Not allowed", m.as_str()),
            Self::BadRequest(m) => ("That did not work", m.as_str()),
            Self::Conflict(m) => ("Not now", m.as_str()),
            Self::TooManyRequests(m) => ("Slow down", m.as_str()),
            Self::Internal(m) => ("Something went wrong", m.as_str()),
            Self::LoginRequired { .. } => ("", ""),
        };
        let status = self.status_code();
        let body = ErrorPage {
            status: status.as_u16(),
            heading,
            message,
        }
        .render()
        .unwrap_or_else(|_| message.to_owned());
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .body(body)
    }
}

/// Errors of the JSON API.
#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    Unauthorized(String),
    NotFound(String),
    Conflict(String),
    /// Another server could not be reached or answered wrongly.
    BadGateway(String),
    Internal,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadRequest(m) | Self::Unauthorized(m) | Self::NotFound(m) | Self::Conflict(m) | Self::BadGateway(m) => f.write_str(m),
            Self::Internal => f.write_str("the server could not finish this request; try again, and tell the operator if it persists"),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(field) => Self::BadRequest(field.to_string()),
            StoreError::NotFound(what) => Self::NotFound(format!("{what} not found; check the id")),
            StoreError::Conflict(message) => Self::Conflict(message),
            other => {
                tracing::error!(error = %other, "storage failed during an API request");
                Self::Internal
            }
        }
    }
}

impl From<federation::FederationError> for ApiError {
    fn from(e: federation::FederationError) -> Self {
        use federation::FederationError as F;
        match e {
            F::Store(store) => store.into(),
            F::Refused(m) => Self::BadRequest(m),
            F::NotFound(m) => Self::NotFound(m),
            F::Fetch(m) => Self::BadGateway(m),
            F::Library(library) => Self::BadGateway(format!(
                "the other server could not be used: {library}; check the handle, and that the server is reachable and allowed"
            )),
        }
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        Self::BadRequest(e.to_string())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::BadGateway(_) => StatusCode::BAD_GATEWAY,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if let Self::Unauthorized(_) = self {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.json(serde_json::json!({ "error": self.to_string() }))
    }
}
