//! Tag clouds and related tags, cached. Counting tags reads every bookmark the page filters on
//! (tens of thousands for a long-time user), while the list itself reads one page; so the counts
//! are kept per question and reused until the owner's bookmarks change. "Change" is the store's
//! change generation (`store::ChangeGeneration`: the newest domain event id, and on PostgreSQL
//! also the newest of the owner's transactions that have all ended), read with each request
//! in one index lookup (two on PostgreSQL; on a user's pages in the statement that finds the
//! user, before the page's rows, which other people's views of the page may take from up to a
//! second before, `owner_cache`): a page's tags hold every change made before the generation
//! was read, in every server process on a shared database. A
//! write the owner makes while the request runs may show in its rows and not yet in its tags;
//! the next request counts it. (On PostgreSQL, a write that commits after a later one of the
//! same owner is counted by the first request after every transaction that took its id before
//! the write's has ended.)
//! An answer also keeps the cloud's HTML once a page has rendered it ([`CountedTags::cloud_html`]).

use bookmarks::store::{
    self, BookmarkFilter, ChangeGeneration, DbConnection, Scope, StoreError, TagCount,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Questions kept before the cache starts afresh. An entry is a few KB of counts, and up to
/// about 20 KB once a page has rendered its cloud (150 tags), so the cache holds at most about
/// 40 MB.
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
}

impl Question {
    /// The question [`TagCountsCache::counts`] answers for `filter`, and the owner of its
    /// bookmarks (`None` for instance-wide lists).
    fn of(filter: &BookmarkFilter, related: bool, limit: i64) -> (Option<i64>, Self) {
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
        };
        (owner, question)
    }
}

/// The counts of one question at one change generation.
struct Answer {
    generation: ChangeGeneration,
    counts: Arc<CountedTags>,
}

/// One question's tag counts, by name, and the tag cloud's HTML once rendered from them.
pub struct CountedTags {
    pub counts: Vec<TagCount>,
    /// The cloud's HTML, with the start of the links it was rendered with.
    cloud: Mutex<Option<(String, Arc<str>)>>,
}

impl CountedTags {
    fn new(counts: Vec<TagCount>) -> Self {
        Self {
            counts,
            cloud: Mutex::new(None),
        }
    }

    /// The cloud's HTML with links beginning `href_prefix`, rendered by `render` unless it
    /// was rendered with that prefix before. A page's prefix follows from the question (its
    /// owner and tags), so a cloud is rendered once each time the owner's bookmarks change
    /// rather than for every request (its 150 links, names and counts were about a tenth of a
    /// user page's instructions, callgrind, 2026-12-03).
    pub fn cloud_html<E>(
        &self,
        href_prefix: &str,
        render: impl FnOnce(&[TagCount]) -> Result<String, E>,
    ) -> Result<Arc<str>, E> {
        let mut kept = lock(&self.cloud);
        if let Some((prefix, html)) = kept.as_ref() {
            if prefix == href_prefix {
                return Ok(html.clone());
            }
        }
        let html: Arc<str> = Arc::from(render(&self.counts)?);
        *kept = Some((href_prefix.to_owned(), html.clone()));
        Ok(html)
    }
}

/// One question's latest answer. Requests asking the same question at the same time wait for
/// the first one's count instead of each counting (eight concurrent recounts of a large tag's
/// related tags after a write took 300 MB on SQLite). A newer answer replaces the older one, so
/// an owner who writes all day keeps one entry per question, not one per write.
type Slot = Arc<Mutex<Option<Answer>>>;

#[derive(Default)]
pub struct TagCountsCache {
    entries: Mutex<HashMap<Question, Slot>>,
    /// Questions answered by counting (rather than from the cache) since start.
    counted: AtomicU64,
}

impl TagCountsCache {
    /// The counts [`Self::counts`] would give for `filter` when they were counted at the
    /// owner's change generation `known` (`(owner id, generation)`, as read with the owner) or
    /// later; `None` when they were not, and when another request is counting them just now.
    /// Never reads the database nor waits for another request.
    pub fn known_counts(
        &self,
        filter: &BookmarkFilter,
        related: bool,
        limit: i64,
        known: (i64, ChangeGeneration),
    ) -> Option<Arc<CountedTags>> {
        let (owner, question) = Question::of(filter, related, limit);
        if owner != Some(known.0) {
            return None;
        }
        let slot = lock(&self.entries).get(&question)?.clone();
        let answer = slot.try_lock().ok()?;
        answer
            .as_ref()
            .filter(|a| a.generation.covers(&known.1))
            .map(|a| a.counts.clone())
    }

