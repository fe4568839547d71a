//! Full-text search: an index of each bookmark's words (title, notes, address, tags), FTS5 on
//! SQLite and a tsvector with a GIN index on PostgreSQL, both in a table `bookmark_search`.
//!
//! Both backends index the same document, made here: the bookmark's text split into runs of
//! letters and digits, lower-cased. A search is split the same way, and each of its words must
//! be a word of the bookmark, except the last, which may also begin one, as in a search typed
//! as you go (`async ru` finds "Async Rust" and "async rustc"; `sync` does not find "async").
//! The store rewrites a bookmark's document in the transaction that changes it.
//!
//! Both indexes hold the words' first 2–5 letters, so that the last word is one entry of the
//! index rather than a merge of every word it begins (FTS5's `prefix` option; on PostgreSQL,
//! lexemes the store adds: [`postgres_lexemes`]). Each document carries its owner (on SQLite
//! as a mark among its words, [`owner_word`]; on PostgreSQL in a column, [`matches`]), so that
//! a search in one user's bookmarks keeps that user's matches before looking any bookmark up.
//! On SQLite a page of search results is planned by how many bookmarks match
//! ([`sqlite_plan`]): SQLite's planner cannot tell, PostgreSQL's can.

use super::bookmarks::Bookmark;
use super::connection::{Backend, DbConnection};
use super::deferred_documents;
use super::error::StoreError;
use super::kept_conditions::{id_among, BookmarkId, IdAmong};
use super::kept_document_inserts::{InsertSqliteDocument, UpsertPostgresDocuments};
use super::listing::Scope;
use super::schema::{bookmark_tags, bookmarks};
use diesel::dsl::sql;
use diesel::expression::{SqlLiteral, UncheckedBind};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};
use hashbrown::HashTable;
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::ops::Range;

/// At most this many words of a search are used (each one is one more condition).
const MAX_SEARCH_WORDS: usize = 8;
/// Documents written per statement.
const DOCUMENTS_PER_STATEMENT: usize = 500;

/// Longer words are neither indexed nor searched for: PostgreSQL refuses them in a `tsvector`
/// or `tsquery` (its `to_tsvector` skipped them), and both backends leave them out alike.
const MAX_WORD_BYTES: usize = 2047;

/// The words of `text`: runs of letters and digits, lower-cased, up to [`MAX_WORD_BYTES`]. A word
/// already in lower case (most are) is borrowed rather than copied.
fn words(text: &str) -> impl Iterator<Item = Cow<'_, str>> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| {
            if word
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            {
                Cow::Borrowed(word)
            } else {
                Cow::Owned(word.to_lowercase())
            }
        })
        .filter(|word| word.len() <= MAX_WORD_BYTES)
}

/// What the index holds for one bookmark: each of its words once, in the order they first
/// appear. Neither index keeps where or how often a word occurs (FTS5's `detail = none`; a
/// search matches words and does not rank), so a repeat would only be work for the index: a
/// fifth of the benchmark's words repeat one before them in the same bookmark. The words kept
/// so far are found again through a table of where each is in the document, without copies.
pub(crate) fn document(title: &str, notes: &str, url: &str, tags: &[String]) -> String {
    let mut document = String::with_capacity(title.len() + notes.len() + url.len() + 32);
    let texts = [title, notes, url]
        .into_iter()
        .chain(tags.iter().map(String::as_str));
    let hasher = RandomState::new();
    let mut kept: HashTable<Range<usize>> = HashTable::new();
    for word in texts.flat_map(words) {
        let hash = hasher.hash_one(&*word);
        if kept
            .find(hash, |at| document[at.clone()] == *word)
            .is_some()
        {
            continue;
        }
        if !document.is_empty() {
            document.push(' ');
        }
        let at = document.len()..document.len() + word.len();
        document.push_str(&word);
        kept.insert_unique(hash, at, |at| hasher.hash_one(&document[at.clone()]));
    }
    document
}

