//! The delivery worker. Each pass publishes new domain events, then takes a lease on every
//! instance with deliveries due and sends them in order, signing each at send time with its
//! actor's key. A failure (network error, 5xx, 408, 429) stops that instance's pass and backs
//! off: exponentially from 2 s, capped at one minute for the first hour of failures (so an
//! instance that was down for minutes gets its backlog within a minute of returning), then at
//! one hour; after three days of failures it counts as dead (still retried hourly, alive again
//! on its first success or on any request from it). A 4xx other than those is the receiver
//! refusing the activity for good: it leaves the queue.

use super::actors::LocalSigner;
use super::error::FederationError;
use super::outgoing::publish_events;
use crate::context::{Data, FederationContext};
use activitypub_federation::activity_sending::SendActivityTask;
use activitypub_federation::traits::Activity;
use async_trait::async_trait;
use bookmarks::store::federation::{
    claim_instance, find_tag_feed_by_tag, next_deliveries, pending_instances, record_delivered,
    record_failure, release_instance, release_instance_if_drained, Delivery, Signer,
};
use bookmarks::store::{get_user, user_private_key, StoreError};
use chrono::TimeDelta;
use futures_util::StreamExt;
use serde::{Serialize, Serializer};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use url::Url;

/// How long a worker holds an instance without delivering: longer than one send may take (10 s
/// timeout), short enough that a crashed worker's instances are picked up again soon. Renewed
/// with every delivery.
const LEASE: TimeDelta = TimeDelta::seconds(30);
const DELIVERIES_PER_CLAIM: i64 = 100;
const INSTANCES_PER_PASS: i64 = 64;
/// How many instances are delivered to at once.
const PARALLEL_INSTANCES: usize = 16;
/// How often the worker looks for work when nothing wakes it.
const IDLE_POLL: Duration = Duration::from_secs(2);
/// How soon it looks again while committed events wait behind a transaction still running
/// (PostgreSQL; see `store::EventPosition`), doubling while they still wait, up to
/// `IDLE_POLL`. Such waits last as long as a write transaction, usually milliseconds.
const WAITING_POLL: Duration = Duration::from_millis(20);
/// How long events may wait that way, with nothing else published, before the worker warns
/// that an open transaction is holding federation back.
const WAITING_WARNING: Duration = Duration::from_secs(60);
/// How long [`drain`] waits for such events before it gives up and returns.
const DRAIN_WAIT_LIMIT: Duration = Duration::from_secs(30);

/// How long to wait after the `failures`-th failure in a row, and whether the instance is dead.
pub fn backoff(failures: i32, failing_for: TimeDelta) -> (TimeDelta, bool) {
    let exponent = u32::try_from(failures.clamp(1, 20) - 1).unwrap_or(0);
    let wait = TimeDelta::seconds(2_i64.saturating_mul(2_i64.saturating_pow(exponent)));
    let cap = if failing_for < TimeDelta::hours(1) {
        TimeDelta::minutes(1)
    } else {
        TimeDelta::hours(1)
    };
    (wait.min(cap), failing_for >= TimeDelta::days(3))
}

/// An activity already serialised, as the library's sender wants it.
#[derive(Debug)]
struct StoredActivity {
    id: Url,
    actor: Url,
    body: serde_json::Value,
}

impl Serialize for StoredActivity {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.body.serialize(serializer)
    }
}

#[async_trait]
impl Activity for StoredActivity {
    type DataType = FederationContext;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        &self.actor
    }

    // Only ever sent, never received.
    async fn verify(&self, _: &Data) -> Result<(), FederationError> {
        Err(FederationError::refused("stored activities are only sent"))
    }

    async fn receive(self, _: &Data) -> Result<(), FederationError> {
        Err(FederationError::refused("stored activities are only sent"))
    }
}

/// The key that signs for `signer`, looked up when the activity is sent.
async fn load_signer(data: &Data, signer: Signer) -> Result<LocalSigner, FederationError> {
    let context: FederationContext = (**data).clone();
    match signer {
        Signer::Instance => Ok(LocalSigner::instance(&context)),
        Signer::User(user_id) => {
            let (user, private) = data
                .read(move |conn| Ok((get_user(conn, user_id)?, user_private_key(conn, user_id)?)))
                .await?;
            let name = user.name.as_str();
            Ok(LocalSigner::new(
                context.urls.user(name),
                context.urls.user_inbox(name),
                user.public_key_pem,
                private,
            ))
        }
        Signer::TagFeed(user_id, tag) => {
            let (user, feed) = data
                .read(move |conn| {
                    let user = get_user(conn, user_id)?;
                    let feed = find_tag_feed_by_tag(conn, user_id, &tag)?
                        .ok_or(StoreError::NotFound("tag feed"))?;
                    Ok((user, feed))
                })
                .await?;
            let name = user.name.as_str();
            Ok(LocalSigner::new(
                context.urls.tag_feed(name, &feed.actor_name),
                context.urls.tag_feed_inbox(name, &feed.actor_name),
                feed.public_key_pem,
                feed.private_key_pem,
            ))
        }
    }
}

