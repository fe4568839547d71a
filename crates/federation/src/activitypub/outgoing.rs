//! Activities we send. Follow, Undo(Follow) and Accept are queued in the transaction of the
//! change they announce. Bookmark activities come from the domain events the bookmark store
//! records in the transaction of each change: [`publish_events`] turns the events after a
//! stored cursor into activities and deliveries, and moves the cursor, in one transaction, so
//! every event is published exactly once even across crashes and with several processes. The
//! log is read in the order `store::events_after` gives, so an event whose transaction commits
//! after a later one's is not passed over on PostgreSQL.

use super::note::{addressing, context, note_json, NoteSource};
use crate::context::FederationContext;
use bookmarks::model::{BookmarkSnapshot, DomainEvent};
use bookmarks::store::federation::{
    anyone_could_receive, enqueue_activity, follower_inboxes, latest_activity_with_prefix,
    tag_feeds_for, Follow, OutgoingActivity, RemoteActor, Signer, TagFeed, PERSON_FEED,
};
use bookmarks::store::{
    events_after, get_bookmark, get_user, lock_event_cursor, set_event_cursor, DbConnection,
    StoreError, User,
};
use serde_json::{json, Value};
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use url::Url;

const EVENT_CURSOR: &str = "federation.event_cursor";
const EVENTS_PER_BATCH: i64 = 200;

/// Who signs, with what the activity needs to name it.
#[derive(Debug, Clone)]
pub enum SignerRef {
    User(User),
    TagFeed(User, TagFeed),
}

impl SignerRef {
    fn id(&self, context: &FederationContext) -> Url {
        match self {
            Self::User(user) => context.urls.user(user.name.as_str()),
            Self::TagFeed(user, feed) => {
                context.urls.tag_feed(user.name.as_str(), &feed.actor_name)
            }
        }
    }

    fn signer(&self) -> Signer {
        match self {
            Self::User(user) => Signer::User(user.id),
            Self::TagFeed(user, feed) => Signer::TagFeed(user.id, feed.tag.clone()),
        }
    }
}

fn with_context(mut activity: Value) -> Value {
    if let Value::Object(map) = &mut activity {
        map.insert("@context".into(), context());
    }
    activity
}

fn queue(
    conn: &mut DbConnection,
    id: &Url,
    signer: Signer,
    activity: Value,
    inboxes: &[(String, String)],
) -> Result<(), StoreError> {
    // Followers on this instance got the change directly (`local::deliver_locally`); our
    // activity ids are on our own host.
    let own = super::verifier::authority(id);
    let inboxes: Vec<(String, String)> = inboxes
        .iter()
        .filter(|(host, _)| *host != own)
        .cloned()
        .collect();
    if inboxes.is_empty() {
        // Nobody to tell (a bookmark of someone without followers): nothing to store either.
        return Ok(());
    }
    let body = serde_json::to_string(&with_context(activity))
        .map_err(|e| StoreError::Conflict(format!("could not encode an activity: {e}")))?;
    enqueue_activity(
        conn,
        &OutgoingActivity {
            ap_id: id.to_string(),
            signer,
            body,
        },
        &inboxes,
    )
}

fn inbox_of(actor: &RemoteActor) -> Vec<(String, String)> {
    vec![(actor.host.clone(), actor.inbox.clone())]
}

/// Queues `Accept` of a remote actor's Follow of one of our actors.
pub fn enqueue_accept(
    conn: &mut DbConnection,
    context: &FederationContext,
    signer: &SignerRef,
    follower: &RemoteActor,
    follow: Value,
) -> Result<(), StoreError> {
    let id = context.urls.new_activity("accept");
    let activity = json!({
        "id": id,
        "type": "Accept",
        "actor": signer.id(context),
        "object": follow,
        "to": [follower.ap_id],
    });
    queue(conn, &id, signer.signer(), activity, &inbox_of(follower))
}

fn follow_activity(context: &FederationContext, user: &User, follow: &Follow) -> Value {
    json!({
        "id": context.urls.follow_activity(&follow.public_id),
        "type": "Follow",
        "actor": context.urls.user(user.name.as_str()),
        "object": follow.target.ap_id,
        "to": [follow.target.ap_id],
    })
}

/// Queues the `Follow` for a follow just recorded.
pub fn enqueue_follow(
    conn: &mut DbConnection,
    context: &FederationContext,
    user: &User,
    follow: &Follow,
) -> Result<(), StoreError> {
    let id = context.urls.follow_activity(&follow.public_id);
    let activity = follow_activity(context, user, follow);
    queue(
        conn,
        &id,
        Signer::User(user.id),
        activity,
        &inbox_of(&follow.target),
    )
}

