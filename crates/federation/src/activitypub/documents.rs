//! The JSON documents of our actors and objects: users (`Person`), tag feeds (`Service`), the
//! instance (`Application`), bookmarks (`Note`), and the collections of each actor.

use super::actors::{ACTIVITY_CONTEXT, SECURITY_CONTEXT};
use super::error::FederationError;
use super::note::{context, escape, note_json, timestamp, NoteSource};
use crate::context::{Data, FederationContext};
use bookmarks::model::{ActorKeys, TagName, UserName, Visibility};
use bookmarks::store::federation::{
    actor_name_for, count_followers, count_follows, ensure_tag_feed, find_tag_feed, list_followers,
    list_follows, FollowState, Slice, TagFeed, PERSON_FEED,
};
use bookmarks::store::{
    count_bookmarks, find_user_by_name, get_bookmark, list_bookmarks, tag_counts, Bookmark,
    BookmarkFilter, DbConnection, Scope, StoreError, User,
};
use serde_json::{json, Value};

/// Items listed inline in a followers/following collection: the newest, read as many and no
/// more (the collection counts them all).
const COLLECTION_ITEMS: i64 = 1_000;
/// Recent activities listed in an outbox.
const OUTBOX_ITEMS: i64 = 20;

fn actor_context() -> Value {
    json!([ACTIVITY_CONTEXT, SECURITY_CONTEXT, context()[2].clone()])
}

/// The local user a name in one of our URLs names, if any.
pub fn local_user(conn: &mut DbConnection, name: &str) -> Result<Option<User>, StoreError> {
    match UserName::parse(name) {
        Ok(name) => find_user_by_name(conn, &name),
        Err(_) => Ok(None),
    }
}

pub fn find_user(conn: &mut DbConnection, name: &str) -> Result<User, StoreError> {
    local_user(conn, name)?.ok_or(StoreError::NotFound("user"))
}

pub async fn person(data: &Data, name: &str) -> Result<Value, FederationError> {
    let name = name.to_string();
    let user = data.read(move |conn| find_user(conn, &name)).await?;
    let urls = &data.urls;
    let n = user.name.as_str();
    let id = urls.user(n);
    let display = if user.display_name.is_empty() {
        n.to_string()
    } else {
        user.display_name.clone()
    };
    Ok(json!({
        "@context": actor_context(),
        "id": id,
        "type": "Person",
        "preferredUsername": n,
        "name": display,
        "summary": "",
        "url": id,
        "inbox": urls.user_inbox(n),
        "outbox": urls.user_outbox(n),
        "followers": urls.user_followers(n),
        "following": urls.user_following(n),
        "endpoints": { "sharedInbox": urls.shared_inbox() },
        "publicKey": {
            "id": format!("{id}#main-key"),
            "owner": id,
            "publicKeyPem": user.public_key_pem,
        },
        "manuallyApprovesFollowers": false,
        "discoverable": true,
        "published": timestamp(user.created_at),
        "attachment": [],
    }))
}

/// The tag feed `actor_name` of user `name`, made (with its key pair) on first request when
/// the user has public bookmarks with that tag.
pub async fn tag_feed(
    data: &Data,
    name: &str,
    actor_name: &str,
) -> Result<(User, TagFeed), FederationError> {
    let (name, actor_name) = (name.to_string(), actor_name.to_string());
    let lookup_name = actor_name.clone();
    let (user, feed, tag) = data
        .read(move |conn| {
            let user = find_user(conn, &name)?;
            if let Some(feed) = find_tag_feed(conn, user.id, &lookup_name)? {
                return Ok((user, Some(feed), None));
            }
            let tags = tag_counts(
                conn,
                &BookmarkFilter::new(Scope::User { owner: user.id }, None),
                100_000,
            )?;
            let tag = tags
                .into_iter()
                .map(|t| t.name)
                .find(|t| actor_name_for(t) == lookup_name);
            Ok((user, None, tag))
        })
        .await?;
    if let Some(feed) = feed {
        return Ok((user, feed));
    }
    let tag = tag
        .and_then(|t| TagName::parse(&t).ok())
        .ok_or(StoreError::NotFound("tag feed"))?;
    let keys = tokio::task::spawn_blocking(ActorKeys::generate)
        .await
        .map_err(|e| FederationError::Fetch(format!("key generation failed: {e}")))?
        .map_err(|e| FederationError::Fetch(e.to_string()))?;
    let owner = user.id;
    let feed = data
        .write(move |conn| ensure_tag_feed(conn, owner, &tag, || Ok(keys.clone())))
        .await?;
    Ok((user, feed))
}

pub fn tag_feed_json(context: &FederationContext, user: &User, feed: &TagFeed) -> Value {
    let urls = &context.urls;
    let n = user.name.as_str();
    let id = urls.tag_feed(n, &feed.actor_name);
    json!({
        "@context": actor_context(),
        "id": id,
        "type": "Service",
        "preferredUsername": format!("{n}.{}", feed.actor_name),
        "name": format!("{n} · #{}", feed.tag),
        "summary": format!("<p>Bookmarks {n} tags #{} on {}</p>", escape(&feed.tag), urls.host()),
        "url": urls.tag_page(n, &feed.tag),
        "inbox": urls.tag_feed_inbox(n, &feed.actor_name),
        "outbox": urls.tag_feed_outbox(n, &feed.actor_name),
        "followers": urls.tag_feed_followers(n, &feed.actor_name),
        "endpoints": { "sharedInbox": urls.shared_inbox() },
        "publicKey": {
            "id": format!("{id}#main-key"),
            "owner": id,
            "publicKeyPem": feed.public_key_pem,
        },
        "manuallyApprovesFollowers": false,
        "discoverable": true,
        "attachment": [],
    })
}

