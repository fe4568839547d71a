//! API and page tests: each spawns the real application on port 0 with a fresh database
//! (SQLite, or PostgreSQL when COMMONPLACE_TEST_DATABASE_URL is set).

// A failing expectation in a test should panic with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod bookmarks_api;
mod federation;
mod federation_tls;
mod feeds;
mod helpers;
mod import_export;
mod network_people;
mod openapi;
mod pages;
mod pinboard;
mod streamed_import;
