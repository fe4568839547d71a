//! Which IP addresses outgoing requests may connect to. Checked on the addresses a name resolves
//! to at connect time (so a DNS answer that changes between check and use cannot slip through)
//! and on IP literals in URLs and redirects.

use crate::FederationMode;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressPolicy {
    /// 127.0.0.0/8 and ::1.
    pub allow_loopback: bool,
    /// RFC 1918, CGNAT and unique-local ranges: intranet servers.
    pub allow_private: bool,
    /// Link-local ranges, which include cloud metadata services (169.254.169.254): only ever
    /// for tests on one machine.
    pub allow_link_local: bool,
}

impl AddressPolicy {
    pub fn for_mode(mode: FederationMode) -> Self {
        match mode {
            FederationMode::Production => Self {
                allow_loopback: false,
                allow_private: false,
                allow_link_local: false,
            },
            FederationMode::LocalTest => Self {
                allow_loopback: true,
                allow_private: true,
                allow_link_local: true,
            },
        }
    }

    pub fn allows(&self, ip: IpAddr) -> bool {
        match classify(ip) {
            Class::Global => true,
            Class::Loopback => self.allow_loopback,
            Class::Private => self.allow_private,
            Class::LinkLocal => self.allow_link_local,
            Class::Never => false,
        }
    }
}

enum Class {
    Global,
    Loopback,
    Private,
    LinkLocal,
    /// Unspecified, multicast, broadcast, documentation and reserved ranges: never a web server.
    Never,
}

fn classify(ip: IpAddr) -> Class {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Class {
    let [a, b, c, _] = ip.octets();
    if ip.is_loopback() {
        Class::Loopback
    } else if ip.is_link_local() {
        Class::LinkLocal
    } else if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        Class::Private
    } else if a == 0
        || ip.is_multicast()
        || ip.is_broadcast()
        || a >= 240
        || (a == 192 && b == 0 && c == 0)
        || (a == 192 && b == 0 && c == 2)
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
        || (a == 198 && (18..20).contains(&b))
    {
        Class::Never
    } else {
        Class::Global
    }
}

fn classify_v6(ip: Ipv6Addr) -> Class {
    if let Some(v4) = embedded_v4(ip) {
        return classify_v4(v4);
    }
    let segments = ip.segments();
    let first = segments[0];
    if ip.is_loopback() {
        Class::Loopback
    } else if (first & 0xffc0) == 0xfe80 {
        Class::LinkLocal
    } else if (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfec0 {
        Class::Private
    } else if ip.is_unspecified()
        || ip.is_multicast()
        // documentation 2001:db8::/32, Teredo 2001::/32 (tunnels to an IPv4 host),
        // local-use NAT64 64:ff9b:1::/48
        || (first == 0x2001 && (segments[1] == 0x0db8 || segments[1] == 0))
        || (first == 0x64 && segments[1] == 0xff9b && segments[2] == 1)
    {
        Class::Never
    } else {
        Class::Global
    }
}

/// The IPv4 address inside IPv4-mapped (`::ffff:a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) and 6to4
/// (`2002:AABB:CCDD::`) addresses, which reach that IPv4 host.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(v4) = ip.to_ipv4_mapped() {
        Some(v4)
    } else if s[0..6] == [0, 0, 0, 0, 0, 0] && !ip.is_loopback() && !ip.is_unspecified() {
        // IPv4-compatible ::a.b.c.d (deprecated, but still routed to a.b.c.d by some stacks)
        Some(tail())
    } else if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        Some(tail())
    } else if s[0] == 0x2002 {
        Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn production() -> AddressPolicy {
        AddressPolicy::for_mode(FederationMode::Production)
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn production_refuses_local_private_and_metadata_addresses() {
        for bad in [
            "127.0.0.1",
            "127.1.2.3",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "192.0.2.1",
            "2001:db8::1",
            "::127.0.0.1",
            "::10.0.0.1",
            "2001:0:4136:e378::1",
            "64:ff9b:1::1",
        ] {
            assert!(!production().allows(ip(bad)), "{bad} allowed");
        }
    }

    #[test]
    fn production_allows_public_addresses() {
        for good in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "::ffff:93.184.216.34",
        ] {
            assert!(production().allows(ip(good)), "{good} refused");
        }
    }

    #[test]
    fn intranet_allowance_opens_private_ranges_but_not_metadata() {
        let intranet = AddressPolicy {
            allow_private: true,
            ..production()
        };
        assert!(intranet.allows(ip("10.1.2.3")));
        assert!(intranet.allows(ip("192.168.0.10")));
        assert!(intranet.allows(ip("fd12:3456::1")));
        assert!(
            !intranet.allows(ip("169.254.169.254")),
            "cloud metadata stays refused"
        );
        assert!(!intranet.allows(ip("fe80::1")));
        assert!(
            !intranet.allows(ip("127.0.0.1")),
            "loopback is a separate allowance"
        );
        let lab = AddressPolicy {
            allow_loopback: true,
            ..intranet
        };
        assert!(lab.allows(ip("127.0.0.1")) && lab.allows(ip("::1")));
    }

    #[test]
    fn local_test_allows_loopback_and_private_but_never_unspecified() {
        let policy = AddressPolicy::for_mode(FederationMode::LocalTest);
        assert!(policy.allows(ip("127.0.0.1")));
        assert!(policy.allows(ip("::1")));
        assert!(policy.allows(ip("192.168.1.1")));
        assert!(!policy.allows(ip("0.0.0.0")));
        assert!(!policy.allows(ip("224.0.0.1")));
    }
}