/// Signers already loaded during one pass, shared by the instances it delivers to: a fan-out
/// sends the same actor's activity to every instance, and its key is read once, not once per
/// instance. (The lock is never held across a wait.)
type Signers = Mutex<HashMap<Signer, LocalSigner>>;

async fn send(data: &Data, delivery: &Delivery, signers: &Signers) -> Result<(), FederationError> {
    let body: serde_json::Value = serde_json::from_str(&delivery.activity.body)?;
    let known = lock(signers).get(&delivery.activity.signer).cloned();
    let signer = match known {
        Some(known) => known,
        None => {
            let loaded = load_signer(data, delivery.activity.signer.clone()).await?;
            lock(signers).insert(delivery.activity.signer.clone(), loaded.clone());
            loaded
        }
    };
    let activity = StoredActivity {
        id: Url::parse(&delivery.activity.ap_id)?,
        actor: activitypub_federation::traits::Object::id(&signer).clone(),
        body,
    };
    let inbox = Url::parse(&delivery.inbox)?;
    for task in SendActivityTask::prepare(&activity, &signer, vec![inbox], data).await? {
        task.sign_and_send(data).await?;
    }
    Ok(())
}

/// Locks the signers, recovering them if a thread panicked while holding the lock (at worst a
/// key is read again).
fn lock(signers: &Signers) -> std::sync::MutexGuard<'_, HashMap<Signer, LocalSigner>> {
    signers
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Delivers what is due for one instance, in order, while it holds the lease. Returns how many
/// deliveries left the queue.
async fn deliver_instance(
    data: &Data,
    host: String,
    owner: &str,
    signers: &Signers,
) -> Result<usize, StoreError> {
    let (claim_host, claim_owner) = (host.clone(), owner.to_string());
    let claimed = data
        .write(move |conn| claim_instance(conn, &claim_host, &claim_owner, LEASE))
        .await?;
    if !claimed {
        return Ok(0);
    }
    let mut delivered = 0;
    let mut released = false;
    let outcome = loop {
        let batch_host = host.clone();
        let batch = data
            .read(move |conn| next_deliveries(conn, &batch_host, DELIVERIES_PER_CLAIM))
            .await?;
        if batch.is_empty() {
            break Ok(());
        }
        let mut failed = None;
        let last = batch.len().saturating_sub(1);
        for (index, delivery) in batch.into_iter().enumerate() {
            match send(data, &delivery, signers).await {
                Ok(()) => {
                    let (id, done_host, lease_owner) =
                        (delivery.id, host.clone(), owner.to_string());
                    // After a batch's last delivery, the lease goes back in the same
                    // transaction if nothing else waits.
                    released = data
                        .write(move |conn| {
                            record_delivered(conn, id, &done_host, &lease_owner, LEASE)?;
                            if index < last {
                                return Ok(false);
                            }
                            release_instance_if_drained(conn, &done_host, &lease_owner)
                        })
                        .await?;
                    delivered += 1;
                }
                Err(e) => {
                    failed = Some(e.to_string());
                    break;
                }
            }
        }
        if let Some(error) = failed {
            break Err(error);
        }
        if released {
            return Ok(delivered);
        }
    };
    if let Err(error) = outcome {
        tracing::info!(instance = %host, %error, "delivery failed; backing off");
        let failed_host = host.clone();
        data.write(move |conn| record_failure(conn, &failed_host, &error, backoff))
            .await?;
    }
    let (release_host, release_owner) = (host, owner.to_string());
    data.write(move |conn| release_instance(conn, &release_host, &release_owner))
        .await?;
    Ok(delivered)
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    /// Events published plus deliveries made (0 when there was nothing to do).
    pub progress: usize,
    /// Events published.
    pub published: usize,
    /// Committed events wait behind a transaction that is still running: pass again shortly.
    pub waiting: bool,
}

