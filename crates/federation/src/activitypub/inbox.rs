//! What arrives in an inbox (shared or per actor; one handler for all). The library has already
//! checked the HTTP signature against the actor's key and that the activity's id is on the
//! actor's host. Here: every activity type we understand changes storage in one transaction
//! that also records its id (a second delivery changes nothing); objects must be on the
//! signer's host and attributed to it; anything else is acknowledged and ignored.

use super::actors::{first_link, type_name, ApActor};
use super::documents::local_user;
use super::error::FederationError;
use super::note::{object_id_and_author, parse_note};
use super::outgoing::{enqueue_accept, SignerRef};
use super::verifier::authority;
use crate::context::{Data, FederationContext};
use activitypub_federation::fetch::fetch_object_http;
use activitypub_federation::fetch::object_id::ObjectId;
use activitypub_federation::traits::Activity;
use async_trait::async_trait;
use bookmarks::store::federation::{
    accept_follow, accepted_follows_of, add_follower, delete_follow, delete_remote_bookmark,
    find_follow, find_follow_by_public_id, find_remote_bookmark, find_tag_feed,
    mark_instance_alive, mark_received, remove_follower, remove_follower_by_activity,
    remove_network_entries, store_remote_bookmark, PERSON_FEED,
};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use url::Url;

/// Any activity, parsed only as far as every activity is alike; the rest is read per type.
#[derive(Debug, Clone, Deserialize)]
pub struct InboxActivity {
    id: Url,
    #[serde(rename = "type", default)]
    kind: Value,
    #[serde(deserialize_with = "link_or_object")]
    actor: Url,
    #[serde(default)]
    object: Value,
}

fn link_or_object<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Url, D::Error> {
    let value = Value::deserialize(deserializer)?;
    let link =
        first_link(&value).ok_or_else(|| serde::de::Error::custom("`actor` names no actor"))?;
    Url::parse(&link).map_err(serde::de::Error::custom)
}

#[async_trait]
impl Activity for InboxActivity {
    type DataType = FederationContext;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn actor(&self) -> &Url {
        &self.actor
    }

    async fn verify(&self, _: &Data) -> Result<(), FederationError> {
        // Per type, in `receive`: what must match depends on what the activity does.
        Ok(())
    }

    async fn receive(self, data: &Data) -> Result<(), FederationError> {
        let actor = ObjectId::<ApActor>::from(self.actor.clone())
            .dereference(data)
            .await?;
        let host = actor.stored.host.clone();
        data.write(move |conn| mark_instance_alive(conn, &host))
            .await?;
        let kind = type_name(&self.kind);
        tracing::debug!(id = %self.id, kind, "inbox");
        match kind.as_str() {
            "Follow" => self.follow(actor, data).await,
            "Accept" => self.answer_follow(actor, true, data).await,
            "Reject" => self.answer_follow(actor, false, data).await,
            "Undo" => self.undo(actor, data).await,
            "Create" | "Update" => self.create_or_update(actor, kind == "Create", data).await,
            "Announce" => self.announce(actor, data).await,
            "Delete" => self.delete(actor, data).await,
            _ => Ok(()),
        }
    }
}

/// What an Announce shares: its object, or, when group actors (Lemmy communities, FEP-1b12)
/// announce the activity rather than the object, that activity's object.
pub fn announced_object(object: &Value) -> Value {
    match object {
        Value::Object(map)
            if matches!(
                type_name(map.get("type").unwrap_or(&Value::Null)).as_str(),
                "Create" | "Update"
            ) =>
        {
            map.get("object").cloned().unwrap_or(Value::Null)
        }
        other => other.clone(),
    }
}

/// The id of a value that may be a link or an embedded object.
fn object_id(value: &Value) -> Option<String> {
    match value {
        Value::Object(map) => map.get("id").and_then(Value::as_str).map(str::to_string),
        other => first_link(other),
    }
}

fn same_host(a: &str, b: &Url) -> bool {
    Url::parse(a).is_ok_and(|a| authority(&a) == authority(b))
}

impl InboxActivity {
    /// The activity's type (the first, when it has several).
    pub fn kind(&self) -> String {
        type_name(&self.kind)
    }

    /// The object: a link or an embedded object.
    pub fn object(&self) -> &Value {
        &self.object
    }

    fn id_string(&self) -> String {
        self.id.to_string()
    }

