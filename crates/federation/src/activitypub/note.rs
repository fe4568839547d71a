//! A bookmark as an ActivityPub `Note`, and back. Out: the bookmarked link is the content's first
//! `<a>` (Mastodon's preview card comes from it), then the notes, then hashtag links; `tag` holds
//! `Hashtag`s, `attachment` a `Link` (what Betula and Lemmy read), and `commonplace:bookmark` the
//! structured fields for other Commonplace instances. In: any server's Note (or Page/Article),
//! reduced to a bookmark: our extension when present, otherwise the first link found.

use super::actors::{first_link, is_public, type_name, PUBLIC};
use super::error::FederationError;
use super::sanitize::{html_to_text, single_line};
use crate::urls::Urls;
use bookmarks::store::federation::RemoteBookmark;
use chrono::{DateTime, NaiveDateTime, SecondsFormat};
use serde_json::{json, Map, Value};
use url::Url;

pub const EXTENSION: &str = "commonplace:bookmark";
pub const EXTENSION_NAMESPACE: &str = "https://w3id.org/commonplace#";

/// Longest remote title and notes we keep (our own limits).
const MAX_TITLE: usize = bookmarks::model::MAX_TITLE_LENGTH;
const MAX_NOTES: usize = bookmarks::model::MAX_NOTES_LENGTH;
const MAX_URL: usize = 2_048;
const MAX_TAGS: usize = bookmarks::model::MAX_TAGS_PER_BOOKMARK;

/// What a Note is made from: a local bookmark as stored or as an event saw it.
#[derive(Debug, Clone)]
pub struct NoteSource {
    pub public_id: String,
    pub author: String,
    pub url: String,
    pub title: String,
    pub notes: String,
    pub tags: Vec<String>,
    pub visibility: String,
    pub published: NaiveDateTime,
    /// Set once the bookmark has been edited.
    pub updated: Option<NaiveDateTime>,
}

pub fn timestamp(at: NaiveDateTime) -> String {
    at.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `(to, cc)` for a bookmark of this visibility, sent by `actor` whose followers are at
/// `followers`.
pub fn addressing(visibility: &str, followers: &Url) -> (Vec<String>, Vec<String>) {
    let followers = followers.to_string();
    match visibility {
        "public" => (vec![PUBLIC.to_string()], vec![followers]),
        "unlisted" => (vec![followers], vec![PUBLIC.to_string()]),
        _ => (vec![followers], vec![]),
    }
}

/// Escapes text for HTML content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

pub fn note_json(urls: &Urls, source: &NoteSource) -> Value {
    let id = urls.note(&source.public_id);
    let author = urls.user(&source.author);
    let (to, cc) = addressing(&source.visibility, &urls.user_followers(&source.author));
    let title = if source.title.is_empty() {
        &source.url
    } else {
        &source.title
    };
    let mut content = format!(
        "<p><a href=\"{}\">{}</a></p>",
        escape(&source.url),
        escape(title)
    );
    if !source.notes.trim().is_empty() {
        let paragraphs: Vec<String> = source
            .notes
            .split("\n\n")
            .filter(|p| !p.trim().is_empty())
            .map(|p| format!("<p>{}</p>", escape(p.trim()).replace('\n', "<br>")))
            .collect();
        content.push_str(&paragraphs.concat());
    }
    let hashtags: Vec<Value> = source
        .tags
        .iter()
        .map(|tag| {
            json!({
                "type": "Hashtag",
                "href": urls.tag_page(&source.author, tag),
                "name": format!("#{tag}"),
            })
        })
        .collect();
    if !source.tags.is_empty() {
        let links: Vec<String> = source
            .tags
            .iter()
            .map(|tag| {
                format!(
                    "<a href=\"{}\" class=\"mention hashtag\" rel=\"tag\">#<span>{}</span></a>",
                    escape(&urls.tag_page(&source.author, tag)),
                    escape(tag)
                )
            })
            .collect();
        content.push_str(&format!("<p>{}</p>", links.join(" ")));
    }
    let mut note = json!({
        "id": id,
        "type": "Note",
        "attributedTo": author,
        "to": to,
        "cc": cc,
        "name": title,
        "content": content,
        "mediaType": "text/html",
        "url": id,
        "published": timestamp(source.published),
        "tag": hashtags,
        "attachment": [{ "type": "Link", "href": source.url, "name": title }],
        "sensitive": false,
        EXTENSION: {
            "url": source.url,
            "title": source.title,
            "notes": source.notes,
            "tags": source.tags,
            "visibility": source.visibility,
        },
    });
    if let (Some(updated), Value::Object(map)) = (source.updated, &mut note) {
        map.insert("updated".into(), Value::String(timestamp(updated)));
    }
    note
}

/// The JSON-LD context of everything we send.
pub fn context() -> Value {
    json!([
        super::actors::ACTIVITY_CONTEXT,
        super::actors::SECURITY_CONTEXT,
        {
            "commonplace": EXTENSION_NAMESPACE,
            "Hashtag": "as:Hashtag",
            "sensitive": "as:sensitive",
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        }
    ])
}

/// The items of a property that may be one value or a list.
pub fn one_or_many(value: Option<&Value>) -> Vec<&Value> {
    match value {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Null) | None => vec![],
        Some(other) => vec![other],
    }
}