/// The search's words as a query for the backend's index, or `None` when it has no words
/// (only punctuation, say), in which case it does not filter. On SQLite, in one user's scope,
/// the query also asks for the owner's mark ([`owner_word`]), so the index answers with that
/// user's matches only.
pub(crate) fn index_query(backend: Backend, search: &str, scope: Scope) -> Option<String> {
    let words: Vec<Cow<'_, str>> = words(search).take(MAX_SEARCH_WORDS).collect();
    let (last, whole) = words.split_last()?;
    let owner = match (backend, scope) {
        (Backend::Sqlite, Scope::User { owner }) => Some(owner_word(owner)),
        _ => None,
    };
    // The words are letters and digits only, so they cannot carry query syntax, nor end a
    // quoted word early. A prefix expands to every word it begins, so only the last word is one.
    let terms: Vec<String> = match backend {
        Backend::Sqlite => owner
            .iter()
            .map(String::as_str)
            .chain(whole.iter().map(|w| &**w))
            .map(|w| format!("\"{w}\""))
            .chain([format!("\"{last}\"*")])
            .collect(),
        Backend::Postgres => whole
            .iter()
            .map(|w| format!("'{w}'"))
            .chain([postgres_prefix_term(last)])
            .collect(),
    };
    let separator = match backend {
        Backend::Sqlite => " ",
        Backend::Postgres => " & ",
    };
    Some(terms.join(separator))
}

/// Marks a word's beginning in PostgreSQL's index: `rust` is indexed as `rust`, `ru*`, `rus*`
/// and `rust*` ([`postgres_lexemes`]). No word holds `*`, so no word is taken for a beginning.
const PREFIX_MARK: char = '*';
/// The lengths, in letters, of the word beginnings PostgreSQL's index holds (as SQLite's
/// `prefix` option, migration 000008).
const PREFIX_LENGTHS: std::ops::RangeInclusive<usize> = 2..=5;

/// PostgreSQL's term for a search's last word, which may begin a word: the indexed beginning
/// when there is one of its length (`'vebel*'`, one entry of the index), else a prefix match
/// (`'a':*`, `'vebelsk':*`), which merges every word it begins: cheap for long beginnings,
/// which begin few words, and the only way for one letter.
fn postgres_prefix_term(word: &str) -> String {
    if PREFIX_LENGTHS.contains(&word.chars().count()) {
        format!("'{word}{PREFIX_MARK}'")
    } else {
        format!("'{word}':*")
    }
}

/// What PostgreSQL's index holds for a document, as lexemes separated by spaces (the store
/// makes them a tsvector with `array_to_tsvector`, which drops repeats): every word, and every
/// word's beginnings of [`PREFIX_LENGTHS`] letters marked with [`PREFIX_MARK`]. Without the
/// beginnings, a search's last word was answered by merging the lists of every word it begins
/// (0.7 of the 0.9 ms of the benchmark's search at 100,000 bookmarks), as on SQLite before its
/// prefix indexes.
///
/// There is no owner's mark among the lexemes, unlike on SQLite: PostgreSQL's planner, not
/// knowing that the mark and the owner go together, then took a user's matches for a quarter of
/// what they are and looked up every match of a common word where walking the listing was 10
/// times faster. The owner is a column of its own instead ([`matches`]).
fn postgres_lexemes(document: &Document<'_>) -> String {
    let mut lexemes = String::with_capacity(document.words.len() * 4);
    for word in document.words.split(' ') {
        if word.is_empty() {
            continue;
        }
        lexemes.push_str(word);
        lexemes.push(' ');
        // Where the word's first 1, 2, 3 … letters end.
        let ends = word
            .char_indices()
            .skip(1)
            .map(|(end, _)| end)
            .chain([word.len()]);
        for (letters, end) in (1..).zip(ends) {
            if letters > *PREFIX_LENGTHS.end() {
                break;
            }
            if PREFIX_LENGTHS.contains(&letters) {
                lexemes.push_str(&word[..end]);
                lexemes.push(PREFIX_MARK);
                lexemes.push(' ');
            }
        }
    }
    lexemes.pop();
    lexemes
}

