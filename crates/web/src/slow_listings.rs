//! Owners whose pages took long to read for other people, remembered for a while.
//!
//! A page of one owner's bookmarks walks a listing index in order (`store::list_bookmarks`).
//! For the owner every entry is a row of the page; for anyone else the owner's private
//! bookmarks are passed over, so an owner with a great many private bookmarks among few
//! shown ones makes other people's pages read far more than a page (all of them, when nothing
//! is shown). Such a read is fine on the blocking pool but would hold an actix worker, and
//! every request on its connections, for as long (`lists::known_beside_rows`). Each read of
//! other people's view of an owner's page of one listing (`BookmarkFilter::reads_one_listing`;
//! not a search, which waits for its turn) is timed; one that took [`SLOW`] or longer keeps
//! that owner's pages for other people on the blocking pool for [`REMEMBER_FOR`]. A page is
//! read on the blocking pool first anyway (its owner and tags are not yet known there), so
//! an owner whose pages are like that is usually found out before any of them reaches a
//! worker.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A read of a page's rows for someone other than the owner this long or longer marks the
/// owner: as long as the breaker lets a read on a worker run (`inline_reads`). A page of 50
/// takes 0.1–0.3 ms (docs/performance.md), but its time on the clock includes waiting for a
/// core: at 5 ms an ordinary page under `wrk -c8` on a slow hour marked its owner. Other
/// people's first page of an owner of 25,000 private bookmarks and 10 shown ones took about
/// 4 ms of PostgreSQL's CPU, so this marks owners of about 100,000 and more, and the pages of
/// owners below it hold a worker for up to as long.
pub const SLOW: Duration = crate::inline_reads::SLOW;
/// How long an owner stays marked after a slow read.
pub const REMEMBER_FOR: Duration = Duration::from_secs(60);
/// Owners kept before the ones marked longer ago than [`REMEMBER_FOR`] are dropped (and, if
/// every one is recent, all of them).
const PRUNE_ABOVE: usize = 10_000;

pub struct SlowListings {
    /// A read this long or longer marks its owner ([`SLOW`]).
    slow: Duration,
    remember_for: Duration,
    /// When each owner's page last took [`SLOW`] or longer, by the owner's id.
    marked: Mutex<HashMap<i64, Instant>>,
}

impl Default for SlowListings {
    fn default() -> Self {
        Self::remembering_for(REMEMBER_FOR)
    }
}

impl SlowListings {
    pub fn remembering_for(remember_for: Duration) -> Self {
        Self {
            slow: SLOW,
            remember_for,
            marked: Mutex::new(HashMap::new()),
        }
    }

    /// Marks owners after reads of `slow` or longer instead of [`SLOW`] (for tests).
    #[cfg(test)]
    pub fn marking_at(slow: Duration) -> Self {
        Self {
            slow,
            ..Self::default()
        }
    }

    /// Notes that a page of `owner`'s bookmarks took `took` to read for someone else.
    pub fn note(&self, owner: i64, took: Duration) {
        if took < self.slow {
            return;
        }
        let mut marked = self.lock();
        if marked.len() >= PRUNE_ABOVE && !marked.contains_key(&owner) {
            let remember_for = self.remember_for;
            marked.retain(|_, at| at.elapsed() < remember_for);
            if marked.len() >= PRUNE_ABOVE {
                marked.clear();
            }
        }
        let was_marked = marked
            .insert(owner, Instant::now())
            .is_some_and(|at| at.elapsed() < self.remember_for);
        if was_marked {
            return;
        }
        tracing::debug!(
            owner,
            took_ms = took.as_secs_f64() * 1e3,
            "a page of this owner's read slowly for someone else; such pages are read on the blocking pool for a while"
        );
    }

    /// Whether a page of `owner`'s bookmarks took long for someone else lately.
    pub fn recently_slow(&self, owner: i64) -> bool {
        self.lock()
            .get(&owner)
            .is_some_and(|at| at.elapsed() < self.remember_for)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Instant>> {
        self.marked.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_slow_read_marks_its_owner_and_only_for_a_while() {
        let slow = SlowListings::default();
        slow.note(1, SLOW - Duration::from_micros(1));
        assert!(!slow.recently_slow(1));
        slow.note(2, SLOW);
        assert!(slow.recently_slow(2) && !slow.recently_slow(1));
        let forgetful = SlowListings::remembering_for(Duration::ZERO);
        forgetful.note(2, SLOW * 10);
        assert!(!forgetful.recently_slow(2));
    }

    #[test]
    fn a_full_memory_of_recent_marks_starts_afresh() {
        let slow = SlowListings::default();
        for owner in 0..=i64::try_from(PRUNE_ABOVE).unwrap_or(i64::MAX) {
            slow.note(owner, SLOW);
        }
        // All were recent: the memory started afresh with the last one.
        assert!(slow.recently_slow(i64::try_from(PRUNE_ABOVE).unwrap_or(i64::MAX)));
        assert!(!slow.recently_slow(0));
    }
}
