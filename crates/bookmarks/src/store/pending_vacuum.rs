//! Vacuuming PostgreSQL's `tag_total_changes` more often than autovacuum would.
//!
//! Folds delete rows from it all the time (`super::postgres_create`), and a fold finds its
//! owner's rows by their index, whose entries for deleted rows stay until a vacuum; autovacuum
//! visits a database at most once a minute. After a minute of creates at full speed a fold
//! read about 130,000 dead entries, and vacuuming every ten seconds took about 80 µs of
//! PostgreSQL's CPU off each create (eighteenth performance round). The server does it
//! (`web::maintenance`); SQLite has no such rows.

use super::connection::DbConnection;
use super::error::StoreError;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};

/// Deleted rows the table gathers, beyond those a vacuum could not remove yet, before
/// [`vacuum_pending_totals`] vacuums it again.
const DEAD_ROWS_BEFORE_VACUUM: i64 = 5_000;

#[derive(QueryableByName)]
struct DeadRows {
    #[diesel(sql_type = BigInt)]
    dead: i64,
}

#[derive(QueryableByName)]
struct Ownership {
    #[diesel(sql_type = Bool)]
    owner: bool,
}

/// Whether this server should vacuum the table: on PostgreSQL, when the table exists and the
/// database user owns it (or is a superuser). A user who does not own it would get a warning
/// from each `VACUUM` and clean nothing.
pub fn may_vacuum_pending_totals(conn: &mut DbConnection) -> Result<bool, StoreError> {
    match conn {
        DbConnection::Postgres(c) => owns(c, "tag_total_changes"),
        DbConnection::Sqlite(_) => Ok(false),
    }
}

/// Whether the database user owns the table or index `relation` (or is a superuser), as
/// `VACUUM` and `gin_clean_pending_list` require; false when it does not exist.
pub(crate) fn owns(c: &mut PgConnection, relation: &str) -> Result<bool, StoreError> {
    Ok(diesel::sql_query(
        "SELECT pg_has_role(current_user, relowner, 'USAGE') AS owner FROM pg_class \
         WHERE oid = to_regclass($1)",
    )
    .bind::<diesel::sql_types::Text, _>(relation)
    .get_result::<Ownership>(c)
    .optional()?
    .is_some_and(|row| row.owner))
}

/// The table's dead rows as PostgreSQL's statistics count them (0 without the table).
fn dead_rows(c: &mut PgConnection) -> Result<i64, StoreError> {
    Ok(diesel::sql_query(
        "SELECT n_dead_tup AS dead FROM pg_stat_user_tables \
         WHERE relid = to_regclass('tag_total_changes')",
    )
    .get_result::<DeadRows>(c)
    .optional()?
    .map_or(0, |rows| rows.dead))
}

/// On PostgreSQL, vacuums `tag_total_changes` when it has gathered
/// [`DEAD_ROWS_BEFORE_VACUUM`] dead rows more than the previous vacuum left
/// (`dead_after_last`: rows an open snapshot still needed then); returns the dead rows this
/// vacuum left, or `None` when it did not vacuum. The table is not truncated: shrinking it
/// takes a lock that would stop creates for a moment, and the space is reused. Must run outside
/// a transaction ([`super::Database::read`]).
pub fn vacuum_pending_totals(
    conn: &mut DbConnection,
    dead_after_last: i64,
) -> Result<Option<i64>, StoreError> {
    let DbConnection::Postgres(c) = conn else {
        return Ok(None);
    };
    if dead_rows(c)? < dead_after_last.saturating_add(DEAD_ROWS_BEFORE_VACUUM) {
        return Ok(None);
    }
    diesel::sql_query("VACUUM (TRUNCATE false) tag_total_changes").execute(c)?;
    Ok(Some(dead_rows(c)?))
}
