//! Pinboard clients that use HTTP Basic send the password on every call. Checking it each time
//! would cost an argon2 hash per request and trip the login rate limit within one sync, so a
//! successful check is remembered for a few minutes, by a hash of the credentials.

use bookmarks::model::SecretHash;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const REMEMBER_FOR: Duration = Duration::from_secs(600);
const PRUNE_ABOVE: usize = 1_000;

#[derive(Default)]
pub struct BasicAuthCache(Mutex<HashMap<String, (i64, Instant)>>);

fn key(name: &str, password: &str) -> String {
    SecretHash::of(&format!("{}:{password}", name.to_ascii_lowercase()))
        .as_str()
        .to_owned()
}

impl BasicAuthCache {
    /// The user id these credentials were last verified for, if that was recent.
    pub fn get(&self, name: &str, password: &str) -> Option<i64> {
        let cache = self.0.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(&key(name, password))
            .filter(|(_, at)| at.elapsed() < REMEMBER_FOR)
            .map(|(id, _)| *id)
    }

    pub fn remember(&self, name: &str, password: &str, user_id: i64) {
        let mut cache = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() > PRUNE_ABOVE {
            cache.retain(|_, (_, at)| at.elapsed() < REMEMBER_FOR);
        }
        cache.insert(key(name, password), (user_id, Instant::now()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_only_the_exact_credentials() {
        let cache = BasicAuthCache::default();
        cache.remember("Alice", "secret password", 7);
        assert_eq!(cache.get("alice", "secret password"), Some(7));
        assert_eq!(cache.get("alice", "other password"), None);
        assert_eq!(cache.get("bob", "secret password"), None);
    }
}
