//! `SafeClient`: the HTTP client for every request Commonplace makes to other servers. It
//! refuses addresses the [`AddressPolicy`] forbids when it connects (the resolver filters the
//! addresses it hands to the connector, so DNS rebinding gets nowhere), re-checks every redirect,
//! caps time and size, and always sends a User-Agent.

use crate::{AddressPolicy, FederationMode};
use futures_util::future::FutureExt;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use url::{Host, Url};

const MAX_REDIRECTS: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("only http and https addresses can be fetched, not `{0}`")]
    Scheme(String),
    #[error(
        "{0} is a private, local or reserved address, which this server does not fetch in {1} mode"
    )]
    ForbiddenAddress(String, FederationMode),
    #[error("the server answered {0}")]
    Status(reqwest::StatusCode),
    #[error("the page is `{0}`, not an HTML page")]
    NotHtml(String),
    #[error("could not fetch the page: {0}")]
    Request(String),
    #[error("{0}")]
    Setup(String),
}

impl From<reqwest::Error> for FetchError {
    fn from(e: reqwest::Error) -> Self {
        // The resolver's and redirect policy's own refusals arrive wrapped; show the innermost
        // cause, which says what was refused.
        let mut source: &dyn std::error::Error = &e;
        while let Some(inner) = source.source() {
            source = inner;
        }
        if e.is_timeout() {
            Self::Request("the server did not answer in time".into())
        } else {
            Self::Request(source.to_string())
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct FetchLimits {
    pub max_bytes: usize,
    pub timeout: Duration,
}

impl FetchLimits {
    /// What page-title fetching allows: 1 MiB, 10 seconds.
    pub const PAGE: FetchLimits = FetchLimits {
        max_bytes: 1024 * 1024,
        timeout: Duration::from_secs(10),
    };
}

#[derive(Debug, Clone)]
pub struct FetchedDocument {
    /// Where the content came from, after redirects.
    pub final_url: Url,
    pub content_type: String,
    /// At most `max_bytes`; a longer document is cut there.
    pub body: Vec<u8>,
}

/// How this instance may reach other servers: the security switch plus the allowances an
/// intranet office needs (private addresses, a lab's loopback, an internal certificate
/// authority), each a setting of its own.
#[derive(Debug, Clone, Default)]
pub struct NetworkSettings {
    pub mode: FederationMode,
    /// Allow RFC 1918 and unique-local addresses (not link-local: cloud metadata stays refused).
    pub allow_private_addresses: bool,
    /// Allow 127.0.0.0/8 and ::1 (a lab of instances on one machine).
    pub allow_loopback_addresses: bool,
    /// PEM files of certificate authorities to trust besides the system's.
    pub extra_ca_certificates: Vec<std::path::PathBuf>,
}

impl NetworkSettings {
    pub fn address_policy(&self) -> AddressPolicy {
        let base = AddressPolicy::for_mode(self.mode);
        AddressPolicy {
            allow_private: base.allow_private || self.allow_private_addresses,
            allow_loopback: base.allow_loopback || self.allow_loopback_addresses,
            allow_link_local: base.allow_link_local,
        }
    }
}

#[derive(Clone)]
pub struct SafeClient {
    client: reqwest::Client,
    mode: FederationMode,
    policy: AddressPolicy,
}

impl SafeClient {
    pub fn new(settings: &NetworkSettings, user_agent: &str) -> Result<Self, FetchError> {
        let (mode, policy) = (settings.mode, settings.address_policy());
        let mut builder = reqwest::Client::builder();
        for path in &settings.extra_ca_certificates {
            let pem = std::fs::read(path).map_err(|e| {
                FetchError::Setup(format!(
                    "cannot read the CA certificate {} (federation.extra_ca_certificates): {e}",
                    path.display()
                ))
            })?;
            let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                FetchError::Setup(format!(
                    "{} is not a PEM certificate (federation.extra_ca_certificates): {e}",
                    path.display()
                ))
            })?;
            if certificates.is_empty() {
                return Err(FetchError::Setup(format!(
                    "{} holds no certificate (federation.extra_ca_certificates); give PEM files with -----BEGIN CERTIFICATE-----",
                    path.display()
                )));
            }
            for certificate in certificates {
                builder = builder.add_root_certificate(certificate);
            }
        }
        let client = builder
            .user_agent(user_agent)
            .dns_resolver(PolicyResolver { policy, mode })
            .redirect(redirect_policy(policy, mode))
            .no_proxy()
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| FetchError::Request(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            client,
            mode,
            policy,
        })
    }

    pub fn mode(&self) -> FederationMode {
        self.mode
    }

    /// The underlying client (same resolver, redirect rules, CA certificates and User-Agent),
    /// for the ActivityPub library's signed requests.
    pub fn reqwest_client(&self) -> reqwest::Client {
        self.client.clone()
    }

    /// Refuses a URL whose scheme is not http(s) or whose literal address the policy forbids
    /// (names are checked when they are resolved, at connect time).
    pub fn check_address(&self, url: &Url) -> Result<(), FetchError> {
        check_url(url, self.policy, self.mode)
    }

    /// GETs an HTML document, reading at most `limits.max_bytes` of it.
    pub async fn get_html(
        &self,
        url: &Url,
        limits: FetchLimits,
    ) -> Result<FetchedDocument, FetchError> {
        check_url(url, self.policy, self.mode)?;
        let fetch = async {
            let mut response = self
                .client
                .get(url.clone())
                .header(ACCEPT, "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1")
                .send()
                .await?;
            if !response.status().is_success() {
                return Err(FetchError::Status(response.status()));
            }
            let content_type = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            let essence = content_type
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if essence != "text/html" && essence != "application/xhtml+xml" {
                return Err(FetchError::NotHtml(if essence.is_empty() {
                    "without a content type".into()
                } else {
                    essence
                }));
            }
            let final_url = response.url().clone();
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await? {
                let room = limits.max_bytes - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if body.len() >= limits.max_bytes {
                    break;
                }
            }
            Ok(FetchedDocument {
                final_url,
                content_type,
                body,
            })
        };
        tokio::time::timeout(limits.timeout, fetch)
            .await
            .map_err(|_| FetchError::Request("the server did not answer in time".into()))?
    }
}

/// Refuses non-http(s) URLs and IP literals the policy forbids (names are checked when
/// they are resolved).
fn check_url(url: &Url, policy: AddressPolicy, mode: FederationMode) -> Result<(), FetchError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(FetchError::Scheme(url.scheme().to_owned()));
    }
    let ip = match url.host() {
        Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
        Some(Host::Domain(_)) => return Ok(()),
        None => return Err(FetchError::Request("the address has no host".into())),
    };
    if policy.allows(ip) {
        Ok(())
    } else {
        Err(FetchError::ForbiddenAddress(ip.to_string(), mode))
    }
}

fn redirect_policy(policy: AddressPolicy, mode: FederationMode) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
        }
        match check_url(attempt.url(), policy, mode) {
            Ok(()) => attempt.follow(),
            Err(e) => attempt.error(e.to_string()),
        }
    })
}

struct PolicyResolver {
    policy: AddressPolicy,
    mode: FederationMode,
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let (policy, mode) = (self.policy, self.mode);
        let host = name.as_str().to_owned();
        async move {
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = resolved
                .iter()
                .copied()
                .filter(|a| policy.allows(a.ip()))
                .collect();
            if allowed.is_empty() {
                let shown = resolved
                    .first()
                    .map_or_else(|| host.clone(), |a| format!("{host} ({})", a.ip()));
                return Err(Box::new(FetchError::ForbiddenAddress(shown, mode))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        }
        .boxed()
    }
}