    /// The counts `store::tag_counts` (or `store::related_tags`, with `related`) would give,
    /// sorted by name once when counted, as the tag cloud shows them. `known` is `(user id,
    /// change generation)` when the caller read them with the user
    /// (`store::find_user_by_name_with_generation`); it is used for that user's own lists only,
    /// and otherwise the generation is read here.
    pub fn counts(
        &self,
        conn: &mut DbConnection,
        filter: &BookmarkFilter,
        related: bool,
        limit: i64,
        known: Option<(i64, ChangeGeneration)>,
    ) -> Result<Arc<CountedTags>, StoreError> {
        let (owner, question) = Question::of(filter, related, limit);
        let generation = match (known, owner) {
            (Some((user, generation)), Some(owner)) if user == owner => generation,
            _ => store::change_generation(conn, owner)?,
        };
        let slot = {
            let mut entries = lock(&self.entries);
            if entries.len() >= MAX_ENTRIES && !entries.contains_key(&question) {
                entries.clear();
            }
            entries.entry(question).or_default().clone()
        };
        // Held while counting, so that the same question asked meanwhile waits for this answer.
        // A failed count leaves the slot empty for the next request to try again.
        let mut answer = lock(&slot);
        // An answer counted at this generation or a later one holds everything this request
        // could see.
        if let Some(known) = answer.as_ref().filter(|a| a.generation.covers(&generation)) {
            return Ok(known.counts.clone());
        }
        self.counted.fetch_add(1, Ordering::Relaxed);
        let mut counts = if related {
            store::related_tags(conn, filter, limit)?
        } else {
            store::tag_counts(conn, filter, limit)?
        };
        // Names are distinct, so an unstable sort gives the same order, with less work.
        counts.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        let counts = Arc::new(CountedTags::new(counts));
        *answer = Some(Answer {
            generation,
            counts: counts.clone(),
        });
        Ok(counts)
    }
}

