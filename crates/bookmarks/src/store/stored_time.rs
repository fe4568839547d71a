//! Reading timestamps back from SQLite without re-reading a format string per value, and
//! writing them the same way.
//!
//! SQLite stores diesel's timestamps as text (`2026-11-28 19:14:59.123456`). diesel reads them
//! with chrono's `parse_from_str` against a list of formats, which parses the format string
//! itself (`"%F %T%.f"`) before every value: two timestamps a bookmark, a hundred rows a page,
//! and 4–5 % of the server's time under a JSON list load. [`StoredTime`] reads the one form
//! diesel writes digit by digit, and falls back to diesel's own reading for anything else
//! (times written by hand in SQL, Julian days). PostgreSQL sends
//! timestamps as binary, which diesel reads directly.
//!
//! diesel writes them with chrono's `format`, which likewise reads its format string for every
//! value: an import writes four or five a bookmark (its own two and one per tag link), and
//! that was 3.4 % of an import's samples (`perf`). [`WrittenTime`] writes the same text digit
//! by digit.

use super::connection::DbBackend;
use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
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
/// Reads `YYYY-MM-DD HH:MM:SS` with an optional fraction of up to nine digits, the one form
/// diesel writes, digit by digit; `None` for anything else. chrono's general parser, even
/// with a format compiled once, took about 1,500 instructions a value (8 % of a JSON list
/// request, callgrind); this takes a few dozen.
fn parse_written(text: &str) -> Option<NaiveDateTime> {
    let bytes = text.as_bytes();
    let (whole, fraction) = match bytes.split_at_checked(19)? {
        (whole, []) => (whole, None),
        (whole, [b'.', digits @ ..]) if (1..=9).contains(&digits.len()) => (whole, Some(digits)),
        _ => return None,
    };
    let separators = [(4, b'-'), (7, b'-'), (10, b' '), (13, b':'), (16, b':')];
    if separators.iter().any(|&(at, byte)| whole[at] != byte) {
        return None;
    }
    let number = |from: usize, to: usize| digits_value(&whole[from..to]);
    let nanosecond = match fraction {
        None => 0,
        Some(digits) => {
            let scale = 10u32.pow(9 - u32::try_from(digits.len()).ok()?);
            digits_value(digits)?.checked_mul(scale)?
        }
    };
    NaiveDate::from_ymd_opt(
        i32::try_from(number(0, 4)?).ok()?,
        number(5, 7)?,
        number(8, 10)?,
    )?
    .and_hms_nano_opt(
        number(11, 13)?,
        number(14, 16)?,
        number(17, 19)?,
        nanosecond,
    )
}

/// The value of a run of ASCII digits (at most nine), or `None` if any byte is not one.
fn digits_value(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |value, &byte| {
        byte.is_ascii_digit()
            .then(|| value * 10 + u32::from(byte - b'0'))
    })
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

/// A timestamp to write; bind with `column.eq(WrittenTime(time))`.
#[derive(Debug, Clone, Copy, diesel::expression::AsExpression)]
#[diesel(sql_type = Timestamp)]
pub(crate) struct WrittenTime(pub NaiveDateTime);

/// The text diesel writes for `time` on SQLite (chrono's `%Y-%m-%d %H:%M:%S%.f`: a fraction of
/// 3, 6 or 9 digits, the fewest that hold it, and none for a whole second), made digit by
/// digit; `None` for a year outside 0–9999 or a leap second, which diesel writes instead.
fn written_text(time: &NaiveDateTime) -> Option<String> {
    let year = u32::try_from(time.year())
        .ok()
        .filter(|year| *year <= 9999)?;
    let nanosecond = time.nanosecond();
    if nanosecond >= 1_000_000_000 {
        return None;
    }
    let mut text = [0u8; 29];
    put_digits(&mut text[0..4], year);
    put_digits(&mut text[5..7], time.month());
    put_digits(&mut text[8..10], time.day());
    put_digits(&mut text[11..13], time.hour());
    put_digits(&mut text[14..16], time.minute());
    put_digits(&mut text[17..19], time.second());
    for (at, byte) in [
        (4, b'-'),
        (7, b'-'),
        (10, b' '),
        (13, b':'),
        (16, b':'),
        (19, b'.'),
    ] {
        text[at] = byte;
    }
    let length = match nanosecond {
        0 => 19,
        n if n % 1_000_000 == 0 => {
            put_digits(&mut text[20..23], n / 1_000_000);
            23
        }
        n if n % 1_000 == 0 => {
            put_digits(&mut text[20..26], n / 1_000);
            26
        }
        n => {
            put_digits(&mut text[20..29], n);
            29
        }
    };
    std::str::from_utf8(&text[..length]).ok().map(str::to_owned)
}

/// Writes `value`'s last `digits.len()` decimal digits into `digits`.
fn put_digits(digits: &mut [u8], mut value: u32) {
    for digit in digits.iter_mut().rev() {
        *digit = b"0123456789"[(value % 10) as usize];
        value /= 10;
    }
}

impl ToSql<Timestamp, Sqlite> for WrittenTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        match written_text(&self.0) {
            Some(text) => {
                out.set_value(text);
                Ok(IsNull::No)
            }
            None => <NaiveDateTime as ToSql<Timestamp, Sqlite>>::to_sql(&self.0, out),
        }
    }
}

