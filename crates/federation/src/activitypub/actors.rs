//! Actors. Local ones (users, tag feeds, the instance) are served as JSON documents and sign what
//! we send ([`LocalSigner`]); remote ones are fetched, checked, reduced to text and stored
//! ([`ApActor`], the library's `Object` for them).

use super::error::FederationError;
use super::sanitize::{html_to_text, single_line};
use super::verifier::authority;
use crate::context::{Data, FederationContext};
use activitypub_federation::protocol::verification::verify_domains_match;
use activitypub_federation::traits::{Actor, Object};
use async_trait::async_trait;
use bookmarks::store::federation::{find_remote_actor, upsert_remote_actor, RemoteActor};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

pub const ACTIVITY_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";
pub const SECURITY_CONTEXT: &str = "https://w3id.org/security/v1";
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// Whether an addressing value names the public collection, in any of its spellings.
pub fn is_public(value: &str) -> bool {
    matches!(value, PUBLIC | "as:Public" | "Public")
}

/// An actor of ours that signs: its id and key pair.
#[derive(Debug, Clone)]
pub struct LocalSigner {
    id: Url,
    inbox: Url,
    public_key_pem: String,
    private_key_pem: String,
}

impl LocalSigner {
    pub fn new(id: Url, inbox: Url, public_key_pem: String, private_key_pem: String) -> Self {
        Self {
            id,
            inbox,
            public_key_pem,
            private_key_pem,
        }
    }

    pub fn instance(context: &FederationContext) -> Self {
        Self::new(
            context.urls.instance_actor(),
            context.urls.shared_inbox(),
            context.instance_keys.public_pem.clone(),
            context.instance_keys.private_pem.clone(),
        )
    }
}

#[async_trait]
impl Object for LocalSigner {
    type DataType = FederationContext;
    type Kind = Value;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.id
    }

    // Local signers are built from our own tables, never looked up or read through the library.
    async fn read_from_id(_: Url, _: &Data) -> Result<Option<Self>, FederationError> {
        Ok(None)
    }

    async fn into_json(self, _: &Data) -> Result<Value, FederationError> {
        Err(FederationError::refused(
            "local actors are served by their documents, not through a signer",
        ))
    }

    async fn verify(_: &Value, _: &Url, _: &Data) -> Result<(), FederationError> {
        Err(FederationError::refused(
            "local actors are not read from remote JSON",
        ))
    }

    async fn from_json(_: Value, _: &Data) -> Result<Self, FederationError> {
        Err(FederationError::refused(
            "local actors are not read from remote JSON",
        ))
    }
}

impl Actor for LocalSigner {
    fn public_key_pem(&self) -> &str {
        &self.public_key_pem
    }

    fn private_key_pem(&self) -> Option<String> {
        Some(self.private_key_pem.clone())
    }

    fn inbox(&self) -> Url {
        self.inbox.clone()
    }
}

/// An actor as other servers publish it. Every field but `id`, `inbox` and the key is optional,
/// and every property may come as one value or a list.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorDocument {
    pub id: Url,
    #[serde(rename = "type", default)]
    pub kind: Value,
    #[serde(default)]
    pub preferred_username: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    pub inbox: Url,
    #[serde(default)]
    pub endpoints: Option<Endpoints>,
    pub public_key: PublicKeyDocument,
    #[serde(default)]
    pub url: Option<Value>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoints {
    #[serde(default)]
    pub shared_inbox: Option<Url>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKeyDocument {
    pub id: String,
    pub owner: Url,
    pub public_key_pem: String,
}

/// A remote actor we know (stored), as the library sees it.
#[derive(Debug, Clone)]
pub struct ApActor {
    pub stored: RemoteActor,
    id: Url,
    inbox: Url,
}

impl ApActor {
    fn new(stored: RemoteActor) -> Result<Self, FederationError> {
        let id = Url::parse(&stored.ap_id)?;
        let inbox = Url::parse(&stored.inbox)?;
        Ok(Self { stored, id, inbox })
    }
}

/// The first string in a value that may be a string, an object with `href`/`id`, or a list.
pub fn first_link(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Object(map) => map
            .get("href")
            .or_else(|| map.get("id"))
            .and_then(Value::as_str)
            .map(str::to_string),
        Value::Array(items) => items.iter().find_map(first_link),
        _ => None,
    }
}

/// The first type name in a `type` that may be a string or a list.
pub fn type_name(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .find_map(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        _ => String::new(),
    }
}

#[async_trait]
impl Object for ApActor {
    type DataType = FederationContext;
    type Kind = ActorDocument;
    type Error = FederationError;

    fn id(&self) -> &Url {
        &self.id
    }

    fn last_refreshed_at(&self) -> Option<DateTime<Utc>> {
        Some(self.stored.fetched_at.and_utc())
    }

    async fn read_from_id(object_id: Url, data: &Data) -> Result<Option<Self>, FederationError> {
        let ap_id = object_id.to_string();
        let stored = data
            .read(move |conn| find_remote_actor(conn, &ap_id))
            .await?;
        stored.map(Self::new).transpose()
    }

    async fn into_json(self, _: &Data) -> Result<ActorDocument, FederationError> {
        Err(FederationError::refused(
            "remote actors are not served from here",
        ))
    }

    async fn verify(
        json: &ActorDocument,
        expected_domain: &Url,
        _: &Data,
    ) -> Result<(), FederationError> {
        verify_domains_match(&json.id, expected_domain)?;
        verify_domains_match(&json.id, &json.inbox)?;
        if json.public_key.owner != json.id {
            return Err(FederationError::refused(
                "the actor's publicKey belongs to another actor",
            ));
        }
        Ok(())
    }

    async fn from_json(json: ActorDocument, data: &Data) -> Result<Self, FederationError> {
        let host = authority(&json.id);
        let username = json
            .preferred_username
            .as_deref()
            .map(|n| single_line(n, 100))
            .filter(|n| !n.is_empty() && !n.contains('@'))
            .unwrap_or_else(|| {
                json.id
                    .path_segments()
                    .and_then(|mut s| s.next_back().map(str::to_string))
                    .unwrap_or_default()
            });
        let actor = RemoteActor {
            id: 0,
            ap_id: json.id.to_string(),
            kind: single_line(&type_name(&json.kind), 40),
            handle: format!("{username}@{host}"),
            host,
            name: single_line(json.name.as_deref().unwrap_or(&username), 200),
            summary: html_to_text(json.summary.as_deref().unwrap_or_default(), 2_000),
            profile_url: json
                .url
                .as_ref()
                .and_then(first_link)
                .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
                .unwrap_or_else(|| json.id.to_string()),
            inbox: json.inbox.to_string(),
            shared_inbox: json
                .endpoints
                .and_then(|e| e.shared_inbox)
                .filter(|inbox| verify_domains_match(inbox, &json.id).is_ok())
                .map(|u| u.to_string()),
            public_key_pem: json.public_key.public_key_pem,
            fetched_at: chrono::Utc::now().naive_utc(),
        };
        let stored = data
            .write(move |conn| upsert_remote_actor(conn, &actor))
            .await?;
        Self::new(stored)
    }
}

impl Actor for ApActor {
    fn public_key_pem(&self) -> &str {
        &self.stored.public_key_pem
    }

    fn private_key_pem(&self) -> Option<String> {
        None
    }

    fn inbox(&self) -> Url {
        self.inbox.clone()
    }

    fn shared_inbox(&self) -> Option<Url> {
        self.stored
            .shared_inbox
            .as_deref()
            .and_then(|s| Url::parse(s).ok())
    }
}
