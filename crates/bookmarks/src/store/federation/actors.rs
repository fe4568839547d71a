//! Remote actors: what we know of a person, tag feed or instance on another server. Their ids
//! are stored as received, byte for byte.

use crate::store::connection::DbConnection;
use crate::store::error::StoreError;
use crate::store::now;
use crate::store::schema::remote_actors;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = remote_actors)]
pub struct RemoteActor {
    pub id: i64,
    pub ap_id: String,
    pub kind: String,
    /// `name@host`, the handle people type.
    pub handle: String,
    /// `host[:port]` of the actor's id.
    pub host: String,
    pub name: String,
    /// Plain text (remote HTML is reduced to text before it is stored).
    pub summary: String,
    pub profile_url: String,
    pub inbox: String,
    pub shared_inbox: Option<String>,
    pub public_key_pem: String,
    pub fetched_at: NaiveDateTime,
}

impl RemoteActor {
    /// Where deliveries to this actor go: the shared inbox of its server when it has one.
    pub fn delivery_inbox(&self) -> &str {
        self.shared_inbox.as_deref().unwrap_or(&self.inbox)
    }
}

/// Stores what was fetched of an actor, replacing what was known; returns the stored row.
pub fn upsert_remote_actor(
    conn: &mut DbConnection,
    actor: &RemoteActor,
) -> Result<RemoteActor, StoreError> {
    let values = (
        remote_actors::kind.eq(&actor.kind),
        remote_actors::handle.eq(&actor.handle),
        remote_actors::host.eq(&actor.host),
        remote_actors::name.eq(&actor.name),
        remote_actors::summary.eq(&actor.summary),
        remote_actors::profile_url.eq(&actor.profile_url),
        remote_actors::inbox.eq(&actor.inbox),
        remote_actors::shared_inbox.eq(&actor.shared_inbox),
        remote_actors::public_key_pem.eq(&actor.public_key_pem),
        remote_actors::fetched_at.eq(now()),
    );
    match find_remote_actor(conn, &actor.ap_id)? {
        Some(known) => {
            diesel::update(remote_actors::table.find(known.id))
                .set(values)
                .execute(conn)?;
        }
        None => {
            diesel::insert_into(remote_actors::table)
                .values((remote_actors::ap_id.eq(&actor.ap_id), values))
                .execute(conn)?;
        }
    }
    find_remote_actor(conn, &actor.ap_id)?.ok_or(StoreError::NotFound("remote actor"))
}

pub fn find_remote_actor(
    conn: &mut DbConnection,
    ap_id: &str,
) -> Result<Option<RemoteActor>, StoreError> {
    Ok(remote_actors::table
        .filter(remote_actors::ap_id.eq(ap_id))
        .select(RemoteActor::as_select())
        .first(conn)
        .optional()?)
}

/// The most recently fetched actor with this `name@host` handle.
pub fn find_remote_actor_by_handle(
    conn: &mut DbConnection,
    handle: &str,
) -> Result<Option<RemoteActor>, StoreError> {
    Ok(remote_actors::table
        .filter(remote_actors::handle.eq(handle))
        .order(remote_actors::fetched_at.desc())
        .select(RemoteActor::as_select())
        .first(conn)
        .optional()?)
}
