//! Following a colleague (or one of their tags) on the same instance. Both sides are stored like
//! any other follow, with the local actors recorded among the known actors (their host is ours),
//! so follows, followers, profiles and the network read them the same way. Nothing goes over
//! HTTP: the follow is accepted at once, and bookmarks reach local followers' networks in the
//! transaction that publishes the bookmark's event.

use super::documents::{local_user, tag_feed};
use super::error::FederationError;
use crate::context::{Data, FederationContext};
use bookmarks::model::{BookmarkSnapshot, DomainEvent};
use bookmarks::store::federation::{
    accept_follow, accepted_follows_of, add_follower, create_follow, delete_follow,
    delete_remote_bookmark, find_remote_actor, find_remote_bookmark, remove_follower,
    remove_network_entries, store_remote_bookmark, upsert_remote_actor, Follow, RemoteActor,
    RemoteBookmark, TagFeed, PERSON_FEED,
};
use bookmarks::store::{DbConnection, StoreError, User};
use chrono::NaiveDateTime;

/// The known-actor row of a local user, or of one of their tag feeds.
fn actor_row(
    conn: &mut DbConnection,
    context: &FederationContext,
    user: &User,
    feed: Option<&TagFeed>,
) -> Result<RemoteActor, StoreError> {
    let urls = &context.urls;
    let name = user.name.as_str();
    let (ap_id, kind, handle, public_key_pem, profile_url) = match feed {
        None => (
            urls.user(name).to_string(),
            "Person",
            format!("{name}@{}", urls.authority()),
            user.public_key_pem.clone(),
            urls.user(name).to_string(),
        ),
        Some(feed) => (
            urls.tag_feed(name, &feed.actor_name).to_string(),
            "Service",
            format!("{name}.{}@{}", feed.actor_name, urls.authority()),
            feed.public_key_pem.clone(),
            urls.tag_page(name, &feed.tag),
        ),
    };
    upsert_remote_actor(
        conn,
        &RemoteActor {
            id: 0,
            ap_id,
            kind: kind.into(),
            handle,
            host: urls.authority().to_string(),
            name: match feed {
                None if !user.display_name.is_empty() => user.display_name.clone(),
                None => name.to_string(),
                Some(feed) => format!("{name} · #{}", feed.tag),
            },
            summary: String::new(),
            profile_url,
            inbox: urls.shared_inbox().to_string(),
            shared_inbox: None,
            public_key_pem,
            fetched_at: chrono::Utc::now().naive_utc(),
        },
    )
}

/// `follower` follows `name` (`feed`: one of their tag feeds) on this instance: accepted at once.
pub async fn follow_local(
    data: &Data,
    follower: &User,
    name: &str,
    feed: Option<&str>,
) -> Result<Follow, FederationError> {
    let lookup = name.to_string();
    let target = data
        .read(move |conn| local_user(conn, &lookup))
        .await?
        .ok_or_else(|| FederationError::NotFound(format!("there is no user `{name}` here")))?;
    if target.id == follower.id {
        return Err(FederationError::refused(
            "that is you; your own bookmarks are on your page already",
        ));
    }
    let feed = match feed {
        Some(actor_name) => Some(tag_feed(data, name, actor_name).await.map_err(|_| {
            FederationError::NotFound(format!(
                "{name} has no public bookmarks tagged `{actor_name}`, so there is no such tag to follow"
            ))
        })?.1),
        None => None,
    };
    let context = (**data).clone();
    let follower = follower.clone();
    let public_id = uuid::Uuid::now_v7().simple().to_string();
    let follow = data
        .write(move |conn| {
            // The author's own row too: bookmarks reach the network attributed to it.
            let person_row = actor_row(conn, &context, &target, None)?;
            let target_row = match &feed {
                None => person_row,
                Some(feed) => actor_row(conn, &context, &target, Some(feed))?,
            };
            let follower_row = actor_row(conn, &context, &follower, None)?;
            let (follow, _) = create_follow(conn, follower.id, &target_row, &public_id)?;
            accept_follow(conn, follow.id)?;
            let tag = feed.as_ref().map_or(PERSON_FEED, |f| f.tag.as_str());
            let activity_id = context.urls.follow_activity(&follow.public_id).to_string();
            add_follower(conn, target.id, tag, &follower_row, &activity_id)?;
            bookmarks::store::federation::find_follow(conn, follower.id, target_row.id)?
                .ok_or(StoreError::NotFound("follow"))
        })
        .await?;
    Ok(follow)
}

