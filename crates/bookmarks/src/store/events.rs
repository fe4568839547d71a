//! The domain event log. Written in the same transaction as the change it describes; read in
//! the order of the transactions that wrote it by whoever turns events into side effects
//! (federation delivery), see [`EventPosition`].

use super::connection::{on_each_backend, Backend, DbConnection};
use super::error::StoreError;
use super::now;
use super::schema::domain_events;
use super::stored_time::WrittenTime;
use crate::model::DomainEvent;
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub(crate) fn record_event(
    conn: &mut DbConnection,
    user_id: i64,
    event: &DomainEvent,
) -> Result<(), StoreError> {
    diesel::insert_into(domain_events::table)
        .values(event_row(user_id, event, now())?)
        .execute(conn)?;
    Ok(())
}

/// The columns of an event's row, for one insert or many.
pub(crate) type EventRow = (
    diesel::dsl::Eq<domain_events::kind, &'static str>,
    diesel::dsl::Eq<domain_events::user_id, i64>,
    diesel::dsl::Eq<domain_events::bookmark_public_id, Option<String>>,
    diesel::dsl::Eq<domain_events::payload, String>,
    diesel::dsl::Eq<domain_events::created_at, WrittenTime>,
    diesel::dsl::Eq<domain_events::visible_to_others, bool>,
);

/// `event` by `user_id` at `at`, as a row of the log.
pub(crate) fn event_row(
    user_id: i64,
    event: &DomainEvent,
    at: NaiveDateTime,
) -> Result<EventRow, StoreError> {
    let payload = event_payload(event)?;
    Ok((
        domain_events::kind.eq(event.kind()),
        domain_events::user_id.eq(user_id),
        domain_events::bookmark_public_id.eq(event.bookmark_public_id().map(str::to_owned)),
        domain_events::payload.eq(payload),
        domain_events::created_at.eq(WrittenTime(at)),
        domain_events::visible_to_others.eq(event.visible_to_others()),
    ))
}

/// The event as the log's `payload` keeps it.
pub(crate) fn event_payload(event: &DomainEvent) -> Result<String, StoreError> {
    serde_json::to_string(event)
        .map_err(|e| StoreError::Conflict(format!("could not encode the domain event: {e}")))
}

#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub id: i64,
    pub user_id: i64,
    pub event: DomainEvent,
    pub created_at: NaiveDateTime,
}

/// Events with an id greater than `after_id`, in id order: the whole log, for tests and tools.
/// A reader that acts on each new event once goes by [`events_after`] instead, since on
/// PostgreSQL ids do not follow the order in which events commit.
pub fn list_events(
    conn: &mut DbConnection,
    after_id: i64,
    limit: i64,
) -> Result<Vec<StoredEvent>, StoreError> {
    let rows: Vec<EventRowRead> = domain_events::table
        .filter(domain_events::id.gt(after_id))
        .order(domain_events::id.asc())
        .limit(limit)
        .select(STORED_EVENT_COLUMNS)
        .load(conn)?;
    rows.into_iter().map(stored_event).collect()
}

/// The columns a [`StoredEvent`] is read from, and what they read as.
const STORED_EVENT_COLUMNS: (
    domain_events::id,
    domain_events::user_id,
    domain_events::payload,
    domain_events::created_at,
) = (
    domain_events::id,
    domain_events::user_id,
    domain_events::payload,
    domain_events::created_at,
);
type EventRowRead = (i64, i64, String, NaiveDateTime);

fn stored_event(
    (id, user_id, payload, created_at): EventRowRead,
) -> Result<StoredEvent, StoreError> {
    let event = serde_json::from_str(&payload)
        .map_err(|e| StoreError::Conflict(format!("domain event {id} cannot be read: {e}")))?;
    Ok(StoredEvent {
        id,
        user_id,
        event,
        created_at,
    })
}

/// A reader's place in the event log: it has read every event up to and including this one.
///
/// PostgreSQL runs writes side by side and gives an event its id when the row is inserted, not
/// when it commits, so one transaction can commit an event with a lower id after another has
/// committed a higher one. A reader that went by ids alone moved past the higher one and never
/// read the lower. So on PostgreSQL each event also records the transaction that wrote it
/// (`xact_id`), the log is read in the order of transactions and then of ids, and only as far
/// as the oldest transaction still running anywhere on the server: every transaction older
/// than that has ended, so no event can appear behind the reader any more. SQLite commits one
/// write at a time, in id order; there `transaction` is 0 and the log is read by id. Events
/// written before transactions were recorded count as transaction 0 as well.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct EventPosition {
    pub transaction: i64,
    pub id: i64,
}

