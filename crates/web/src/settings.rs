//! The server's configuration as a value. Loading (default file, `--config` file, environment)
//! lives in the binary; this is the shape, with unknown keys refused so a typo fails at start.

use federation::FederationMode;
use serde::Deserialize;
use url::Url;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Scheme, host and port people and other servers use to reach this instance.
    pub public_url: Url,
    /// Address and port to listen on.
    pub bind: String,
    /// A SQLite path (or `sqlite://PATH`), or a `postgres://` URL.
    pub database_url: String,
    /// Who may create an account.
    pub registration: RegistrationMode,
    /// Shown in page titles and the header.
    pub instance_name: String,
    /// How long a login lasts.
    pub session_days: u32,
    /// Login attempts allowed per client address and per user name in one minute.
    pub login_attempts_per_minute: u32,
    /// The largest file Settings → Import accepts, in bytes.
    pub import_max_bytes: u64,
    /// Reverse proxies whose `X-Forwarded-For` names the client (for the login rate limit).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub federation: FederationSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FederationSettings {
    pub mode: FederationMode,
    /// Reach servers on private (RFC 1918, unique-local) addresses: an intranet office.
    pub allow_private_addresses: bool,
    /// Reach servers on loopback addresses: a lab of instances on one machine.
    pub allow_loopback_addresses: bool,
    /// PEM files of certificate authorities to trust besides the system's (an internal CA).
    pub extra_ca_certificates: Vec<String>,
    /// When not empty, only these instances (`host` or `host:port`) may federate with this one.
    #[serde(default)]
    pub allowlist: Vec<String>,
    /// Instances that may never federate with this one.
    #[serde(default)]
    pub blocklist: Vec<String>,
    /// Whether this process runs the delivery worker (one of several processes on one
    /// PostgreSQL database may leave it to the others; tests drain the queue themselves).
    #[serde(default = "deliver_by_default")]
    pub deliver: bool,
}

fn deliver_by_default() -> bool {
    true
}

impl FederationSettings {
    /// What the outgoing HTTP client needs of these settings.
    pub fn network(&self) -> federation::NetworkSettings {
        federation::NetworkSettings {
            mode: self.mode,
            allow_private_addresses: self.allow_private_addresses,
            allow_loopback_addresses: self.allow_loopback_addresses,
            extra_ca_certificates: self.extra_ca_certificates.iter().map(Into::into).collect(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationMode {
    /// Anyone can sign up.
    Open,
    /// Only with an invite link made by an administrator.
    Invite,
    /// Only administrators add accounts (`commonplace user add`).
    Closed,
}

impl Settings {
    /// An instance on `localhost:PORT` for tests and benchmarks: open registration, local-test
    /// federation (plain HTTP to localhost), and no background delivery, so that whoever runs
    /// it sends queued activities itself and sees exactly what was sent.
    pub fn local_test(port: u16, database_url: &str) -> Self {
        Self {
            public_url: Url::parse(&format!("http://localhost:{port}"))
                .unwrap_or_else(|_| unreachable!("a localhost URL with a port always parses")),
            bind: format!("127.0.0.1:{port}"),
            database_url: database_url.to_owned(),
            registration: RegistrationMode::Open,
            instance_name: "Test office".into(),
            session_days: 1,
            login_attempts_per_minute: 5,
            import_max_bytes: 5 * 1024 * 1024,
            trusted_proxies: Vec::new(),
            federation: FederationSettings {
                mode: FederationMode::LocalTest,
                allow_private_addresses: false,
                allow_loopback_addresses: false,
                extra_ca_certificates: Vec::new(),
                allowlist: Vec::new(),
                blocklist: Vec::new(),
                deliver: false,
            },
        }
    }

    /// Checks what serde cannot: a usable public URL and session length.
    pub fn validate(&self) -> Result<(), String> {
        if !matches!(self.public_url.scheme(), "http" | "https")
            || self.public_url.host_str().is_none()
        {
            return Err(format!(
                "public_url `{}` must be an http or https address with a host, e.g. https://bookmarks.example.org",
                self.public_url
            ));
        }
        if self.public_url.path() != "/" || self.public_url.query().is_some() {
            return Err(format!(
                "public_url `{}` must not have a path or query; Commonplace is served at the root of its host",
                self.public_url
            ));
        }
        if self.session_days == 0 {
            return Err("session_days must be at least 1".into());
        }
        if self.login_attempts_per_minute == 0 {
            return Err("login_attempts_per_minute must be at least 1".into());
        }
        Ok(())
    }

    /// The public URL without a trailing slash, for building links: `http://localhost:8080`.
    pub fn base_url(&self) -> String {
        self.public_url.as_str().trim_end_matches('/').to_owned()
    }

    /// Cookies get the `Secure` flag when the instance is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }
}
