//! `Database`: the pool, the embedded migrations, and the ways in: `read`, `write`, and
//! `write_grouped` for saves. SQLite allows one writer at a time, so writes from this process
//! queue on a mutex before they take a connection (other processes wait on SQLite's busy
//! timeout), and saves that queue are committed together (`store::group_commit`); users
//! never see "database is locked". PostgreSQL writes run concurrently and retry when they lose
//! a race.

use super::bookmarks::{save_bookmark, save_found_or_new, SavedBookmark};
use super::connection::{Backend, ConnectionHealth, ConnectionManager, DbConnection};
use super::error::StoreError;
use super::group_commit::{GroupCommit, Job};
use super::postgres_create::{self, Attempt};
use crate::model::BookmarkDraft;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{Pool, PooledConnection};
use diesel::Connection;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often a write that lost a race is run again before the error is reported.
const WRITE_ATTEMPTS: u32 = 4;

#[derive(Clone)]
pub struct Database {
    pool: Pool<ConnectionManager>,
    backend: Backend,
    writer: Option<Arc<Mutex<()>>>,
    /// SQLite's saves from concurrent requests, written a group per transaction.
    group: Option<Arc<GroupCommit>>,
    health: Arc<ConnectionHealth>,
}

impl Database {
    /// Opens (and for SQLite creates) the database and applies pending migrations.
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        let db = Self::open(url)?;
        db.migrate()?;
        if let Err(e) = super::bulk_indexing::resume_merging(&db) {
            tracing::warn!(error = %e, "could not turn the search index's merging back on");
        }
        Ok(db)
    }

    /// Opens the database without touching its schema.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let (backend, target) = Backend::from_url(url);
        if backend == Backend::Sqlite {
            create_parent_directory(&target)?;
        }
        let manager = ConnectionManager::new(backend, target);
        let health = manager.health.clone();
        // Fail fast with the driver's own message (wrong password, missing directory …)
        // rather than r2d2's generic timeout.
        manager
            .open()
            .map_err(|e| connect_error(url, &e.to_string()))?;
        let max_size = match backend {
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        };
        let pool = Pool::builder()
            .max_size(max_size)
            // Connections are made when asked for, never in the background: a background
            // connect still running when a short CLI command exits races libpq's and OpenSSL's
            // exit handlers (a crash without a message).
            .min_idle(Some(0))
            // A pooled PostgreSQL connection is checked with `SELECT 1` before use, since
            // diesel cannot tell that its server went away, unless a request used it without
            // error a moment ago (`connection::ALIVE_WITHOUT_CHECK`). A SQLite connection is a
            // file handle in this process that cannot be lost that way, so it is handed out
            // as is.
            .test_on_check_out(backend == Backend::Postgres)
            .connection_timeout(Duration::from_secs(30))
            .build(manager)
            .map_err(|e| connect_error(url, &e.to_string()))?;
        let writer = (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(())));
        let group = (backend == Backend::Sqlite).then(|| Arc::new(GroupCommit::default()));
        Ok(Self {
            pool,
            backend,
            writer,
            group,
            health,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies the embedded migrations for this backend and what follows them
    /// ([`super::migrations::follow_up`]: filling the search index a migration emptied, even
    /// when an earlier start stopped before it was filled); returns the versions applied.
    pub fn migrate(&self) -> Result<Vec<String>, StoreError> {
        let applied = {
            let mut conn = self.connection()?;
            super::migrations::apply_pending(&mut conn)?
        };
        super::migrations::follow_up(self, &applied)?;
        Ok(applied)
    }

    /// Applies pending migrations and rebuilds the full-text search index from every bookmark
    /// (`commonplace reindex`, on a database [`Database::open`]ed); returns how many were
    /// indexed. Recorded first, as a migration that empties the index records it, so a
    /// rebuild stopped halfway is finished by the next start.
    pub fn reindex(&self) -> Result<usize, StoreError> {
        super::migrations::reindex(self)
    }

    pub(super) fn connection(&self) -> Result<PooledConnection<ConnectionManager>, StoreError> {
        self.pool.get().map_err(|e| StoreError::Pool(e.to_string()))
    }

    /// Runs `f` with a connection, for queries that change nothing. When the connection turns
    /// out to have lost its server (PostgreSQL restarted since its last use), `f` runs once
    /// more on one the pool has checked, so `f` must be safe to run twice.
    pub fn read<T>(
        &self,
        mut f: impl FnMut(&mut DbConnection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let result = self.read_once(&mut f);
        match result {
            Err(e) if e.is_lost_connection() => {
                tracing::warn!(error = %e, "a database connection was lost; reading again on another");
                self.read_once(&mut f)
            }
            other => other,
        }
    }

    /// Runs `f` as [`Database::read`] does, but only on a connection the pool holds idle right
    /// now: `None` without running it when there is none (every connection in use, or none
    /// made yet), so that the caller, which cannot wait, can hand the read to a thread that
    /// can. A connection found to have lost its server is reported as `Some` of that error:
    /// [`Database::read`] runs `f` again on a checked one.
    pub fn read_if_idle<T>(
        &self,
        f: &mut impl FnMut(&mut DbConnection) -> Result<T, StoreError>,
    ) -> Option<Result<T, StoreError>> {
        let conn = self.pool.try_get()?;
        Some(self.read_on(conn, f))
    }

    fn read_once<T>(
        &self,
        f: &mut impl FnMut(&mut DbConnection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.read_on(self.connection()?, f)
    }

    /// Runs `f` on `conn`, noting whether the connection lost its server meanwhile.
    fn read_on<T>(
        &self,
        mut conn: PooledConnection<ConnectionManager>,
        f: &mut impl FnMut(&mut DbConnection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let losses = self.health.losses_so_far();
        let result = f(&mut conn);
        self.health.note(&mut conn, losses, &result);
        result
    }

    /// Runs `f` in one transaction: everything it writes is stored, or nothing is. A transaction
    /// that lost a race is run again a few times, so `f` must only touch the database; so is
    /// one whose connection lost its server before the commit was asked for (after that, the
    /// commit may have happened, and the error is reported).
    pub fn write<T>(
        &self,
        mut f: impl FnMut(&mut DbConnection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut attempt = 1;
        loop {
            let mut committing = false;
            let result = {
                let _turn = self
                    .writer
                    .as_ref()
                    .map(|lock| lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
                let mut conn = self.connection()?;
                let losses = self.health.losses_so_far();
                let result = write_transaction(&mut conn, attempt > 1, |c| {
                    let written = f(c);
                    committing = written.is_ok();
                    written
                });
                self.health.note(&mut conn, losses, &result);
                result
            };
            let lost_before_commit =
                !committing && result.as_ref().is_err_and(StoreError::is_lost_connection);
            match result {
                Err(e) if attempt < WRITE_ATTEMPTS && (e.is_retryable() || lost_before_commit) => {
                    if lost_before_commit {
                        tracing::warn!(attempt, error = %e, "a database connection was lost before the commit; writing again on another");
                    } else {
                        tracing::debug!(attempt, error = %e, "write lost a race; running it again");
                    }
                    std::thread::sleep(Duration::from_millis(5 * u64::from(attempt)));
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// [`Self::write`] for the busiest saves (a bookmark from the JSON API or Pinboard's
    /// `posts/add`, through [`Self::save_bookmark`]): on SQLite, saves that arrive while another is written are committed together
    /// (`store::group_commit`); each still succeeds or fails on its own. On PostgreSQL,
    /// whose writes run concurrently, this is `write`.
    pub fn write_grouped<T, F>(&self, write: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnMut(&mut DbConnection) -> Result<T, StoreError> + Send + 'static,
    {
        match &self.group {
            Some(group) => group.submit(write, |jobs| self.commit_group(jobs)),
            None => self.write(write),
        }
    }

    /// Saves a bookmark for the JSON API or Pinboard's `posts/add` (see [`save_bookmark`]).
    ///
    /// On SQLite, through [`Self::write_grouped`]. On PostgreSQL a new address is first tried
    /// as one statement outside any transaction, its own (`postgres_create`): a round trip
    /// instead of the three of `BEGIN`, the statement and `COMMIT`. When it writes nothing, the
    /// save goes through [`Self::write`]: with a new tag, the tag is created and the statement
    /// run again; for an address saved before, that bookmark is found and changed. So does a
    /// save whose statement lost a race or its connection. A connection lost during the
    /// statement may have committed it: the save then finds the bookmark stored, changes it to
    /// the same values (a `bookmark_updated` event more, so followers get an Update after the
    /// Create) and answers that it changed it rather than created it; nothing is stored twice.
    pub fn save_bookmark(
        &self,
        user_id: i64,
        draft: BookmarkDraft,
    ) -> Result<SavedBookmark, StoreError> {
        if self.backend == Backend::Sqlite {
            return self.write_grouped(move |c| save_bookmark(c, user_id, &draft));
        }
        // A pooled connection as reads have it, without a transaction: the statement is one.
        let alone = self.read_once(&mut |c| postgres_create::attempt(c, user_id, &draft));
        let next = match alone {
            Ok(Attempt::Created(bookmark)) => {
                return Ok(SavedBookmark {
                    bookmark: *bookmark,
                    created: true,
                })
            }
            Ok(outcome) => outcome,
            Err(e) if e.is_retryable() || e.is_lost_connection() => {
                return self.write(|c| save_bookmark(c, user_id, &draft));
            }
            Err(e) => return Err(e),
        };
        self.write(|c| {
            if let Attempt::TagsMissing = next {
                if let Some(bookmark) = postgres_create::create_with_new_tags(c, user_id, &draft)? {
                    return Ok(SavedBookmark {
                        bookmark,
                        created: true,
                    });
                }
            }
            save_found_or_new(c, user_id, &draft)
        })
    }

    /// Writes the jobs in one transaction; when that fails, each alone.
    fn commit_group(&self, mut jobs: Vec<Job>) {
        if jobs.len() > 1 {
            let together = {
                let _turn = self
                    .writer
                    .as_ref()
                    .map(|lock| lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
                self.connection().and_then(|mut conn| {
                    write_transaction(&mut conn, false, |c| {
                        super::deferred_documents::holding_back(c, |c| {
                            jobs.iter_mut().try_for_each(|job| job.run(c))
                        })
                    })
                })
            };
            match together {
                Ok(()) => {
                    for job in jobs {
                        job.settle(Ok(()));
                    }
                    return;
                }
                Err(e) => {
                    tracing::debug!(error = %e, saves = jobs.len(), "a group of saves failed; writing each alone");
                }
            }
        }
        for mut job in jobs {
            let outcome = self.write(|c| job.run(c));
            job.settle(outcome);
        }
    }

    /// Refreshes the statistics the query planner chooses plans by (after an import, say: a
    /// tag filter is planned differently for a tag on three bookmarks and one on thirty
    /// thousand). SQLite samples at most 1,000 rows per index, so this takes milliseconds.
    ///
    /// On PostgreSQL it also moves the search index's pending entries into the index proper:
    /// GIN gathers new entries in a list that every search reads through (up to 4 MB, 1 of the
    /// 3 ms of a search just after importing 100,000 bookmarks), until a vacuum or a full list
    /// merges them. Only the index's owner may, so for anyone else it is skipped with a warning.
    /// And it vacuums the tag links, so that reading links by bookmark (the search index's
    /// documents, `search::index_bookmarks`) uses their key's index alone (migration 000012)
    /// for the links just imported too, not only once autovacuum has come by.
    pub fn analyze(&self) -> Result<(), StoreError> {
        let statements: &[&str] = match self.backend {
            Backend::Sqlite => &["ANALYZE"],
            // VACUUM cannot share a statement string with another statement.
            Backend::Postgres => &[
                "VACUUM (ANALYZE) bookmark_tags",
                "ANALYZE bookmarks, tags, bookmark_search",
            ],
        };
        for statement in statements {
            self.read(|c| c.batch_execute(statement).map_err(StoreError::from))?;
        }
        if self.backend == Backend::Postgres {
            let merged = self.read(|c| {
                c.batch_execute("SELECT gin_clean_pending_list('bookmark_search_document')")
                    .map_err(StoreError::from)
            });
            if let Err(e) = merged {
                tracing::warn!(error = %e, "could not merge the search index's pending entries");
            }
        }
        Ok(())
    }

    /// True when the database answers a trivial query.
    pub fn ping(&self) -> Result<(), StoreError> {
        self.read(|c| c.batch_execute("SELECT 1").map_err(StoreError::from))
    }
}

/// Runs `f` in a transaction that writes; on SQLite, with `take_lock_first`, one that takes the
/// write lock as it begins (`BEGIN IMMEDIATE`), waiting for it as long as the busy timeout
/// allows. A transaction begun the default way takes the lock at its first write, after its
/// first reads; if another process on the same file (a second server, `commonplace import`)
/// committed in between, SQLite refuses the write at once ("database is locked", without
/// waiting), as the reads are out of date. [`Database::write`] tried it four times in all, and
/// a save still failed (a 500) while a second process committed deliveries many times a
/// second. Its later attempts now take the lock first, so they wait behind the other process
/// instead of losing to it again. The first attempt, and a group of saves (whose failure
/// writes each save alone through [`Database::write`]), begin the default way, as before:
/// in one process the writers take turns anyway. PostgreSQL's transactions are unchanged.
fn write_transaction<T>(
    conn: &mut DbConnection,
    take_lock_first: bool,
    f: impl FnOnce(&mut DbConnection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    type Manager = <DbConnection as Connection>::TransactionManager;
    match &mut *conn {
        DbConnection::Sqlite(sqlite) if take_lock_first => {
            AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
        }
        _ => Manager::begin_transaction(conn)?,
    }
    // As diesel's own `transaction` ends one, with the begin above, but for a failed rollback:
    // SQLite rolls a transaction back by itself on some errors (a full disk, an I/O error), and
    // the rollback after it then fails with "cannot rollback - no transaction is active",
    // which diesel would report instead of what went wrong.
    match f(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => match Manager::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(e),
            Err(rollback) => {
                let rollback = StoreError::from(rollback);
                // A connection lost at the rollback is what the caller must know (it retries
                // on another); otherwise the first error says what went wrong.
                if rollback.is_lost_connection() && !e.is_lost_connection() {
                    return Err(rollback);
                }
                tracing::warn!(error = %e, "rolling back after an error failed as well: {rollback}");
                Err(e)
            }
        },
    }
}

fn create_parent_directory(path: &str) -> Result<(), StoreError> {
    if path.starts_with("file:") || path == ":memory:" {
        return Ok(());
    }
    match std::path::Path::new(path).parent() {
        Some(parent) if !parent.as_os_str().is_empty() && !parent.exists() => {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Connect(format!(
                    "cannot create the directory {} for the SQLite database: {e}",
                    parent.display()
                ))
            })
        }
        _ => Ok(()),
    }
}

/// A failed connection's error: the URL without its password, the driver's message, and what
/// to do where the message alone does not say it.
fn connect_error(url: &str, message: &str) -> StoreError {
    // libpq is built into the binary (docs/decisions.md, "libpq is built in"), with
    // PostgreSQL's own default for a URL without a host: a socket in /tmp. Debian's and
    // Ubuntu's servers put theirs in /var/run/postgresql, where their own libpq looked.
    let socket_missing = message.contains("socket \"/tmp/.s.PGSQL.")
        && message.contains("No such file or directory");
    let hint = if socket_missing {
        "; if the server's socket is elsewhere (Debian and Ubuntu: /var/run/postgresql), \
         name its directory in the URL: `postgres:///DATABASE?host=/var/run/postgresql`"
    } else {
        ""
    };
    StoreError::Connect(format!("{} ({}){hint}", redact(url), message.trim_end()))
}

/// The URL without its password, for messages and logs.
fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_socket_in_tmp_names_where_debian_puts_it() {
        let missing = "connection to server on socket \"/tmp/.s.PGSQL.5432\" failed: \
                       No such file or directory\n";
        let message = connect_error("postgres:///db", missing).to_string();
        assert!(
            message.contains("(connection to server on socket"),
            "{message}"
        );
        assert!(message.contains("?host=/var/run/postgresql"), "{message}");
        let refused = "connection to server at \"127.0.0.1\", port 5432 failed: refused";
        let message = connect_error("postgres://u:secret@127.0.0.1/db", refused).to_string();
        assert!(!message.contains("/var/run/postgresql"), "{message}");
        assert!(!message.contains("secret"), "{message}");
        // The socket was there and the server answered: nothing to say about where it is.
        let refused_user = "connection to server on socket \"/tmp/.s.PGSQL.5432\" failed: \
                            FATAL:  role \"u\" does not exist";
        let message = connect_error("postgres:///db", refused_user).to_string();
        assert!(!message.contains("/var/run/postgresql"), "{message}");
    }

    /// A group holding a save that fails is rolled back and each save written alone: the
    /// others are kept, the failed one leaves nothing, and each caller gets its own outcome.
    #[test]
    fn a_group_with_a_failed_save_keeps_the_others() {
        use crate::model::{BookmarkChanges, BookmarkDraft, BookmarkUrl, TagList, Title};
        use crate::store::group_commit::detached_job;
        use crate::test_db::{add_user, TestDatabase};
        let (_guard, db) = TestDatabase::connect();
        let alice = add_user(&db, "alice").id;
        let save = |n: u32, fail: bool| {
            let draft = BookmarkDraft {
                url: BookmarkUrl::parse(&format!("https://example.com/{n}")).expect("url"),
                changes: BookmarkChanges {
                    title: Some(Title::parse("t").expect("title")),
                    tags: Some(TagList::parse_each(&["grouped"]).expect("tags")),
                    ..BookmarkChanges::default()
                },
            };
            detached_job(move |c| {
                let saved = super::super::save_bookmark(c, alice, &draft)?;
                if fail {
                    return Err(StoreError::Conflict(format!("save {n} refused")));
                }
                Ok(saved.bookmark.url.as_str().to_owned())
            })
        };
        let (jobs, outcomes): (Vec<_>, Vec<_>) = [save(1, false), save(2, true), save(3, false)]
            .into_iter()
            .unzip();
        db.commit_group(jobs);
        let outcomes: Vec<_> = outcomes.iter().map(|outcome| outcome()).collect();
        assert!(
            matches!(&outcomes[0], Some(Ok(url)) if url == "https://example.com/1"),
            "{outcomes:?}"
        );
        assert!(
            matches!(&outcomes[1], Some(Err(StoreError::Conflict(m))) if m == "save 2 refused"),
            "{outcomes:?}"
        );
        assert!(
            matches!(&outcomes[2], Some(Ok(url)) if url == "https://example.com/3"),
            "{outcomes:?}"
        );
        let stored = |n: u32| {
            let url = BookmarkUrl::parse(&format!("https://example.com/{n}")).expect("url");
            db.read(|c| super::super::find_bookmark_by_url(c, alice, &url))
                .expect("read")
                .is_some()
        };
        assert_eq!((stored(1), stored(2), stored(3)), (true, false, true));
    }

    /// A read on an idle connection runs at once; with none idle it is not run at all.
    #[test]
    fn a_read_if_idle_runs_only_on_an_idle_connection() {
        use crate::test_db::TestDatabase;
        let (_guard, db) = TestDatabase::connect();
        let mut runs = 0;
        let mut read = |c: &mut DbConnection| {
            runs += 1;
            c.batch_execute("SELECT 1").map_err(StoreError::from)
        };
        assert!(matches!(db.read_if_idle(&mut read), Some(Ok(()))));
        let mut held = Vec::new();
        while let Some(conn) = db.pool.try_get() {
            held.push(conn);
        }
        assert!(!held.is_empty());
        assert!(db.read_if_idle(&mut read).is_none());
        drop(held);
        assert!(matches!(db.read_if_idle(&mut read), Some(Ok(()))));
        assert_eq!(runs, 2);
    }

    #[test]
    fn passwords_are_redacted_from_messages() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("data/c.db"), "data/c.db");
    }
}
