//! Times that come from outside (import files, Pinboard's `dt`) are kept only when plausible: a
//! bookmark cannot predate 1970, and one "from the future" is pinned at now (as Pinboard does),
//! so it cannot sit on top of every list forever, nor break date formatting.

use chrono::{NaiveDateTime, TimeDelta, Utc};

/// How far ahead of the server's clock a time may be (clocks differ a little).
const ALLOWED_AHEAD: TimeDelta = TimeDelta::minutes(10);

/// `None` for times before 1970; times after now + 10 minutes become now.
pub fn plausible_time(at: NaiveDateTime) -> Option<NaiveDateTime> {
    if at.and_utc().timestamp() < 0 {
        return None;
    }
    let now = Utc::now().naive_utc();
    Some(if at > now + ALLOWED_AHEAD { now } else { at })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_times_stay_future_ones_become_now_and_prehistory_goes() {
        let at = |s: i64| {
            chrono::DateTime::from_timestamp(s, 0)
                .map(|d| d.naive_utc())
                .unwrap_or_default()
        };
        assert_eq!(plausible_time(at(1_600_000_000)), Some(at(1_600_000_000)));
        assert_eq!(plausible_time(at(-1)), None);
        let far = plausible_time(at(300_000_000_000)).unwrap_or_default();
        assert!(far <= Utc::now().naive_utc());
    }
}