/// Queues `Undo(Follow)` for a follow being removed.
pub fn enqueue_unfollow(
    conn: &mut DbConnection,
    context: &FederationContext,
    user: &User,
    follow: &Follow,
) -> Result<(), StoreError> {
    let id = context.urls.new_activity("undo");
    let activity = json!({
        "id": id,
        "type": "Undo",
        "actor": context.urls.user(user.name.as_str()),
        "object": follow_activity(context, user, follow),
        "to": [follow.target.ap_id],
    });
    queue(
        conn,
        &id,
        Signer::User(user.id),
        activity,
        &inbox_of(&follow.target),
    )
}

/// What one call of [`publish_events`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Published {
    /// Events read (and published, unless nobody could receive them).
    pub events: usize,
    /// Committed events wait behind a transaction that is still running (PostgreSQL): call
    /// again shortly.
    pub waiting: bool,
}

/// Publishes the domain events recorded since the last call.
pub fn publish_events(
    conn: &mut DbConnection,
    context: &FederationContext,
) -> Result<Published, StoreError> {
    let cursor = lock_event_cursor(conn, EVENT_CURSOR)?;
    let batch = events_after(conn, cursor, EVENTS_PER_BATCH)?;
    let events = batch.events;
    let mut users: HashMap<i64, User> = HashMap::new();
    // Per user of the batch, once: whether anyone could receive their new bookmarks.
    let mut audiences: HashMap<i64, bool> = HashMap::new();
    for stored in &events {
        let user = match users.entry(stored.user_id) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(slot) => slot.insert(get_user(conn, stored.user_id)?),
        };
        if let DomainEvent::BookmarkCreated { .. } = stored.event {
            let audience = match audiences.entry(user.id) {
                Entry::Occupied(known) => *known.get(),
                Entry::Vacant(slot) => {
                    let person = context.urls.user(user.name.as_str());
                    *slot.insert(anyone_could_receive(conn, user.id, person.as_str())?)
                }
            };
            if !audience {
                // Nobody follows them or their tags, here or elsewhere: nothing to deliver.
                continue;
            }
        }
        let (event, times) = as_it_stands(conn, stored.event.clone())?;
        let times = times.unwrap_or(Times {
            published: stored.created_at,
            updated: stored.created_at,
        });
        publish_event(conn, context, user, &event, stored.created_at, times)?;
    }
    if batch.end != cursor {
        set_event_cursor(conn, EVENT_CURSOR, batch.end)?;
    }
    Ok(Published {
        events: events.len(),
        waiting: batch.waiting,
    })
}

/// When a bookmark was first saved and last changed.
#[derive(Debug, Clone, Copy)]
struct Times {
    published: chrono::NaiveDateTime,
    updated: chrono::NaiveDateTime,
}

/// The event with the bookmark as it is now instead of as it was then, and the bookmark's
/// times (`None` when it is gone). Followers are sent the bookmark's present state, so an
/// event published late or out of order cannot undo a newer change: on PostgreSQL events are
/// read in the order of their transactions (see `store::EventPosition`), and two overlapping
/// transactions can change one bookmark in the other order. Above all, a bookmark made private
/// (or deleted) before its event was published goes out as private: its content is never
/// sent, and those who may have had it are sent a `Delete`. The `before` side stays as
/// recorded.
fn as_it_stands(
    conn: &mut DbConnection,
    event: DomainEvent,
) -> Result<(DomainEvent, Option<Times>), StoreError> {
    let now = |conn: &mut DbConnection, then: BookmarkSnapshot| {
        Ok::<_, StoreError>(match get_bookmark(conn, &then.public_id)? {
            Some(bookmark) => (
                bookmark.snapshot(),
                Some(Times {
                    published: bookmark.created_at,
                    updated: bookmark.updated_at,
                }),
            ),
            None => (
                BookmarkSnapshot {
                    visibility: "private".to_owned(),
                    ..then
                },
                None,
            ),
        })
    };
    Ok(match event {
        DomainEvent::BookmarkCreated { bookmark } => {
            let (bookmark, times) = now(conn, bookmark)?;
            (DomainEvent::BookmarkCreated { bookmark }, times)
        }
        DomainEvent::BookmarkUpdated { before, after } => {
            let (after, times) = now(conn, after)?;
            (DomainEvent::BookmarkUpdated { before, after }, times)
        }
        other => (other, None),
    })
}

fn shared(snapshot: &BookmarkSnapshot) -> bool {
    snapshot.visibility != "private"
}