    async fn follow(self, actor: ApActor, data: &Data) -> Result<(), FederationError> {
        let Some(target) = object_id(&self.object) else {
            return Err(FederationError::refused("the Follow names no object"));
        };
        let Some((name, tag_actor)) = data.urls.local_actor(&target) else {
            return Ok(());
        };
        let activity_id = self.id_string();
        let context = (**data).clone();
        let follow_json = serde_json::json!({
            "id": activity_id,
            "type": "Follow",
            "actor": actor.stored.ap_id,
            "object": target,
        });
        data.write(move |conn| {
            if !mark_received(conn, &activity_id)? {
                return Ok(());
            }
            let Some(user) = local_user(conn, &name)? else {
                return Ok(());
            };
            let (tag, signer) = match &tag_actor {
                None => (PERSON_FEED.to_string(), SignerRef::User(user.clone())),
                Some(actor_name) => match find_tag_feed(conn, user.id, actor_name)? {
                    Some(feed) => (feed.tag.clone(), SignerRef::TagFeed(user.clone(), feed)),
                    None => return Ok(()),
                },
            };
            add_follower(conn, user.id, &tag, &actor.stored, &activity_id)?;
            enqueue_accept(conn, &context, &signer, &actor.stored, follow_json.clone())
        })
        .await?;
        data.wake.notify_one();
        Ok(())
    }

    async fn answer_follow(
        self,
        actor: ApActor,
        accepted: bool,
        data: &Data,
    ) -> Result<(), FederationError> {
        let follow_id = object_id(&self.object).unwrap_or_default();
        let follow_public_id = follow_id
            .strip_prefix(&format!("{}/activities/follow/", data.urls.base()))
            .map(str::to_string);
        // Some servers answer with their own copy of the Follow; then its `actor` is our user.
        let follower_name = self
            .object
            .get("actor")
            .and_then(first_link)
            .and_then(|a| data.urls.local_actor(&a))
            .and_then(|(name, tag)| tag.is_none().then_some(name));
        let activity_id = self.id_string();
        data.write(move |conn| {
            if !mark_received(conn, &activity_id)? {
                return Ok(());
            }
            let follow = match (&follow_public_id, &follower_name) {
                (Some(public_id), _) => find_follow_by_public_id(conn, public_id)?,
                (None, Some(name)) => match local_user(conn, name)? {
                    Some(user) => find_follow(conn, user.id, actor.stored.id)?,
                    None => None,
                },
                (None, None) => None,
            };
            let Some(follow) = follow.filter(|f| f.target.id == actor.stored.id) else {
                return Ok(());
            };
            if accepted {
                accept_follow(conn, follow.id)?;
            } else {
                delete_follow(conn, follow.id)?;
            }
            Ok(())
        })
        .await?;
        Ok(())
    }

    async fn undo(self, actor: ApActor, data: &Data) -> Result<(), FederationError> {
        let inner_kind = type_name(self.object.get("type").unwrap_or(&Value::Null));
        let inner_id = object_id(&self.object).unwrap_or_default();
        if let Some(inner_actor) = self.object.get("actor").and_then(first_link) {
            if inner_actor != actor.stored.ap_id {
                return Err(FederationError::refused(
                    "an Undo may only undo the signer's own activity",
                ));
            }
        }
        let target = self.object.get("object").and_then(object_id);
        let local_target = target.as_deref().and_then(|t| data.urls.local_actor(t));
        let activity_id = self.id_string();
        data.write(move |conn| {
            if !mark_received(conn, &activity_id)? {
                return Ok(());
            }
            match inner_kind.as_str() {
                "Announce" => {
                    let Some(note) = &target else { return Ok(()) };
                    let Some((bookmark_id, _, _)) = find_remote_bookmark(conn, note)? else {
                        return Ok(());
                    };
                    for (_, follow_id) in accepted_follows_of(conn, actor.stored.id)? {
                        remove_network_entries(conn, follow_id, Some(bookmark_id))?;
                    }
                }
                "Follow" | "" => {
                    let removed = remove_follower_by_activity(conn, actor.stored.id, &inner_id)?;
                    if let (false, Some((name, tag_actor))) = (removed, &local_target) {
                        let Some(user) = local_user(conn, name)? else {
                            return Ok(());
                        };
                        let tag = match tag_actor {
                            None => PERSON_FEED.to_string(),
                            Some(actor_name) => match find_tag_feed(conn, user.id, actor_name)? {
                                Some(feed) => feed.tag,
                                None => return Ok(()),
                            },
                        };
                        remove_follower(conn, user.id, &tag, actor.stored.id)?;
                    }
                }
                _ => {}
            }
            Ok(())
        })
        .await?;
        Ok(())
    }

