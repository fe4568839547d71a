-- Federation: remote actors we know, who follows whom, what arrived from the network, the inbox's
-- record of activities already seen, and the persistent delivery queue.

-- An actor on another server (a person, a tag feed, an instance). `ap_id` is kept exactly as
-- received: some servers treat `https://host` and `https://host/` as different ids.
CREATE TABLE remote_actors (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    ap_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    handle TEXT NOT NULL,
    host TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    profile_url TEXT NOT NULL DEFAULT '',
    inbox TEXT NOT NULL,
    shared_inbox TEXT,
    public_key_pem TEXT NOT NULL,
    fetched_at TIMESTAMP NOT NULL
);
CREATE INDEX remote_actors_handle ON remote_actors (handle);

-- A local user following a remote actor (a person or a tag feed).
CREATE TABLE follows (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    public_id TEXT NOT NULL UNIQUE,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    remote_actor_id BIGINT NOT NULL REFERENCES remote_actors(id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, remote_actor_id)
);
CREATE INDEX follows_remote_actor ON follows (remote_actor_id);

-- A remote actor following a local user (tag = '') or one of their tags.
CREATE TABLE followers (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    remote_actor_id BIGINT NOT NULL REFERENCES remote_actors(id) ON DELETE CASCADE,
    follow_activity_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (user_id, tag, remote_actor_id)
);
CREATE INDEX followers_remote_actor ON followers (remote_actor_id);

-- A bookmark another server sent us (a Note), once, however many follows brought it.
CREATE TABLE remote_bookmarks (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    ap_id TEXT NOT NULL UNIQUE,
    author_id BIGINT NOT NULL REFERENCES remote_actors(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    remote_url TEXT NOT NULL,
    title TEXT NOT NULL,
    notes TEXT NOT NULL,
    tags TEXT NOT NULL,
    visibility TEXT NOT NULL,
    published_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    received_at TIMESTAMP NOT NULL
);
CREATE INDEX remote_bookmarks_author ON remote_bookmarks (author_id);

-- Which local user sees which remote bookmark, through which follow.
CREATE TABLE network_entries (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    remote_bookmark_id BIGINT NOT NULL REFERENCES remote_bookmarks(id) ON DELETE CASCADE,
    follow_id BIGINT NOT NULL REFERENCES follows(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, remote_bookmark_id, follow_id)
);
CREATE INDEX network_entries_bookmark ON network_entries (remote_bookmark_id);
CREATE INDEX network_entries_follow ON network_entries (follow_id);

-- Activity ids the inbox has processed; a second delivery of one changes nothing.
CREATE TABLE received_activities (
    ap_id TEXT PRIMARY KEY NOT NULL,
    received_at TIMESTAMP NOT NULL
);

-- An activity to send, signed at send time by its actor (a user, a user's tag feed, or the
-- instance when user_id is NULL).
CREATE TABLE outgoing_activities (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    ap_id TEXT NOT NULL UNIQUE,
    user_id BIGINT REFERENCES users(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- One row per (activity, inbox) still to deliver, delivered in id order per instance.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    activity_id BIGINT NOT NULL REFERENCES outgoing_activities(id) ON DELETE CASCADE,
    instance TEXT NOT NULL,
    inbox TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX deliveries_instance ON deliveries (instance, id);
CREATE INDEX deliveries_activity ON deliveries (activity_id);

-- Delivery state per remote instance (host[:port]): backoff, leases, death.
CREATE TABLE instances (
    host TEXT PRIMARY KEY NOT NULL,
    last_success_at TIMESTAMP,
    last_failure_at TIMESTAMP,
    failing_since TIMESTAMP,
    last_error TEXT NOT NULL DEFAULT '',
    failures INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    dead BOOLEAN NOT NULL DEFAULT 0,
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until TIMESTAMP NOT NULL
);

-- A user's tag as an actor of its own (`alice.rust`), with its own key, made when first asked for.
-- `actor_name` is the ASCII name in its handle and URL (the tag itself when it is ASCII).
CREATE TABLE tag_feeds (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    public_key_pem TEXT NOT NULL,
    private_key_pem TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, tag),
    UNIQUE (user_id, actor_name)
);