/// One pass: publish new events, then deliver to every instance that is due.
pub async fn run_pass(data: &Data, owner: &str) -> Result<Pass, StoreError> {
    let mut pass = Pass::default();
    loop {
        let context: FederationContext = (**data).clone();
        let published = data
            .write(move |conn| publish_events(conn, &context))
            .await?;
        pass.progress += published.events;
        pass.published += published.events;
        pass.waiting = published.waiting;
        if published.events == 0 {
            break;
        }
    }
    let hosts = data
        .read(|conn| pending_instances(conn, INSTANCES_PER_PASS))
        .await?;
    let signers = Signers::default();
    let results: Vec<Result<usize, StoreError>> = futures_util::stream::iter(hosts)
        .map(|host| deliver_instance(data, host, owner, &signers))
        .buffer_unordered(PARALLEL_INSTANCES)
        .collect()
        .await;
    for result in results {
        pass.progress += result?;
    }
    Ok(pass)
}

/// Runs passes until one finds nothing to do: everything due has been delivered or is backing
/// off, and no committed event waits to be published (for at most [`DRAIN_WAIT_LIMIT`]). For
/// tests and the benchmarks, so nobody sleeps and hopes. Returns the total progress.
pub async fn drain(data: &Data) -> Result<usize, StoreError> {
    let owner = format!("drain-{}", uuid::Uuid::now_v7().simple());
    let mut total = 0;
    let mut waiting_since: Option<std::time::Instant> = None;
    loop {
        let pass = run_pass(data, &owner).await?;
        total += pass.progress;
        if pass.progress > 0 {
            waiting_since = None;
            continue;
        }
        if !pass.waiting {
            return Ok(total);
        }
        let since = *waiting_since.get_or_insert_with(std::time::Instant::now);
        if since.elapsed() >= DRAIN_WAIT_LIMIT {
            tracing::warn!(
                waited = ?since.elapsed(),
                "events still wait behind an open database transaction; not drained"
            );
            return Ok(total);
        }
        tokio::time::sleep(WAITING_POLL).await;
    }
}

/// The background worker: a pass whenever something was queued, and every few seconds.
pub async fn run_worker(data: Data) {
    let owner = format!("worker-{}", uuid::Uuid::now_v7().simple());
    // While events wait behind a transaction still running and none is published: since when,
    // and the pause before the next look (doubling from `WAITING_POLL` up to `IDLE_POLL`).
    let mut stalled: Option<(std::time::Instant, Duration)> = None;
    let mut warned = false;
    loop {
        match run_pass(&data, &owner).await {
            Ok(pass) if pass.waiting && pass.published == 0 => {
                let (since, pause) =
                    stalled.get_or_insert_with(|| (std::time::Instant::now(), WAITING_POLL));
                if !warned && since.elapsed() >= WAITING_WARNING {
                    warned = true;
                    tracing::warn!(
                        waited = ?since.elapsed(),
                        "new bookmarks wait to be federated until a database transaction that \
                         began writing before theirs ends; look on the PostgreSQL server for a \
                         long-running or idle-in-transaction session that has written \
                         (pg_stat_activity, backend_xid not null) or a prepared transaction \
                         (pg_prepared_xacts)"
                    );
                }
                // Deliveries made meanwhile mean more may be due: look again at once.
                if pass.progress == 0 {
                    let wait = *pause;
                    *pause = (*pause * 2).min(IDLE_POLL);
                    tokio::time::sleep(wait).await;
                }
            }
            Ok(pass) => {
                if warned {
                    tracing::info!("events are being federated again");
                }
                stalled = None;
                warned = false;
                if pass.progress == 0 {
                    let _ = tokio::time::timeout(IDLE_POLL, data.wake.notified()).await;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "delivery pass failed");
                tokio::time::sleep(IDLE_POLL).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::backoff;
    use chrono::TimeDelta;

    #[test]
    fn backoff_grows_is_capped_by_age_and_declares_death_after_days() {
        assert_eq!(
            backoff(1, TimeDelta::zero()),
            (TimeDelta::seconds(2), false)
        );
        assert_eq!(backoff(3, TimeDelta::seconds(10)).0, TimeDelta::seconds(8));
        assert_eq!(backoff(12, TimeDelta::minutes(30)).0, TimeDelta::minutes(1));
        assert_eq!(backoff(12, TimeDelta::hours(2)).0, TimeDelta::hours(1));
        assert!(!backoff(40, TimeDelta::days(2)).1);
        assert!(backoff(40, TimeDelta::days(3)).1);
    }
}
