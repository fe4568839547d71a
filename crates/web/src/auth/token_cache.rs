//! API tokens checked a moment ago, remembered for [`REMEMBER_FOR`]. A client that calls the
//! API many times a second (a sync, a script, the benchmark's load) would otherwise have its
//! token looked up in the database on every call: on PostgreSQL a round trip of its own beside
//! the request's query (the JSON list was two statements, the page and the token). Only tokens
//! found are remembered, by their hash, so unknown ones cost a lookup each time and cannot fill
//! the cache. A token revoked in Settings is forgotten at once by the server that revoked it
//! (a lookup still running then does not put it back); another server process on the same
//! database stops accepting it within [`REMEMBER_FOR`] of its last lookup. The user remembered
//! with a token is as old as that lookup.

use bookmarks::model::SecretHash;
use bookmarks::store::{self, DbConnection, User};
use bookmarks::StoreError;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a token found in the database is taken as valid without asking it again.
pub const REMEMBER_FOR: Duration = Duration::from_secs(2);

/// Tokens remembered before the expired ones are dropped (and, if all are fresh, all of them).
const PRUNE_ABOVE: usize = 10_000;

/// When a lookup began, and how many times tokens had been forgotten by then.
struct Lookup {
    asked: Instant,
    forgotten: u64,
}

pub struct ApiTokenCache {
    remember_for: Duration,
    /// The token's hash, its user and when the lookup that confirmed it began.
    found: Mutex<HashMap<SecretHash, (User, Instant)>>,
    /// How many times tokens were forgotten: a lookup that began before a revocation must not
    /// put back what the revocation made the cache forget.
    forgotten: AtomicU64,
}

impl Default for ApiTokenCache {
    fn default() -> Self {
        Self::remembering_for(REMEMBER_FOR)
    }
}

impl ApiTokenCache {
    pub fn remembering_for(remember_for: Duration) -> Self {
        Self {
            remember_for,
            found: Mutex::new(HashMap::new()),
            forgotten: AtomicU64::new(0),
        }
    }

    /// The user of the `presented` token; `None` for a token that is unknown or revoked.
    pub fn user(
        &self,
        conn: &mut DbConnection,
        presented: &str,
    ) -> Result<Option<User>, StoreError> {
        let hash = SecretHash::of(presented);
        if let Some(user) = self.remembered_by(&hash) {
            return Ok(Some(user));
        }
        let lookup = self.lookup_begins();
        let user = store::user_for_api_token(conn, presented)?;
        if let Some(user) = &user {
            self.remember(hash, user, lookup);
        }
        Ok(user)
    }

    /// The user of the `presented` token if the database confirmed it a moment ago.
    pub fn remembered(&self, presented: &str) -> Option<User> {
        self.remembered_by(&SecretHash::of(presented))
    }

    fn remembered_by(&self, hash: &SecretHash) -> Option<User> {
        self.lock()
            .get(hash)
            .filter(|(_, confirmed)| confirmed.elapsed() < self.remember_for)
            .map(|(user, _)| user.clone())
    }

    /// Forgets every token of the user, after one of theirs was revoked (or a revocation may
    /// have happened), including any a lookup still running would have remembered.
    pub fn forget_user(&self, user_id: i64) {
        let mut found = self.lock();
        self.forgotten.fetch_add(1, Ordering::SeqCst);
        found.retain(|_, (user, _)| user.id != user_id);
    }

    /// Taken before a lookup: the token is remembered for `remember_for` from when the
    /// database was asked, and not at all if tokens were forgotten while it ran.
    fn lookup_begins(&self) -> Lookup {
        Lookup {
            asked: Instant::now(),
            forgotten: self.forgotten.load(Ordering::SeqCst),
        }
    }

    fn remember(&self, hash: SecretHash, user: &User, lookup: Lookup) {
        let mut found = self.lock();
        if self.forgotten.load(Ordering::SeqCst) != lookup.forgotten {
            return;
        }
        if found.len() >= PRUNE_ABOVE {
            let remember_for = self.remember_for;
            found.retain(|_, (_, confirmed)| confirmed.elapsed() < remember_for);
            if found.len() >= PRUNE_ABOVE {
                found.clear();
            }
        }
        found.insert(hash, (user.clone(), lookup.asked));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SecretHash, (User, Instant)>> {
        self.found.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    // A failing expectation in a test should panic with its message.
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use bookmarks::test_db::{add_user, TestDatabase};

    #[test]
    fn a_found_token_is_taken_from_memory_until_it_is_forgotten_or_stale() {
        let (_guard, db) = TestDatabase::connect();
        let alice = add_user(&db, "alice");
        let bob = add_user(&db, "bob");
        let alices = db
            .write(|c| store::create_api_token(c, alice.id, "sync"))
            .unwrap()
            .into_string();
        let bobs = db
            .write(|c| store::create_api_token(c, bob.id, "script"))
            .unwrap()
            .into_string();
        // Long enough that nothing goes stale while the test runs.
        let cache = ApiTokenCache::remembering_for(Duration::from_secs(600));
        let name_of = |token: &str| {
            db.read(|c| cache.user(c, token))
                .unwrap()
                .map(|user| user.name.to_string())
        };
        assert_eq!(name_of(&alices).as_deref(), Some("alice"));
        assert_eq!(name_of(&bobs).as_deref(), Some("bob"));
        assert_eq!(name_of("not a token"), None);

        // Revoked behind the cache's back (as another server process would): still taken
        // from memory, for as long as it remembers (`REMEMBER_FOR` in the server).
        for user in [&alice, &bob] {
            let tokens = db.read(|c| store::list_api_tokens(c, user.id)).unwrap();
            db.write(|c| store::revoke_api_token(c, user.id, tokens[0].id))
                .unwrap();
        }
        assert_eq!(name_of(&alices).as_deref(), Some("alice"));
        // Forgotten as the revoking server forgets them: Alice's only.
        cache.forget_user(alice.id);
        assert_eq!(name_of(&alices), None);
        assert_eq!(name_of(&bobs).as_deref(), Some("bob"));

        // A lookup that ran while the user's tokens were forgotten (a revocation in Settings)
        // does not put its answer back.
        let lookup = cache.lookup_begins();
        cache.forget_user(bob.id);
        cache.remember(SecretHash::of(&bobs), &bob, lookup);
        assert_eq!(cache.remembered(&bobs), None);
        let lookup = cache.lookup_begins();
        cache.remember(SecretHash::of(&bobs), &bob, lookup);
        assert_eq!(
            cache.remembered(&bobs).map(|user| user.id),
            Some(bob.id),
            "a lookup with nothing forgotten meanwhile is remembered"
        );

        // A cache that remembers nothing asks the database every time.
        let asks_every_time = ApiTokenCache::remembering_for(Duration::ZERO);
        assert_eq!(db.read(|c| asks_every_time.user(c, &bobs)).unwrap(), None);
    }
}
