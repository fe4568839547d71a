//! Atom 1.0 rendering (atom_syndication). Entry ids are the bookmarks' stable addresses;
//! notes travel as escaped text, tags as categories.

use super::entry::FeedEntry;
use super::FeedInfo;
use atom_syndication::{Category, Entry, Feed, FixedDateTime, Generator, Link, Person, Text};
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

pub fn render(info: &FeedInfo, items: &[FeedEntry], updated: NaiveDateTime) -> String {
    let entries = items
        .iter()
        .map(|e| Entry {
            id: e.id.clone(),
            title: Text::plain(e.title.clone()),
            updated: time(e.updated),
            published: Some(time(e.published)),
            authors: vec![Person {
                name: e.author_name.clone(),
                uri: Some(e.author_url.clone()),
                ..Person::default()
            }],
            links: vec![
                link(e.link.clone(), "alternate", Some("text/html")),
                link(e.page.clone(), "related", Some("text/html")),
            ],
            categories: e
                .tags
                .iter()
                .map(|t| Category {
                    term: t.clone(),
                    scheme: Some(e.tag_scheme.clone()),
                    label: Some(t.clone()),
                })
                .collect(),
            summary: (!e.notes.is_empty()).then(|| Text::plain(e.notes.clone())),
            ..Entry::default()
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
