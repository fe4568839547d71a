//! One error type for everything ActivityPub: what the library reports, storage, and remote
//! input we refuse. Handlers answer with a status and a short text, never a page.

use activitypub_federation::error::Error as LibraryError;
use actix_web::http::StatusCode;
use bookmarks::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    #[error("{0}")]
    Library(#[from] LibraryError),
    #[error("{0}")]
    Store(#[from] StoreError),
    /// Remote input we refuse: malformed, mismatched hosts, not ours to act on.
    #[error("{0}")]
    Refused(String),
    /// A handle or address that resolves to nothing we can follow.
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Fetch(String),
}

impl FederationError {
    pub fn refused(message: impl Into<String>) -> Self {
        Self::Refused(message.into())
    }
}

impl From<serde_json::Error> for FederationError {
    fn from(e: serde_json::Error) -> Self {
        Self::Refused(format!("invalid JSON: {e}"))
    }
}

impl From<url::ParseError> for FederationError {
    fn from(e: url::ParseError) -> Self {
        Self::Refused(format!("invalid URL: {e}"))
    }
}

impl actix_web::ResponseError for FederationError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Library(
                LibraryError::ActivitySignatureInvalid | LibraryError::ActivityBodyDigestInvalid,
            ) => StatusCode::UNAUTHORIZED,
            Self::Library(LibraryError::UrlVerificationError(_)) => StatusCode::FORBIDDEN,
            Self::Library(LibraryError::ParseReceivedActivity { .. }) | Self::Refused(_) => {
                StatusCode::BAD_REQUEST
            }
            Self::NotFound(_) | Self::Store(StoreError::NotFound(_)) => StatusCode::NOT_FOUND,
            Self::Library(_) | Self::Fetch(_) => StatusCode::BAD_GATEWAY,
            Self::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        let message = match self {
            Self::Store(StoreError::NotFound(_)) | Self::NotFound(_) | Self::Refused(_) => {
                self.to_string()
            }
            Self::Store(_) => "internal error".to_string(),
            other => other.to_string(),
        };
        actix_web::HttpResponse::build(self.status_code())
            .content_type("application/json")
            .json(serde_json::json!({ "error": message }))
    }
}
