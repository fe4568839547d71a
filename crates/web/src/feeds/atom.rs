//! Atom 1.0 rendering (atom_syndication). Entry ids are the bookmarks' stable addresses;
//! notes travel as escaped text, tags as categories.

use super::FeedInfo;
use atom_syndication::{Category, Entry, Feed, FixedDateTime, Generator, Link, Person, Text};
use bookmarks::store::Bookmark;
use chrono::NaiveDateTime;

fn time(at: NaiveDateTime) -> FixedDateTime {
    at.and_utc().fixed_offset()
}

fn link(href: String, rel: &str, mime_type: Option<&str>) -> Link {
    Link {
        href,
        rel: rel.into(),
        mime_type: mime_type.map(str::to_owned),
        ..Link::default()
    }
}

pub fn render(info: &FeedInfo, items: &[Bookmark], updated: NaiveDateTime) -> String {
    let entries = items
        .iter()
        .map(|b| {
            let title = b.heading();
            let owner_url = format!("{}/u/{}", info.base_url, b.owner_name);
            Entry {
                id: format!("{}/b/{}", info.base_url, b.public_id),
                title: Text::plain(title),
                updated: time(b.updated_at),
                published: Some(time(b.created_at)),
                authors: vec![Person {
                    name: b.owner_name.clone(),
                    uri: Some(owner_url.clone()),
                    ..Person::default()
                }],
                links: vec![
                    link(b.url.to_string(), "alternate", Some("text/html")),
                    link(
                        format!("{}/b/{}", info.base_url, b.public_id),
                        "related",
                        Some("text/html"),
                    ),
                ],
                categories: b
                    .tags
                    .iter()
                    .map(|t| Category {
                        term: t.to_string(),
                        scheme: Some(format!("{owner_url}/t/")),
                        label: Some(t.to_string()),
                    })
                    .collect(),
                summary: (!b.notes.as_str().is_empty()).then(|| Text::plain(b.notes.as_str())),
                ..Entry::default()
            }
        })
        .collect();
    let feed = Feed {
        id: info.id.clone(),
        title: Text::plain(info.title.clone()),
        updated: time(updated),
        links: vec![
            link(info.self_url.clone(), "self", Some("application/atom+xml")),
            link(info.page_url.clone(), "alternate", Some("text/html")),
        ],
        generator: Some(Generator {
            value: "Commonplace".into(),
            uri: None,
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        entries,
        ..Feed::default()
    };
    feed.to_string()
}
