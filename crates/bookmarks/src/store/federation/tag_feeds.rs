//! Tag-feed actors: alice's `rust` tag as an actor of its own (`alice.rust@host`). Each has its
//! own key pair, made the first time the feed is asked for.

use crate::model::{ActorKeys, TagName};
use crate::store::connection::DbConnection;
use crate::store::error::StoreError;
use crate::store::now;
use crate::store::schema::tag_feeds;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = tag_feeds)]
pub struct TagFeed {
    pub user_id: i64,
    pub tag: String,
    pub actor_name: String,
    pub public_key_pem: String,
    pub private_key_pem: String,
}

/// The ASCII name of a tag's actor: the tag itself when it is made of lower-case ASCII letters,
/// digits, `_` and `-`; otherwise `tag-` and 16 hex digits of its SHA-256, which never changes.
pub fn actor_name_for(tag: &str) -> String {
    let plain = !tag.is_empty()
        && tag
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if plain {
        return tag.to_string();
    }
    let digest = Sha256::digest(tag.as_bytes());
    let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("tag-{hex}")
}

/// The feed for `user_id`'s `tag`, by its actor name.
pub fn find_tag_feed(
    conn: &mut DbConnection,
    user_id: i64,
    actor_name: &str,
) -> Result<Option<TagFeed>, StoreError> {
    Ok(tag_feeds::table
        .filter(tag_feeds::user_id.eq(user_id))
        .filter(tag_feeds::actor_name.eq(actor_name))
        .select(TagFeed::as_select())
        .first(conn)
        .optional()?)
}

/// The feed for `user_id`'s `tag`, if it was made.
pub fn find_tag_feed_by_tag(
    conn: &mut DbConnection,
    user_id: i64,
    tag: &str,
) -> Result<Option<TagFeed>, StoreError> {
    Ok(tag_feeds::table
        .filter(tag_feeds::user_id.eq(user_id))
        .filter(tag_feeds::tag.eq(tag))
        .select(TagFeed::as_select())
        .first(conn)
        .optional()?)
}

/// The feeds of `user_id` that exist for any of `tags`.
pub fn tag_feeds_for(
    conn: &mut DbConnection,
    user_id: i64,
    tags: &[String],
) -> Result<Vec<TagFeed>, StoreError> {
    if tags.is_empty() {
        return Ok(vec![]);
    }
    Ok(tag_feeds::table
        .filter(tag_feeds::user_id.eq(user_id))
        .filter(tag_feeds::tag.eq_any(tags))
        .select(TagFeed::as_select())
        .load(conn)?)
}

/// The feed for `user_id`'s `tag`, made (with a new key pair) if it does not exist yet. Run it
/// inside [`crate::store::Database::write`]; `keys` is only called when a feed is made.
pub fn ensure_tag_feed(
    conn: &mut DbConnection,
    user_id: i64,
    tag: &TagName,
    keys: impl FnOnce() -> Result<ActorKeys, StoreError>,
) -> Result<TagFeed, StoreError> {
    let existing = tag_feeds::table
        .filter(tag_feeds::user_id.eq(user_id))
        .filter(tag_feeds::tag.eq(tag.as_str()))
        .select(TagFeed::as_select())
        .first(conn)
        .optional()?;
    if let Some(feed) = existing {
        return Ok(feed);
    }
    let keys = keys()?;
    let feed = TagFeed {
        user_id,
        tag: tag.as_str().to_string(),
        actor_name: actor_name_for(tag.as_str()),
        public_key_pem: keys.public_pem,
        private_key_pem: keys.private_pem,
    };
    diesel::insert_into(tag_feeds::table)
        .values((
            tag_feeds::user_id.eq(feed.user_id),
            tag_feeds::tag.eq(&feed.tag),
            tag_feeds::actor_name.eq(&feed.actor_name),
            tag_feeds::public_key_pem.eq(&feed.public_key_pem),
            tag_feeds::private_key_pem.eq(&feed.private_key_pem),
            tag_feeds::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(feed)
}

#[cfg(test)]
mod tests {
    use super::actor_name_for;

    #[test]
    fn ascii_tags_name_their_actor_and_others_get_a_stable_ascii_name() {
        assert_eq!(actor_name_for("rust"), "rust");
        assert_eq!(actor_name_for("web-dev_2"), "web-dev_2");
        let school = actor_name_for("école");
        assert!(school.starts_with("tag-") && school.len() == 20, "{school}");
        assert!(school.is_ascii());
        assert_eq!(school, actor_name_for("école"));
        assert_ne!(school, actor_name_for("ecole"));
        assert_ne!(actor_name_for("c++"), "c++");
    }
}
