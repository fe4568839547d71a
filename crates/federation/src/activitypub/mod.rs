//! ActivityPub: actors, the Note form of a bookmark, the inbox, outgoing activities, the
//! persistent delivery queue, following, and the HTTP endpoints, built on `activitypub_federation`.

pub mod actors;
pub mod delivery;
pub mod documents;
pub mod error;
pub mod follow;
pub mod inbox;
pub mod local;
pub mod note;
pub mod outgoing;
pub mod routes;
pub mod sanitize;
pub mod verifier;