impl EventPosition {
    /// As kept in `instance_settings`: `transaction:id`, or an id alone (a cursor kept before
    /// transactions were recorded, when every event read so far was transaction 0's).
    fn to_setting(self) -> String {
        format!("{}:{}", self.transaction, self.id)
    }

    fn from_setting(text: &str) -> Option<Self> {
        let (transaction, id) = match text.split_once(':') {
            Some((transaction, id)) => (transaction.parse().ok()?, id.parse().ok()?),
            None => (0, text.parse().ok()?),
        };
        Some(Self { transaction, id })
    }
}

/// What [`events_after`] read.
#[derive(Debug, Clone, Default)]
pub struct EventBatch {
    pub events: Vec<StoredEvent>,
    /// The reader's place after these events; where it was when there are none.
    pub end: EventPosition,
    /// Committed events follow that cannot be read yet, because a transaction older than
    /// theirs is still running (PostgreSQL only): read again shortly.
    pub waiting: bool,
}

/// Up to `limit` events after `after`, in the order they must be read (see [`EventPosition`]).
pub fn events_after(
    conn: &mut DbConnection,
    after: EventPosition,
    limit: i64,
) -> Result<EventBatch, StoreError> {
    use diesel::dsl::sql;
    use diesel::sql_types::{BigInt, Bool};
    let DbConnection::Postgres(c) = conn else {
        // SQLite: one write at a time, committed in id order.
        let events = list_events(conn, after.id, limit)?;
        let end = events.last().map_or(after, |last| EventPosition {
            transaction: 0,
            id: last.id,
        });
        return Ok(EventBatch {
            events,
            end,
            waiting: false,
        });
    };
    // The oldest transaction still running when the statement began, read in the same
    // statement as the rows, so both come from one snapshot.
    let rows: Vec<(EventRowRead, i64, i64)> = domain_events::table
        .filter(
            sql::<Bool>("(xact_id, id) > (")
                .bind::<BigInt, _>(after.transaction)
                .sql(", ")
                .bind::<BigInt, _>(after.id)
                .sql(")"),
        )
        .order((domain_events::xact_id.asc(), domain_events::id.asc()))
        .limit(limit)
        .select((
            STORED_EVENT_COLUMNS,
            domain_events::xact_id,
            sql::<BigInt>("pg_snapshot_xmin(pg_current_snapshot())::text::bigint"),
        ))
        .load(c)?;
    let mut batch = EventBatch {
        end: after,
        ..EventBatch::default()
    };
    for (row, transaction, oldest_running) in rows {
        if transaction >= oldest_running {
            batch.waiting = true;
            break;
        }
        let event = stored_event(row)?;
        batch.end = EventPosition {
            transaction,
            id: event.id,
        };
        batch.events.push(event);
    }
    Ok(batch)
}

/// When the last change happened, for one user's bookmarks or (with `None`) the whole instance;
/// with `include_private` false only changes other people could see count. Feeds use it as
/// their `Last-Modified`: deletions and visibility changes count too.
pub fn latest_change(
    conn: &mut DbConnection,
    user_id: Option<i64>,
    include_private: bool,
) -> Result<Option<NaiveDateTime>, StoreError> {
    let mut query = domain_events::table
        .select(diesel::dsl::max(domain_events::created_at))
        .into_boxed();
    if let Some(id) = user_id {
        query = query.filter(domain_events::user_id.eq(id));
    }
    if !include_private {
        query = query.filter(domain_events::visible_to_others.eq(true));
    }
    Ok(query.first::<Option<NaiveDateTime>>(conn)?)
}

/// On PostgreSQL, the oldest transaction still running when the statement began: every
/// transaction below it has ended, so whatever it wrote is in every snapshot from now on.
pub(crate) const SETTLED_BEFORE: &str = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint";

