//! Settings of the SQLite library itself, for the whole process and every connection it opens,
//! made once before the first connection (SQLite refuses process-wide settings once in use).
//!
//! Found by profiling the JSON list under eight connections (`perf record --call-graph dwarf`):
//!
//! - **Statements were compiled again on every run.** Since SQLite 3.4x the planner reads the
//!   value bound to `LIMIT ?`, and a statement planned with a bound value is thrown away and
//!   compiled anew whenever that parameter is bound again. Diesel binds every limit (`.first()`
//!   is `LIMIT ?`) and binds each time it runs a cached statement, so every query with a limit
//!   was parsed and planned on every request: 9 % of the server's CPU went to recompiling. The
//!   query planner stability guarantee (QPSG) makes the planner ignore bound values, so a cached
//!   statement stays compiled. Nothing here plans by bound values: the search plan is chosen in
//!   Rust (`search::SqlitePlan`), `ANALYZE` is sampled so keeps no `sqlite_stat4`, and the one
//!   `LIKE` (the delivery queue's prefix) cannot use an index either way.
//! - **Multi-thread mode**: the pool hands a connection to one thread at a time, so SQLite need
//!   not lock it around every call, as it does in its default serialized mode.
//! - **No memory statistics**: with them on, every allocation SQLite makes takes one mutex shared
//!   by all connections, and eight readers queued on it. Nothing reads them.
//!
//! Found by `strace` of an import of 100,000 bookmarks:
//!
//! - **Statement journals in memory up to 128 KiB** (SQLite's default: 64 KiB). A statement that
//!   changes many rows inside a larger transaction (an import's multi-row inserts, a group of
//!   saves) keeps a copy of every page it changes that the transaction changed before it, to
//!   undo the statement alone if it fails; past the threshold SQLite moves that copy to a
//!   temporary file. The import wrote 170,404 pages to such files, half of its page writes,
//!   and never read them back (twenty-first performance round). The threshold is also the size
//!   of the pieces in which SQLite moves the copy to the file, each in one write, and its file
//!   writes take at most 128 KiB less a byte (`seekAndWrite` keeps the size's low 17 bits):
//!   4 MiB, kept from the twenty-first round until the thirtieth, wrote nothing and failed
//!   every such move with "database or disk is full" (an import into a collection of 75,000
//!   bookmarks stopped at its third batch), so the threshold is the largest size that works.
//!   A journal lives only while its statement runs, and only the one writer at a time has one.
//!
//! One more setting cannot be made at run time: the build leaves out
//! `SQLITE_ENABLE_MEMORY_MANAGEMENT` (`.cargo/config.toml`), under which every connection shares
//! one page cache behind one lock.

use libsqlite3_sys as ffi;
use std::ffi::{c_char, c_int};

/// Bytes of a statement journal kept in memory before it goes to a temporary file: the most
/// SQLite's unix files write at once (see the module's doc).
const STATEMENT_JOURNAL_IN_MEMORY: c_int = 128 * 1024 - 1;

/// Makes the settings; cheap after the first call.
pub(crate) fn configure() {
    static CONFIGURE: std::sync::Once = std::sync::Once::new();
    CONFIGURE.call_once(|| {
        // SAFETY: `sqlite3_config` takes the options' documented arguments (none, or an int).
        // SQLite checks that it is not yet initialised and otherwise answers SQLITE_MISUSE and
        // changes nothing. `sqlite3_auto_extension` (which initialises it, hence last) keeps a
        // pointer to a function that lives as long as the program.
        let results = unsafe {
            [
                ffi::sqlite3_config(ffi::SQLITE_CONFIG_MULTITHREAD),
                ffi::sqlite3_config(ffi::SQLITE_CONFIG_MEMSTATUS, c_int::from(0)),
                ffi::sqlite3_config(
                    ffi::SQLITE_CONFIG_STMTJRNL_SPILL,
                    STATEMENT_JOURNAL_IN_MEMORY,
                ),
                ffi::sqlite3_auto_extension(Some(on_open)),
            ]
        };
        if results.iter().any(|&code| code != ffi::SQLITE_OK) {
            tracing::warn!(
                ?results,
                "SQLite was in use before its settings could be made; it keeps its defaults"
            );
        }
    });
}

