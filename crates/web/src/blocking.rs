//! Runs database work on actix's blocking thread pool, so diesel's synchronous calls never stall
//! the async workers; and [`read_now_if_idle`], for the few reads short and bounded enough to
//! run on the worker itself.

use actix_web::web;
use bookmarks::store::DbConnection;
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

/// Runs the read `f` on this worker when the pool has a connection idle, and otherwise (or when
/// that connection had lost its server) on the blocking pool as [`run_db`] does. For reads of
/// one bounded statement only (a page of at most 200 listed bookmarks by an index, no search,
/// no tag counts): they hold the worker about as long as the statement takes, 0.1–1 ms, and
/// never wait, neither for a connection nor for another request. The two hops to the blocking
/// pool and back were over a third of the server's CPU for a PostgreSQL JSON list page
/// (docs/performance.md, "Twenty-eighth round").
pub async fn read_now_if_idle<T, F>(db: &Database, mut f: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnMut(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
{
    match db.read_if_idle(&mut f) {
        Some(Err(e)) if e.is_lost_connection() => run_db(db, move |db| db.read(f)).await,
        Some(result) => result,
        None => run_db(db, move |db| db.read(f)).await,
    }
}