/// Ends `follower`'s follow of a local actor: the follower row on the other side goes in the
/// same transaction. False when `follow` is not of a local actor.
pub fn unfollow_local(
    conn: &mut DbConnection,
    context: &FederationContext,
    follower: &User,
    follow: &Follow,
) -> Result<bool, StoreError> {
    let Some((name, feed)) = context.urls.local_actor(&follow.target.ap_id) else {
        return Ok(false);
    };
    delete_follow(conn, follow.id)?;
    let Some(target) = local_user(conn, &name)? else {
        return Ok(true);
    };
    let tag = match feed {
        None => PERSON_FEED.to_string(),
        Some(actor_name) => {
            match bookmarks::store::federation::find_tag_feed(conn, target.id, &actor_name)? {
                Some(feed) => feed.tag,
                None => return Ok(true),
            }
        }
    };
    let url = context.urls.user(follower.name.as_str()).to_string();
    if let Some(follower_row) = find_remote_actor(conn, &url)? {
        remove_follower(conn, target.id, &tag, follower_row.id)?;
    }
    Ok(true)
}

/// Shows a bookmark event to the local followers of its author and of its tags.
pub fn deliver_locally(
    conn: &mut DbConnection,
    context: &FederationContext,
    user: &User,
    event: &DomainEvent,
    published: NaiveDateTime,
    at: NaiveDateTime,
) -> Result<(), StoreError> {
    let note_id = |b: &BookmarkSnapshot| context.urls.note(&b.public_id).to_string();
    let shared = |b: &BookmarkSnapshot| b.visibility != "private";
    match event {
        DomainEvent::BookmarkImported { .. } | DomainEvent::ImportBatch { .. } => Ok(()),
        DomainEvent::BookmarkCreated { bookmark } if shared(bookmark) => {
            show(conn, context, user, bookmark, published, at)
        }
        DomainEvent::BookmarkCreated { .. } => Ok(()),
        DomainEvent::BookmarkDeleted { bookmark } => {
            delete_remote_bookmark(conn, &note_id(bookmark)).map(|_| ())
        }
        DomainEvent::BookmarkUpdated { after, .. } if !shared(after) => {
            delete_remote_bookmark(conn, &note_id(after)).map(|_| ())
        }
        DomainEvent::BookmarkUpdated { before, after } => {
            show(conn, context, user, after, published, at)?;
            let Some((row, _, _)) = find_remote_bookmark(conn, &note_id(after))? else {
                return Ok(());
            };
            for removed in before.tags.iter().filter(|t| !after.tags.contains(t)) {
                for (_, follow_id) in tag_follows(conn, context, user, removed)? {
                    remove_network_entries(conn, follow_id, Some(row))?;
                }
            }
            Ok(())
        }
    }
}

/// `(user, follow)` of the accepted local follows of `user`'s tag feed for `tag`.
fn tag_follows(
    conn: &mut DbConnection,
    context: &FederationContext,
    user: &User,
    tag: &str,
) -> Result<Vec<(i64, i64)>, StoreError> {
    let Some(feed) = bookmarks::store::federation::find_tag_feed_by_tag(conn, user.id, tag)? else {
        return Ok(vec![]);
    };
    let url = context
        .urls
        .tag_feed(user.name.as_str(), &feed.actor_name)
        .to_string();
    match find_remote_actor(conn, &url)? {
        Some(row) => accepted_follows_of(conn, row.id),
        None => Ok(vec![]),
    }
}

fn show(
    conn: &mut DbConnection,
    context: &FederationContext,
    user: &User,
    b: &BookmarkSnapshot,
    published: NaiveDateTime,
    at: NaiveDateTime,
) -> Result<(), StoreError> {
    let person_url = context.urls.user(user.name.as_str()).to_string();
    let Some(author) = find_remote_actor(conn, &person_url)? else {
        // Nobody here ever followed this user or their tags.
        return Ok(());
    };
    let mut viewers = accepted_follows_of(conn, author.id)?;
    for tag in &b.tags {
        viewers.extend(tag_follows(conn, context, user, tag)?);
    }
    let note = context.urls.note(&b.public_id).to_string();
    let known = find_remote_bookmark(conn, &note)?.is_some();
    if viewers.is_empty() && !known {
        return Ok(());
    }
    let bookmark = RemoteBookmark {
        ap_id: note.clone(),
        url: b.url.clone(),
        remote_url: note,
        title: b.title.clone(),
        notes: b.notes.clone(),
        tags: b.tags.clone(),
        visibility: b.visibility.clone(),
        published_at: published,
        updated_at: at,
    };
    store_remote_bookmark(conn, author.id, &bookmark, &viewers).map(|_| ())
}
