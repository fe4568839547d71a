//! Runs database work on actix's blocking thread pool, so diesel's synchronous calls never stall
//! the async workers; and [`read_now_if_idle`], for the few reads short and bounded enough to
//! run on the worker itself.

use crate::inline_reads::{now_ms, INLINE_READS};
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
/// one statement down a listing index only (a page of at most 200 listed bookmarks, no
/// search, no tag counts: `BookmarkFilter::reads_one_listing`): they hold the worker as long
/// as the statement takes, 0.1–1 ms for the owner's pages, longer for other people's view of
/// an owner of many private bookmarks (passed over; `slow_listings` keeps those off the
/// workers once one took 20 ms), and wait for no connection and no other request of this
/// process. A statement that waits all
/// the same (a table lock on PostgreSQL, a server that stopped answering) sends the reads
/// after it to the blocking pool ([`crate::inline_reads`]). The two hops to the blocking
/// pool and back were over a third of the server's CPU for a PostgreSQL JSON list page
/// (docs/performance.md, "Twenty-eighth round").
pub async fn read_now_if_idle<T, F>(db: &Database, mut f: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnMut(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
{
    // Not while a read on a worker runs slow, nor for a while after one did
    // (`inline_reads`).
    let read = INLINE_READS.admit(now_ms()).and_then(|admitted| {
        let read = db.read_if_idle(&mut f);
        INLINE_READS.finish(admitted, now_ms());
        read
    });
    match read {
        Some(Err(e)) if e.is_lost_connection() => {
            tracing::warn!(error = %e, "a database connection was lost; reading again on another");
        }
        Some(result) => return result,
        None => {}
    }
    run_db(db, move |db| db.read(f)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use bookmarks::test_db::TestDatabase;

    /// With a connection idle the read runs on the calling thread, the worker; with none it
    /// runs on another, the blocking pool's.
    #[actix_web::test]
    async fn a_read_runs_on_the_worker_only_with_a_connection_idle() {
        let (_guard, db) = TestDatabase::connect();
        let worker = std::thread::current().id();
        let on = |db: &Database| {
            let db = db.clone();
            async move {
                read_now_if_idle(&db, |_: &mut DbConnection| Ok(std::thread::current().id()))
                    .await
                    .expect("read")
            }
        };
        assert_eq!(on(&db).await, worker);
        // Connections held by other threads until no connection is idle (the pool makes new
        // ones for them); the read then goes to the blocking pool, which may make another.
        let (release, released) = std::sync::mpsc::channel::<()>();
        let released = std::sync::Arc::new(std::sync::Mutex::new(released));
        let mut holders = Vec::new();
        while db
            .read_if_idle(&mut |_: &mut DbConnection| Ok(()))
            .is_some()
        {
            let (entered, inside) = std::sync::mpsc::channel();
            let (db, released) = (db.clone(), released.clone());
            holders.push(std::thread::spawn(move || {
                db.read(|_| {
                    let _ = entered.send(());
                    let _ = released.lock().map(|r| r.recv());
                    Ok(())
                })
            }));
            inside.recv().expect("a holder holds a connection");
        }
        assert_ne!(on(&db).await, worker);
        drop(release);
        for holder in holders {
            holder.join().expect("holder").expect("held");
        }
    }
}
