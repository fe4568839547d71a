//! What every federation handler needs: the database, this instance's public URL and keys, the
//! federation settings, and the library's configuration built from them.

use crate::activitypub::verifier::PolicyVerifier;
use crate::http_client::{NetworkSettings, SafeClient};
use crate::mode::FederationMode;
use crate::urls::Urls;
use activitypub_federation::config::{FederationConfig, FederationMiddleware};
use bookmarks::model::ActorKeys;
use bookmarks::store::{get_or_create_setting, get_setting, Database, StoreError};
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// Operator settings for federation.
#[derive(Debug, Clone)]
pub struct FederationSettings {
    pub public_url: Url,
    pub network: NetworkSettings,
    /// When not empty, only these instances (`host` or `host:port`) may federate with us.
    pub allowlist: Vec<String>,
    /// Instances that may never federate with us.
    pub blocklist: Vec<String>,
    /// Whether anyone may sign up (for NodeInfo's `openRegistrations`).
    pub open_registrations: bool,
}

/// The application data the ActivityPub library hands to every handler.
#[derive(Clone)]
pub struct FederationContext {
    pub db: Database,
    pub urls: Urls,
    pub settings: Arc<FederationSettings>,
    pub instance_keys: Arc<ActorKeys>,
    pub http: SafeClient,
    /// Wakes the delivery worker when something was queued.
    pub wake: Arc<tokio::sync::Notify>,
}

pub type Data = activitypub_federation::config::Data<FederationContext>;

impl FederationContext {
    pub fn mode(&self) -> FederationMode {
        self.settings.network.mode
    }

    /// Whether the instance at `host` (`name` or `name:port`) may federate with us.
    pub fn instance_allowed(&self, host: &str) -> bool {
        !names(&self.settings.blocklist, host)
            && (self.settings.allowlist.is_empty() || names(&self.settings.allowlist, host))
    }

    /// Whether `host` is on the allowlist itself (an office of the same organisation), which
    /// is what organisation-only bookmarks need; an empty allowlist admits nobody to those.
    pub fn instance_in_organisation(&self, host: &str) -> bool {
        !names(&self.settings.blocklist, host) && names(&self.settings.allowlist, host)
    }

    /// Runs a storage write on the blocking pool.
    pub async fn write<T: Send + 'static>(
        &self,
        f: impl FnMut(&mut bookmarks::store::DbConnection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || db.write(f))
            .await
            .map_err(|e| StoreError::Pool(format!("storage task failed: {e}")))?
    }

    /// Runs a storage read on the blocking pool.
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnMut(&mut bookmarks::store::DbConnection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || db.read(f))
            .await
            .map_err(|e| StoreError::Pool(format!("storage task failed: {e}")))?
    }
}

/// Whether a list of instances names `host` (`name:port`), either exactly or by its name alone.
fn names(list: &[String], host: &str) -> bool {
    let bare = host.rsplit_once(':').map_or(host, |(name, _)| name);
    list.iter()
        .any(|entry| entry.eq_ignore_ascii_case(host) || entry.eq_ignore_ascii_case(bare))
}

/// Federation for one instance: the library's configuration around our context.
#[derive(Clone)]
pub struct Federation {
    config: FederationConfig<FederationContext>,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("federation setup: {0}")]
    Config(String),
}

impl Federation {
    /// Builds the configuration; makes the instance actor's key pair on first start.
    pub async fn new(
        settings: FederationSettings,
        db: Database,
        http: SafeClient,
    ) -> Result<Self, SetupError> {
        let keys = instance_keys(&db)?;
        let urls = Urls::new(&settings.public_url);
        let domain = urls.authority().to_string();
        let local_test = settings.network.mode == FederationMode::LocalTest;
        // The library's own address checks only know "debug" (anything goes) and production
        // (no ports, no private addresses). Our resolver and verifier enforce the finer policy
        // (private addresses for intranets, https unless local-test), so the library is told to
        // leave addresses to us whenever the operator allowed more than the public internet.
        let relaxed = local_test
            || settings.network.allow_private_addresses
            || settings.network.allow_loopback_addresses;
        let context = FederationContext {
            db,
            urls,
            settings: Arc::new(settings),
            instance_keys: Arc::new(keys),
            http: http.clone(),
            wake: Arc::new(tokio::sync::Notify::new()),
        };
        let signer = crate::activitypub::actors::LocalSigner::instance(&context);
        let config = FederationConfig::builder()
            .domain(domain)
            .app_data(context.clone())
            .client(reqwest_middleware::ClientWithMiddleware::from(
                http.reqwest_client(),
            ))
            .debug(relaxed)
            .allow_http_urls(local_test)
            .request_timeout(Duration::from_secs(10))
            .http_fetch_limit(50)
            .url_verifier(Box::new(PolicyVerifier::new(context)))
            .signed_fetch_actor(&signer)
            .build()
            .await
            .map_err(|e| SetupError::Config(e.to_string()))?;
        Ok(Self { config })
    }

    pub fn data(&self) -> Data {
        self.config.to_request_data()
    }

    pub fn context(&self) -> &FederationContext {
        &self.config
    }

    /// The actix middleware that gives handlers their [`Data`].
    pub fn middleware(&self) -> FederationMiddleware<FederationContext> {
        FederationMiddleware::new(self.config.clone())
    }
}

fn instance_keys(db: &Database) -> Result<ActorKeys, StoreError> {
    const NAME: &str = "federation.instance_keys";
    let stored = match db.read(|conn| get_setting(conn, NAME))? {
        Some(stored) => stored,
        None => {
            // First start: make the pair outside the transaction; if two processes race, the
            // first one stored wins and the other's pair is dropped.
            let keys = ActorKeys::generate()?;
            let made = serde_json::to_string(&[keys.public_pem, keys.private_pem])
                .map_err(|e| StoreError::Conflict(format!("could not encode keys: {e}")))?;
            db.write(|conn| get_or_create_setting(conn, NAME, || made.clone()))?
        }
    };
    let [public_pem, private_pem]: [String; 2] = serde_json::from_str(&stored).map_err(|e| {
        StoreError::Conflict(format!(
            "the instance actor's keys in instance_settings ({NAME}) are unreadable ({e})"
        ))
    })?;
    Ok(ActorKeys {
        public_pem,
        private_pem,
    })
}
