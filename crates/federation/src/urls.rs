//! Every URL this instance gives its actors, objects and activities, in one place.

use url::Url;

#[derive(Debug, Clone)]
pub struct Urls {
    /// The public URL without a trailing slash.
    base: String,
    root: Url,
    /// `host[:port]`, what the ActivityPub library calls the domain.
    authority: String,
    host: String,
}

impl Urls {
    pub fn new(public_url: &Url) -> Self {
        let host = public_url.host_str().unwrap_or("localhost").to_string();
        let authority = match public_url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.clone(),
        };
        Self {
            base: public_url.as_str().trim_end_matches('/').to_string(),
            root: public_url.clone(),
            authority,
            host,
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Also the host part of handles (`alice@{authority}`): with the port, if any, so handles
    /// stay resolvable for instances on a port (local tests, labs).
    pub fn authority(&self) -> &str {
        &self.authority
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn is_https(&self) -> bool {
        self.base.starts_with("https://")
    }

    fn url(&self, path: &str) -> Url {
        let mut url = self.root.clone();
        url.set_path(path);
        url
    }

    pub fn user(&self, name: &str) -> Url {
        self.url(&format!("/u/{name}"))
    }

    pub fn user_inbox(&self, name: &str) -> Url {
        self.url(&format!("/u/{name}/inbox"))
    }

    pub fn user_outbox(&self, name: &str) -> Url {
        self.url(&format!("/u/{name}/outbox"))
    }

    pub fn user_followers(&self, name: &str) -> Url {
        self.url(&format!("/u/{name}/followers"))
    }

    pub fn user_following(&self, name: &str) -> Url {
        self.url(&format!("/u/{name}/following"))
    }

    pub fn tag_feed(&self, name: &str, actor_name: &str) -> Url {
        self.url(&format!("/u/{name}/tags/{actor_name}"))
    }

    pub fn tag_feed_inbox(&self, name: &str, actor_name: &str) -> Url {
        self.url(&format!("/u/{name}/tags/{actor_name}/inbox"))
    }

    pub fn tag_feed_followers(&self, name: &str, actor_name: &str) -> Url {
        self.url(&format!("/u/{name}/tags/{actor_name}/followers"))
    }

    pub fn tag_feed_outbox(&self, name: &str, actor_name: &str) -> Url {
        self.url(&format!("/u/{name}/tags/{actor_name}/outbox"))
    }

    /// The HTML page of a user's tag.
    pub fn tag_page(&self, name: &str, tag: &str) -> String {
        format!(
            "{}/u/{name}/t/{}",
            self.base,
            percent_encoding::utf8_percent_encode(tag, percent_encoding::NON_ALPHANUMERIC)
        )
    }

    pub fn instance_actor(&self) -> Url {
        self.url("/actor")
    }

    pub fn shared_inbox(&self) -> Url {
        self.url("/inbox")
    }

    pub fn note(&self, public_id: &str) -> Url {
        self.url(&format!("/b/{public_id}"))
    }

    pub fn follow_activity(&self, follow_public_id: &str) -> Url {
        self.url(&format!("/activities/follow/{follow_public_id}"))
    }

    /// A new, unique activity id.
    pub fn new_activity(&self, kind: &str) -> Url {
        let id = uuid::Uuid::now_v7().simple().to_string();
        self.url(&format!("/activities/{kind}/{id}"))
    }

    /// The local user (and tag feed actor name, if any) an actor URL of ours names.
    pub fn local_actor(&self, id: &str) -> Option<(String, Option<String>)> {
        let path = id.strip_prefix(&self.base)?.strip_prefix("/u/")?;
        let mut parts = path.split('/');
        let name = parts.next().filter(|n| !n.is_empty())?.to_string();
        match (parts.next(), parts.next(), parts.next()) {
            (None, _, _) => Some((name, None)),
            (Some("tags"), Some(tag), None) if !tag.is_empty() => {
                Some((name, Some(tag.to_string())))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_actor_urls_name_users_and_tag_feeds() {
        let urls = Urls::new(&Url::parse("http://localhost:8081/").unwrap());
        assert_eq!(urls.authority(), "localhost:8081");
        assert_eq!(urls.user("alice").as_str(), "http://localhost:8081/u/alice");
        assert_eq!(
            urls.local_actor("http://localhost:8081/u/alice"),
            Some(("alice".into(), None))
        );
        assert_eq!(
            urls.local_actor("http://localhost:8081/u/alice/tags/rust"),
            Some(("alice".into(), Some("rust".into())))
        );
        assert_eq!(
            urls.local_actor("http://localhost:8081/u/alice/inbox"),
            None
        );
        assert_eq!(urls.local_actor("http://elsewhere/u/alice"), None);
        assert_eq!(urls.local_actor("http://localhost:8081/u/"), None);
    }
}
