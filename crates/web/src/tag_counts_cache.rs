//! Tag clouds and related tags, cached. Counting tags reads every bookmark the page filters on
//! (tens of thousands for a long-time user), while the list itself reads one page; so the counts
//! are kept per question and reused until the owner's bookmarks change. "Change" is the store's
//! change generation (the newest domain event id), read with each request in one index lookup,
//! so every server process on a shared database sees a change at once, and nothing is stale.

use bookmarks::store::{self, BookmarkFilter, DbConnection, Scope, StoreError, TagCount};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Questions kept before the cache starts afresh (an entry is a few KB).
const MAX_ENTRIES: usize = 2_000;

/// Who is asking, as far as visibility goes: the owner, a colleague logged in on this instance,
/// or a visitor. Everyone in a class sees the same counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Audience {
    Owner,
    Colleague,
    Visitor,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Question {
    scope: Scope,
    audience: Audience,
    tags: Vec<String>,
    search: Option<String>,
    unread_only: bool,
    related: bool,
    limit: i64,
    generation: i64,
}

#[derive(Default)]
pub struct TagCountsCache {
    entries: Mutex<HashMap<Question, Arc<Vec<TagCount>>>>,
}

impl TagCountsCache {
    /// The counts `store::tag_counts` (or `store::related_tags`, with `related`) would give.
    pub fn counts(
        &self,
        conn: &mut DbConnection,
        filter: &BookmarkFilter,
        related: bool,
        limit: i64,
    ) -> Result<Arc<Vec<TagCount>>, StoreError> {
        let (owner, audience) = match filter.scope {
            Scope::User { owner } if filter.viewer == Some(owner) => (Some(owner), Audience::Owner),
            Scope::User { owner } if filter.viewer.is_some() => (Some(owner), Audience::Colleague),
            Scope::User { owner } => (Some(owner), Audience::Visitor),
            // Instance-wide lists show public bookmarks to everyone alike.
            Scope::Instance => (None, Audience::Visitor),
        };
        let question = Question {
            scope: filter.scope,
            audience,
            tags: filter.tags.iter().map(|t| t.as_str().to_owned()).collect(),
            search: filter.search.clone(),
            unread_only: filter.unread_only,
            related,
            limit,
            generation: store::change_generation(conn, owner)?,
        };
        if let Some(hit) = self.lock().get(&question) {
            return Ok(hit.clone());
        }
        let counts = Arc::new(if related {
            store::related_tags(conn, filter, limit)?
        } else {
            store::tag_counts(conn, filter, limit)?
        });
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(question, counts.clone());
        Ok(counts)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Question, Arc<Vec<TagCount>>>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
