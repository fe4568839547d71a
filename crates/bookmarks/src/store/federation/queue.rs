//! The persistent delivery queue. An outgoing activity is stored once with who signs it; each
//! inbox it goes to is a `deliveries` row. Workers take a lease on one instance at a time and
//! deliver its rows in id order, so an instance sees activities in the order they happened, a
//! restart resumes where it stopped, and two server processes on one PostgreSQL database never
//! work on the same instance at once (the lease is taken by one conditional UPDATE).

use crate::store::connection::DbConnection;
use crate::store::error::StoreError;
use crate::store::now;
use crate::store::schema::{deliveries, instances, outgoing_activities};
use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

/// Who signs an activity: the instance actor, a user, or one of a user's tag feeds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Signer {
    Instance,
    User(i64),
    TagFeed(i64, String),
}

impl Signer {
    fn columns(&self) -> (Option<i64>, &str) {
        match self {
            Self::Instance => (None, ""),
            Self::User(id) => (Some(*id), ""),
            Self::TagFeed(id, tag) => (Some(*id), tag.as_str()),
        }
    }

    fn from_columns(user_id: Option<i64>, tag: String) -> Self {
        match user_id {
            None => Self::Instance,
            Some(id) if tag.is_empty() => Self::User(id),
            Some(id) => Self::TagFeed(id, tag),
        }
    }
}

#[derive(Debug, Clone)]
pub struct OutgoingActivity {
    pub ap_id: String,
    pub signer: Signer,
    /// The activity's JSON, exactly as it will be sent.
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: i64,
    pub inbox: String,
    pub activity: OutgoingActivity,
}