/// Where the changes to a user's bookmarks (or anyone's) have got to, so that what was computed
/// from the bookmarks at one generation is known to hold until it moves ([`Self::covers`]).
/// Every write to bookmarks records a domain event in its transaction.
///
/// `newest` is the id of the owner's newest event: it moves when a write commits, so a page
/// shows its reader's own save. On SQLite, which commits one write at a time in id order, that
/// is all, and `settled` is the same number. On PostgreSQL ids are taken at insert, not at
/// commit: two writes of one owner can commit out of order, and a count made between the two
/// commits would have held, by the newest id, without the first one's change until the
/// owner's next write. There `settled` is the newest transaction that wrote one of the owner's
/// events among the transactions that have all ended ([`SETTLED_BEFORE`]): it moves once every
/// transaction that took its id before the write's (one that had written something by then)
/// has ended, and then past anything counted before. That is usually milliseconds, but a long
/// writing transaction anywhere on the server (an import's batch, a session left idle after
/// writing in an open transaction, in any database) holds it back until it ends.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChangeGeneration {
    pub newest: i64,
    pub settled: i64,
}

impl ChangeGeneration {
    /// From the numbers as a statement read them, `None` before any change; SQLite reads no
    /// `settled`, which is its `newest`.
    pub(crate) fn read(backend: Backend, newest: Option<i64>, settled: Option<i64>) -> Self {
        let newest = newest.unwrap_or(0);
        let settled = match backend {
            Backend::Sqlite => newest,
            Backend::Postgres => settled.unwrap_or(0),
        };
        Self { newest, settled }
    }

    /// Whether what was computed at this generation holds everything `later` could see.
    pub fn covers(&self, later: &ChangeGeneration) -> bool {
        self.newest >= later.newest && self.settled >= later.settled
    }
}

/// The change generation of `owner`'s bookmarks (of everyone's, for `None`).
pub fn change_generation(
    conn: &mut DbConnection,
    owner: Option<i64>,
) -> Result<ChangeGeneration, StoreError> {
    match conn {
        DbConnection::Sqlite(c) => {
            let mut query = domain_events::table
                .select(diesel::dsl::max(domain_events::id))
                .into_boxed();
            if let Some(id) = owner {
                query = query.filter(domain_events::user_id.eq(id));
            }
            Ok(ChangeGeneration::read(
                Backend::Sqlite,
                query.first(c)?,
                None,
            ))
        }
        DbConnection::Postgres(c) => {
            let newest = domain_events::table.select(diesel::dsl::max(domain_events::id));
            let settled =
                domain_events::table
                    .select(diesel::dsl::max(domain_events::xact_id))
                    .filter(domain_events::xact_id.lt(
                        diesel::dsl::sql::<diesel::sql_types::BigInt>(SETTLED_BEFORE),
                    ));
            let (mut newest, mut settled) = (newest.into_boxed(), settled.into_boxed());
            if let Some(id) = owner {
                newest = newest.filter(domain_events::user_id.eq(id));
                settled = settled.filter(domain_events::user_id.eq(id));
            }
            // One statement, so that both come from one snapshot.
            let (newest, settled) = diesel::select((newest.single_value(), settled.single_value()))
                .get_result::<(Option<i64>, Option<i64>)>(c)?;
            Ok(ChangeGeneration::read(Backend::Postgres, newest, settled))
        }
    }
}

/// Takes the named cursor over the event log for the rest of the transaction and returns it (the
/// log's start when new). The row is updated first (and read in the same statement), which
/// locks it on PostgreSQL, so two processes reading events behind one cursor take turns; SQLite
/// writes are serialised anyway.
///
/// On PostgreSQL it then checks that the log's transaction ids are this server's: see
/// [`renumber_log_of_another_server`].
pub fn lock_event_cursor(conn: &mut DbConnection, name: &str) -> Result<EventPosition, StoreError> {
    use super::schema::instance_settings;
    let locked: Option<String> = on_each_backend!(conn, |c| diesel::update(
        instance_settings::table.find(name)
    )
    .set(instance_settings::value.eq(instance_settings::value))
    .returning(instance_settings::value)
    .get_result(c)
    .optional())?;
    let Some(value) = locked else {
        let start = EventPosition::default();
        diesel::insert_into(instance_settings::table)
            .values((
                instance_settings::name.eq(name),
                instance_settings::value.eq(start.to_setting()),
            ))
            .execute(conn)?;
        return Ok(start);
    };
    let position = EventPosition::from_setting(&value).ok_or_else(|| {
        StoreError::Conflict(format!(
            "instance setting {name} should be a place in the event log \
             (`transaction:id`), not `{value}`"
        ))
    })?;
    let DbConnection::Postgres(c) = conn else {
        return Ok(position);
    };
    // A statement of its own, after the lock: the update's snapshot was taken before it
    // waited for another process's turn, and the cursor that process left may name a
    // transaction that ended after that snapshot.
    let server = diesel::sql_query(
        "SELECT (SELECT max(xact_id) FROM domain_events) AS newest_transaction, \
         pg_snapshot_xmax(pg_current_snapshot())::text::bigint AS next_transaction",
    )
    .get_result::<TransactionHorizon>(c)?;
    if position.transaction >= server.next_transaction
        || server.newest_transaction.unwrap_or(0) >= server.next_transaction
    {
        return renumber_log_of_another_server(conn, name, position, server.next_transaction);
    }
    Ok(position)
}

