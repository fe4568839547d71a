//! A breaker for the reads run on the actix workers ([`crate::blocking::read_now_if_idle`]).
//!
//! Such a read waits for no other request of this process, but on PostgreSQL its statement
//! can still wait: behind a table lock (a migration run by `commonplace migrate` while this
//! server serves), or on a server that stopped answering. A worker waiting there stops every
//! request on its connections, and with one worker per core two such reads would stop them
//! all. So a read goes to the worker only while no read on a worker has been running longer
//! than [`SLOW`], and not for [`COOL_DOWN`] after one took that long; at most [`SLOTS`] run at
//! once. Otherwise it goes to the blocking pool, as every read did before.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A read on a worker that has run this long makes the others go to the blocking pool.
pub const SLOW: Duration = Duration::from_millis(20);
/// How long reads stay off the workers after one was slow.
pub const COOL_DOWN: Duration = Duration::from_secs(5);
/// Reads on workers at once, at most (more than any machine's workers).
pub const SLOTS: usize = 64;

/// The reads under way on workers (the start of each, in milliseconds since [`epoch`], plus
/// one; 0 for a free slot) and the end of the current cool-down.
pub struct InlineReads {
    started: [AtomicU64; SLOTS],
    cool_until: AtomicU64,
}

/// A read admitted to a worker; [`InlineReads::finish`] frees its slot.
#[derive(Debug)]
pub struct Admitted {
    slot: usize,
    started_ms: u64,
}

impl InlineReads {
    pub const fn new() -> Self {
        Self {
            started: [const { AtomicU64::new(0) }; SLOTS],
            cool_until: AtomicU64::new(0),
        }
    }

    /// Admits a read starting at `now_ms`, or `None` when it should go to the blocking pool:
    /// during a cool-down, while a read on a worker has run [`SLOW`] or longer, or with every
    /// slot taken.
    pub fn admit(&self, now_ms: u64) -> Option<Admitted> {
        if now_ms < self.cool_until.load(Ordering::Relaxed) {
            return None;
        }
        let slow = millis(SLOW);
        let mut free = None;
        for (slot, started) in self.started.iter().enumerate() {
            match started.load(Ordering::Relaxed) {
                0 => {
                    free.get_or_insert(slot);
                }
                marked if now_ms.saturating_sub(marked - 1) >= slow => return None,
                _ => {}
            }
        }
        // A slot seen free may be taken meanwhile: try each free one from there.
        (free?..SLOTS).find_map(|slot| {
            self.started[slot]
                .compare_exchange(0, now_ms + 1, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
                .then_some(Admitted {
                    slot,
                    started_ms: now_ms,
                })
        })
    }

    /// Frees the read's slot at `now_ms`; a read that took [`SLOW`] or longer starts a
    /// cool-down.
    pub fn finish(&self, read: Admitted, now_ms: u64) {
        if now_ms.saturating_sub(read.started_ms) >= millis(SLOW) {
            self.cool_until
                .fetch_max(now_ms + millis(COOL_DOWN), Ordering::Relaxed);
        }
        self.started[read.slot].store(0, Ordering::Relaxed);
    }
}

impl Default for InlineReads {
    fn default() -> Self {
        Self::new()
    }
}

/// The process's reads on workers.
pub static INLINE_READS: InlineReads = InlineReads::new();

/// Milliseconds since the first call in this process (a monotonic clock).
pub fn now_ms() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    millis(EPOCH.get_or_init(Instant::now).elapsed())
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_admitted_until_one_runs_slow() {
        let reads = InlineReads::new();
        let first = reads.admit(1_000).expect("a free slot");
        let second = reads.admit(1_010).expect("the first is not slow yet");
        // The first has run 20 ms: no more reads on workers while it runs.
        assert!(reads.admit(1_020).is_none());
        reads.finish(second, 1_015);
        assert!(reads.admit(1_025).is_none(), "the first still runs");
        // It ends slow: a cool-down.
        reads.finish(first, 1_030);
        assert!(reads.admit(1_040).is_none());
        assert!(reads.admit(1_030 + 4_999).is_none());
        let after = reads.admit(1_030 + 5_000).expect("the cool-down is over");
        reads.finish(after, 1_030 + 5_001);
        assert!(reads.admit(1_030 + 5_002).is_some());
    }

    #[test]
    fn a_fast_read_frees_its_slot_without_a_cool_down() {
        let reads = InlineReads::new();
        for now in 0..1_000 {
            let read = reads.admit(now).expect("admitted");
            reads.finish(read, now);
        }
        assert!(
            reads.admit(0).is_some(),
            "time zero is a start like any other"
        );
    }

    #[test]
    fn no_more_than_the_slots_run_at_once() {
        let reads = InlineReads::new();
        let held: Vec<Admitted> = (0..SLOTS)
            .map(|_| reads.admit(5).expect("a free slot"))
            .collect();
        assert!(reads.admit(6).is_none());
        for read in held {
            reads.finish(read, 7);
        }
        assert!(reads.admit(8).is_some());
    }
}
