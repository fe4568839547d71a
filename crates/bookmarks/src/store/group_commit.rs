//! Group commit for SQLite's one writer: saves that arrive while another is being written
//! queue up, and the next of them to get its turn writes the whole queue in one transaction.
//!
//! A commit on SQLite writes every page the transaction changed to the write-ahead log, a
//! system call per page; saves that follow one another append to the same pages (the newest
//! rows of `bookmarks`, its indexes, the tag links, the events), so a group writes each of
//! those pages once instead of once per save. One save alone is written as before.
//!
//! Nothing of a group is stored unless all of it is: if one save fails, or the commit does,
//! the transaction is rolled back and every save of the group is written again alone, so a
//! save's failure is only ever its own.

use super::connection::DbConnection;
use super::error::StoreError;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

/// The most saves one transaction carries (a longer queue is written in several).
const MAX_GROUP: usize = 32;

type Run = Box<dyn FnMut(&mut DbConnection) -> Result<(), StoreError> + Send>;
type Settle = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// One queued save: `run` writes it (and keeps its result aside), `settle` hands the caller
/// its outcome once the transaction it was in is committed or has failed.
pub(crate) struct Job {
    run: Run,
    settle: Option<Settle>,
    /// Which caller queued it.
    ticket: u64,
}

impl Job {
    pub(crate) fn run(&mut self, conn: &mut DbConnection) -> Result<(), StoreError> {
        (self.run)(conn)
    }

    /// `Ok` once what `run` wrote is committed; its error otherwise.
    pub(crate) fn settle(mut self, outcome: Result<(), StoreError>) {
        if let Some(settle) = self.settle.take() {
            settle(outcome);
        }
    }
}

impl Drop for Job {
    /// A job dropped unsettled (the writing thread panicked) still answers its caller, who
    /// would otherwise wait forever.
    fn drop(&mut self) {
        if let Some(settle) = self.settle.take() {
            settle(Err(StoreError::Pool(
                "the save was abandoned: the thread writing it stopped; try again".into(),
            )));
        }
    }
}

/// A caller's result: `value` as its save wrote it, `outcome` once settled.
struct Slot<T> {
    value: Option<T>,
    outcome: Option<Result<T, StoreError>>,
}

