//! What every handler can reach: the database, the settings, the outgoing HTTP client, the CSRF
//! key, the login rate limiter and the one-time setup code.

use crate::auth::rate_limit::LoginLimiter;
use crate::Settings;
use bookmarks::model::SecretHash;
use bookmarks::Database;
use federation::SafeClient;
use std::sync::Mutex;

pub struct AppState {
    pub db: Database,
    pub settings: Settings,
    pub http: SafeClient,
    /// ActivityPub: following, the network, delivery.
    pub federation: federation::Federation,
    /// Signs CSRF tokens; made once per instance and kept in the database.
    pub csrf_key: Vec<u8>,
    pub login_limiter: LoginLimiter,
    /// Hash of the first-run setup code, while no account exists.
    pub setup_code: Mutex<Option<SecretHash>>,
    /// Imports uploaded in Settings, running or recently finished.
    pub imports: crate::import_jobs::ImportJobs,
    /// Recently verified HTTP Basic logins of the Pinboard API.
    pub pinboard_logins: crate::pinboard::basic_cache::BasicAuthCache,
    /// API tokens found in the database a moment ago.
    pub api_tokens: std::sync::Arc<crate::auth::token_cache::ApiTokenCache>,
    /// Tag clouds and related tags of list pages, until the bookmarks change.
    pub tag_counts: std::sync::Arc<crate::tag_counts_cache::TagCountsCache>,
    /// Owners of user pages read a moment ago, for other people's views of those pages.
    pub owners: std::sync::Arc<crate::owner_cache::OwnerCache>,
    /// Owners whose pages took long to read for other people lately.
    pub slow_listings: std::sync::Arc<crate::slow_listings::SlowListings>,
}
