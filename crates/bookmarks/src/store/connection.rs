//! One connection type over both backends (diesel's `MultiConnection`), and the r2d2 manager that
//! opens the right one for a URL and prepares SQLite connections (WAL, busy timeout, foreign keys).

use diesel::connection::SimpleConnection;
use diesel::r2d2::{ManageConnection, R2D2Connection};
use diesel::{Connection, PgConnection, SqliteConnection};

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
const SQLITE_CACHE_KIB: u32 = 4 * 1024;

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
}

impl ConnectionManager {
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

impl ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        self.open().map_err(diesel::r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    /// A connection handed back by a thread that panicked, or left inside a transaction (a
    /// panic in the middle of one), is closed instead of pooled: on it, every later write
    /// would be a savepoint of a transaction never committed, and SQLite's write lock would
    /// stay taken.
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        std::thread::panicking()
            || match conn {
                DbConnection::Sqlite(c) => c.is_broken(),
                DbConnection::Postgres(c) => c.is_broken(),
            }
    }
}

/// The backend type of [`DbConnection`], for boxed queries that run on either database.
pub type DbBackend = <DbConnection as Connection>::Backend;

/// Runs the same diesel expression on the concrete connection, for the few statements the
/// multi-backend cannot express (multi-row inserts). `on_each_backend!(conn, |c| query.execute(c))`.
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
        let manager = ConnectionManager {
            backend: Backend::Sqlite,
            target: ":memory:".into(),
        };
        let mut conn = manager.connect().expect("open");
        assert!(!manager.has_broken(&mut conn));
        let DbConnection::Sqlite(sqlite) = &mut conn else {
            panic!("a SQLite connection");
        };
        AnsiTransactionManager::begin_transaction(sqlite).expect("begin");
        assert!(manager.has_broken(&mut conn), "an open transaction");
        let DbConnection::Sqlite(sqlite) = &mut conn else {
            panic!("a SQLite connection");
        };
        AnsiTransactionManager::commit_transaction(sqlite).expect("commit");
        assert!(!manager.has_broken(&mut conn));
    }
}
