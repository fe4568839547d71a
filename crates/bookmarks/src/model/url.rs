//! `BookmarkUrl`: an http(s) URL in normalised form, the key that makes "one bookmark per user
//! and URL" hold however the URL was typed.

use super::FieldError;
use std::fmt;

/// Longest URL we store. PostgreSQL's b-tree index on `(user_id, url)` holds entries of up to
/// about 2,700 bytes; normalised URLs are ASCII, so characters and bytes agree.
pub const MAX_URL_LENGTH: usize = 2048;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BookmarkUrl(String);

impl BookmarkUrl {
    /// Parses and normalises: lower-case scheme and host, IDN host to punycode, default port
    /// and fragment removed. Only `http` and `https` are accepted.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new(
                "url",
                "the URL is empty; paste the address of the page, e.g. https://example.com/article",
            ));
        }
        let mut parsed = url::Url::parse(trimmed).map_err(|e| {
            FieldError::new(
                "url",
                format!(
                    "`{}` is not a valid URL ({e}); it should look like https://example.com/page",
                    shorten(trimmed)
                ),
            )
        })?;
        match parsed.scheme() {
            "http" | "https" => {}
            other => {
                return Err(FieldError::new(
                    "url",
                    format!("the URL scheme `{other}` is not supported; only http and https links can be bookmarked"),
                ))
            }
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(FieldError::new(
                "url",
                "the URL has no host name; it should look like https://example.com/page",
            ));
        }
        // The url crate already lower-cases scheme and host, converts IDN to punycode and
        // drops the scheme's default port; the fragment only addresses a part of the page.
        parsed.set_fragment(None);
        let normalised = String::from(parsed);
        if normalised.len() > MAX_URL_LENGTH {
            return Err(FieldError::new(
                "url",
                format!(
                    "the URL is {} characters long; the limit is {MAX_URL_LENGTH}, so shorten it (tracking parameters can usually go)",
                    normalised.len()
                ),
            ));
        }
        Ok(Self(normalised))
    }

    /// Wraps a value read back from storage, where it was stored already normalised.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// The host, for display ("example.com"), as `url::Url::host_str` gives it: read off the
    /// stored address, which was parsed and normalised when it was saved (a page lists fifty,
    /// and parsing each again was a twentieth of rendering it).
    pub fn host(&self) -> String {
        self.host_str().to_owned()
    }

    /// [`Self::host`], borrowed from the address. Looked for byte by byte: each delimiter is
    /// one ASCII byte, so every piece begins and ends on a character (`str` searches for
    /// `"://"` and the authority's ends were 2 % of a user page's instructions, callgrind).
    pub fn host_str(&self) -> &str {
        let bytes = self.0.as_bytes();
        let Some(scheme_end) = bytes.windows(3).position(|three| three == b"://") else {
            return "";
        };
        let (_, rest) = self.0.split_at(scheme_end + 3);
        let authority = match rest.bytes().position(|b| matches!(b, b'/' | b'?' | b'#')) {
            Some(end) => rest.split_at(end).0,
            None => rest,
        };
        let host_and_port = match authority.bytes().rposition(|b| b == b'@') {
            Some(at) => authority.split_at(at + 1).1,
            None => authority,
        };
        if host_and_port.starts_with('[') {
            if let Some(end) = host_and_port.bytes().position(|b| b == b']') {
                return host_and_port.split_at(end + 1).0;
            }
        }
        match host_and_port.bytes().position(|b| b == b':') {
            Some(end) => host_and_port.split_at(end).0,
            None => host_and_port,
        }
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() > 80 {
        let head: String = s.chars().take(77).collect();
        format!("{head}...")
    } else {
        s.to_owned()
    }
}

