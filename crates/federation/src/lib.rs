//! Commonplace's side of the network: the one security switch (`FederationMode`), the address
//! policy it implies, the SSRF-safe HTTP client every outgoing request goes through, and
//! ActivityPub (actors, inbox, outgoing activities, the persistent delivery queue, following).
//! All use of `activitypub_federation` stays inside this crate.

pub mod activitypub;
mod address_policy;
mod context;
mod http_client;
mod mode;
mod urls;

pub use activitypub::error::FederationError;
pub use address_policy::AddressPolicy;
pub use context::{Data, Federation, FederationContext, FederationSettings, SetupError};
pub use http_client::{FetchError, FetchLimits, FetchedDocument, NetworkSettings, SafeClient};
pub use mode::FederationMode;
pub use urls::Urls;