/// Publishes `event` (recorded at `at`), whose bookmark was first saved and last changed at
/// `times`.
fn publish_event(
    conn: &mut DbConnection,
    context: &FederationContext,
    user: &User,
    event: &DomainEvent,
    at: chrono::NaiveDateTime,
    times: Times,
) -> Result<(), StoreError> {
    let first = match event {
        DomainEvent::BookmarkUpdated { .. } => times.published,
        _ => at,
    };
    super::local::deliver_locally(conn, context, user, event, first, at)?;
    match event {
        DomainEvent::BookmarkImported { .. } | DomainEvent::ImportBatch { .. } => Ok(()),
        DomainEvent::BookmarkCreated { bookmark } if shared(bookmark) => {
            let note = NoteSource::from_snapshot(user, bookmark, at, None);
            send_note(conn, context, user, "create", &note, &bookmark.tags)?;
            announce(conn, context, user, &note, &bookmark.tags)
        }
        DomainEvent::BookmarkCreated { .. } => Ok(()),
        DomainEvent::BookmarkDeleted { bookmark } if shared(bookmark) => {
            send_delete(conn, context, user, bookmark)
        }
        DomainEvent::BookmarkDeleted { .. } => Ok(()),
        DomainEvent::BookmarkUpdated { before, after } => match (shared(before), shared(after)) {
            (false, false) => Ok(()),
            (true, false) => send_delete(conn, context, user, before),
            (false, true) => {
                let note = NoteSource::from_snapshot(user, after, times.published, None);
                send_note(conn, context, user, "create", &note, &after.tags)?;
                announce(conn, context, user, &note, &after.tags)
            }
            // Into or out of "my organisation": the audience changes, so those who had it lose
            // it and those who may have it now get it afresh.
            (true, true)
                if before.visibility != after.visibility
                    && (before.visibility == "org" || after.visibility == "org") =>
            {
                send_delete(conn, context, user, before)?;
                let note =
                    NoteSource::from_snapshot(user, after, times.published, Some(times.updated));
                send_note(conn, context, user, "create", &note, &after.tags)?;
                announce(conn, context, user, &note, &after.tags)
            }
            (true, true) => {
                let note =
                    NoteSource::from_snapshot(user, after, times.published, Some(times.updated));
                let mut reached: Vec<String> = before.tags.clone();
                reached.extend(after.tags.iter().cloned());
                send_note(conn, context, user, "update", &note, &reached)?;
                let added: Vec<String> = after
                    .tags
                    .iter()
                    .filter(|t| !before.tags.contains(t))
                    .cloned()
                    .collect();
                let removed: Vec<String> = before
                    .tags
                    .iter()
                    .filter(|t| !after.tags.contains(t))
                    .cloned()
                    .collect();
                announce(conn, context, user, &note, &added)?;
                unannounce(conn, context, user, &after.public_id, &removed)
            }
        },
    }
}

impl NoteSource {
    fn from_snapshot(
        user: &User,
        snapshot: &BookmarkSnapshot,
        published: chrono::NaiveDateTime,
        updated: Option<chrono::NaiveDateTime>,
    ) -> Self {
        Self {
            public_id: snapshot.public_id.clone(),
            author: user.name.as_str().to_string(),
            url: snapshot.url.clone(),
            title: snapshot.title.clone(),
            notes: snapshot.notes.clone(),
            tags: snapshot.tags.clone(),
            visibility: snapshot.visibility.clone(),
            published,
            updated,
        }
    }
}

/// Inboxes of the user's followers and of the followers of their feeds for `tags`, with
/// organisation-only bookmarks restricted to allowlisted instances.
fn reach(
    conn: &mut DbConnection,
    context: &FederationContext,
    user: &User,
    visibility: &str,
    tags: &[String],
) -> Result<Vec<(String, String)>, StoreError> {
    let mut feeds = vec![PERSON_FEED.to_string()];
    feeds.extend(tags.iter().cloned());
    let mut inboxes = follower_inboxes(conn, user.id, &feeds)?;
    if visibility == "org" {
        inboxes.retain(|(host, _)| context.instance_in_organisation(host));
    }
    inboxes.retain(|(host, _)| context.instance_allowed(host));
    Ok(inboxes)
}