/// Called by SQLite for every connection it opens in this process, before it is returned. A
/// connection whose setting could not be made is still opened (it only recompiles more), since
/// a non-zero answer here would make SQLite refuse to open it.
unsafe extern "C" fn on_open(
    db: *mut ffi::sqlite3,
    _error: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: `db` is the connection being opened, valid for this call; the option takes an
    // int (1: on) and a pointer to write the new state to, which may be null.
    let result = unsafe {
        ffi::sqlite3_db_config(
            db,
            ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
            c_int::from(1),
            std::ptr::null_mut::<c_int>(),
        )
    };
    if result != ffi::SQLITE_OK {
        tracing::warn!(
            result,
            "SQLite would not keep its query plans stable on a new connection; it works, \
             but compiles statements with a LIMIT again on each run"
        );
    }
    ffi::SQLITE_OK
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CString;

    /// Runs `SELECT ?1 LIMIT ?2` three times on a connection opened the way every connection
    /// is, binding the limit each time as diesel does. Returns how often SQLite compiled the
    /// statement again, and the memory SQLite counted as in use while the statement was open.
    fn run_a_limited_statement() -> (c_int, i64) {
        configure();
        let path = CString::new(":memory:").unwrap();
        let sql = CString::new("SELECT ?1 LIMIT ?2").unwrap();
        let mut db = std::ptr::null_mut();
        let mut statement = std::ptr::null_mut();
        // SAFETY: each pointer passed is valid for the call; the statement and the connection
        // are finalised and closed before returning, and nothing else sees them.
        unsafe {
            assert_eq!(ffi::sqlite3_open(path.as_ptr(), &mut db), ffi::SQLITE_OK);
            let prepared = ffi::sqlite3_prepare_v3(
                db,
                sql.as_ptr(),
                -1,
                0,
                &mut statement,
                std::ptr::null_mut(),
            );
            assert_eq!(prepared, ffi::SQLITE_OK);
            for run in 1..=3 {
                assert_eq!(ffi::sqlite3_bind_int64(statement, 1, run), ffi::SQLITE_OK);
                assert_eq!(ffi::sqlite3_bind_int64(statement, 2, 1), ffi::SQLITE_OK);
                assert_eq!(ffi::sqlite3_step(statement), ffi::SQLITE_ROW);
                assert_eq!(ffi::sqlite3_column_int64(statement, 0), run);
                assert_eq!(ffi::sqlite3_reset(statement), ffi::SQLITE_OK);
            }
            let recompiled =
                ffi::sqlite3_stmt_status(statement, ffi::SQLITE_STMTSTATUS_REPREPARE, 0);
            let memory_counted = ffi::sqlite3_memory_used();
            ffi::sqlite3_finalize(statement);
            ffi::sqlite3_close(db);
            (recompiled, memory_counted)
        }
    }

    #[test]
    fn a_cached_statement_with_a_bound_limit_is_not_compiled_again() {
        // Without the planner stability guarantee SQLite 3.50 recompiles on each of the three
        // runs (checked by leaving `on_open` out: 3).
        assert_eq!(run_a_limited_statement().0, 0);
    }

    #[test]
    fn sqlite_keeps_no_memory_statistics() {
        // With statistics on, an open connection and statement count about 130 kB.
        assert_eq!(run_a_limited_statement().1, 0);
    }

    #[test]
    fn connections_have_page_caches_of_their_own() {
        // Built without SQLITE_ENABLE_MEMORY_MANAGEMENT (`.cargo/config.toml`), under which
        // every connection shares one page cache and one lock.
        let option = CString::new("ENABLE_MEMORY_MANAGEMENT").unwrap();
        // SAFETY: a valid C string, read during the call only.
        let used = unsafe { ffi::sqlite3_compileoption_used(option.as_ptr()) };
        assert_eq!(
            used, 0,
            "build in the repository, where .cargo/config.toml applies"
        );
    }
}
