//! The owners of user pages (`/u/{name}`, `/u/{name}/t/{tags}`) read a moment ago, remembered
//! for [`REMEMBER_FOR`]. Each such page needs its owner's account, their change generation
//! (which says whether their cached tag counts still hold, `tag_counts_cache`) and on the main
//! page their followers and follows, all read in one statement before the page's rows: on
//! PostgreSQL a round trip of its own, a fifth of the database's CPU for a tag page and 44 %
//! for a user's main page (twenty-sixth performance round). A page visited many times a second
//! reads them once a second instead, and while the owner saves, other people's views count the
//! owner's tags again at most once a second rather than after every save. A user's public
//! feeds take their owner from here too.
//!
//! What that costs: for up to [`REMEMBER_FOR`] after the owner's bookmarks or account change,
//! other people may see the owner's previous tag cloud, display name or followers beside the
//! page's bookmarks, which are always read fresh (so a tag whose only public bookmark was made
//! private or deleted in that second may still show, as on a page loaded a second earlier;
//! others' counts only ever count what they may see). The owner's own pages never use what is
//! remembered ([`OwnerCache::owner`] with `fresh`), so someone who just saved, retagged or
//! changed their profile sees it at once. Only owners found are remembered, so unknown names cost a lookup
//! each time and cannot fill the cache.

use bookmarks::model::UserName;
use bookmarks::store::federation::SocialHandles;
use bookmarks::store::{self, ChangeGeneration, DbConnection, User};
use bookmarks::StoreError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long an owner read from the database serves other people's requests for their pages.
pub const REMEMBER_FOR: Duration = Duration::from_secs(1);

/// Owners kept before the ones with nothing fresh are dropped (and, if every one has
/// something fresh, all of them).
const PRUNE_ABOVE: usize = 10_000;

/// A page's owner as one statement read them.
#[derive(Debug)]
pub struct ReadOwner {
    pub owner: User,
    /// Their bookmarks' change generation when read.
    pub generation: ChangeGeneration,
    /// Their followers and follows, when asked for.
    pub social: Option<SocialHandles>,
}

/// A reading and when the database was asked for it.
type Kept = Option<(Arc<ReadOwner>, Instant)>;

/// An owner's two readings: without and with their followers and follows.
#[derive(Default)]
struct Readings {
    plain: Kept,
    with_social: Kept,
}

impl Readings {
    fn slot(&mut self, with_social: bool) -> &mut Kept {
        if with_social {
            &mut self.with_social
        } else {
            &mut self.plain
        }
    }
}

pub struct OwnerCache {
    remember_for: Duration,
    /// By the owner's name.
    read: Mutex<HashMap<String, Readings>>,
}

impl Default for OwnerCache {
    fn default() -> Self {
        Self::remembering_for(REMEMBER_FOR)
    }
}

impl OwnerCache {
    pub fn remembering_for(remember_for: Duration) -> Self {
        Self {
            remember_for,
            read: Mutex::new(HashMap::new()),
        }
    }

    /// The user named `name` with their change generation (and, `with_social`, their
    /// followers and follows); `None` when there is no such user. Read from the database when
    /// `fresh` (the owner looking at their own page) or when not read in the last
    /// `remember_for`.
    pub fn owner(
        &self,
        conn: &mut DbConnection,
        name: &UserName,
        with_social: bool,
        fresh: bool,
    ) -> Result<Option<Arc<ReadOwner>>, StoreError> {
        if !fresh {
            if let Some(read) = self.remembered_as(name, with_social) {
                return Ok(Some(read));
            }
        }
        let asked = Instant::now();
        let found = if with_social {
            store::find_user_by_name_with_social(conn, name)?.map(|(owner, generation, social)| {
                ReadOwner {
                    owner,
                    generation,
                    social: Some(social),
                }
            })
        } else {
            store::find_user_by_name_with_generation(conn, name)?.map(|(owner, generation)| {
                ReadOwner {
                    owner,
                    generation,
                    social: None,
                }
            })
        };
        Ok(found.map(|read| {
            let read = Arc::new(read);
            self.remember(name, with_social, read.clone(), asked);
            read
        }))
    }

    /// The user named `name` if read in the last `remember_for`, with or without their
    /// followers and follows.
    pub fn remembered(&self, name: &UserName) -> Option<Arc<ReadOwner>> {
        self.remembered_as(name, false)
            .or_else(|| self.remembered_as(name, true))
    }