/// A condition written in SQL with one bound text.
pub(crate) type SqlCondition = SqlLiteral<
    Bool,
    UncheckedBind<SqlLiteral<Bool>, <String as diesel::expression::AsExpression<Text>>::Expression>,
>;

/// SQLite's condition that `bookmarks.id` is among the index's matches, up to the bound query.
const SQLITE_MATCHES: &str =
    "bookmarks.id IN (SELECT rowid FROM bookmark_search WHERE bookmark_search MATCH ";

/// `bookmarks.id` is among the index's matches for `query` (from [`index_query`]), in `scope`.
///
/// On PostgreSQL a user's search keeps their matching documents as it reads the index's (each
/// document carries its owner, migration 000018) rather than looking other users' matching
/// bookmarks up only to drop them: at a million bookmarks over four users the suite's search's
/// statement took 10.6–11.0 ms and a beginning on about a thousand of a user's bookmarks
/// (`karit`) 35.8–37.2 ms; keeping the owner's first, 6.3–7.0 and 11.5–12.8 ms (`pgbench`, one
/// client; twenty-seventh performance round). The owner is tested as
/// `coalesce(… = owner, true)`, so that the planner does not count it twice: it cannot know that
/// the documents' owner and the bookmarks' (`bookmarks.user_id`, also filtered, which lets it
/// walk the owner's listing) agree, and with the test written plainly it took a quarter of the
/// owner's matches for all of them and looked every match of a common word up where walking the
/// listing until the page was full was 2.7 times faster (`vesel` at 100,000 bookmarks, as the
/// owner's mark did, `decisions.md`). The `coalesce` it estimates at a half, and it chooses the
/// plans it chose without the test. It also keeps a document without an owner (the column is
/// nullable; this version writes it for every document), as every search did before, so no
/// result depends on it: the bookmarks' own owner test decides.
/// (On SQLite the owner is a word of the query, [`index_query`].)
pub(crate) fn matches(backend: Backend, query: String, scope: Scope) -> SqlCondition {
    let opening = match (backend, scope) {
        (Backend::Sqlite, _) => Cow::Borrowed(SQLITE_MATCHES),
        (Backend::Postgres, Scope::Instance) => Cow::Borrowed(
            "bookmarks.id IN (SELECT bookmark_id FROM bookmark_search WHERE document @@ CAST(",
        ),
        // The owner's id is a number from the store, written into the statement's text: search
        // statements are planned with their values each time (diesel does not keep a statement
        // with SQL written as text), so a text per owner costs nothing kept.
        (Backend::Postgres, Scope::User { owner }) => Cow::Owned(format!(
            "bookmarks.id IN (SELECT bookmark_id FROM bookmark_search \
             WHERE coalesce(bookmark_search.user_id = {owner}, true) AND document @@ CAST("
        )),
    };
    let closing = match backend {
        Backend::Sqlite => ")",
        Backend::Postgres => " AS tsquery))",
    };
    sql::<Bool>(&opening).bind::<Text, _>(query).sql(closing)
}

/// Up to how many matches SQLite reads a page of search results by looking each one up; with
/// more, it walks the listing newest-first and keeps the matches. Looking up costs every match
/// (about 3 µs each at a million bookmarks); walking costs the bookmarks passed over until a
/// page is full, about 51 × bookmarks / matches, at a twentieth of that each. So each way is
/// slow where the other is fast: at a million bookmarks, a word on 6 % of them took 96 ms looked
/// up and 10 ms walked, a word on none 0.02 ms looked up and 16–66 ms walked. They cost the
/// same near √(2 × bookmarks) matches: 447 at 100,000 bookmarks, 1,414 at a million. In one
/// user's bookmarks the matches are that user's, and the number is still the instance's: that
/// errs towards looking up, which is cheaper than counting the user's bookmarks every time.
fn looked_up_matches(c: &mut diesel::SqliteConnection) -> Result<usize, StoreError> {
    let newest: Option<i64> = bookmarks::table
        .select(diesel::dsl::max(bookmarks::id))
        .first(c)?;
    let bookmarks = u64::try_from(newest.unwrap_or(0)).unwrap_or(0);
    let break_even = bookmarks.saturating_mul(2).isqrt().clamp(100, 10_000);
    Ok(usize::try_from(break_even).unwrap_or(10_000))
}

