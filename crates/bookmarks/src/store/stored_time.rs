//! Reading timestamps back from SQLite without re-reading a format string per value.
//!
//! SQLite stores diesel's timestamps as text (`2026-11-28 19:14:59.123456`). diesel reads them
//! with chrono's `parse_from_str` against a list of formats, which parses the format string
//! itself (`"%F %T%.f"`) before every value: two timestamps a bookmark, a hundred rows a page,
//! and 4–5 % of the server's time under a JSON list load. [`StoredTime`] parses the format
//! diesel writes with chrono's parser and a format compiled once, and falls back to diesel's
//! own reading for anything else (times written by hand in SQL, Julian days). PostgreSQL sends
//! timestamps as binary, which diesel reads directly.

use super::connection::DbBackend;
use chrono::format::{Fixed, Item, Numeric, Pad, Parsed};
use chrono::NaiveDateTime;
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::pg::Pg;
use diesel::sql_types::Timestamp;
use diesel::sqlite::{Sqlite, SqliteValue};

/// A timestamp column's value; load with `#[diesel(deserialize_as = StoredTime)]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::deserialize::FromSqlRow)]
pub(crate) struct StoredTime(NaiveDateTime);

impl From<StoredTime> for NaiveDateTime {
    fn from(time: StoredTime) -> Self {
        time.0
    }
}

/// What diesel writes: `%Y-%m-%d %H:%M:%S` and a fraction of a second when there is one.
const WRITTEN_BY_DIESEL: &[Item<'static>] = &[
    Item::Numeric(Numeric::Year, Pad::Zero),
    Item::Literal("-"),
    Item::Numeric(Numeric::Month, Pad::Zero),
    Item::Literal("-"),
    Item::Numeric(Numeric::Day, Pad::Zero),
    Item::Literal(" "),
    Item::Numeric(Numeric::Hour, Pad::Zero),
    Item::Literal(":"),
    Item::Numeric(Numeric::Minute, Pad::Zero),
    Item::Literal(":"),
    Item::Numeric(Numeric::Second, Pad::Zero),
    Item::Fixed(Fixed::Nanosecond),
];

fn parse_written(text: &str) -> Option<NaiveDateTime> {
    let mut parsed = Parsed::new();
    chrono::format::parse(&mut parsed, text, WRITTEN_BY_DIESEL.iter()).ok()?;
    parsed.to_naive_datetime_with_offset(0).ok()
}

impl FromSql<Timestamp, Sqlite> for StoredTime {
    fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        if let Some(time) = parse_written(value.read_text()) {
            return Ok(Self(time));
        }
        <NaiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value).map(Self)
    }
}

impl FromSql<Timestamp, Pg> for StoredTime {
    fn from_sql(value: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        <NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value).map(Self)
    }
}

impl FromSql<Timestamp, DbBackend> for StoredTime {
    fn from_sql(value: <DbBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<Self, Timestamp>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(h: u32, m: u32, s: u32, micro: u32) -> Option<NaiveDateTime> {
        NaiveDate::from_ymd_opt(2026, 11, 28)?.and_hms_micro_opt(h, m, s, micro)
    }

    #[test]
    fn reads_what_diesel_writes_with_and_without_a_fraction() {
        assert_eq!(parse_written("2026-11-28 19:14:59"), at(19, 14, 59, 0));
        assert_eq!(
            parse_written("2026-11-28 19:14:59.123456"),
            at(19, 14, 59, 123_456)
        );
        assert_eq!(parse_written("2026-11-28 00:00:00.5"), at(0, 0, 0, 500_000));
    }

    #[test]
    fn leaves_other_forms_to_diesel() {
        assert_eq!(parse_written("2026-11-28T19:14:59"), None);
        assert_eq!(parse_written("2026-11-28 19:14"), None);
        assert_eq!(parse_written("2026-11-28 19:14:59Z"), None);
        assert_eq!(parse_written("2461007.5"), None);
        assert_eq!(parse_written("2026-13-28 19:14:59"), None);
    }

    #[test]
    fn sqlite_values_in_other_forms_are_still_read() {
        use diesel::dsl::sql;
        use diesel::{Connection, RunQueryDsl, SqliteConnection};
        let mut conn = SqliteConnection::establish(":memory:").expect("in-memory SQLite");
        let mut read = |literal: &str| {
            diesel::select(sql::<Timestamp>(literal))
                .get_result::<StoredTime>(&mut conn)
                .map(NaiveDateTime::from)
                .ok()
        };
        assert_eq!(read("'2026-11-28 19:14:59.25'"), at(19, 14, 59, 250_000));
        assert_eq!(read("'2026-11-28T19:14:59'"), at(19, 14, 59, 0));
        assert_eq!(read("'2026-11-28 19:14'"), at(19, 14, 0, 0));
        assert_eq!(read("'not a time'"), None);
    }
}