/// Stores an activity and one delivery per `(instance host, inbox)`. Run it in the transaction
/// of the change it announces.
pub fn enqueue_activity(
    conn: &mut DbConnection,
    activity: &OutgoingActivity,
    inboxes: &[(String, String)],
) -> Result<(), StoreError> {
    let (user_id, tag) = activity.signer.columns();
    let at = now();
    diesel::insert_into(outgoing_activities::table)
        .values((
            outgoing_activities::ap_id.eq(&activity.ap_id),
            outgoing_activities::user_id.eq(user_id),
            outgoing_activities::tag.eq(tag),
            outgoing_activities::body.eq(&activity.body),
            outgoing_activities::created_at.eq(at),
        ))
        .execute(conn)?;
    let activity_id: i64 = outgoing_activities::table
        .filter(outgoing_activities::ap_id.eq(&activity.ap_id))
        .select(outgoing_activities::id)
        .first(conn)?;
    for (host, inbox) in inboxes {
        ensure_instance(conn, host)?;
        diesel::insert_into(deliveries::table)
            .values((
                deliveries::activity_id.eq(activity_id),
                deliveries::instance.eq(host),
                deliveries::inbox.eq(inbox),
                deliveries::created_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

fn ensure_instance(conn: &mut DbConnection, host: &str) -> Result<(), StoreError> {
    let known = instances::table
        .find(host)
        .count()
        .get_result::<i64>(conn)?;
    if known == 0 {
        let epoch = NaiveDateTime::default();
        diesel::insert_into(instances::table)
            .values((
                instances::host.eq(host),
                instances::next_attempt_at.eq(epoch),
                instances::lease_until.eq(epoch),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The id of the newest stored activity whose id starts with `prefix` (an Undo names the
/// activity it takes back by that id).
pub fn latest_activity_with_prefix(
    conn: &mut DbConnection,
    prefix: &str,
) -> Result<Option<String>, StoreError> {
    let pattern = format!("{}%", crate::store::listing::escape_like(prefix));
    Ok(outgoing_activities::table
        .filter(outgoing_activities::ap_id.like(pattern).escape('\\'))
        .order(outgoing_activities::id.desc())
        .select(outgoing_activities::ap_id)
        .first(conn)
        .optional()?)
}

/// Instances with deliveries waiting whose backoff has passed and that nobody holds a lease on.
pub fn pending_instances(conn: &mut DbConnection, limit: i64) -> Result<Vec<String>, StoreError> {
    let at = now();
    Ok(instances::table
        .filter(instances::next_attempt_at.le(at))
        .filter(instances::lease_until.le(at))
        .filter(instances::host.eq_any(deliveries::table.select(deliveries::instance)))
        .order(instances::next_attempt_at.asc())
        .limit(limit)
        .select(instances::host)
        .load(conn)?)
}

/// Takes the lease on `host` for `lease`; false when another worker holds it or its backoff has
/// not passed. One UPDATE with the conditions, so of two racing workers one wins.
pub fn claim_instance(
    conn: &mut DbConnection,
    host: &str,
    owner: &str,
    lease: TimeDelta,
) -> Result<bool, StoreError> {
    let at = now();
    let claimed = diesel::update(
        instances::table
            .filter(instances::host.eq(host))
            .filter(instances::lease_until.le(at))
            .filter(instances::next_attempt_at.le(at)),
    )
    .set((
        instances::lease_owner.eq(owner),
        instances::lease_until.eq(at + lease),
    ))
    .execute(conn)?;
    Ok(claimed == 1)
}

/// Gives the lease back (only when `owner` still holds it).
pub fn release_instance(
    conn: &mut DbConnection,
    host: &str,
    owner: &str,
) -> Result<(), StoreError> {
    diesel::update(
        instances::table
            .filter(instances::host.eq(host))
            .filter(instances::lease_owner.eq(owner)),
    )
    .set(instances::lease_until.eq(NaiveDateTime::default()))
    .execute(conn)?;
    Ok(())
}

/// Gives the lease on `host` back if nothing waits for it any more, and says whether it did:
/// run in the transaction that records an instance's last delivery of a batch, it saves the
/// worker a query and a transaction per instance (a fan-out delivers one activity to each).
pub fn release_instance_if_drained(
    conn: &mut DbConnection,
    host: &str,
    owner: &str,
) -> Result<bool, StoreError> {
    let waiting: bool = diesel::select(diesel::dsl::exists(
        deliveries::table.filter(deliveries::instance.eq(host)),
    ))
    .get_result(conn)?;
    if waiting {
        return Ok(false);
    }
    release_instance(conn, host, owner)?;
    Ok(true)
}

/// The oldest `limit` deliveries waiting for `host`, in order.
pub fn next_deliveries(
    conn: &mut DbConnection,
    host: &str,
    limit: i64,
) -> Result<Vec<Delivery>, StoreError> {
    let rows: Vec<(i64, String, String, Option<i64>, String, String)> = deliveries::table
        .inner_join(outgoing_activities::table)
        .filter(deliveries::instance.eq(host))
        .order(deliveries::id.asc())
        .limit(limit)
        .select((
            deliveries::id,
            deliveries::inbox,
            outgoing_activities::ap_id,
            outgoing_activities::user_id,
            outgoing_activities::tag,
            outgoing_activities::body,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, inbox, ap_id, user_id, tag, body)| Delivery {
            id,
            inbox,
            activity: OutgoingActivity {
                ap_id,
                signer: Signer::from_columns(user_id, tag),
                body,
            },
        })
        .collect())
}

/// A delivery arrived (or was refused for good by the receiver): it leaves the queue, the
/// instance counts as alive, and `owner`'s lease on it is extended by `lease` from now. Leases
/// are short and renewed with every delivery, so a worker that died (a crash, SIGKILL) holds
/// its instance for at most one lease.
pub fn record_delivered(
    conn: &mut DbConnection,
    delivery_id: i64,
    host: &str,
    owner: &str,
    lease: TimeDelta,
) -> Result<(), StoreError> {
    diesel::delete(deliveries::table.find(delivery_id)).execute(conn)?;
    let at = now();
    diesel::update(instances::table.find(host))
        .set((
            instances::last_success_at.eq(Some(at)),
            instances::failures.eq(0),
            instances::failing_since.eq(None::<NaiveDateTime>),
            instances::dead.eq(false),
            instances::next_attempt_at.eq(at),
        ))
        .execute(conn)?;
    diesel::update(
        instances::table
            .filter(instances::host.eq(host))
            .filter(instances::lease_owner.eq(owner)),
    )
    .set(instances::lease_until.eq(at + lease))
    .execute(conn)?;
    Ok(())
}

/// A delivery to `host` failed. `backoff(failures so far, failing for)` says how long to wait
/// and whether the instance now counts as dead.
pub fn record_failure(
    conn: &mut DbConnection,
    host: &str,
    error: &str,
    backoff: impl Fn(i32, TimeDelta) -> (TimeDelta, bool),
) -> Result<(), StoreError> {
    let (failures, failing_since): (i32, Option<NaiveDateTime>) = instances::table
        .find(host)
        .select((instances::failures, instances::failing_since))
        .first(conn)?;
    let at = now();
    let since = failing_since.unwrap_or(at);
    let failures = failures.saturating_add(1);
    let (wait, dead) = backoff(failures, at - since);
    let error: String = error.chars().take(500).collect();
    diesel::update(instances::table.find(host))
        .set((
            instances::failures.eq(failures),
            instances::failing_since.eq(Some(since)),
            instances::last_failure_at.eq(Some(at)),
            instances::last_error.eq(error),
            instances::dead.eq(dead),
            instances::next_attempt_at.eq(at + wait),
        ))
        .execute(conn)?;
    Ok(())
}

/// Any request from an instance shows it is back: its backoff ends now.
pub fn mark_instance_alive(conn: &mut DbConnection, host: &str) -> Result<(), StoreError> {
    diesel::update(
        instances::table
            .filter(instances::host.eq(host))
            .filter(instances::failures.gt(0)),
    )
    .set((
        instances::failures.eq(0),
        instances::failing_since.eq(None::<NaiveDateTime>),
        instances::dead.eq(false),
        instances::next_attempt_at.eq(now()),
    ))
    .execute(conn)?;
    Ok(())
}

/// Delivery state of one remote instance, for admins.
#[derive(Debug, Clone)]
pub struct InstanceStatus {
    pub host: String,
    pub last_success_at: Option<NaiveDateTime>,
    pub last_failure_at: Option<NaiveDateTime>,
    pub failing_since: Option<NaiveDateTime>,
    pub failures: i32,
    pub last_error: String,
    pub dead: bool,
    pub next_attempt_at: NaiveDateTime,
    pub backlog: i64,
}

pub fn instance_status(conn: &mut DbConnection) -> Result<Vec<InstanceStatus>, StoreError> {
    type Row = (
        String,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
        i32,
        String,
        bool,
        NaiveDateTime,
    );
    let rows: Vec<Row> = instances::table
        .order(instances::host.asc())
        .select((
            instances::host,
            instances::last_success_at,
            instances::last_failure_at,
            instances::failing_since,
            instances::failures,
            instances::last_error,
            instances::dead,
            instances::next_attempt_at,
        ))
        .load(conn)?;
    let backlog: Vec<(String, i64)> = deliveries::table
        .group_by(deliveries::instance)
        .select((deliveries::instance, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| InstanceStatus {
            backlog: backlog
                .iter()
                .find(|(host, _)| *host == r.0)
                .map_or(0, |(_, n)| *n),
            host: r.0,
            last_success_at: r.1,
            last_failure_at: r.2,
            failing_since: r.3,
            failures: r.4,
            last_error: r.5,
            dead: r.6,
            next_attempt_at: r.7,
        })
        .collect())
}