/// How SQLite reads a page of search results (PostgreSQL's planner chooses by itself, from its
/// statistics of the index; SQLite's cannot know how many bookmarks an FTS5 query matches).
pub(crate) enum SqlitePlan {
    /// Few bookmarks match: these, all of them, to be looked up by id.
    LookUp(Vec<i64>),
    /// Many match: this index query, checked while walking the listing.
    Walk(String),
}

#[derive(QueryableByName)]
struct Match {
    #[diesel(sql_type = BigInt)]
    rowid: i64,
}

/// How to read a page of `search` in `scope` on SQLite, after asking the index for one more
/// match than [`looked_up_matches`] (the prefix indexes let it stop there, rather than reading
/// every match), and in a user's scope for that user's matches only; `None` on PostgreSQL, or
/// when the search has no words.
pub(crate) fn sqlite_plan(
    conn: &mut DbConnection,
    search: Option<&str>,
    scope: Scope,
) -> Result<Option<SqlitePlan>, StoreError> {
    let DbConnection::Sqlite(c) = conn else {
        return Ok(None);
    };
    let Some(query) = search.and_then(|words| index_query(Backend::Sqlite, words, scope)) else {
        return Ok(None);
    };
    let most = looked_up_matches(c)?;
    let found: Vec<Match> = diesel::sql_query(
        "SELECT rowid FROM bookmark_search WHERE bookmark_search MATCH ? LIMIT ?",
    )
    .bind::<Text, _>(&query)
    .bind::<BigInt, _>(i64::try_from(most + 1).unwrap_or(i64::MAX))
    .load(c)?;
    Ok(Some(if found.len() > most {
        SqlitePlan::Walk(query)
    } else {
        SqlitePlan::LookUp(found.into_iter().map(|m| m.rowid).collect())
    }))
}

/// `bookmarks.id` is one of `ids`, for [`SqlitePlan::LookUp`]. Given as a subquery over a JSON
/// array, as the index's matches were, so that SQLite looks each one up by id: with the same
/// ids as a list (`id IN (?, ?, …)`), it preferred walking the user's whole listing from
/// about 100 ids on (2 ms instead of 0.05 ms for 122 ids at 100,000 bookmarks).
pub(crate) fn one_of(ids: &[i64]) -> IdAmong<BookmarkId> {
    id_among(Backend::Sqlite, ids)
}

/// [`matches`] for [`SqlitePlan::Walk`]: the unary `+` keeps SQLite from looking the matches
/// up by id, so it walks the listing's index in order and stops when the page is full.
pub(crate) fn matches_while_walking(query: String) -> SqlCondition {
    sql::<Bool>(&format!("+{SQLITE_MATCHES}"))
        .bind::<Text, _>(query)
        .sql(")")
}

/// What the index holds for one bookmark: its words ([`document`]) and its owner (on SQLite as a
/// word of the document, [`owner_word`]; on PostgreSQL in a column of its own).
pub(crate) struct Document<'a> {
    pub bookmark_id: i64,
    pub owner_id: i64,
    /// Borrowed from an import's prepared batch, owned otherwise.
    pub words: Cow<'a, str>,
}

/// The word marking a document as `owner`'s in SQLite's index, so that a search of one user's
/// bookmarks asks the index for theirs only, rather than looking up everyone's matches. It
/// begins with `_`, which the index counts as part of a word (`tokenchars`, migration 000008)
/// and which no word of a bookmark or of a search holds (they are runs of letters and digits),
/// so no search can match it, whole or as a prefix.
fn owner_word(owner: i64) -> String {
    format!("_{owner}")
}