/// The values of an addressing property that may be one string, an object or a list.
pub fn audience(value: Option<&Value>) -> Vec<String> {
    one_or_many(value)
        .into_iter()
        .filter_map(first_link)
        .collect()
}

fn parse_time(value: Option<&Value>) -> Option<NaiveDateTime> {
    let text = value?.as_str()?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.naive_utc())
}

fn web_link(candidate: &str) -> Option<String> {
    let url = Url::parse(candidate.trim()).ok()?;
    (matches!(url.scheme(), "http" | "https") && url.as_str().len() <= MAX_URL)
        .then(|| url.to_string())
}

/// The first `href` of an `<a>` in HTML that is not a mention or a hashtag.
fn first_anchor(html: &str) -> Option<String> {
    let document = scraper::Html::parse_fragment(html);
    let anchors = scraper::Selector::parse("a[href]").ok()?;
    document.select(&anchors).find_map(|a| {
        let class = a.value().attr("class").unwrap_or_default();
        let rel = a.value().attr("rel").unwrap_or_default();
        if class.contains("mention") || class.contains("hashtag") || rel.contains("tag") {
            return None;
        }
        web_link(a.value().attr("href")?)
    })
}

/// The id and author of a Note-like object (before the rest is trusted).
pub fn object_id_and_author(note: &Value) -> Result<(String, String), FederationError> {
    let id = note
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| FederationError::refused("the object has no id"))?;
    let author = note
        .get("attributedTo")
        .and_then(first_link)
        .ok_or_else(|| FederationError::refused("the object has no attributedTo"))?;
    Ok((id.to_string(), author))
}

