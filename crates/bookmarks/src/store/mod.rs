//! Storage: diesel over SQLite (the embedded default) or PostgreSQL, one schema for both.
//! Row structs live beside the queries that use them; every write goes through
//! [`Database::write`], one transaction, so a change and its domain event land together. The
//! API's and Pinboard's saves go through [`Database::save_bookmark`]: grouped with others on
//! SQLite, and on PostgreSQL one statement, its own transaction, when the address is new and
//! its tags exist.

mod bookmarks;
pub mod bulk_indexing;
mod connection;
mod database;
mod deferred_documents;
mod error;
mod events;
pub mod federation;
mod group_commit;
mod import;
mod kept_conditions;
mod kept_document_inserts;
mod listing;
mod migrations;
mod oldest_first;
mod page_limit;
mod pending_vacuum;
mod postgres_create;
mod retag;
pub mod schema;
mod search;
mod search_gate;
mod search_pending_list;
mod settings;
mod sqlite_library;
mod stored_time;
mod stored_visibility;
mod tag_stats;
mod tag_totals;
mod tags;
mod users;

pub use bookmarks::{
    delete_bookmark, find_bookmark_by_url, get_bookmark, save_bookmark, update_bookmark, Bookmark,
    SavedBookmark,
};
pub use connection::{Backend, DbConnection};
pub use database::Database;
pub use error::StoreError;
pub use events::{
    change_generation, events_after, latest_change, list_events, lock_event_cursor,
    set_event_cursor, ChangeGeneration, EventBatch, EventPosition, StoredEvent,
};
pub use import::{
    create_import_tags, import_batch, import_prepared_batch, BatchReport, PreparedBatch,
};
pub use listing::{
    bookmark_times, count_bookmarks, list_bookmarks, BookmarkFilter, BookmarkPage, KnownOwner,
    Scope, MAX_PAGE_SIZE,
};
pub use oldest_first::list_oldest_first;
pub use pending_vacuum::{may_vacuum_pending_totals, vacuum_pending_totals};
pub use retag::retag;
pub use search::rebuild_search_index;
pub use search_pending_list::{clean_search_pending_list, may_clean_search_pending_list};
pub use settings::{get_or_create_setting, get_setting};
pub use tag_stats::{related_tags, tag_counts, TagCount};
pub use users::{
    accept_invite, count_users, create_api_token, create_invite, create_session, create_user,
    delete_session, feed_token, feed_token_matches, find_user_by_name,
    find_user_by_name_with_generation, find_user_by_name_with_social, get_user, list_api_tokens,
    list_invites, list_users, regenerate_feed_token, revoke_api_token, user_for_api_token,
    user_for_session, user_private_key, ApiToken, Invite, NewAccount, User,
};

// Filters on tags look bookmarks up in their own copy of the link table, so that they also work
// inside queries that join it themselves (tag counts).
diesel::alias!(schema::bookmark_tags as filter_links: FilterLinks);

/// The current time in UTC, to the microsecond (what both backends store exactly).
pub(crate) fn now() -> chrono::NaiveDateTime {
    let now = chrono::Utc::now();
    chrono::DateTime::from_timestamp_micros(now.timestamp_micros())
        .unwrap_or(now)
        .naive_utc()
}
