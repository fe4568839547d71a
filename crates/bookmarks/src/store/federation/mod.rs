//! Federation's tables: the remote actors we know, follows both ways, the tag-feed actors and
//! their keys, what arrived from the network, the inbox's record of activities already seen, and
//! the persistent delivery queue. Plain storage: the ActivityPub side lives in the federation
//! crate and calls these.

mod actors;
mod follows;
mod network;
mod queue;
mod received;
mod tag_feeds;

pub use actors::{
    find_remote_actor, find_remote_actor_by_handle, upsert_remote_actor, RemoteActor,
};
pub use follows::{
    accept_follow, accepted_follows_of, add_follower, anyone_could_receive, count_followers,
    count_follows, create_follow, delete_follow, find_follow, find_follow_by_public_id,
    follower_inboxes, list_followers, list_follows, remove_follower, remove_follower_by_activity,
    Follow, FollowState, Follower, Rows, Slice, SocialHandles,
};
pub use network::{
    delete_remote_bookmark, find_remote_bookmark, list_network, public_bookmarks_by,
    remove_network_entries, store_remote_bookmark, NetworkBookmark, NetworkPage, RemoteBookmark,
};
pub use queue::{
    claim_instance, enqueue_activity, instance_status, latest_activity_with_prefix,
    mark_instance_alive, next_deliveries, pending_instances, record_delivered, record_failure,
    release_instance, release_instance_if_drained, Delivery, InstanceStatus, OutgoingActivity,
    Signer,
};
pub use received::{already_received, mark_received};
pub use tag_feeds::{
    actor_name_for, ensure_tag_feed, find_tag_feed, find_tag_feed_by_tag, tag_feeds_for, TagFeed,
};

/// The `tag` of a follower that follows the person rather than one of their tags.
pub const PERSON_FEED: &str = "";
