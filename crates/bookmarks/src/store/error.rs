//! Errors from the storage layer. `Invalid` and `NotFound` and `Conflict` are the user's to fix;
//! the rest are the operator's (and the web layer logs them and shows a generic message).

use crate::model::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Invalid(#[from] FieldError),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("no database connection available: {0}")]
    Pool(String),
    #[error("could not open the database: {0}")]
    Connect(String),
    #[error("could not apply the database migrations: {0}")]
    Migration(String),
}

impl StoreError {
    /// The database server went away (restarted, say) under this connection, or the
    /// connection could no longer send it a statement.
    pub fn is_lost_connection(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        matches!(
            self,
            Self::Database(Error::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _
            ))
        )
    }

    /// A write that lost a race (unique key taken meanwhile on PostgreSQL, serialisation
    /// failure, SQLite busy from another process) and is worth running again.
    pub(crate) fn is_retryable(&self) -> bool {
        use diesel::result::{DatabaseErrorKind, Error};
        match self {
            Self::Database(Error::DatabaseError(kind, info)) => {
                matches!(
                    kind,
                    DatabaseErrorKind::UniqueViolation | DatabaseErrorKind::SerializationFailure
                ) || info.message().contains("deadlock detected")
                    || info.message().contains("database is locked")
                    || info.message().contains("database is busy")
            }
            _ => false,
        }
    }
}
