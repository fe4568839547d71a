//! Following from here: a handle (`alice@office-a.example`, `@alice.rust@host`,
//! `acct:alice@host`) or a pasted profile URL becomes a remote actor (WebFinger, then a signed
//! fetch of the actor), a stored pending follow and a queued `Follow`, in one transaction.

use super::actors::ApActor;
use super::error::FederationError;
use super::outgoing::{enqueue_follow, enqueue_unfollow};
use crate::context::Data;
use crate::mode::FederationMode;
use activitypub_federation::fetch::object_id::ObjectId;
use bookmarks::store::federation::{
    create_follow, delete_follow, find_follow_by_public_id, Follow,
};
use bookmarks::store::User;
use serde::Deserialize;
use std::time::Duration;
use url::Url;

const WEBFINGER_MAX_BYTES: usize = 64 * 1024;

/// What someone typed to name an actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActorAddress {
    Handle { name: String, host: String },
    Url(Url),
}

impl ActorAddress {
    pub fn parse(input: &str) -> Result<Self, FederationError> {
        let input = input.trim();
        if input.starts_with("https://") || input.starts_with("http://") {
            return Url::parse(input).map(Self::Url).map_err(|e| {
                FederationError::refused(format!("`{input}` is not a valid profile address: {e}"))
            });
        }
        let handle = input
            .strip_prefix("acct:")
            .unwrap_or(input)
            .trim_start_matches('@');
        let invalid = || {
            FederationError::refused(format!(
                "`{input}` is not a handle; write it as name@host (for example alice@office-a.example, or alice.rust@office-a.example for one of her tags), or paste a profile URL"
            ))
        };
        let (name, host) = handle.rsplit_once('@').ok_or_else(invalid)?;
        let name_ok = !name.is_empty()
            && name.len() <= 100
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        let host_ok = !host.is_empty()
            && host.len() <= 253
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':'));
        if !name_ok || !host_ok {
            return Err(invalid());
        }
        Ok(Self::Handle {
            name: name.to_string(),
            host: host.to_ascii_lowercase(),
        })
    }
}

#[derive(Deserialize)]
struct WebfingerDocument {
    #[serde(default)]
    links: Vec<WebfingerLink>,
}

#[derive(Deserialize)]
struct WebfingerLink {
    rel: String,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    href: Option<String>,
}

/// WebFinger over https, or over http only in `local-test` for an instance whose own public URL
/// is http (a laptop demo, the tests).
async fn webfinger(data: &Data, name: &str, host: &str) -> Result<Url, FederationError> {
    let scheme = if data.mode() == FederationMode::LocalTest && !data.urls.is_https() {
        "http"
    } else {
        "https"
    };
    let mut url = Url::parse(&format!("{scheme}://{host}/.well-known/webfinger"))?;
    url.query_pairs_mut()
        .append_pair("resource", &format!("acct:{name}@{host}"));
    data.http
        .check_address(&url)
        .map_err(|e| FederationError::Fetch(e.to_string()))?;
    let unreachable = |e: &dyn std::fmt::Display| {
        FederationError::Fetch(format!("could not look up {name}@{host}: {e}"))
    };
    let mut response = data
        .http
        .reqwest_client()
        .get(url)
        .header("Accept", "application/jrd+json, application/json")
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| unreachable(&e))?;
    if response.status() == reqwest::StatusCode::NOT_FOUND {
        return Err(FederationError::NotFound(format!(
            "{host} knows no {name}; check the spelling of the handle"
        )));
    }
    if !response.status().is_success() {
        return Err(unreachable(&format!("it answered {}", response.status())));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| unreachable(&e))? {
        body.extend_from_slice(&chunk);
        if body.len() > WEBFINGER_MAX_BYTES {
            return Err(unreachable(&"the answer is too large"));
        }
    }
    let document: WebfingerDocument = serde_json::from_slice(&body).map_err(|e| unreachable(&e))?;
    document
        .links
        .into_iter()
        .find(|l| {
            l.rel == "self"
                && l.kind.as_deref().is_some_and(|k| {
                    k.starts_with("application/activity+json")
                        || k.starts_with("application/ld+json")
                })
        })
        .and_then(|l| l.href)
        .and_then(|href| Url::parse(&href).ok())
        .ok_or_else(|| {
            FederationError::NotFound(format!("{name}@{host} has no ActivityPub actor to follow"))
        })
}

