//! Keyset pagination cursor: the `(created_at, id)` of the last bookmark on a page, as an
//! opaque URL-safe string. Listing "older than the cursor" stays fast at any depth, unlike
//! OFFSET, and does not skip or repeat rows when bookmarks are added meanwhile.

use super::FieldError;
use chrono::{DateTime, NaiveDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: NaiveDateTime,
    pub id: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!(
            "{}-{}",
            self.created_at.and_utc().timestamp_micros(),
            self.id
        )
    }

    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let invalid = || {
            FieldError::new(
                "cursor",
                format!("`{input}` is not a cursor from this server; use the `next` value of the previous page, or leave it out for the first page"),
            )
        };
        let (micros, id) = input.trim().rsplit_once('-').ok_or_else(invalid)?;
        let micros: i64 = micros.parse().map_err(|_| invalid())?;
        let id: i64 = id.parse().map_err(|_| invalid())?;
        let created_at = DateTime::from_timestamp_micros(micros)
            .ok_or_else(invalid)?
            .naive_utc();
        Ok(Self { created_at, id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_including_dates_before_1970() {
        for micros in [1_700_000_000_123_456_i64, 0, -86_400_000_000] {
            let created_at = DateTime::from_timestamp_micros(micros).map(|d| d.naive_utc());
            let cursor = Cursor {
                created_at: created_at.unwrap_or_default(),
                id: 42,
            };
            assert_eq!(Cursor::parse(&cursor.encode()), Ok(cursor));
        }
    }

    #[test]
    fn garbage_is_a_clear_error() {
        for bad in ["", "abc", "12", "x-1", "1-y"] {
            assert!(
                Cursor::parse(bad).is_err_and(|e| e.field == "cursor"),
                "{bad}"
            );
        }
    }
}
