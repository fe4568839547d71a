//! One feed entry, whatever it came from: a bookmark of this instance or one from the network.
//! Both renderers (Atom, RSS) take these, so every feed is built the same way.

use bookmarks::store::federation::NetworkBookmark;
use bookmarks::store::Bookmark;
use chrono::NaiveDateTime;

pub struct FeedEntry {
    /// Stable id: the bookmark's address (on its own instance).
    pub id: String,
    pub title: String,
    /// The bookmarked page.
    pub link: String,
    /// The bookmark's own page.
    pub page: String,
    pub author_name: String,
    pub author_url: String,
    /// Plain text.
    pub notes: String,
    pub tags: Vec<String>,
    /// Where a tag's page is: this prefix and the tag.
    pub tag_scheme: String,
    pub published: NaiveDateTime,
    pub updated: NaiveDateTime,
}

impl FeedEntry {
    pub fn from_bookmark(b: &Bookmark, base_url: &str) -> Self {
        let page = format!("{base_url}/b/{}", b.public_id);
        let author_url = format!("{base_url}/u/{}", b.owner_name);
        Self {
            id: page.clone(),
            title: b.heading().to_owned(),
            link: b.url.to_string(),
            page,
            author_name: b.owner_name.to_string(),
            tag_scheme: format!("{author_url}/t/"),
            author_url,
            notes: b.notes.as_str().to_owned(),
            tags: b.tags.iter().map(ToString::to_string).collect(),
            published: b.created_at,
            updated: b.updated_at,
        }
    }

    pub fn from_network(n: &NetworkBookmark) -> Self {
        let b = &n.bookmark;
        Self {
            id: b.ap_id.clone(),
            title: if b.title.is_empty() {
                b.url.clone()
            } else {
                b.title.clone()
            },
            link: b.url.clone(),
            page: b.remote_url.clone(),
            author_name: n.author_handle.clone(),
            author_url: n.author_url.clone(),
            tag_scheme: format!("{}/t/", n.author_url.trim_end_matches('/')),
            notes: b.notes.clone(),
            tags: b.tags.clone(),
            published: b.published_at,
            updated: b.updated_at,
        }
    }
}