impl ToSql<Timestamp, Pg> for WrittenTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <NaiveDateTime as ToSql<Timestamp, Pg>>::to_sql(&self.0, out)
    }
}

impl ToSql<Timestamp, DbBackend> for WrittenTime {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DbBackend>) -> serialize::Result {
        out.set_value((Timestamp, self));
        Ok(IsNull::No)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(parse_written("2026-02-30 19:14:59"), None);
        assert_eq!(parse_written("2026-11-28 24:14:59"), None);
        assert_eq!(parse_written("2026-11-28 19:14:59."), None);
        assert_eq!(parse_written("2026-11-28 19:14:59.1234567890"), None);
        assert_eq!(parse_written("2026-11-28 19:1a:59"), None);
        assert_eq!(parse_written("+026-11-28 19:14:59"), None);
        assert_eq!(parse_written("2026-11-28 19:14:59 "), None);
    }

    #[test]
    fn reads_every_fraction_length_and_nanoseconds() {
        let nanos = |text: &str| parse_written(text).map(|t| t.and_utc().timestamp_subsec_nanos());
        assert_eq!(nanos("2026-11-28 19:14:59.1"), Some(100_000_000));
        assert_eq!(nanos("2026-11-28 19:14:59.123"), Some(123_000_000));
        assert_eq!(nanos("2026-11-28 19:14:59.000001"), Some(1_000));
        assert_eq!(nanos("2026-11-28 19:14:59.123456789"), Some(123_456_789));
    }

    #[test]
    fn reads_back_what_diesel_writes() {
        // diesel writes chrono's `%F %T%.f`.
        for micro in [0, 1, 500_000, 999_999] {
            let time = at(23, 59, 58, micro).expect("a valid time");
            let written = time.format("%F %T%.f").to_string();
            assert_eq!(parse_written(&written), Some(time), "{written}");
        }
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

    /// Times of every form [`written_text`] writes: whole seconds, fractions of 3, 6 and 9
    /// digits, and the first and last years it writes itself.
    fn times_to_write() -> Vec<NaiveDateTime> {
        let day = NaiveDate::from_ymd_opt(2026, 11, 28).expect("date");
        let on = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        [
            day.and_hms_opt(0, 0, 0),
            day.and_hms_opt(19, 14, 59),
            day.and_hms_milli_opt(19, 14, 59, 120),
            day.and_hms_micro_opt(9, 4, 5, 123_456),
            day.and_hms_micro_opt(9, 4, 5, 123_400),
            day.and_hms_micro_opt(9, 4, 5, 1),
            day.and_hms_micro_opt(9, 4, 5, 999_000),
            day.and_hms_nano_opt(23, 59, 59, 1),
            day.and_hms_nano_opt(23, 59, 59, 100_000_000),
            on(0, 1, 1).and_hms_opt(0, 0, 0),
            on(1, 1, 1).and_hms_opt(1, 2, 3),
            on(999, 2, 28).and_hms_milli_opt(4, 5, 6, 7),
            on(9999, 12, 31).and_hms_micro_opt(23, 59, 59, 10),
        ]
        .into_iter()
        .map(|time| time.expect("a valid time"))
        .collect()
    }

    #[test]
    fn writes_what_chrono_writes_and_reads_it_back() {
        for time in times_to_write() {
            let chronos = time.format("%F %T%.f").to_string();
            assert_eq!(written_text(&time).as_deref(), Some(chronos.as_str()));
            assert_eq!(parse_written(&chronos), Some(time));
        }
        let far = NaiveDate::from_ymd_opt(10_000, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0));
        assert_eq!(written_text(&far.expect("a valid time")), None);
        let before = NaiveDate::from_ymd_opt(-1, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0));
        assert_eq!(written_text(&before.expect("a valid time")), None);
        let leap = NaiveDate::from_ymd_opt(2026, 11, 28)
            .and_then(|d| d.and_hms_milli_opt(23, 59, 59, 1_500))
            .expect("a leap second");
        assert_eq!(written_text(&leap), None);
    }

    /// What SQLite is given for each time is what diesel gives it for the same time, the
    /// forms left to diesel included.
    #[test]
    fn sqlite_is_given_what_diesel_gives_it() {
        use diesel::sql_types::Text;
        use diesel::{Connection, RunQueryDsl};
        let mut conn = diesel::SqliteConnection::establish(":memory:").expect("sqlite");
        let leap = NaiveDate::from_ymd_opt(2026, 11, 28)
            .and_then(|d| d.and_hms_milli_opt(23, 59, 59, 1_500))
            .expect("a leap second");
        let far = NaiveDate::from_ymd_opt(10_000, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .expect("a valid time");
        for time in times_to_write().into_iter().chain([leap, far]) {
            let ours: String = diesel::select(
                diesel::dsl::sql::<Text>("").bind::<Timestamp, _>(WrittenTime(time)),
            )
            .get_result(&mut conn)
            .expect("written");
            let diesels: String =
                diesel::select(diesel::dsl::sql::<Text>("").bind::<Timestamp, _>(time))
                    .get_result(&mut conn)
                    .expect("written");
            assert_eq!(ours, diesels);
        }
    }
}