    /// The user named `name` if read in the last `remember_for`, as asked for: with their
    /// followers and follows or without.
    pub fn remembered_as(&self, name: &UserName, with_social: bool) -> Option<Arc<ReadOwner>> {
        let mut kept = self.lock();
        let (read, asked) = kept.get_mut(name.as_str())?.slot(with_social).as_ref()?;
        (asked.elapsed() < self.remember_for).then(|| read.clone())
    }

    /// Keeps `read` (asked for at `asked`) unless a reading asked for later is kept already.
    fn remember(&self, name: &UserName, with_social: bool, read: Arc<ReadOwner>, asked: Instant) {
        let mut kept = self.lock();
        if kept.len() >= PRUNE_ABOVE && !kept.contains_key(name.as_str()) {
            let remember_for = self.remember_for;
            let fresh = |slot: &Kept| {
                slot.as_ref()
                    .is_some_and(|(_, when)| when.elapsed() < remember_for)
            };
            kept.retain(|_, readings| fresh(&readings.plain) || fresh(&readings.with_social));
            if kept.len() >= PRUNE_ABOVE {
                kept.clear();
            }
        }
        let slot = kept
            .entry(name.as_str().to_owned())
            .or_default()
            .slot(with_social);
        match slot {
            Some((_, when)) if *when > asked => {}
            _ => *slot = Some((read, asked)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Readings>> {
        self.read.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    // A failing expectation in a test should panic with its message.
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use bookmarks::model::{BookmarkDraft, BookmarkUrl};
    use bookmarks::test_db::{add_user, TestDatabase};

    fn save(db: &store::Database, user: &User, address: &str) {
        let draft = BookmarkDraft {
            url: BookmarkUrl::parse(address).unwrap(),
            changes: Default::default(),
        };
        db.save_bookmark(user.id, draft).unwrap();
    }

    #[test]
    fn an_owner_is_remembered_for_others_until_stale_and_read_afresh_for_themselves() {
        let (_guard, db) = TestDatabase::connect();
        let alice = add_user(&db, "alice");
        let name = UserName::parse("alice").unwrap();
        // Long enough that nothing goes stale while the test runs.
        let cache = OwnerCache::remembering_for(Duration::from_secs(600));
        let read = |with_social: bool, fresh: bool| {
            db.read(|c| cache.owner(c, &name, with_social, fresh))
                .unwrap()
                .unwrap()
        };
        let first = read(false, false);
        assert_eq!(first.owner.id, alice.id);
        assert!(first.social.is_none());
        save(&db, &alice, "https://example.com/1");
        // Others get what was read a moment ago; the owner gets the database's answer, which
        // the others then get too.
        assert!(Arc::ptr_eq(&read(false, false), &first));
        let fresh = read(false, true);
        assert_ne!(fresh.generation, first.generation);
        assert!(Arc::ptr_eq(&read(false, false), &fresh));
        // The reading with followers and follows is its own; a feed takes either.
        let social = read(true, false);
        assert!(social.social.is_some());
        // The same newest change; on PostgreSQL its settled part may have moved on since, as
        // transactions elsewhere on the server (other tests') ended.
        assert_eq!(social.generation.newest, fresh.generation.newest);
        assert!(social.generation.covers(&fresh.generation));
        assert!(Arc::ptr_eq(&cache.remembered(&name).unwrap(), &fresh));

        let stale = OwnerCache::remembering_for(Duration::ZERO);
        let before = db
            .read(|c| stale.owner(c, &name, false, false))
            .unwrap()
            .unwrap();
        save(&db, &alice, "https://example.com/2");
        let after = db
            .read(|c| stale.owner(c, &name, false, false))
            .unwrap()
            .unwrap();
        assert_ne!(after.generation, before.generation);
        assert!(stale.remembered(&name).is_none());
    }

    #[test]
    fn unknown_names_are_not_remembered() {
        let (_guard, db) = TestDatabase::connect();
        let cache = OwnerCache::default();
        let name = UserName::parse("nobody").unwrap();
        assert!(db
            .read(|c| cache.owner(c, &name, false, false))
            .unwrap()
            .is_none());
        assert!(cache.lock().is_empty());
        assert!(cache.remembered(&name).is_none());
        add_user(&db, "nobody");
        assert!(db
            .read(|c| cache.owner(c, &name, false, false))
            .unwrap()
            .is_some());
    }
}