/// The newest transaction the log records, and the next one this server will give out.
#[derive(diesel::QueryableByName)]
struct TransactionHorizon {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    newest_transaction: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    next_transaction: i64,
}

/// A database restored onto another PostgreSQL server (`pg_dump` and restore) keeps the
/// transaction ids its events were written under, which this server may not have reached: read
/// in transaction order, they would wait behind its newest transactions until it did, and a
/// cursor ahead of it would pass over every new event. When the log or the cursor holds an id
/// this server has not given out yet (`next` and above), the log is renumbered once: events the
/// cursor had read become transaction 0, the others transaction 1, read by id, and the cursor
/// becomes `(1, 0)`. An event whose transaction is below `next` may be this server's (written
/// since the restore) or an old one; it counts as unread, so at worst an old event is
/// published twice, and none is passed over. Events this server writes afterwards carry its
/// own ids, all above 1. Returns the cursor's new place.
fn renumber_log_of_another_server(
    conn: &mut DbConnection,
    name: &str,
    position: EventPosition,
    next: i64,
) -> Result<EventPosition, StoreError> {
    use diesel::sql_types::BigInt;
    let renumbered = diesel::sql_query(
        "UPDATE domain_events \
         SET xact_id = CASE WHEN (xact_id = 0 OR xact_id >= $3) AND (xact_id, id) <= ($1, $2) \
                       THEN 0 ELSE 1 END \
         WHERE xact_id <> CASE WHEN (xact_id = 0 OR xact_id >= $3) AND (xact_id, id) <= ($1, $2) \
                          THEN 0 ELSE 1 END",
    )
    .bind::<BigInt, _>(position.transaction)
    .bind::<BigInt, _>(position.id)
    .bind::<BigInt, _>(next)
    .execute(conn)?;
    let renumbered_position = EventPosition {
        transaction: 1,
        id: 0,
    };
    set_event_cursor(conn, name, renumbered_position)?;
    tracing::warn!(
        events = renumbered,
        cursor = name,
        "the event log held transaction ids this PostgreSQL server has not reached (was the \
         database restored from another server?): renumbered, the unread events are read by id"
    );
    Ok(renumbered_position)
}

/// Moves the named cursor (taken with [`lock_event_cursor`] in the same transaction).
pub fn set_event_cursor(
    conn: &mut DbConnection,
    name: &str,
    position: EventPosition,
) -> Result<(), StoreError> {
    use super::schema::instance_settings;
    diesel::update(instance_settings::table.find(name))
        .set(instance_settings::value.eq(position.to_setting()))
        .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::EventPosition;

    #[test]
    fn a_cursor_is_kept_as_transaction_and_id() {
        let position = EventPosition {
            transaction: 7_000_123,
            id: 42,
        };
        assert_eq!(position.to_setting(), "7000123:42");
        assert_eq!(EventPosition::from_setting("7000123:42"), Some(position));
    }

    #[test]
    fn a_cursor_kept_as_an_id_alone_carries_on_in_transaction_zero() {
        assert_eq!(
            EventPosition::from_setting("1234"),
            Some(EventPosition {
                transaction: 0,
                id: 1234
            })
        );
    }

    #[test]
    fn a_cursor_that_is_not_a_place_in_the_log_is_refused() {
        for text in ["", "x", "1:", ":2", "1:2:3", "a:1"] {
            assert_eq!(EventPosition::from_setting(text), None, "{text}");
        }
    }

    #[test]
    fn places_in_the_log_go_by_transaction_first() {
        let earlier = EventPosition {
            transaction: 5,
            id: 900,
        };
        let later = EventPosition {
            transaction: 6,
            id: 10,
        };
        assert!(earlier < later);
    }
}
