//! Login attempts are limited (governor's GCRA) per client address and user name together, so
//! guessing one account's password is slow but a stranger cannot lock its owner out from
//! elsewhere; and, more loosely, per client address alone, so one machine cannot spray many names.

use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::IpAddr;
use std::num::NonZeroU32;

/// How many times more attempts one address may make across all names.
const ADDRESS_FACTOR: u32 = 5;
/// Forget idle keys once the maps hold this many, so random names cannot grow memory forever.
const PRUNE_ABOVE: usize = 10_000;

pub struct LoginLimiter {
    by_pair: DefaultKeyedRateLimiter<(Option<IpAddr>, String)>,
    by_address: DefaultKeyedRateLimiter<IpAddr>,
}

impl LoginLimiter {
    pub fn new(per_minute: u32) -> Self {
        let per_pair = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        let per_address =
            per_pair.saturating_mul(NonZeroU32::new(ADDRESS_FACTOR).unwrap_or(NonZeroU32::MIN));
        Self {
            by_pair: DefaultKeyedRateLimiter::keyed(Quota::per_minute(per_pair)),
            by_address: DefaultKeyedRateLimiter::keyed(Quota::per_minute(per_address)),
        }
    }

    /// True when this attempt may proceed; counts it either way.
    pub fn allow(&self, address: Option<IpAddr>, name: &str) -> bool {
        if self.by_pair.len() > PRUNE_ABOVE {
            self.by_pair.retain_recent();
        }
        if self.by_address.len() > PRUNE_ABOVE {
            self.by_address.retain_recent();
        }
        let pair_ok = self
            .by_pair
            .check_key(&(address, name.trim().to_ascii_lowercase()))
            .is_ok();
        let address_ok = address.is_none_or(|ip| self.by_address.check_key(&ip).is_ok());
        pair_ok && address_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_each_name_per_address() {
        let limiter = LoginLimiter::new(3);
        let home: IpAddr = [192, 0, 2, 1].into();
        let away: IpAddr = [192, 0, 2, 2].into();
        for _ in 0..3 {
            assert!(limiter.allow(Some(away), "alice"));
        }
        assert!(
            !limiter.allow(Some(away), "Alice"),
            "the attacker's guesses are spent"
        );
        assert!(
            limiter.allow(Some(home), "alice"),
            "alice herself is not locked out"
        );
    }

    #[test]
    fn one_address_cannot_spray_many_names() {
        let limiter = LoginLimiter::new(2);
        let sprayer: IpAddr = [192, 0, 2, 9].into();
        let allowed = (0..20)
            .filter(|i| limiter.allow(Some(sprayer), &format!("user{i}")))
            .count();
        assert_eq!(allowed, 10);
    }
}
