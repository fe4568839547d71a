//! Work the server does in the background on the database besides federation's deliveries.

use crate::blocking::run_db;
use bookmarks::{store, Database};
use std::time::Duration;

/// How often the table of PostgreSQL's unfolded tag-total additions is looked at.
const PENDING_TOTALS_CHECK: Duration = Duration::from_secs(10);

/// On PostgreSQL, vacuums the unfolded tag-total additions whenever folds have left enough
/// deleted rows behind ([`store::vacuum_pending_totals`]), every ten seconds for as long as
/// the server runs. A failure is logged and the next check tries again.
pub async fn keep_pending_totals_small(db: Database) {
    if db.backend() != store::Backend::Postgres {
        return;
    }
    let mut ticks = tokio::time::interval(PENDING_TOTALS_CHECK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match run_db(&db, |db| db.read(store::vacuum_pending_totals)).await {
            Ok(true) => tracing::debug!("vacuumed the unfolded tag-total additions"),
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error = %e, "could not vacuum the unfolded tag-total additions")
            }
        }
    }
}
