//! Runs database work on actix's blocking thread pool, so diesel's synchronous calls never stall
//! the async workers.

use actix_web::web;
use bookmarks::{Database, StoreError};

pub async fn run_db<T, F>(db: &Database, f: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce(&Database) -> Result<T, StoreError> + Send + 'static,
{
    let db = db.clone();
    web::block(move || f(&db))
        .await
        .map_err(|e| StoreError::Pool(format!("the database task was cancelled: {e}")))?
}
