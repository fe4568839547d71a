//! Commonplace's side of the network: the one security switch (`FederationMode`), the address
//! policy it implies, and the SSRF-safe HTTP client every outgoing request goes through (page
//! titles today; ActivityPub fetches and deliveries as federation lands). Nothing here knows
//! about HTML or actix.

mod address_policy;
mod http_client;
mod mode;

pub use address_policy::AddressPolicy;
pub use http_client::{FetchError, FetchLimits, FetchedDocument, NetworkSettings, SafeClient};
pub use mode::FederationMode;
