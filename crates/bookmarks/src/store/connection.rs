//! One connection type over both backends (diesel's `MultiConnection`), and the r2d2 manager that
//! opens the right one for a URL and prepares SQLite connections (WAL, busy timeout, foreign keys).

use super::error::StoreError;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ManageConnection, R2D2Connection};
use diesel::{Connection, PgConnection, SqliteConnection};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

impl DbConnection {
    pub fn backend(&self) -> Backend {
        match self {
            DbConnection::Sqlite(_) => Backend::Sqlite,
            DbConnection::Postgres(_) => Backend::Postgres,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `postgres://` or `postgresql://` is PostgreSQL; `sqlite://PATH`, `sqlite:PATH` or a bare
    /// path is SQLite. Returns the backend and the string its driver expects.
    pub fn from_url(url: &str) -> (Self, String) {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return (Self::Postgres, url.to_owned());
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        (Self::Sqlite, path.to_owned())
    }
}

/// Page cache per SQLite connection, at most (used only as pages are read). Every pooled
/// connection fills its own, so this is paid up to eight times under load: at 16 MB a server
/// under mixed load reached 190 MB. The operating system caches the file as well, so a page
/// missing here costs a copy, not a disk read.
pub(crate) const SQLITE_CACHE_KIB: u32 = 4 * 1024;

/// Page cache of a connection while it imports: SQLite's default of 2 MB made an import of
/// 100,000 bookmarks re-read index pages from the operating system.
pub(crate) const SQLITE_IMPORT_CACHE_KIB: u32 = 16 * 1024;

/// How long a SQLite connection waits for another process's write lock before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 15_000;

/// Settings of every PostgreSQL session. No parallel workers: a page's query that PostgreSQL
/// split over workers waited for them to start, and the machine's cores are already busy with
/// the other requests. At a million bookmarks the benchmark's search took 12.3 ms with a
/// worker and 5.0 ms without, and a common word 8.5 ms against 0.9 ms.
const POSTGRES_SESSION: &str = "SET max_parallel_workers_per_gather = 0";

pub struct ConnectionManager {
    pub backend: Backend,
    pub target: String,
    pub health: Arc<ConnectionHealth>,
}

/// What the pool's checks go by, shared by the pool's manager and the `Database` that notes
/// how each use of a connection ended.
#[derive(Default)]
pub struct ConnectionHealth {
    /// How many times a connection found its server gone: a connection that went well before
    /// the latest such loss is checked again before use, whatever its age.
    losses: AtomicU64,
}

impl ConnectionHealth {
    /// Where the count of losses stood when a use began: a use that goes well vouches for the
    /// connection only against losses seen before it.
    pub(crate) fn losses_so_far(&self) -> u64 {
        self.losses.load(Ordering::Relaxed)
    }

    /// Records how a use of `conn` that began at `losses_before` ([`Self::losses_so_far`])
    /// ended: when it went well, or that the connection found its server gone (it is then
    /// closed rather than pooled again, and every other connection is checked before its next
    /// use).
    pub(crate) fn note<T>(
        &self,
        conn: &mut PooledDb,
        losses_before: u64,
        result: &Result<T, StoreError>,
    ) {
        match result {
            Ok(_) => conn.fine_at = Some((Instant::now(), losses_before)),
            Err(e) if e.is_lost_connection() => {
                conn.lost = true;
                self.losses.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {}
        }
    }

    fn recently_fine(&self, conn: &PooledDb) -> bool {
        conn.fine_at.is_some_and(|(at, losses)| {
            at.elapsed() < ALIVE_WITHOUT_CHECK && losses == self.losses.load(Ordering::Relaxed)
        })
    }
}

impl ConnectionManager {
    pub fn new(backend: Backend, target: String) -> Self {
        Self {
            backend,
            target,
            health: Arc::default(),
        }
    }

    pub fn open(&self) -> Result<DbConnection, diesel::ConnectionError> {
        match self.backend {
            Backend::Postgres => {
                let mut conn = PgConnection::establish(&self.target)?;
                conn.batch_execute(POSTGRES_SESSION)
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Postgres(conn))
            }
            Backend::Sqlite => {
                super::sqlite_library::configure();
                let mut conn = SqliteConnection::establish(&self.target)?;
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS};
                     PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = NORMAL;
                     PRAGMA foreign_keys = ON;
                     PRAGMA cache_size = -{SQLITE_CACHE_KIB};
                     PRAGMA analysis_limit = 1000;
                     PRAGMA optimize = 0x10002;"
                ))
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// How long after a use that went well a pooled PostgreSQL connection is handed out without
/// asking its server first (HikariCP's "alive bypass window" has the same default). Under load
/// every connection is used many times a second, and `SELECT 1` before each use was one round
/// trip in five of a page; after a quiet moment the check runs as before.
const ALIVE_WITHOUT_CHECK: Duration = Duration::from_millis(500);

/// A pooled connection, with what the pool needs to know of its last use
/// ([`ConnectionHealth::note`]).
pub struct PooledDb {
    conn: DbConnection,
    /// When it last went well, and the manager's count of losses then.
    fine_at: Option<(Instant, u64)>,
    /// It found its server gone.
    lost: bool,
}

impl Deref for PooledDb {
    type Target = DbConnection;

    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl DerefMut for PooledDb {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = PooledDb;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<PooledDb, Self::Error> {
        let conn = self.open().map_err(diesel::r2d2::Error::ConnectionError)?;
        Ok(PooledDb {
            conn,
            fine_at: None,
            lost: false,
        })
    }

    /// Asks the server (PostgreSQL's connections are checked before use, see
    /// `Database::open`), unless the connection was used without error a moment ago.
    fn is_valid(&self, conn: &mut PooledDb) -> Result<(), Self::Error> {
        if self.health.recently_fine(conn) {
            return Ok(());
        }
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    /// A connection handed back by a thread that panicked, or left inside a transaction (a
    /// panic in the middle of one), is closed instead of pooled: on it, every later write
    /// would be a savepoint of a transaction never committed, and SQLite's write lock would
    /// stay taken. So is one that found its server gone.
    fn has_broken(&self, conn: &mut PooledDb) -> bool {
        std::thread::panicking()
            || conn.lost
            || match &mut conn.conn {
                DbConnection::Sqlite(c) => c.is_broken(),
                DbConnection::Postgres(c) => c.is_broken(),
            }
    }
}

/// The backend type of [`DbConnection`], for boxed queries that run on either database.
pub type DbBackend = <DbConnection as Connection>::Backend;

/// Runs the same diesel expression on the concrete connection:
/// `on_each_backend!(conn, |c| query.execute(c))`. The expression is written once and compiled
/// for each backend, so a query built inside it (`as_select`, `into_boxed`) takes that backend.
///
/// For the statements the multi-backend cannot express (multi-row inserts), and for those
/// every listed page runs: `MultiConnection` wraps each statement in a type that writes its
/// whole SQL out again on each of diesel's passes over it (whether to keep it compiled, its
/// bound values, its place in the cache), where a concrete connection finds a statement with
/// a type of its own in its cache by that type alone. Through the wrapper a JSON list request
/// wrote out about 165 quoted names, 8 % of its instructions (callgrind, 2026-12-03).
macro_rules! on_each_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::store::DbConnection::Sqlite($c) => $body,
            $crate::store::DbConnection::Postgres($c) => $body,
        }
    };
}
pub(crate) use on_each_backend;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_is_picked_from_the_url() {
        assert_eq!(
            Backend::from_url("postgres://u@h/db"),
            (Backend::Postgres, "postgres://u@h/db".into())
        );
        assert_eq!(Backend::from_url("postgresql://h/db").0, Backend::Postgres);
        // libpq's options reach libpq (README: `?sslmode=disable` for a local database).
        assert_eq!(
            Backend::from_url("postgres://u@h/db?sslmode=disable"),
            (
                Backend::Postgres,
                "postgres://u@h/db?sslmode=disable".into()
            )
        );
        assert_eq!(
            Backend::from_url("sqlite://data/c.db"),
            (Backend::Sqlite, "data/c.db".into())
        );
        assert_eq!(
            Backend::from_url("sqlite:///var/c.db"),
            (Backend::Sqlite, "/var/c.db".into())
        );
        assert_eq!(
            Backend::from_url("sqlite:c.db"),
            (Backend::Sqlite, "c.db".into())
        );
        assert_eq!(
            Backend::from_url("./c.db"),
            (Backend::Sqlite, "./c.db".into())
        );
    }

    #[test]
    fn a_connection_left_inside_a_transaction_is_not_pooled_again() {
        use diesel::connection::{AnsiTransactionManager, TransactionManager};
        let manager = ConnectionManager::new(Backend::Sqlite, ":memory:".into());
        let mut conn = manager.connect().expect("open");
        assert!(!manager.has_broken(&mut conn));
        let DbConnection::Sqlite(sqlite) = &mut *conn else {
            panic!("a SQLite connection");
        };
        AnsiTransactionManager::begin_transaction(sqlite).expect("begin");
        assert!(manager.has_broken(&mut conn), "an open transaction");
        let DbConnection::Sqlite(sqlite) = &mut *conn else {
            panic!("a SQLite connection");
        };
        AnsiTransactionManager::commit_transaction(sqlite).expect("commit");
        assert!(!manager.has_broken(&mut conn));
    }

    /// A connection used without error a moment ago is handed out unchecked; one that lost
    /// its server is closed, and every other is checked again before its next use.
    #[test]
    fn only_a_connection_that_went_well_a_moment_ago_skips_its_check() {
        let manager = ConnectionManager::new(Backend::Sqlite, ":memory:".into());
        let mut first = manager.connect().expect("open");
        let mut second = manager.connect().expect("open");
        let health = &manager.health;
        assert!(!health.recently_fine(&first), "never used");
        health.note(&mut first, 0, &Ok(()));
        health.note(&mut second, 0, &Ok(()));
        assert!(health.recently_fine(&first));
        health.note::<()>(&mut first, 0, &Err(StoreError::NotFound("bookmark")));
        assert!(
            health.recently_fine(&first),
            "an error of the query, not the connection"
        );
        let lost = diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ClosedConnection,
            Box::new("server closed the connection unexpectedly".to_owned()),
        );
        health.note::<()>(&mut first, 0, &Err(StoreError::Database(lost)));
        assert!(manager.has_broken(&mut first), "lost: closed, not pooled");
        assert!(
            !health.recently_fine(&second),
            "used before the loss: checked again"
        );
        health.note(&mut second, 0, &Ok(()));
        assert!(
            !health.recently_fine(&second),
            "a use that began before the loss vouches for nothing after it"
        );
        health.note(&mut second, health.losses_so_far(), &Ok(()));
        assert!(health.recently_fine(&second));
        second.fine_at = Some((Instant::now() - ALIVE_WITHOUT_CHECK, 1));
        assert!(!health.recently_fine(&second), "not a moment ago");
    }
}
