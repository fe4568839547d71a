//! On PostgreSQL, at most as many searches as this machine has cores run at once; the others
//! wait.
//!
//! A search costs PostgreSQL about 0.7 ms of CPU (it plans it anew every time,
//! `search::matches`), several times a listed page. With eight searches at once on a
//! two-core machine, eight server processes took turns on the cores, and a search was often
//! taken off its core half-way: PostgreSQL logged 9 % of them over 5 ms and some over 100 ms,
//! where one alone takes 0.65 ms (p99 1.1 ms). Let through one per core at a time, the others
//! wait here and each runs to its end. On this machine that gave a p99 of 10–11 ms against
//! 79–89 ms, for 14–20 % fewer searches a second at eight at once. One more than the cores
//! kept them all but left the p99 at 21–22 ms. (2026-12-04, docs/performance.md, "Sixteenth
//! round".) SQLite's searches run in this process, take a fraction of that, and had no such
//! tail; a gate only cost them throughput, so they have none.
//!
//! Both statements that search are gated: a page's rows ([`super::list_bookmarks`]) and its
//! tag cloud's counts (`tag_stats`). A waiting search keeps the pooled connection its request
//! took; the pool (16 on PostgreSQL) is larger than the cores, so other requests still find
//! one unless a dozen searches wait at once. Waiting is not first come, first served (a
//! standard `Condvar`); every freed place goes to one of the waiters or to a newcomer.

use super::connection::Backend;
use super::listing::BookmarkFilter;
use super::search::index_query;
use std::sync::{Condvar, Mutex, OnceLock, PoisonError};

struct Gate {
    running: Mutex<usize>,
    freed: Condvar,
}

static GATE: Gate = Gate {
    running: Mutex::new(0),
    freed: Condvar::new(),
};

/// This machine's cores (PostgreSQL is expected beside it; see `docs/decisions.md`).
fn most_at_once() -> usize {
    static MOST: OnceLock<usize> = OnceLock::new();
    *MOST
        .get_or_init(|| std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get))
}

/// A running search's place; the next waiting one may start when it is dropped.
pub(crate) struct Turn(());

/// A turn for a statement with `filter`, when it searches on PostgreSQL (the same test as
/// `apply_filter!`'s for adding the search's condition).
pub(crate) fn for_filter(backend: Backend, filter: &BookmarkFilter) -> Option<Turn> {
    let searches = backend == Backend::Postgres
        && filter
            .search
            .as_deref()
            .and_then(|words| index_query(backend, words, filter.scope))
            .is_some();
    searches.then(enter)
}

/// Waits until fewer than [`most_at_once`] searches run, then counts this one in.
pub(crate) fn enter() -> Turn {
    let most = most_at_once();
    let mut running = GATE.running.lock().unwrap_or_else(PoisonError::into_inner);
    while *running >= most {
        running = GATE
            .freed
            .wait(running)
            .unwrap_or_else(PoisonError::into_inner);
    }
    *running += 1;
    Turn(())
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut running = GATE.running.lock().unwrap_or_else(PoisonError::into_inner);
        *running = running.saturating_sub(1);
        GATE.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn only_statements_that_search_on_postgresql_take_a_turn() {
        use super::super::listing::Scope;
        let with = |search: Option<&str>| {
            let mut filter = BookmarkFilter::new(Scope::User { owner: 1 }, Some(1));
            filter.search = search.map(str::to_owned);
            filter
        };
        let takes = |backend, search| for_filter(backend, &with(search)).is_some();
        assert!(takes(Backend::Postgres, Some("rust async")));
        assert!(
            !takes(Backend::Sqlite, Some("rust async")),
            "SQLite has no gate"
        );
        assert!(!takes(Backend::Postgres, None), "no search");
        assert!(
            !takes(Backend::Postgres, Some("")),
            "an empty search searches nothing"
        );
        assert!(
            !takes(Backend::Postgres, Some("?! …")),
            "nor does punctuation"
        );
    }

    #[test]
    fn no_more_searches_than_cores_run_at_once() {
        let inside = Arc::new(AtomicUsize::new(0));
        let most_seen = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..most_at_once() * 3)
            .map(|_| {
                let (inside, most_seen) = (Arc::clone(&inside), Arc::clone(&most_seen));
                std::thread::spawn(move || {
                    for _ in 0..20 {
                        let _turn = enter();
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most_seen.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_micros(200));
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("a searching thread");
        }
        // Other tests' searches may hold turns meanwhile, so only the bound is certain.
        let most_seen = most_seen.load(Ordering::SeqCst);
        assert!(most_seen <= most_at_once(), "{most_seen} at once");
    }
}