    async fn create_or_update(
        self,
        actor: ApActor,
        create: bool,
        data: &Data,
    ) -> Result<(), FederationError> {
        let object_kind = type_name(self.object.get("type").unwrap_or(&Value::Null));
        if matches!(
            object_kind.as_str(),
            "Person" | "Service" | "Application" | "Group" | "Organization"
        ) {
            return self.refresh_actor(actor, data).await;
        }
        let object = match &self.object {
            Value::Object(_) => self.object.clone(),
            other => {
                let link = first_link(other)
                    .ok_or_else(|| FederationError::refused("the activity names no object"))?;
                fetch_json(&link, data).await?
            }
        };
        let (note_id, author) = object_id_and_author(&object)?;
        if author != actor.stored.ap_id || !same_host(&note_id, &self.actor) {
            return Err(FederationError::refused(
                "the object must be attributed to, and hosted by, the actor that sent it",
            ));
        }
        let Ok(bookmark) = parse_note(&object) else {
            return self.acknowledge(data).await;
        };
        let activity_id = self.id_string();
        data.write(move |conn| {
            if !mark_received(conn, &activity_id)? {
                return Ok(());
            }
            let known = find_remote_bookmark(conn, &bookmark.ap_id)?.is_some();
            let viewers = accepted_follows_of(conn, actor.stored.id)?;
            if known || (create && !viewers.is_empty()) {
                store_remote_bookmark(conn, actor.stored.id, &bookmark, &viewers)?;
            }
            Ok(())
        })
        .await?;
        Ok(())
    }

    async fn refresh_actor(self, actor: ApActor, data: &Data) -> Result<(), FederationError> {
        if object_id(&self.object).as_deref() != Some(actor.stored.ap_id.as_str()) {
            return Err(FederationError::refused("an actor may only update itself"));
        }
        ObjectId::<ApActor>::from(self.actor.clone())
            .dereference_forced(data)
            .await?;
        self.acknowledge(data).await
    }

    async fn announce(self, actor: ApActor, data: &Data) -> Result<(), FederationError> {
        let announced = announced_object(&self.object);
        let note_link = object_id(&announced)
            .ok_or_else(|| FederationError::refused("the Announce names no object"))?;
        let announcer = actor.stored.id;
        let viewers = data
            .read(move |conn| accepted_follows_of(conn, announcer))
            .await?;
        if viewers.is_empty() {
            return self.acknowledge(data).await;
        }
        // An embedded object is vouched for by the signer only when it lives on the signer's
        // host; anything else is fetched from its origin.
        let object = match announced {
            Value::Object(_) if same_host(&note_link, &self.actor) => announced,
            _ => fetch_json(&note_link, data).await?,
        };
        let (note_id, author_id) = object_id_and_author(&object)?;
        if note_id != note_link || !same_host(&author_id, &Url::parse(&note_id)?) {
            return Err(FederationError::refused(
                "the announced object must be hosted by its author's server",
            ));
        }
        let author = ObjectId::<ApActor>::parse(&author_id)?
            .dereference(data)
            .await?;
        let Ok(bookmark) = parse_note(&object) else {
            return self.acknowledge(data).await;
        };
        let activity_id = self.id_string();
        data.write(move |conn| {
            if !mark_received(conn, &activity_id)? {
                return Ok(());
            }
            store_remote_bookmark(conn, author.stored.id, &bookmark, &viewers)?;
            Ok(())
        })
        .await?;
        Ok(())
    }

    async fn delete(self, actor: ApActor, data: &Data) -> Result<(), FederationError> {
        let Some(target) = object_id(&self.object) else {
            return self.acknowledge(data).await;
        };
        let activity_id = self.id_string();
        data.write(move |conn| {
            if !mark_received(conn, &activity_id)? {
                return Ok(());
            }
            if let Some((_, author_id, _)) = find_remote_bookmark(conn, &target)? {
                if author_id == actor.stored.id {
                    delete_remote_bookmark(conn, &target)?;
                }
            }
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// Records the id of an activity that changes nothing here.
    async fn acknowledge(self, data: &Data) -> Result<(), FederationError> {
        let activity_id = self.id_string();
        data.write(move |conn| mark_received(conn, &activity_id).map(|_| ()))
            .await?;
        Ok(())
    }
}

/// Fetches an object by id with a signed GET (as the instance actor); the library checks the
/// content type and that the id in the answer is the URL asked for.
pub async fn fetch_json(link: &str, data: &Data) -> Result<Value, FederationError> {
    let url = Url::parse(link)?;
    let response = fetch_object_http::<_, Value>(&url, data).await?;
    Ok(response.object)
}