impl fmt::Display for BookmarkUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for BookmarkUrl {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_read_as_the_url_parser_reads_them() {
        for address in [
            "https://example.com/a?b=c#d",
            "http://user:secret@Example.COM:8080/path",
            "https://[::1]:8443/x",
            "http://[2001:db8::7]/",
            "https://127.0.0.1:3000?q=a@b",
            "https://xn--bcher-kva.example/",
            "https://bücher.example/#frag@x",
            "https://a.example#x/y",
            "https://a.example",
            "https://a.example:8080",
            "https://u@a.example?x=y:z",
        ] {
            let url = BookmarkUrl::parse(address).unwrap();
            let parsed = url::Url::parse(url.as_str()).unwrap();
            assert_eq!(
                url.host(),
                parsed.host_str().unwrap_or_default(),
                "{address}"
            );
        }
        assert_eq!(BookmarkUrl::from_stored("not a url".into()).host(), "");
        assert_eq!(BookmarkUrl::from_stored("https://".into()).host(), "");
        assert_eq!(BookmarkUrl::from_stored("https://[::1".into()).host(), "[");
    }

    /// What `host_str` answered before it looked byte by byte (`str` searches).
    fn host_by_str_searches(url: &str) -> &str {
        let Some((_, rest)) = url.split_once("://") else {
            return "";
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host_and_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        match host_and_port.find(']') {
            Some(end) if host_and_port.starts_with('[') => &host_and_port[..=end],
            _ => host_and_port.split(':').next().unwrap_or_default(),
        }
    }

    #[test]
    fn hosts_are_found_where_str_searches_found_them() {
        for stored in [
            "https://a.example",
            "https://u@h:1",
            "https://a@b@c/x",
            "https://[::1]:80",
            "https://[::1",
            "https://[]",
            "https://h:",
            "https://@h",
            "https://h?x@y",
            "https://h#a@b",
            "https://h/p@q:r",
            "https://é@ü:1/ä",
            "x://",
            "://",
            "mailto:a@b",
            "no scheme",
            "",
        ] {
            let url = BookmarkUrl::from_stored(stored.to_owned());
            assert_eq!(url.host_str(), host_by_str_searches(stored), "{stored:?}");
        }
    }

    fn norm(s: &str) -> String {
        BookmarkUrl::parse(s)
            .map(BookmarkUrl::into_string)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn lower_cases_scheme_and_host_but_not_path() {
        assert_eq!(
            norm("HTTPS://Example.COM/Some/Path?Q=A"),
            "https://example.com/Some/Path?Q=A"
        );
    }

    #[test]
    fn removes_default_port_and_fragment() {
        assert_eq!(
            norm("http://example.com:80/a#section"),
            "http://example.com/a"
        );
        assert_eq!(norm("https://example.com:443/"), "https://example.com/");
        assert_eq!(
            norm("https://example.com:8443/x"),
            "https://example.com:8443/x"
        );
    }

    #[test]
    fn converts_idn_to_punycode() {
        assert_eq!(
            norm("https://bücher.example/"),
            "https://xn--bcher-kva.example/"
        );
    }

    #[test]
    fn trims_whitespace_and_adds_root_path() {
        assert_eq!(norm("  https://example.com  "), "https://example.com/");
    }

    #[test]
    fn same_page_typed_differently_is_equal() {
        assert_eq!(
            BookmarkUrl::parse("HTTP://EXAMPLE.com:80/#top"),
            BookmarkUrl::parse("http://example.com/")
        );
    }

    #[test]
    fn rejects_other_schemes_naming_the_field() {
        for bad in [
            "ftp://example.com/",
            "javascript:alert(1)",
            "mailto:a@b.c",
            "file:///etc/passwd",
        ] {
            let err = BookmarkUrl::parse(bad)
                .err()
                .unwrap_or_else(|| panic!("{bad} accepted"));
            assert_eq!(err.field, "url");
        }
    }

    #[test]
    fn rejects_empty_and_garbage() {
        assert!(BookmarkUrl::parse("").is_err());
        assert!(BookmarkUrl::parse("   ").is_err());
        let err = BookmarkUrl::parse("not a url").err();
        assert!(err.is_some_and(|e| e.message.contains("not a valid URL")));
    }

    #[test]
    fn rejects_overlong_urls_with_the_limit() {
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LENGTH));
        let err = BookmarkUrl::parse(&long).err();
        assert!(err.is_some_and(|e| e.message.contains("2048")));
    }

    #[test]
    fn host_for_display() {
        let url = BookmarkUrl::parse("https://www.Example.com/a").ok();
        assert_eq!(url.map(|u| u.host()).as_deref(), Some("www.example.com"));
    }
}