/// The remote actor a handle or profile URL names, fetched (or refreshed) and stored.
pub async fn resolve_actor(data: &Data, input: &str) -> Result<ApActor, FederationError> {
    let id = match ActorAddress::parse(input)? {
        ActorAddress::Url(url) => url,
        ActorAddress::Handle { name, host } => {
            if host == data.urls.authority() {
                return Err(FederationError::refused(format!(
                    "{name}@{host} is on this instance: their page is /u/{}",
                    name.split('.').next().unwrap_or(&name)
                )));
            }
            webfinger(data, &name, &host).await?
        }
    };
    if data.urls.local_actor(id.as_str()).is_some() {
        return Err(FederationError::refused(
            "that is an account on this instance: open its page here",
        ));
    }
    ObjectId::<ApActor>::from(id).dereference(data).await
}

/// The local user (and tag feed actor name) an address names, when it is on this instance.
fn local_target(
    data: &Data,
    input: &str,
) -> Result<Option<(String, Option<String>)>, FederationError> {
    Ok(match ActorAddress::parse(input)? {
        ActorAddress::Handle { name, host } if host == data.urls.authority() => {
            Some(match name.split_once('.') {
                Some((user, feed)) => (user.to_string(), Some(feed.to_string())),
                None => (name, None),
            })
        }
        ActorAddress::Url(url) => data.urls.local_actor(url.as_str()),
        ActorAddress::Handle { .. } => None,
    })
}

/// Follows `input` for `user`: the follow is pending until the other side accepts (at once for
/// someone on this instance).
pub async fn follow(data: &Data, user: &User, input: &str) -> Result<Follow, FederationError> {
    if let Some((name, feed)) = local_target(data, input)? {
        return super::local::follow_local(data, user, &name, feed.as_deref()).await;
    }
    let target = resolve_actor(data, input).await?;
    let context = (**data).clone();
    let user = user.clone();
    let public_id = uuid::Uuid::now_v7().simple().to_string();
    let follow = data
        .write(move |conn| {
            let (follow, new) = create_follow(conn, user.id, &target.stored, &public_id)?;
            if new {
                enqueue_follow(conn, &context, &user, &follow)?;
            }
            Ok(follow)
        })
        .await?;
    data.wake.notify_one();
    Ok(follow)
}

/// Ends `user`'s follow `public_id` and tells the other side; false when there is no such
/// follow of theirs.
pub async fn unfollow(data: &Data, user: &User, public_id: &str) -> Result<bool, FederationError> {
    let context = (**data).clone();
    let user = user.clone();
    let public_id = public_id.to_string();
    let removed = data
        .write(move |conn| {
            let Some(follow) =
                find_follow_by_public_id(conn, &public_id)?.filter(|f| f.user_id == user.id)
            else {
                return Ok(false);
            };
            if super::local::unfollow_local(conn, &context, &user, &follow)? {
                return Ok(true);
            }
            enqueue_unfollow(conn, &context, &user, &follow)?;
            delete_follow(conn, follow.id)
        })
        .await?;
    data.wake.notify_one();
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::ActorAddress;

    #[test]
    fn handles_in_every_usual_spelling() {
        let alice = ActorAddress::Handle {
            name: "alice".into(),
            host: "office-a.example".into(),
        };
        assert_eq!(
            ActorAddress::parse("alice@office-a.example").unwrap(),
            alice
        );
        assert_eq!(
            ActorAddress::parse(" @alice@Office-A.example ").unwrap(),
            alice
        );
        assert_eq!(
            ActorAddress::parse("acct:alice@office-a.example").unwrap(),
            alice
        );
        assert_eq!(
            ActorAddress::parse("alice.rust@localhost:8081").unwrap(),
            ActorAddress::Handle {
                name: "alice.rust".into(),
                host: "localhost:8081".into()
            }
        );
        assert!(matches!(
            ActorAddress::parse("https://office-a.example/u/alice").unwrap(),
            ActorAddress::Url(_)
        ));
        for bad in ["alice", "@office", "alice@", "al ice@h", "a@h/x", "a@h?x"] {
            let e = ActorAddress::parse(bad).unwrap_err().to_string();
            assert!(
                e.contains("name@host") || e.contains("not a handle"),
                "{bad}: {e}"
            );
        }
    }
}