fn send_note(
    conn: &mut DbConnection,
    context: &FederationContext,
    user: &User,
    kind: &str,
    note: &NoteSource,
    tags: &[String],
) -> Result<(), StoreError> {
    let inboxes = reach(conn, context, user, &note.visibility, tags)?;
    if inboxes.is_empty() {
        // Most bookmarks: nobody follows their owner. The activity is not even built.
        return Ok(());
    }
    let actor = context.urls.user(user.name.as_str());
    let (to, cc) = addressing(
        &note.visibility,
        &context.urls.user_followers(user.name.as_str()),
    );
    let id = context.urls.new_activity(kind);
    let object = note_json(&context.urls, note);
    let activity = json!({
        "id": id,
        "type": if kind == "create" { "Create" } else { "Update" },
        "actor": actor,
        "published": super::note::timestamp(note.updated.unwrap_or(note.published)),
        "to": to,
        "cc": cc,
        "object": object,
    });
    queue(conn, &id, Signer::User(user.id), activity, &inboxes)
}

fn send_delete(
    conn: &mut DbConnection,
    context: &FederationContext,
    user: &User,
    bookmark: &BookmarkSnapshot,
) -> Result<(), StoreError> {
    let inboxes = reach(conn, context, user, &bookmark.visibility, &bookmark.tags)?;
    let id = context.urls.new_activity("delete");
    let (to, cc) = addressing(
        &bookmark.visibility,
        &context.urls.user_followers(user.name.as_str()),
    );
    let activity = json!({
        "id": id,
        "type": "Delete",
        "actor": context.urls.user(user.name.as_str()),
        "to": to,
        "cc": cc,
        "object": { "id": context.urls.note(&bookmark.public_id), "type": "Tombstone" },
    });
    queue(conn, &id, Signer::User(user.id), activity, &inboxes)
}

fn announce_id(
    context: &FederationContext,
    user: &User,
    feed: &TagFeed,
    public_id: &str,
) -> String {
    format!(
        "{}/announces/{public_id}/{}",
        context.urls.tag_feed(user.name.as_str(), &feed.actor_name),
        uuid::Uuid::now_v7().simple()
    )
}

fn announce(
    conn: &mut DbConnection,
    context: &FederationContext,
    user: &User,
    note: &NoteSource,
    tags: &[String],
) -> Result<(), StoreError> {
    // A feed exists once someone looked it up to follow it; one nobody follows is not there.
    for feed in tag_feeds_for(conn, user.id, tags)? {
        let mut inboxes = follower_inboxes(conn, user.id, std::slice::from_ref(&feed.tag))?;
        if note.visibility == "org" {
            inboxes.retain(|(host, _)| context.instance_in_organisation(host));
        }
        inboxes.retain(|(host, _)| context.instance_allowed(host));
        if inboxes.is_empty() {
            continue;
        }
        let actor = context.urls.tag_feed(user.name.as_str(), &feed.actor_name);
        let (to, cc) = addressing(
            &note.visibility,
            &context
                .urls
                .tag_feed_followers(user.name.as_str(), &feed.actor_name),
        );
        let id = Url::parse(&announce_id(context, user, &feed, &note.public_id))
            .map_err(|e| StoreError::Conflict(format!("bad announce id: {e}")))?;
        let activity = json!({
            "id": id,
            "type": "Announce",
            "actor": actor,
            "published": super::note::timestamp(note.updated.unwrap_or(note.published)),
            "to": to,
            "cc": cc,
            "object": note_json(&context.urls, note),
        });
        queue(
            conn,
            &id,
            Signer::TagFeed(user.id, feed.tag.clone()),
            activity,
            &inboxes,
        )?;
    }
    Ok(())
}

fn unannounce(
    conn: &mut DbConnection,
    context: &FederationContext,
    user: &User,
    public_id: &str,
    tags: &[String],
) -> Result<(), StoreError> {
    for feed in tag_feeds_for(conn, user.id, tags)? {
        let feed_url = context.urls.tag_feed(user.name.as_str(), &feed.actor_name);
        // The Undo names the Announce it takes back, by the id that Announce was sent with.
        let prefix = format!("{feed_url}/announces/{public_id}/");
        let announced = latest_activity_with_prefix(conn, &prefix)?;
        let Some(announce_id) = announced else {
            continue;
        };
        let inboxes = follower_inboxes(conn, user.id, std::slice::from_ref(&feed.tag))?;
        let id = context.urls.new_activity("undo");
        let followers = context
            .urls
            .tag_feed_followers(user.name.as_str(), &feed.actor_name);
        let activity = json!({
            "id": id,
            "type": "Undo",
            "actor": feed_url,
            "to": [followers],
            "object": {
                "id": announce_id,
                "type": "Announce",
                "actor": feed_url,
                "object": context.urls.note(public_id),
            },
        });
        queue(
            conn,
            &id,
            Signer::TagFeed(user.id, feed.tag.clone()),
            activity,
            &inboxes,
        )?;
    }
    Ok(())
}
