//! Domain events: every change to a bookmark records one, in the same transaction as the
//! change. The federation side turns them into activities and deliveries, so a crash between
//! "saved" and "sent" loses nothing.

use serde::{Deserialize, Serialize};

/// What a bookmark looked like at the moment of the event, enough to build an activity
/// without reading the (possibly since changed or deleted) row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookmarkSnapshot {
    pub public_id: String,
    pub url: String,
    pub title: String,
    pub notes: String,
    pub tags: Vec<String>,
    pub visibility: String,
    pub unread: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DomainEvent {
    BookmarkCreated {
        bookmark: BookmarkSnapshot,
    },
    BookmarkUpdated {
        before: BookmarkSnapshot,
        after: BookmarkSnapshot,
    },
    BookmarkDeleted {
        bookmark: BookmarkSnapshot,
    },
    /// Created by an import that was asked not to federate, one event per bookmark: what
    /// imports recorded until they recorded [`DomainEvent::ImportBatch`]es. Still read from
    /// older databases; never written now.
    BookmarkImported {
        bookmark: BookmarkSnapshot,
    },
    /// A batch of bookmarks created by an import that was asked not to federate: `count` of
    /// them, `visible` of those public or unlisted. Followers are not sent years of old
    /// bookmarks, so nothing needs a snapshot of each; one event per batch dates the feeds and
    /// moves the caches' generation like any change, without an event row (and its JSON) per
    /// bookmark, which were a third of an imported database's bytes.
    ImportBatch {
        count: u64,
        visible: u64,
    },
}

impl DomainEvent {
    /// The stored `kind` column, for filtering without parsing the payload.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::BookmarkCreated { .. } => "bookmark_created",
            Self::BookmarkUpdated { .. } => "bookmark_updated",
            Self::BookmarkDeleted { .. } => "bookmark_deleted",
            Self::BookmarkImported { .. } => "bookmark_imported",
            Self::ImportBatch { .. } => "import_batch",
        }
    }

    /// Whether the change touched something anyone may see (public feeds date themselves by
    /// these): a bookmark that was, or is now, public or unlisted.
    pub fn visible_to_others(&self) -> bool {
        let shown = |b: &BookmarkSnapshot| matches!(b.visibility.as_str(), "public" | "unlisted");
        match self {
            Self::BookmarkCreated { bookmark }
            | Self::BookmarkDeleted { bookmark }
            | Self::BookmarkImported { bookmark } => shown(bookmark),
            Self::BookmarkUpdated { before, after } => shown(before) || shown(after),
            Self::ImportBatch { visible, .. } => *visible > 0,
        }
    }

    /// The one bookmark the event is about; `None` for a batch.
    pub fn bookmark_public_id(&self) -> Option<&str> {
        match self {
            Self::BookmarkCreated { bookmark }
            | Self::BookmarkDeleted { bookmark }
            | Self::BookmarkImported { bookmark } => Some(&bookmark.public_id),
            Self::BookmarkUpdated { after, .. } => Some(&after.public_id),
            Self::ImportBatch { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trips_and_names_its_kind() {
        let snapshot = BookmarkSnapshot {
            public_id: "b1".into(),
            url: "https://example.com/".into(),
            title: "t".into(),
            notes: String::new(),
            tags: vec!["rust".into()],
            visibility: "public".into(),
            unread: false,
        };
        let event = DomainEvent::BookmarkDeleted { bookmark: snapshot };
        let json = serde_json::to_string(&event).unwrap_or_default();
        assert!(json.contains("\"kind\":\"bookmark_deleted\""));
        assert_eq!(
            serde_json::from_str::<DomainEvent>(&json).ok(),
            Some(event.clone())
        );
        assert_eq!(event.kind(), "bookmark_deleted");
        assert_eq!(event.bookmark_public_id(), Some("b1"));
    }

    #[test]
    fn an_import_batch_is_visible_when_any_of_its_bookmarks_is() {
        let private = DomainEvent::ImportBatch {
            count: 3,
            visible: 0,
        };
        let shown = DomainEvent::ImportBatch {
            count: 3,
            visible: 1,
        };
        assert!(!private.visible_to_others());
        assert!(shown.visible_to_others());
        assert_eq!(shown.bookmark_public_id(), None);
        let json = serde_json::to_string(&shown).unwrap_or_default();
        assert_eq!(json, r#"{"kind":"import_batch","count":3,"visible":1}"#);
        assert_eq!(serde_json::from_str::<DomainEvent>(&json).ok(), Some(shown));
    }
}
