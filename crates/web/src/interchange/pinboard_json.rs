//! Pinboard's JSON export (`posts/all?format=json`): an array of
//! `{href, description, extended, time, shared, toread, tags}`; `description` is the title,
//! `extended` the notes, tags are space-separated. Our own exports add `visibility` and
//! `page_description`, which Pinboard tools ignore.

use super::{ImportError, RawEntry};
use bookmarks::model::Visibility;
use chrono::DateTime;
use serde::Deserialize;

#[derive(Deserialize)]
struct Post {
    href: Option<String>,
    #[serde(default)]
    description: String,
    #[serde(default)]
    extended: String,
    time: Option<String>,
    shared: Option<String>,
    toread: Option<String>,
    #[serde(default)]
    tags: String,
    visibility: Option<String>,
    page_description: Option<String>,
}

pub fn parse(text: &str) -> Result<Vec<RawEntry>, ImportError> {
    let items: Vec<serde_json::Value> = serde_json::from_str(text).map_err(|e| {
        ImportError(format!(
            "the JSON is not valid at line {} column {} ({e}); the file may be truncated, export it again",
            e.line(),
            e.column()
        ))
    })?;
    Ok(items.into_iter().map(entry).collect())
}

fn entry(value: serde_json::Value) -> RawEntry {
    let post: Post = match serde_json::from_value(value) {
        Ok(post) => post,
        // An entry of the wrong shape is reported (without an address) rather than sinking the file.
        Err(e) => {
            return RawEntry {
                problem: Some(format!("this entry is not a Pinboard post: {e}")),
                ..RawEntry::default()
            }
        }
    };
    let yes = |v: &Option<String>| v.as_deref().is_some_and(|v| v.eq_ignore_ascii_case("yes"));
    // shared "no" wins over our own field (a stricter setting is never loosened), except for "my
    // organisation", which we export as shared "no" too so other tools keep it hidden.
    let private = post
        .shared
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("no"));
    let visibility = match post.visibility.as_deref().map(Visibility::parse) {
        Some(Ok(Visibility::Org)) => Visibility::Org,
        _ if private => Visibility::Private,
        Some(Ok(v)) => v,
        _ => Visibility::Public,
    };
    let created_at = post
        .time
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.naive_utc());
    RawEntry {
        url: post.href.unwrap_or_default(),
        title: post.description,
        description: post.page_description.unwrap_or_default(),
        notes: post.extended,
        tags: post.tags.split_whitespace().map(str::to_owned).collect(),
        visibility,
        unread: yes(&post.toread),
        created_at,
        updated_at: None,
        problem: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pinboards_fields() {
        let json = r#"[{"href":"https://e.com/a","description":"Title","extended":"Notes","meta":"x","hash":"y",
            "time":"2020-01-02T03:04:05Z","shared":"no","toread":"yes","tags":"one two"}]"#;
        let entries = parse(json).expect("parses");
        let e = &entries[0];
        assert_eq!(
            (e.url.as_str(), e.title.as_str(), e.notes.as_str()),
            ("https://e.com/a", "Title", "Notes")
        );
        assert_eq!(e.tags, vec!["one", "two"]);
        assert_eq!(e.visibility, Visibility::Private);
        assert!(e.unread);
        assert_eq!(
            e.created_at.map(|d| d.and_utc().timestamp()),
            Some(1_577_934_245)
        );
    }

    #[test]
    fn truncated_json_is_refused_with_its_position() {
        assert!(parse(r#"[{"href":"https://e.com/a","#).is_err_and(|e| e.0.contains("line 1")));
    }
}
