//! RSS 2.0 rendering (rss crate), with an atom:link to itself and dc:creator for the author
//! (RSS's own `author` wants an e-mail address).

use super::entry::FeedEntry;
use super::FeedInfo;
use crate::views::escape_html;
use chrono::NaiveDateTime;
use rss::extension::atom::{AtomExtension, Link};
use rss::extension::dublincore::DublinCoreExtension;
use rss::{Category, Channel, Guid, Item};

pub fn render(info: &FeedInfo, items: &[FeedEntry], updated: NaiveDateTime) -> String {
    let items = items
        .iter()
        .map(|e| Item {
            title: Some(e.title.clone()),
            link: Some(e.link.clone()),
            // Readers treat an RSS description as HTML: the notes are text, so escape them.
            description: (!e.notes.is_empty())
                .then(|| escape_html(&e.notes).replace('\n', "<br>\n")),
            guid: Some(Guid {
                value: e.id.clone(),
                permalink: true,
            }),
            pub_date: Some(e.published.and_utc().to_rfc2822()),
            categories: e
                .tags
                .iter()
                .map(|t| Category {
                    name: t.clone(),
                    domain: Some(e.tag_scheme.clone()),
                })
                .collect(),
            dublin_core_ext: Some(DublinCoreExtension {
                creators: vec![e.author_name.clone()],
                ..DublinCoreExtension::default()
            }),
            ..Item::default()
        })
        .collect();
    let channel = Channel {
        title: info.title.clone(),
        link: info.page_url.clone(),
        description: info.title.clone(),
        last_build_date: Some(updated.and_utc().to_rfc2822()),
        generator: Some(format!("Commonplace {}", env!("CARGO_PKG_VERSION"))),
        atom_ext: Some(AtomExtension {
            links: vec![Link {
                href: info.self_url.clone(),
                rel: "self".into(),
                mime_type: Some("application/rss+xml".into()),
                ..Link::default()
            }],
        }),
        items,
        ..Channel::default()
    };
    channel.to_string()
}