impl<T> Slot<T> {
    fn shared() -> Arc<Mutex<Self>> {
        Arc::new(Mutex::new(Self {
            value: None,
            outcome: None,
        }))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn job<T, F>(mut write: F, slot: Arc<Mutex<Slot<T>>>, ticket: u64) -> Job
where
    T: Send + 'static,
    F: FnMut(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
{
    let written = Arc::clone(&slot);
    Job {
        run: Box::new(move |conn| {
            let value = write(conn)?;
            lock(&written).value = Some(value);
            Ok(())
        }),
        settle: Some(Box::new(move |outcome| {
            let mut slot = lock(&slot);
            let value = slot.value.take();
            slot.outcome = Some(outcome.and_then(|()| {
                value.ok_or_else(|| StoreError::Pool("a save was settled before it ran".into()))
            }));
        })),
        ticket,
    }
}

/// A job outside any queue and a way to read its caller's outcome, for tests of what a
/// committer does with it.
#[cfg(test)]
pub(crate) fn detached_job<T, F>(write: F) -> (Job, impl Fn() -> Option<Result<T, StoreError>>)
where
    T: Send + 'static,
    F: FnMut(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
{
    let slot = Slot::shared();
    let job = job(write, Arc::clone(&slot), 0);
    (job, move || lock(&slot).outcome.take())
}

#[derive(Default)]
struct Queue {
    waiting: Vec<Job>,
    /// Whether a caller is writing a group now; the others wait for their turn.
    writing: bool,
    next_ticket: u64,
}

impl Queue {
    /// The next group: the caller's own save first, then the longest-waiting others.
    fn take_group(&mut self, own: u64) -> Vec<Job> {
        if let Some(at) = self.waiting.iter().position(|job| job.ticket == own) {
            let mine = self.waiting.remove(at);
            self.waiting.insert(0, mine);
        }
        let take = self.waiting.len().min(MAX_GROUP);
        self.waiting.drain(..take).collect()
    }
}

#[derive(Default)]
pub(crate) struct GroupCommit {
    queue: Mutex<Queue>,
    changed: Condvar,
}

/// Hands the writer's turn back when a group is written, also when writing it panicked.
struct Turn<'a>(&'a GroupCommit);

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        lock(&self.0.queue).writing = false;
        self.0.changed.notify_all();
    }
}

impl GroupCommit {
    /// Queues `write` and waits for its outcome. When no group is being written, this caller
    /// takes the turn and hands the queue (its own save first, so it is always in the group
    /// it writes) to `commit`, which must settle every job it is given.
    pub(crate) fn submit<T, F>(&self, write: F, commit: impl Fn(Vec<Job>)) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnMut(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
    {
        let slot = Slot::shared();
        let mut queue = lock(&self.queue);
        let ticket = queue.next_ticket;
        queue.next_ticket += 1;
        queue.waiting.push(job(write, Arc::clone(&slot), ticket));
        loop {
            if let Some(outcome) = lock(&slot).outcome.take() {
                return outcome;
            }
            if queue.writing {
                queue = self
                    .changed
                    .wait(queue)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            queue.writing = true;
            let group = queue.take_group(ticket);
            drop(queue);
            {
                let _turn = Turn(self);
                commit(group);
            }
            queue = lock(&self.queue);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use diesel::{Connection, SqliteConnection};
    use std::sync::mpsc;

    fn connection() -> DbConnection {
        DbConnection::Sqlite(SqliteConnection::establish(":memory:").unwrap())
    }

    /// Runs every job of a group on one connection, settling each with its own outcome, and
    /// reports the group's size; the first group waits for `release`.
    fn committer(
        sizes: mpsc::Sender<usize>,
        release: Mutex<Option<mpsc::Receiver<()>>>,
    ) -> impl Fn(Vec<Job>) {
        move |jobs| {
            if let Some(release) = lock(&release).take() {
                release.recv().unwrap();
            }
            sizes.send(jobs.len()).unwrap();
            let mut conn = connection();
            for mut job in jobs {
                let outcome = job.run(&mut conn);
                job.settle(outcome);
            }
        }
    }

    #[test]
    fn saves_that_arrive_during_a_write_are_written_together_each_with_its_own_result() {
        let group = Arc::new(GroupCommit::default());
        let (sizes, sizes_seen) = mpsc::channel();
        let (release, released) = mpsc::channel();
        let commit = Arc::new(committer(sizes, Mutex::new(Some(released))));
        let submit = |n: i32| {
            let (group, commit) = (Arc::clone(&group), Arc::clone(&commit));
            std::thread::spawn(move || {
                group.submit(
                    move |_| {
                        if n == 3 {
                            Err(StoreError::Conflict(format!("save {n} refused")))
                        } else {
                            Ok(n * 10)
                        }
                    },
                    |jobs| commit(jobs),
                )
            })
        };
        // The first save takes the turn and is held inside its commit…
        let first = submit(0);
        wait_until(&group, |queue| queue.writing && queue.waiting.is_empty());
        // …while three more queue up behind it.
        let rest: Vec<_> = (1..=3).map(submit).collect();
        wait_until(&group, |queue| queue.waiting.len() == 3);
        release.send(()).unwrap();
        assert_eq!(first.join().unwrap().unwrap(), 0);
        let results: Vec<_> = rest.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(results[0].as_ref().unwrap(), &10);
        assert_eq!(results[1].as_ref().unwrap(), &20);
        assert!(
            matches!(&results[2], Err(StoreError::Conflict(m)) if m == "save 3 refused"),
            "{:?}",
            results[2]
        );
        assert_eq!(sizes_seen.try_iter().collect::<Vec<_>>(), vec![1, 3]);
        assert!(!lock(&group.queue).writing);
    }

    #[test]
    fn a_group_whose_writer_panics_still_answers_every_caller_and_hands_the_turn_back() {
        let group = Arc::new(GroupCommit::default());
        let (release, released) = mpsc::channel::<()>();
        let released = Arc::new(Mutex::new(Some(released)));
        let submit = || {
            let (group, released) = (Arc::clone(&group), Arc::clone(&released));
            std::thread::spawn(move || {
                group.submit(
                    |_| Ok(1),
                    |jobs| {
                        if let Some(release) = lock(&released).take() {
                            // The first group (one save) waits, then is written.
                            release.recv().unwrap();
                            let mut conn = connection();
                            for mut job in jobs {
                                let outcome = job.run(&mut conn);
                                job.settle(outcome);
                            }
                            return;
                        }
                        let _unsettled = jobs;
                        panic!("the writer broke");
                    },
                )
            })
        };
        let first = submit();
        wait_until(&group, |queue| queue.writing && queue.waiting.is_empty());
        let (second, third) = (submit(), submit());
        wait_until(&group, |queue| queue.waiting.len() == 2);
        release.send(()).unwrap();
        assert_eq!(first.join().unwrap().unwrap(), 1);
        // Whichever of the two wrote their group panicked; the other was answered.
        let (a, b) = (second.join(), third.join());
        let answered = match (a, b) {
            (Err(_), Ok(answer)) | (Ok(answer), Err(_)) => answer,
            other => panic!("expected one panic and one answer, got {other:?}"),
        };
        assert!(
            matches!(&answered, Err(StoreError::Pool(m)) if m.contains("abandoned")),
            "{answered:?}"
        );
        assert!(!lock(&group.queue).writing);
        let next = group.submit(
            |_| Ok(2),
            |jobs| {
                let mut conn = connection();
                for mut job in jobs {
                    let outcome = job.run(&mut conn);
                    job.settle(outcome);
                }
            },
        );
        assert_eq!(next.unwrap(), 2);
    }

    #[test]
    fn the_caller_writing_a_group_is_always_in_it() {
        let mut queue = Queue::default();
        for ticket in 0..40 {
            queue
                .waiting
                .push(job(|_| Ok(()), Slot::<()>::shared(), ticket));
        }
        let group: Vec<u64> = queue.take_group(35).iter().map(|job| job.ticket).collect();
        assert_eq!(group.len(), MAX_GROUP);
        assert_eq!(group[..3], [35, 0, 1]);
        let rest: Vec<u64> = queue.waiting.iter().map(|job| job.ticket).collect();
        assert_eq!(rest, (31..40).filter(|t| *t != 35).collect::<Vec<_>>());
    }

    fn wait_until(group: &GroupCommit, ready: impl Fn(&Queue) -> bool) {
        while !ready(&lock(&group.queue)) {
            std::thread::yield_now();
        }
    }
}
