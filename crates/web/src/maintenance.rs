//! Work the server does in the background on the database besides federation's deliveries.

use crate::blocking::run_db;
use bookmarks::{store, Database};
use std::time::Duration;

/// How often the table of PostgreSQL's unfolded tag-total additions is looked at.
const PENDING_TOTALS_CHECK: Duration = Duration::from_secs(10);

/// How often PostgreSQL's search index's pending list is merged: often enough that creates at
/// full speed (a few thousand a second) do not fill its 4 MB between two merges.
const SEARCH_PENDING_LIST_MERGE: Duration = Duration::from_secs(1);

/// On PostgreSQL, vacuums the unfolded tag-total additions whenever folds have left enough
/// deleted rows behind ([`store::vacuum_pending_totals`]), every ten seconds for as long as
/// the server runs; not at all when the database user does not own the table (autovacuum
/// still does, less often). A failure is logged and the next check tries again.
pub async fn keep_pending_totals_small(db: Database) {
    let allowed = may_maintain(
        &db,
        store::may_vacuum_pending_totals,
        "the database user does not own tag_total_changes, so the server leaves its vacuuming \
         to autovacuum; tag clouds and creates get slower under heavy writes \
         (docs/decisions.md, \"Tag totals\")",
    );
    if !allowed.await {
        return;
    }
    let mut ticks = tokio::time::interval(PENDING_TOTALS_CHECK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut dead_after_last = 0;
    loop {
        ticks.tick().await;
        let checked = run_db(&db, move |db| {
            db.read(|c| store::vacuum_pending_totals(c, dead_after_last))
        })
        .await;
        match checked {
            Ok(Some(left)) => {
                tracing::debug!(left, "vacuumed the unfolded tag-total additions");
                dead_after_last = left;
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "could not vacuum the unfolded tag-total additions")
            }
        }
    }
}

/// On PostgreSQL, merges the search index's pending list every second
/// ([`store::clean_search_pending_list`]), so that no create finds it full and merges it inside
/// its request; not at all when the database user does not own the index (autovacuum still
/// does, less often). A failure is logged and the next merge tries again.
pub async fn keep_search_pending_list_short(db: Database) {
    let allowed = may_maintain(
        &db,
        store::may_clean_search_pending_list,
        "the database user does not own the search index, so the server leaves merging its \
         pending list to autovacuum; now and then a save waits for that merge \
         (docs/decisions.md, \"Search on PostgreSQL\")",
    );
    if !allowed.await {
        return;
    }
    let mut ticks = tokio::time::interval(SEARCH_PENDING_LIST_MERGE);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match run_db(&db, |db| db.read(store::clean_search_pending_list)).await {
            Ok(Some(pages)) if pages > 0 => {
                tracing::debug!(pages, "merged the search index's pending list")
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "could not merge the search index's pending list")
            }
        }
    }
}

/// Whether a maintenance task runs: only on PostgreSQL, and only when `may` says the database
/// user owns what it maintains; otherwise (or when that cannot be checked) it warns once.
async fn may_maintain(
    db: &Database,
    may: fn(&mut store::DbConnection) -> Result<bool, bookmarks::StoreError>,
    not_owner: &'static str,
) -> bool {
    if db.backend() != store::Backend::Postgres {
        return false;
    }
    match run_db(db, move |db| db.read(may)).await {
        Ok(true) => true,
        Ok(false) => {
            tracing::warn!("{not_owner}");
            false
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not check who owns what the server maintains: {not_owner}");
            false
        }
    }
}
