//! Reading a bookmark's visibility straight from the column's text.
//!
//! Read as a `String` first, every listed bookmark's visibility cost an allocation and a free
//! for four letters to seven. [`StoredVisibility`] reads the text where the driver holds it and
//! keeps only the [`Visibility`]; what [`Visibility::from_stored`] does not know reads as
//! private, so a corrupted row never leaks.

use super::connection::DbBackend;
use crate::model::Visibility;
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::pg::Pg;
use diesel::sql_types::Text;
use diesel::sqlite::{Sqlite, SqliteValue};

/// A visibility column's value; load with `#[diesel(deserialize_as = StoredVisibility)]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::deserialize::FromSqlRow)]
pub(crate) struct StoredVisibility(Visibility);

impl From<StoredVisibility> for Visibility {
    fn from(stored: StoredVisibility) -> Self {
        stored.0
    }
}

impl FromSql<Text, Sqlite> for StoredVisibility {
    fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        Ok(Self(Visibility::from_stored(value.read_text())))
    }
}

impl FromSql<Text, Pg> for StoredVisibility {
    fn from_sql(value: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        Ok(Self(Visibility::from_stored(std::str::from_utf8(
            value.as_bytes(),
        )?)))
    }
}

impl FromSql<Text, DbBackend> for StoredVisibility {
    fn from_sql(value: <DbBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<Self, Text>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::dsl::sql;
    use diesel::{Connection, RunQueryDsl, SqliteConnection};

    #[test]
    fn reads_each_stored_name_and_anything_else_as_private() {
        let mut conn = SqliteConnection::establish(":memory:").expect("in-memory SQLite");
        let mut read = |literal: &str| {
            diesel::select(sql::<Text>(literal))
                .get_result::<StoredVisibility>(&mut conn)
                .map(Visibility::from)
                .expect("a text value reads")
        };
        for visibility in Visibility::ALL {
            assert_eq!(read(&format!("'{}'", visibility.as_str())), visibility);
        }
        assert_eq!(read("' Public '"), Visibility::Public);
        assert_eq!(read("'friends'"), Visibility::Private);
        assert_eq!(read("''"), Visibility::Private);
    }
}
