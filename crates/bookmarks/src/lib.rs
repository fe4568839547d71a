//! The bookmark domain of Commonplace: types that parse user input into values that are
//! valid by construction (`model`), and the storage behind them (`store`, diesel over SQLite
//! or PostgreSQL). Nothing here knows about HTTP or HTML; the web crate turns these errors
//! into status codes and pages.

pub mod model;
pub mod store;
pub mod test_db;

pub use model::FieldError;
pub use store::{Database, StoreError};
