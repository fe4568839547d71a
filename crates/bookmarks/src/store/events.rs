//! The domain event log. Written in the same transaction as the change it describes; read in id
//! order by whoever turns events into side effects (federation delivery).

use super::connection::{on_each_backend, DbConnection};
use super::error::StoreError;
use super::now;
use super::schema::domain_events;
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
    diesel::dsl::Eq<domain_events::created_at, NaiveDateTime>,
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
        domain_events::created_at.eq(at),
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

/// Events with an id greater than `after_id`, oldest first.
pub fn list_events(
    conn: &mut DbConnection,
    after_id: i64,
    limit: i64,
) -> Result<Vec<StoredEvent>, StoreError> {
    let rows: Vec<(i64, i64, String, NaiveDateTime)> = domain_events::table
        .filter(domain_events::id.gt(after_id))
        .order(domain_events::id.asc())
        .limit(limit)
        .select((
            domain_events::id,
            domain_events::user_id,
            domain_events::payload,
            domain_events::created_at,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(id, user_id, payload, created_at)| {
            let event = serde_json::from_str(&payload).map_err(|e| {
                StoreError::Conflict(format!("domain event {id} cannot be read: {e}"))
            })?;
            Ok(StoredEvent {
                id,
                user_id,
                event,
                created_at,
            })
        })
        .collect()
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

/// A number that grows with every change to `owner`'s bookmarks (every change to anyone's, for
/// `None`): the id of the newest domain event. Every write to bookmarks records one in its
/// transaction, so what was computed from the bookmarks at one generation holds until it moves.
pub fn change_generation(conn: &mut DbConnection, owner: Option<i64>) -> Result<i64, StoreError> {
    let mut query = domain_events::table
        .select(diesel::dsl::max(domain_events::id))
        .into_boxed();
    if let Some(id) = owner {
        query = query.filter(domain_events::user_id.eq(id));
    }
    Ok(query.first::<Option<i64>>(conn)?.unwrap_or(0))
}

/// Takes the named cursor over the event log for the rest of the transaction and returns it (0
/// when new). The row is updated first (and read in the same statement), which locks it on
/// PostgreSQL, so two processes reading events behind one cursor take turns; SQLite writes are
/// serialised anyway.
pub fn lock_event_cursor(conn: &mut DbConnection, name: &str) -> Result<i64, StoreError> {
    use super::schema::instance_settings;
    let locked: Option<String> = on_each_backend!(conn, |c| diesel::update(
        instance_settings::table.find(name)
    )
    .set(instance_settings::value.eq(instance_settings::value))
    .returning(instance_settings::value)
    .get_result(c)
    .optional())?;
    let Some(value) = locked else {
        diesel::insert_into(instance_settings::table)
            .values((
                instance_settings::name.eq(name),
                instance_settings::value.eq("0"),
            ))
            .execute(conn)?;
        return Ok(0);
    };
    value.parse().map_err(|_| {
        StoreError::Conflict(format!(
            "instance setting {name} should be an event id, not `{value}`"
        ))
    })
}

/// Moves the named cursor (taken with [`lock_event_cursor`] in the same transaction).
pub fn set_event_cursor(
    conn: &mut DbConnection,
    name: &str,
    event_id: i64,
) -> Result<(), StoreError> {
    use super::schema::instance_settings;
    diesel::update(instance_settings::table.find(name))
        .set(instance_settings::value.eq(event_id.to_string()))
        .execute(conn)?;
    Ok(())
}
