//! Commonplace's web side: server-rendered pages, the bookmarklet, the JSON API, sessions and
//! CSRF. Handlers parse input into domain types, call the bookmark store, and turn its errors
//! into pages or JSON; they never build federation activities (the store records events).

mod api;
mod assets;
mod auth;
mod blocking;
mod errors;
pub(crate) mod feeds;
mod html_escape;
mod import_jobs;
mod inline_reads;
pub mod interchange;
mod maintenance;
mod owner_cache;
mod page_fill;
mod page_meta;
mod pages;
mod pinboard;
mod rfc3339;
pub mod settings;
mod slow_listings;
mod startup;
mod state;
mod streamed_body;
mod tag_counts_cache;
mod views;

pub use settings::{RegistrationMode, Settings};
pub use startup::Application;
