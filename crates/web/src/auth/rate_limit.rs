//! Login attempts are limited per client address and per user name (governor's GCRA), so
//! neither one machine nor a botnet aimed at one account can guess passwords quickly.

use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::IpAddr;
use std::num::NonZeroU32;

pub struct LoginLimiter {
    by_address: DefaultKeyedRateLimiter<IpAddr>,
    by_name: DefaultKeyedRateLimiter<String>,
}

impl LoginLimiter {
    pub fn new(per_minute: u32) -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN));
        Self {
            by_address: DefaultKeyedRateLimiter::keyed(quota),
            by_name: DefaultKeyedRateLimiter::keyed(quota),
        }
    }

    /// True when this attempt may proceed; counts it either way.
    pub fn allow(&self, address: Option<IpAddr>, name: &str) -> bool {
        let address_ok = address.is_none_or(|ip| self.by_address.check_key(&ip).is_ok());
        let name_ok = self
            .by_name
            .check_key(&name.trim().to_ascii_lowercase())
            .is_ok();
        address_ok && name_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_address_and_per_name() {
        let limiter = LoginLimiter::new(3);
        let home: IpAddr = [192, 0, 2, 1].into();
        let away: IpAddr = [192, 0, 2, 2].into();
        for _ in 0..3 {
            assert!(limiter.allow(Some(home), "alice"));
        }
        assert!(!limiter.allow(Some(home), "bob"), "the address is spent");
        assert!(!limiter.allow(Some(away), "alice"), "the name is spent");
        assert!(limiter.allow(Some(away), "carol"));
    }
}
