//! RSS 2.0 rendering (rss crate), with an atom:link to itself and dc:creator for the author
//! (RSS's own `author` wants an e-mail address).

use super::FeedInfo;
use crate::views::escape_html;
use bookmarks::store::Bookmark;
use chrono::NaiveDateTime;
use rss::extension::atom::{AtomExtension, Link};
use rss::extension::dublincore::DublinCoreExtension;
use rss::{Category, Channel, Guid, Item};

pub fn render(info: &FeedInfo, items: &[Bookmark], updated: NaiveDateTime) -> String {
    let items = items
        .iter()
        .map(|b| {
            let title = b.heading();
            let owner_url = format!("{}/u/{}", info.base_url, b.owner_name);
            Item {
                title: Some(title),
                link: Some(b.url.to_string()),
                // Readers treat an RSS description as HTML: the notes are text, so escape them.
                description: (!b.notes.as_str().is_empty())
                    .then(|| escape_html(b.notes.as_str()).replace('\n', "<br>\n")),
                guid: Some(Guid {
                    value: format!("{}/b/{}", info.base_url, b.public_id),
                    permalink: true,
                }),
                pub_date: Some(b.created_at.and_utc().to_rfc2822()),
                categories: b
                    .tags
                    .iter()
                    .map(|t| Category {
                        name: t.to_string(),
                        domain: Some(format!("{owner_url}/t/")),
                    })
                    .collect(),
                dublin_core_ext: Some(DublinCoreExtension {
                    creators: vec![b.owner_name.clone()],
                    ..DublinCoreExtension::default()
                }),
                ..Item::default()
            }
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
