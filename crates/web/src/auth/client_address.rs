//! The address of the client behind a request, for rate limits. Behind a reverse proxy the TCP
//! peer is the proxy; when (and only when) the peer is one of the configured `trusted_proxies`,
//! the client is the right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
//! Anything else a client sends in that header is ignored, so it cannot pick its own address.

use actix_web::HttpRequest;
use std::net::IpAddr;

pub fn client_address(req: &HttpRequest, trusted_proxies: &[IpAddr]) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|a| a.ip())?;
    if !trusted_proxies.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|entry| entry.trim().parse::<IpAddr>().ok())
        .collect();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !trusted_proxies.contains(ip))
            .unwrap_or(peer),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn request(peer: &str, forwarded: Option<&str>) -> HttpRequest {
        let mut req = TestRequest::default().peer_addr(
            format!("{peer}:4000")
                .parse()
                .unwrap_or_else(|e| panic!("{e}")),
        );
        if let Some(value) = forwarded {
            req = req.insert_header(("X-Forwarded-For", value));
        }
        req.to_http_request()
    }

    #[test]
    fn untrusted_peers_are_the_client_whatever_they_claim() {
        let req = request("198.51.100.7", Some("203.0.113.9"));
        assert_eq!(client_address(&req, &[]), Some(ip("198.51.100.7")));
        assert_eq!(
            client_address(&req, &[ip("10.0.0.1")]),
            Some(ip("198.51.100.7"))
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_last_untrusted_hop_is_the_client() {
        let proxy = ip("10.0.0.1");
        // The client put a fake first entry; the proxy appended the real address.
        let req = request("10.0.0.1", Some("1.2.3.4, 203.0.113.9"));
        assert_eq!(client_address(&req, &[proxy]), Some(ip("203.0.113.9")));
        let chained = request("10.0.0.1", Some("203.0.113.9, 10.0.0.2"));
        assert_eq!(
            client_address(&chained, &[proxy, ip("10.0.0.2")]),
            Some(ip("203.0.113.9"))
        );
        let no_header = request("10.0.0.1", None);
        assert_eq!(client_address(&no_header, &[proxy]), Some(proxy));
    }
}
