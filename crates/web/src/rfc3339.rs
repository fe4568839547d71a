//! Times in the API's JSON and in pages' `<time datetime>`: RFC 3339 in UTC, as chrono writes
//! them with `SecondsFormat::AutoSi` and `Z` (`2026-11-28T19:14:59Z`,
//! `2026-11-28T19:14:59.250Z`).
//!
//! A page of fifty bookmarks has a hundred times in JSON, fifty in HTML. chrono built each as a `String` through its
//! general formatter (3 % of a JSON list request, callgrind); [`Rfc3339`] writes the usual
//! ones (years 0–9999) into a buffer on the stack, and leaves the rest to chrono.

use chrono::{Datelike, NaiveDateTime, SecondsFormat, Timelike};
use serde::{Serialize, Serializer};
use std::fmt;

/// A time written as RFC 3339 in UTC when serialised or displayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rfc3339(pub NaiveDateTime);

/// The longest text [`Rfc3339::write_usual`] writes: the date, the time, nine digits of
/// fraction and `Z`.
const LONGEST: usize = "2026-11-28T19:14:59.123456789Z".len();

impl Rfc3339 {
    /// Writes the time into `buffer` and returns it, or `None` when chrono must write it (a
    /// year outside 0–9999, a leap second).
    fn write_usual(self, buffer: &mut [u8; LONGEST]) -> Option<&str> {
        let at = self.0;
        let year = u32::try_from(at.year()).ok().filter(|y| *y <= 9999)?;
        let nanosecond = at.nanosecond();
        if nanosecond >= 1_000_000_000 {
            return None;
        }
        let mut text = Written { buffer, length: 0 };
        text.digits(year, 4, b'-');
        text.digits(at.month(), 2, b'-');
        text.digits(at.day(), 2, b'T');
        text.digits(at.hour(), 2, b':');
        text.digits(at.minute(), 2, b':');
        // As chrono's AutoSi: no fraction, or milli-, micro- or nanoseconds, whichever shows
        // every digit that is not zero.
        match nanosecond {
            0 => text.digits(at.second(), 2, b'Z'),
            n => {
                text.digits(at.second(), 2, b'.');
                match n {
                    n if n % 1_000_000 == 0 => text.digits(n / 1_000_000, 3, b'Z'),
                    n if n % 1_000 == 0 => text.digits(n / 1_000, 6, b'Z'),
                    n => text.digits(n, 9, b'Z'),
                }
            }
        }
        let Written { buffer, length } = text;
        std::str::from_utf8(&buffer[..length]).ok()
    }

    fn by_chrono(self) -> String {
        self.0
            .and_utc()
            .to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }
}

/// Digits and separators written in order into a buffer long enough for them.
struct Written<'b> {
    buffer: &'b mut [u8; LONGEST],
    length: usize,
}

impl Written<'_> {
    /// `value` as `count` digits (with leading zeros), then `separator`.
    fn digits(&mut self, value: u32, count: u32, separator: u8) {
        for place in (0..count).rev() {
            let digit = (value / 10u32.pow(place)) % 10;
            self.buffer[self.length] = b'0' + u8::try_from(digit).unwrap_or(0);
            self.length += 1;
        }
        self.buffer[self.length] = separator;
        self.length += 1;
    }
}

impl Serialize for Rfc3339 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buffer = [0; LONGEST];
        match self.write_usual(&mut buffer) {
            Some(text) => serializer.serialize_str(text),
            None => serializer.serialize_str(&self.by_chrono()),
        }
    }
}

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buffer = [0; LONGEST];
        match self.write_usual(&mut buffer) {
            Some(text) => f.write_str(text),
            None => f.write_str(&self.by_chrono()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(year: i32, nano: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(year, 2, 3)
            .and_then(|d| d.and_hms_nano_opt(4, 5, 6, nano))
            .expect("a valid time")
    }

    #[test]
    fn writes_what_chrono_writes() {
        let years = [0, 7, 999, 1970, 2026, 9999];
        let nanos = [
            0,
            1,
            999,
            1_000,
            250_000,
            999_000,
            1_000_000,
            250_000_000,
            123_456_789,
            999_999_999,
        ];
        for year in years {
            for nano in nanos {
                let time = Rfc3339(at(year, nano));
                assert_eq!(time.to_string(), time.by_chrono(), "{year} {nano}");
            }
        }
        assert_eq!(Rfc3339(at(2026, 0)).to_string(), "2026-02-03T04:05:06Z");
        assert_eq!(
            Rfc3339(at(2026, 250_000_000)).to_string(),
            "2026-02-03T04:05:06.250Z"
        );
    }

    #[test]
    fn leaves_unusual_times_to_chrono() {
        let leap_second = NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|d| d.and_hms_nano_opt(23, 59, 59, 1_500_000_000))
            .expect("a leap second");
        for time in [at(-1, 0), at(10_000, 0), leap_second] {
            let mut buffer = [0; LONGEST];
            assert_eq!(Rfc3339(time).write_usual(&mut buffer), None);
            assert_eq!(Rfc3339(time).to_string(), Rfc3339(time).by_chrono());
        }
    }

    #[test]
    fn serialises_as_a_json_string() {
        let json = serde_json::to_string(&Rfc3339(at(2026, 1_000))).expect("serialises");
        assert_eq!(json, "\"2026-02-03T04:05:06.000001Z\"");
    }
}