/// Writes (or rewrites) the documents.
///
/// On SQLite the old documents are removed first, and the new ones inserted one row per
/// statement ([`insert_sqlite_documents`]; new bookmarks' documents, an import's among them,
/// go there directly through [`insert_new_documents`]).
pub(crate) fn write_documents(
    conn: &mut DbConnection,
    documents: &[Document<'_>],
) -> Result<(), StoreError> {
    match conn {
        DbConnection::Sqlite(c) => {
            for chunk in documents.chunks(DOCUMENTS_PER_STATEMENT) {
                let ids = chunk
                    .iter()
                    .map(|d| d.bookmark_id.to_string())
                    .collect::<Vec<_>>()
                    .join(",");
                diesel::sql_query(format!(
                    "DELETE FROM bookmark_search WHERE rowid IN ({ids})"
                ))
                .execute(c)?;
            }
            insert_sqlite_documents(c, documents)?;
        }
        DbConnection::Postgres(c) => {
            for chunk in documents.chunks(DOCUMENTS_PER_STATEMENT) {
                let ids = chunk.iter().map(|d| d.bookmark_id).collect();
                let owners = chunk.iter().map(|d| d.owner_id).collect();
                let lexemes = chunk.iter().map(postgres_lexemes).collect();
                UpsertPostgresDocuments {
                    ids,
                    owners,
                    lexemes,
                }
                .execute(c)?;
            }
        }
    }
    Ok(())
}

/// One statement per document: FTS5 writes what it has collected out as a new segment of the
/// index whenever a statement opens a savepoint, which every statement that writes several rows
/// of it does: with multi-row inserts an import's batch of 10,000 bookmarks became 20 small
/// segments, which FTS5 then spent a fifth of the import merging. One statement, kept compiled,
/// run per document lets a batch's documents become one segment.
fn insert_sqlite_documents(
    c: &mut diesel::SqliteConnection,
    documents: &[Document<'_>],
) -> Result<(), StoreError> {
    for document in documents {
        let text = format!("{} {}", document.words, owner_word(document.owner_id));
        InsertSqliteDocument {
            rowid: document.bookmark_id,
            document: &text,
        }
        .execute(c)?;
    }
    Ok(())
}

/// Writes the documents of bookmarks just created, which have none yet: on SQLite without
/// first removing old ones.
pub(crate) fn insert_new_documents(
    conn: &mut DbConnection,
    documents: &[Document<'_>],
) -> Result<(), StoreError> {
    match conn {
        DbConnection::Sqlite(c) => insert_sqlite_documents(c, documents),
        DbConnection::Postgres(_) => write_documents(conn, documents),
    }
}

/// Removes a bookmark from the index (PostgreSQL's rows go with the bookmark by themselves).
pub(crate) fn remove_document(conn: &mut DbConnection, bookmark_id: i64) -> Result<(), StoreError> {
    // Created in the group being written: its document was never written.
    deferred_documents::take_back(bookmark_id);
    if let DbConnection::Sqlite(c) = conn {
        diesel::sql_query("DELETE FROM bookmark_search WHERE rowid = ?")
            .bind::<BigInt, _>(bookmark_id)
            .execute(c)?;
    }
    Ok(())
}

fn document_of(bookmark: &Bookmark) -> Document<'static> {
    Document {
        bookmark_id: bookmark.id,
        owner_id: bookmark.owner_id,
        words: document(
            bookmark.title.as_str(),
            bookmark.notes.as_str(),
            bookmark.url.as_str(),
            &bookmark.tags.names(),
        )
        .into(),
    }
}

/// The lexemes of a bookmark's PostgreSQL document, for a statement that writes it.
pub(crate) fn postgres_lexemes_of(bookmark: &Bookmark) -> String {
    postgres_lexemes(&document_of(bookmark))
}

/// Writes the document of a bookmark just created, or, in a group of saves, keeps it for the
/// group's end ([`deferred_documents`]).
pub(crate) fn index_new_bookmark(
    conn: &mut DbConnection,
    bookmark: &Bookmark,
) -> Result<(), StoreError> {
    match deferred_documents::hold_back(document_of(bookmark)) {
        Some(document) => insert_new_documents(conn, &[document]),
        None => Ok(()),
    }
}

/// Rewrites the document of a bookmark just changed.
pub(crate) fn index_bookmark(
    conn: &mut DbConnection,
    bookmark: &Bookmark,
) -> Result<(), StoreError> {
    if deferred_documents::take_back(bookmark.id).is_some() {
        // Created earlier in this group: still new, its document still held back.
        return index_new_bookmark(conn, bookmark);
    }
    write_documents(conn, &[document_of(bookmark)])
}

/// Builds the documents of the given bookmarks from what is stored and writes them.
pub(crate) fn index_bookmarks(conn: &mut DbConnection, ids: &[i64]) -> Result<(), StoreError> {
    let mut documents = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(DOCUMENTS_PER_STATEMENT) {
        let rows: Vec<(i64, i64, String, String, String)> = bookmarks::table
            .filter(bookmarks::id.eq_any(chunk))
            .select((
                bookmarks::id,
                bookmarks::user_id,
                bookmarks::title,
                bookmarks::notes,
                bookmarks::url,
            ))
            .load(conn)?;
        let mut tags_of: HashMap<i64, Vec<String>> = HashMap::new();
        // Each link carries its tag's name (`tags::NewLink`).
        let links: Vec<(i64, String)> = bookmark_tags::table
            .filter(bookmark_tags::bookmark_id.eq_any(chunk))
            .select((bookmark_tags::bookmark_id, bookmark_tags::tag_name))
            .load(conn)?;
        for (id, name) in links {
            tags_of.entry(id).or_default().push(name);
        }
        documents.extend(rows.into_iter().map(|(id, owner_id, title, notes, url)| {
            let tags = tags_of.remove(&id).unwrap_or_default();
            Document {
                bookmark_id: id,
                owner_id,
                words: document(&title, &notes, &url, &tags).into(),
            }
        }));
    }
    write_documents(conn, &documents)
}

/// Indexes every bookmark, in batches of one transaction each (the first start after the
/// migration that added the index does this), merging the index once at the end
/// ([`super::bulk_indexing`]). Returns how many were indexed.
pub fn rebuild_search_index(db: &super::Database) -> Result<usize, StoreError> {
    super::bulk_indexing::begin(db)?;
    let indexed = index_every_bookmark(db);
    let merged = super::bulk_indexing::end(db, indexed.as_ref().map_or(0, |n| *n));
    let indexed = indexed?;
    merged?;
    Ok(indexed)
}

fn index_every_bookmark(db: &super::Database) -> Result<usize, StoreError> {
    let mut after = 0;
    let mut indexed = 0;
    loop {
        let ids: Vec<i64> = db.read(|c| {
            Ok(bookmarks::table
                .filter(bookmarks::id.gt(after))
                .order(bookmarks::id)
                .limit(5_000)
                .select(bookmarks::id)
                .load(c)?)
        })?;
        let Some(last) = ids.last().copied() else {
            return Ok(indexed);
        };
        db.write(|c| {
            hold_off_edits(c, &ids)?;
            index_bookmarks(c, &ids)
        })?;
        indexed += ids.len();
        after = last;
    }
}

/// On PostgreSQL, makes a concurrent edit of any of `ids` wait until this transaction has
/// written their documents (and this one wait for an edit already under way): otherwise a
/// rebuild that read a bookmark just before an edit committed would write its earlier words
/// over the edit's document. In id order, so that two rebuilds lock alike. SQLite's writers
/// already take turns.
fn hold_off_edits(conn: &mut DbConnection, ids: &[i64]) -> Result<(), StoreError> {
    if let DbConnection::Postgres(c) = conn {
        diesel::sql_query("SELECT id FROM bookmarks WHERE id = ANY($1) ORDER BY id FOR SHARE")
            .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(ids)
            .execute(c)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_the_lower_cased_words_of_every_field() {
        assert_eq!(
            document(
                "Async Rust",
                "Über—fast, really!",
                "https://docs.rs/tokio_util?x=1",
                &["rust-lang".into()]
            ),
            "async rust über fast really https docs rs tokio util x 1 lang"
        );
    }

    #[test]
    fn a_document_holds_each_word_once_where_it_first_appears() {
        assert_eq!(
            document(
                "Rust and rust",
                "RUST, tokio and Tokio",
                "",
                &["rust".into()]
            ),
            "rust and tokio"
        );
    }

    #[test]
    fn a_search_becomes_prefix_words_and_cannot_inject_syntax() {
        assert_eq!(
            index_query(Backend::Sqlite, "Rust \"OR\" x*", Scope::Instance),
            Some("\"rust\" \"or\" \"x\"*".into())
        );
        assert_eq!(
            index_query(Backend::Postgres, "rust & !async:", Scope::Instance),
            Some("'rust' & 'async*'".into())
        );
        assert_eq!(
            index_query(Backend::Postgres, "it's", Scope::Instance),
            Some("'it' & 's':*".into())
        );
        assert_eq!(
            index_query(Backend::Sqlite, " %% -- ", Scope::Instance),
            None
        );
        assert_eq!(
            index_query(Backend::Postgres, &"w ".repeat(20), Scope::Instance)
                .map(|q| q.split(" & ").count()),
            Some(MAX_SEARCH_WORDS)
        );
    }

    #[test]
    fn words_too_long_for_postgresql_are_left_out_of_documents_and_searches() {
        let long = "é".repeat(MAX_WORD_BYTES / 2 + 1);
        assert_eq!(document(&format!("{long} ok"), "", "", &[]), "ok");
        assert_eq!(
            index_query(Backend::Postgres, &format!("ok {long}"), Scope::Instance),
            Some("'ok*'".into())
        );
        let longest = "x".repeat(MAX_WORD_BYTES);
        assert_eq!(document(&longest, "", "", &[]), longest);
    }

    #[test]
    fn a_search_in_one_users_bookmarks_asks_for_the_owners_mark() {
        let scope = Scope::User { owner: 17 };
        assert_eq!(
            index_query(Backend::Sqlite, "async ru", scope),
            Some("\"_17\" \"async\" \"ru\"*".into())
        );
        // Not on PostgreSQL (see `postgres_lexemes`): there the documents' owner column is.
        assert_eq!(
            index_query(Backend::Postgres, "async ru", scope),
            Some("'async' & 'ru*'".into())
        );
    }

    #[test]
    fn a_postgres_search_in_one_users_bookmarks_keeps_the_owners_documents() {
        let sql = |scope| {
            diesel::debug_query::<diesel::pg::Pg, _>(&matches(
                Backend::Postgres,
                "'async'".into(),
                scope,
            ))
            .to_string()
        };
        let owned = sql(Scope::User { owner: 17 });
        assert!(
            owned.contains("WHERE coalesce(bookmark_search.user_id = 17, true) AND document @@"),
            "{owned}"
        );
        let everyone = sql(Scope::Instance);
        assert!(!everyone.contains("user_id"), "{everyone}");
    }

    #[test]
    fn postgres_asks_for_an_indexed_beginning_where_there_is_one() {
        assert_eq!(postgres_prefix_term("r"), "'r':*");
        assert_eq!(postgres_prefix_term("ru"), "'ru*'");
        assert_eq!(postgres_prefix_term("über"), "'über*'");
        assert_eq!(postgres_prefix_term("rusta"), "'rusta*'");
        assert_eq!(postgres_prefix_term("rustac"), "'rustac':*");
    }

    #[test]
    fn postgres_indexes_each_word_and_its_beginnings() {
        let lexemes = |words: &str| {
            postgres_lexemes(&Document {
                bookmark_id: 1,
                owner_id: 9,
                words: words.into(),
            })
        };
        assert_eq!(lexemes("a rust"), "a rust ru* rus* rust*");
        assert_eq!(lexemes("rustacean"), "rustacean ru* rus* rust* rusta*");
        assert_eq!(lexemes("äöüß"), "äöüß äö* äöü* äöüß*");
        assert_eq!(lexemes(""), "");
    }
}