/// Reduces a remote Note (or Page, Article …) to a bookmark. Hosts are checked by the caller.
pub fn parse_note(note: &Value) -> Result<RemoteBookmark, FederationError> {
    let (ap_id, _) = object_id_and_author(note)?;
    let kind = type_name(note.get("type").unwrap_or(&Value::Null));
    if matches!(kind.as_str(), "Tombstone" | "") {
        return Err(FederationError::refused(format!(
            "an object of type `{kind}` is not a bookmark"
        )));
    }
    let empty = Map::new();
    let extension = note
        .get(EXTENSION)
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let content = note.get("content").and_then(Value::as_str).unwrap_or("");
    let text = html_to_text(content, MAX_NOTES);
    let url = extension
        .get("url")
        .and_then(Value::as_str)
        .and_then(web_link)
        .or_else(|| {
            note.get("attachment")
                .and_then(first_link)
                .and_then(|l| web_link(&l))
        })
        .or_else(|| first_anchor(content))
        .or_else(|| {
            note.get("url")
                .and_then(first_link)
                .and_then(|l| web_link(&l))
        })
        .or_else(|| web_link(&ap_id))
        .ok_or_else(|| FederationError::refused("the object links to no web page"))?;
    let title = extension
        .get("title")
        .and_then(Value::as_str)
        .or_else(|| note.get("name").and_then(Value::as_str))
        .map(|t| single_line(t, MAX_TITLE))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| single_line(text.lines().next().unwrap_or(&url), MAX_TITLE));
    let notes = match extension.get("notes").and_then(Value::as_str) {
        Some(notes) => super::sanitize::plain_text(notes, MAX_NOTES),
        None => text,
    };
    let mut tags: Vec<String> = match extension.get("tags").and_then(Value::as_array) {
        Some(list) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        // One tag object or a list of them (GoToSocial sends a single one as an object).
        None => one_or_many(note.get("tag"))
            .into_iter()
            .filter(|t| t.get("type").and_then(Value::as_str) == Some("Hashtag"))
            .filter_map(|t| t.get("name").and_then(Value::as_str))
            .map(|n| n.trim_start_matches('#').to_string())
            .collect(),
    };
    tags = tags
        .into_iter()
        .filter_map(|t| bookmarks::model::TagName::parse(&t).ok())
        .map(|t| t.as_str().to_string())
        .collect();
    tags.dedup();
    tags.truncate(MAX_TAGS);
    let to = audience(note.get("to"));
    let cc = audience(note.get("cc"));
    let visibility = if to.iter().any(|a| is_public(a)) {
        "public"
    } else if cc.iter().any(|a| is_public(a)) {
        "unlisted"
    } else {
        "org"
    };
    let published =
        parse_time(note.get("published")).unwrap_or_else(|| chrono::Utc::now().naive_utc());
    let updated = parse_time(note.get("updated")).unwrap_or(published);
    let remote_url = note
        .get("url")
        .and_then(first_link)
        .and_then(|l| web_link(&l))
        .unwrap_or_else(|| ap_id.clone());
    Ok(RemoteBookmark {
        ap_id,
        url,
        remote_url,
        title,
        notes,
        tags,
        visibility: visibility.to_string(),
        published_at: published,
        updated_at: updated,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source() -> NoteSource {
        NoteSource {
            public_id: "0190".into(),
            author: "alice".into(),
            url: "https://example.com/a?b=1&c=2".into(),
            title: "Rust <traits>".into(),
            notes: "Why it matters:\n<b>bold</b>\n\nSecond".into(),
            tags: vec!["rust".into(), "école".into()],
            visibility: "public".into(),
            published: DateTime::from_timestamp(1_700_000_000, 0)
                .unwrap()
                .naive_utc(),
            updated: None,
        }
    }

    fn urls() -> Urls {
        Urls::new(&Url::parse("https://office-a.example").unwrap())
    }

    #[test]
    fn our_note_follows_mastodons_rules() {
        let note = note_json(&urls(), &source());
        assert_eq!(note["type"], "Note");
        assert_eq!(note["id"], "https://office-a.example/b/0190");
        assert_eq!(note["attributedTo"], "https://office-a.example/u/alice");
        assert_eq!(note["to"][0], PUBLIC);
        assert_eq!(note["cc"][0], "https://office-a.example/u/alice/followers");
        assert_eq!(note["published"], "2023-11-14T22:13:20Z");
        let content = note["content"].as_str().unwrap();
        assert!(
            content.starts_with(
                "<p><a href=\"https://example.com/a?b=1&amp;c=2\">Rust &lt;traits&gt;</a></p>"
            ),
            "{content}"
        );
        assert!(
            content.contains("&lt;b&gt;bold&lt;/b&gt;"),
            "notes are escaped"
        );
        assert_eq!(
            first_anchor(content).as_deref(),
            Some("https://example.com/a?b=1&c=2")
        );
        assert!(content.contains("class=\"mention hashtag\" rel=\"tag\">#<span>rust</span>"));
        assert_eq!(note["tag"][0]["type"], "Hashtag");
        assert_eq!(note["tag"][0]["name"], "#rust");
        assert_eq!(
            note["tag"][1]["href"],
            "https://office-a.example/u/alice/t/%C3%A9cole"
        );
        assert_eq!(note["attachment"][0]["type"], "Link");
        assert!(note.get("updated").is_none());
    }

    #[test]
    fn unlisted_and_followers_only_addressing() {
        let followers = Url::parse("https://h/u/a/followers").unwrap();
        assert_eq!(
            addressing("unlisted", &followers).1,
            vec![PUBLIC.to_string()]
        );
        let (to, cc) = addressing("org", &followers);
        assert_eq!(to, vec![followers.to_string()]);
        assert!(cc.is_empty());
    }

    #[test]
    fn our_note_parses_back_to_the_same_bookmark() {
        let mut s = source();
        s.updated = Some(s.published + chrono::TimeDelta::seconds(5));
        let parsed = parse_note(&note_json(&urls(), &s)).unwrap();
        assert_eq!(parsed.url, s.url);
        assert_eq!(parsed.title, s.title);
        assert_eq!(parsed.notes, s.notes);
        assert_eq!(parsed.tags, s.tags);
        assert_eq!(parsed.visibility, "public");
        assert_eq!(parsed.published_at, s.published);
        assert_eq!(parsed.updated_at, s.updated.unwrap());
        assert_eq!(parsed.remote_url, "https://office-a.example/b/0190");
    }

    #[test]
    fn a_mastodon_status_becomes_a_bookmark_of_its_first_link() {
        let status = json!({
            "id": "https://mastodon.example/users/bob/statuses/1",
            "type": "Note",
            "attributedTo": "https://mastodon.example/users/bob",
            "to": ["as:Public"],
            "cc": "https://mastodon.example/users/bob/followers",
            "content": "<p><span class=\"h-card\"><a href=\"https://x/@c\" class=\"u-url mention\">@c</a></span> look: <a href=\"https://blog.example/post\" rel=\"nofollow noopener\">blog.example/post</a> <a href=\"https://mastodon.example/tags/Rust\" class=\"mention hashtag\" rel=\"tag\">#<span>Rust</span></a><script>x</script></p>",
            "url": "https://mastodon.example/@bob/1",
            "published": "2024-01-02T03:04:05Z",
            "tag": [{"type": "Hashtag", "name": "#Rust", "href": "https://mastodon.example/tags/rust"},
                    {"type": "Mention", "name": "@c", "href": "https://x/@c"}]
        });
        let b = parse_note(&status).unwrap();
        assert_eq!(b.url, "https://blog.example/post");
        assert_eq!(b.tags, vec!["rust".to_string()]);
        assert_eq!(b.visibility, "public");
        assert_eq!(b.remote_url, "https://mastodon.example/@bob/1");
        assert!(!b.notes.contains('<'), "{}", b.notes);
        assert_eq!(b.title, "@c look: blog.example/post #Rust");
    }

    #[test]
    fn objects_without_id_author_or_type_are_refused() {
        assert!(parse_note(&json!({"type": "Note"})).is_err());
        assert!(parse_note(&json!({"id": "https://h/1", "type": "Note"})).is_err());
        assert!(parse_note(
            &json!({"id": "https://h/1", "attributedTo": "https://h/u", "type": "Tombstone"})
        )
        .is_err());
    }
}