/// Locks a mutex, recovering it if a thread panicked while holding it (the data is a cache: at
/// worst an answer is counted again).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    // A failing expectation in a test should panic with its message.
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use bookmarks::model::{
        BookmarkUrl, ImportedBookmark, OnDuplicate, TagList, TagName, Title, Visibility,
    };
    use bookmarks::test_db::{add_user, wait_until_settled, TestDatabase};
    use std::sync::Barrier;

    /// A public bookmark `i` with `tags`, as an import gives it.
    fn entry(i: usize, tags: &[&str]) -> ImportedBookmark {
        ImportedBookmark {
            url: BookmarkUrl::parse(&format!("https://example.com/{i}")).unwrap(),
            title: Title::parse(&format!("Page {i}")).unwrap(),
            description: Default::default(),
            notes: Default::default(),
            tags: TagList::parse_each(tags).unwrap(),
            visibility: Visibility::Public,
            unread: false,
            created_at: None,
            updated_at: None,
        }
    }

    #[test]
    fn the_same_question_asked_at_once_is_counted_once() {
        let (_guard, db) = TestDatabase::connect();
        let alice = add_user(&db, "alice");
        // Enough bookmarks that counting takes a while, so the eight requests overlap.
        let batch: Vec<ImportedBookmark> = (0..3_000)
            .map(|i| {
                entry(
                    i,
                    &["rust", &format!("t{}", i % 97), &format!("u{}", i % 13)],
                )
            })
            .collect();
        db.write(|c| store::import_batch(c, alice.id, &batch, OnDuplicate::Skip, false))
            .unwrap();
        wait_until_settled(&db, alice.id);
        let mut filter = BookmarkFilter::new(Scope::User { owner: alice.id }, None);
        filter.tags = vec![TagName::parse("rust").unwrap()];

        let cache = TagCountsCache::default();
        let start = Barrier::new(8);
        let answers: Vec<Arc<CountedTags>> = std::thread::scope(|threads| {
            let asked: Vec<_> = (0..8)
                .map(|_| {
                    threads.spawn(|| {
                        start.wait();
                        db.read(|c| cache.counts(c, &filter, true, 30, None))
                            .unwrap()
                    })
                })
                .collect();
            asked.into_iter().map(|t| t.join().unwrap()).collect()
        });

        assert_eq!(cache.counted.load(Ordering::Relaxed), 1);
        let mut expected = db.read(|c| store::related_tags(c, &filter, 30)).unwrap();
        assert_eq!(expected[0].count, 3_000 / 13 + 1);
        // The same counts, kept by name.
        expected.sort_by(|a, b| a.name.cmp(&b.name));
        assert!(answers.iter().all(|answer| answer.counts == expected));
    }

    #[test]
    fn a_cloud_is_rendered_once_for_each_start_of_its_links() {
        let counted = CountedTags::new(vec![TagCount {
            name: "rust".into(),
            count: 2,
        }]);
        let renders = std::cell::Cell::new(0);
        let cloud = |prefix: &str| {
            counted
                .cloud_html(prefix, |counts| {
                    renders.set(renders.get() + 1);
                    Ok::<_, ()>(format!("{prefix}{}", counts[0].name))
                })
                .unwrap()
        };
        assert_eq!(&*cloud("/u/alice/t/"), "/u/alice/t/rust");
        assert_eq!(&*cloud("/u/alice/t/"), "/u/alice/t/rust");
        assert_eq!(renders.get(), 1);
        // Another start of the links is rendered anew, never served the other's HTML.
        assert_eq!(&*cloud("/t/"), "/t/rust");
        assert_eq!(renders.get(), 2);
        // A failed render keeps nothing.
        assert!(counted.cloud_html("/x/", |_| Err(())).is_err());
        assert_eq!(&*cloud("/x/"), "/x/rust");
        assert_eq!(renders.get(), 3);
    }

    #[test]
    fn a_generation_read_with_the_owner_is_used_for_their_lists_only() {
        let (_guard, db) = TestDatabase::connect();
        let alice = add_user(&db, "alice");
        let bob = add_user(&db, "bob");
        let cache = TagCountsCache::default();
        let filter = BookmarkFilter::new(Scope::User { owner: alice.id }, None);
        let ask = |known| {
            db.read(|c| cache.counts(c, &filter, false, 30, known))
                .unwrap()
                .counts
                .len()
        };
        let import = |saved: ImportedBookmark| {
            db.write(|c| {
                store::import_batch(
                    c,
                    alice.id,
                    std::slice::from_ref(&saved),
                    OnDuplicate::Skip,
                    false,
                )
            })
            .unwrap();
            wait_until_settled(&db, alice.id);
        };
        assert_eq!(ask(None), 0);
        import(entry(1, &["rust"]));
        let now = db
            .read(|c| store::change_generation(c, Some(alice.id)))
            .unwrap();
        // Alice's generation, known: the write is counted.
        assert_eq!(ask(Some((alice.id, now))), 1);
        assert_eq!(cache.counted.load(Ordering::Relaxed), 2);
        import(entry(2, &["web"]));
        // Someone else's generation is not taken for Alice's: hers is read, and has moved.
        assert_eq!(ask(Some((bob.id, now))), 2);
        assert_eq!(cache.counted.load(Ordering::Relaxed), 3);
    }

    #[test]
    fn counts_are_taken_without_the_database_only_when_counted_at_that_generation() {
        let (_guard, db) = TestDatabase::connect();
        let alice = add_user(&db, "alice");
        let bob = add_user(&db, "bob");
        let cache = TagCountsCache::default();
        let filter = BookmarkFilter::new(Scope::User { owner: alice.id }, None);
        let generation = || {
            db.read(|c| store::change_generation(c, Some(alice.id)))
                .unwrap()
        };
        let save = |i: usize| {
            db.write(|c| {
                store::import_batch(
                    c,
                    alice.id,
                    &[entry(i, &["rust"])],
                    OnDuplicate::Skip,
                    false,
                )
            })
            .unwrap();
            wait_until_settled(&db, alice.id);
        };
        save(1);
        let first = generation();
        // Never counted: nothing to take.
        assert!(cache
            .known_counts(&filter, false, 30, (alice.id, first))
            .is_none());
        let counted = db
            .read(|c| cache.counts(c, &filter, false, 30, Some((alice.id, first))))
            .unwrap();
        let taken = cache.known_counts(&filter, false, 30, (alice.id, first));
        assert!(taken.is_some_and(|taken| Arc::ptr_eq(&taken, &counted)));
        // Not for another question, nor with another user's generation.
        assert!(cache
            .known_counts(&filter, true, 30, (alice.id, first))
            .is_none());
        assert!(cache
            .known_counts(&filter, false, 30, (bob.id, first))
            .is_none());
        // While a request counts them (holding the answer), none is taken, without waiting.
        let (_, question) = Question::of(&filter, false, 30);
        let slot = lock(&cache.entries).get(&question).cloned().unwrap();
        let counting = lock(&slot);
        assert!(cache
            .known_counts(&filter, false, 30, (alice.id, first))
            .is_none());
        drop(counting);
        // A save moves the generation past the answer's.
        save(2);
        assert!(cache
            .known_counts(&filter, false, 30, (alice.id, generation()))
            .is_none());
        assert_eq!(cache.counted.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_write_replaces_the_answer_it_outdates() {
        let (_guard, db) = TestDatabase::connect();
        let alice = add_user(&db, "alice");
        let mut filter = BookmarkFilter::new(Scope::User { owner: alice.id }, Some(alice.id));
        filter.tags = vec![TagName::parse("rust").unwrap()];
        let cache = TagCountsCache::default();
        let ask = || {
            db.read(|c| cache.counts(c, &filter, true, 30, None))
                .unwrap()
        };
        let names = |counts: &[TagCount]| counts.iter().map(|t| t.name.clone()).collect::<Vec<_>>();

        for (i, tag) in ["web", "async", "zig"].into_iter().enumerate() {
            let saved = [entry(i, &["rust", tag])];
            db.write(|c| store::import_batch(c, alice.id, &saved, OnDuplicate::Skip, false))
                .unwrap();
            wait_until_settled(&db, alice.id);
            // Asked twice after each write: counted once, and the new tag is in the answer and
            // in its cloud (not the cloud rendered from the answer before).
            assert!(names(&ask().counts).contains(&tag.to_owned()));
            let cloud = ask()
                .cloud_html("/u/alice/t/rust+", |counts| {
                    Ok::<_, ()>(names(counts).join(" "))
                })
                .unwrap();
            assert!(cloud.split(' ').any(|name| name == tag), "{cloud}");
        }
        assert_eq!(cache.counted.load(Ordering::Relaxed), 3);
        assert_eq!(lock(&cache.entries).len(), 1, "one entry per question");
    }
}