pub fn instance_json(context: &FederationContext) -> Value {
    let urls = &context.urls;
    let id = urls.instance_actor();
    json!({
        "@context": actor_context(),
        "id": id,
        "type": "Application",
        "preferredUsername": "instance",
        "name": urls.host(),
        "url": urls.base(),
        "inbox": urls.shared_inbox(),
        "endpoints": { "sharedInbox": urls.shared_inbox() },
        "publicKey": {
            "id": format!("{id}#main-key"),
            "owner": id,
            "publicKeyPem": context.instance_keys.public_pem,
        },
        "manuallyApprovesFollowers": true,
        "attachment": [],
    })
}

pub fn note_source(bookmark: &Bookmark) -> NoteSource {
    NoteSource {
        public_id: bookmark.public_id.clone(),
        author: bookmark.owner_name.to_string(),
        url: bookmark.url.to_string(),
        title: bookmark.title.as_str().to_string(),
        notes: bookmark.notes.as_str().to_string(),
        tags: bookmark.tags.iter().map(str::to_owned).collect(),
        visibility: bookmark.visibility.to_string(),
        published: bookmark.created_at,
        updated: (bookmark.updated_at > bookmark.created_at).then_some(bookmark.updated_at),
    }
}

/// A bookmark's Note: for anyone when it is public or unlisted, for `organisation` readers (a
/// signed fetch from an allowlisted instance) when it is "my organisation", never when private.
pub async fn note(
    data: &Data,
    public_id: &str,
    organisation: bool,
) -> Result<Value, FederationError> {
    let public_id = public_id.to_string();
    let bookmark = data
        .read(move |conn| get_bookmark(conn, &public_id))
        .await?
        .filter(|b| b.visibility.is_open() || (organisation && b.visibility == Visibility::Org))
        .ok_or(StoreError::NotFound("bookmark"))?;
    let mut note = note_json(&data.urls, &note_source(&bookmark));
    if let Value::Object(map) = &mut note {
        map.insert("@context".into(), context());
    }
    Ok(note)
}

fn collection(id: String, items: Vec<Value>, total: i64) -> Value {
    json!({
        "@context": ACTIVITY_CONTEXT,
        "id": id,
        "type": "OrderedCollection",
        "totalItems": total,
        "orderedItems": items,
    })
}

/// Followers of a user (`actor_name` None) or of one of their tag feeds.
pub async fn followers(
    data: &Data,
    name: &str,
    actor_name: Option<&str>,
) -> Result<Value, FederationError> {
    let (user, tag, id) = match actor_name {
        None => {
            let lookup = name.to_string();
            let user = data.read(move |conn| find_user(conn, &lookup)).await?;
            let id = data.urls.user_followers(name).to_string();
            (user, PERSON_FEED.to_string(), id)
        }
        Some(actor_name) => {
            let (user, feed) = tag_feed(data, name, actor_name).await?;
            let id = data.urls.tag_feed_followers(name, actor_name).to_string();
            (user, feed.tag, id)
        }
    };
    let owner = user.id;
    let (newest, total) = data
        .read(move |conn| {
            Ok((
                list_followers(conn, owner, Some(&tag), Slice::newest(COLLECTION_ITEMS))?,
                count_followers(conn, owner, Some(&tag))?,
            ))
        })
        .await?;
    let items = newest
        .items
        .into_iter()
        .map(|f| Value::String(f.actor.ap_id))
        .collect();
    Ok(collection(id, items, total))
}

pub async fn following(data: &Data, name: &str) -> Result<Value, FederationError> {
    let lookup = name.to_string();
    let (newest, total) = data
        .read(move |conn| {
            let user = find_user(conn, &lookup)?;
            let accepted = Some(FollowState::Accepted);
            Ok((
                list_follows(conn, user.id, accepted, Slice::newest(COLLECTION_ITEMS))?,
                count_follows(conn, user.id, accepted)?,
            ))
        })
        .await?;
    let items = newest
        .items
        .into_iter()
        .map(|f| Value::String(f.target.ap_id))
        .collect();
    Ok(collection(
        data.urls.user_following(name).to_string(),
        items,
        total,
    ))
}

/// A user's outbox: their recent public bookmarks as `Create` activities.
pub async fn outbox(data: &Data, name: &str) -> Result<Value, FederationError> {
    let lookup = name.to_string();
    let (page, total) = data
        .read(move |conn| {
            let user = find_user(conn, &lookup)?;
            // What a visitor sees of the user (public and unlisted); the outbox lists the
            // public ones and counts all of them, as Mastodon counts posts.
            let mut filter = BookmarkFilter::new(Scope::User { owner: user.id }, None);
            let total = count_bookmarks(conn, &filter)?;
            filter.limit = OUTBOX_ITEMS;
            Ok((list_bookmarks(conn, &filter)?, total))
        })
        .await?;
    let items: Vec<Value> = page
        .items
        .iter()
        .filter(|b| b.visibility.to_string() == "public")
        .map(|b| {
            let note = note_json(&data.urls, &note_source(b));
            json!({
                "id": format!("{}#create", data.urls.note(&b.public_id)),
                "type": "Create",
                "actor": data.urls.user(name),
                "published": timestamp(b.created_at),
                "to": note["to"].clone(),
                "cc": note["cc"].clone(),
                "object": note,
            })
        })
        .collect();
    Ok(collection(
        data.urls.user_outbox(name).to_string(),
        items,
        total,
    ))
}
