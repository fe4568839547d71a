//! The check the ActivityPub library runs on every URL it is about to trust or fetch: the
//! instance must not be blocked (and must be allowlisted when there is an allowlist), and only
//! `local-test` may use plain http.

use crate::context::FederationContext;
use crate::mode::FederationMode;
use activitypub_federation::config::UrlVerifier;
use activitypub_federation::error::Error;
use async_trait::async_trait;
use url::Url;

#[derive(Clone)]
pub struct PolicyVerifier {
    context: FederationContext,
}

impl PolicyVerifier {
    pub fn new(context: FederationContext) -> Self {
        Self { context }
    }
}

/// `host[:port]` of a URL, the form instances are named by in settings and queues.
pub fn authority(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        (None, _) => String::new(),
    }
}

#[async_trait]
impl UrlVerifier for PolicyVerifier {
    async fn verify(&self, url: &Url) -> Result<(), Error> {
        if url.scheme() != "https" && self.context.mode() != FederationMode::LocalTest {
            return Err(Error::UrlVerificationError(
                "only https is allowed outside federation.mode = \"local-test\"",
            ));
        }
        if !self.context.instance_allowed(&authority(url)) {
            return Err(Error::UrlVerificationError(
                "this instance is blocked or not on federation.allowlist",
            ));
        }
        self.context
            .http
            .check_address(url)
            .map_err(|_| Error::UrlVerificationError("this address is not allowed"))
    }
}
