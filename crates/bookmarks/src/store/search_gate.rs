//! On PostgreSQL, at most as many searches as this machine has cores run at once; the others
//! wait their turn.
//!
//! A search costs PostgreSQL about 0.7 ms of CPU (it plans it anew every time,
//! `search::matches`), several times a listed page. With eight searches at once on a
//! two-core machine, eight server processes took turns on the cores, and a search was often
//! taken off its core half-way: PostgreSQL logged 9 % of them over 5 ms and some over 100 ms,
//! where one alone takes 0.65 ms (p99 1.1 ms). Let through one per core at a time, the others
//! wait here and each runs to its end. On this machine that gave a p99 of 10 ms against
//! 65–95 ms, for 15–20 % fewer searches a second at eight at once. One more than the cores
//! kept them all but left the p99 at 21–22 ms. (2026-12-04, docs/performance.md, "Sixteenth
//! round".) SQLite's searches run in this process, take a fraction of that, and had no such
//! tail; a gate only cost them throughput, so they have none.

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
