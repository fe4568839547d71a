//! The one diesel schema for both backends (the migrations for each create the same tables).

diesel::table! {
    instance_settings (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        name -> Text,
        display_name -> Text,
        password_hash -> Text,
        is_admin -> Bool,
        public_key_pem -> Text,
        private_key_pem -> Text,
        created_at -> Timestamp,
        feed_token -> Nullable<Text>,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        token_hash -> Text,
        user_id -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        label -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    invites (id) {
        id -> BigInt,
        code_hash -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_by -> Nullable<BigInt>,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    bookmarks (id) {
        id -> BigInt,
        public_id -> Text,
        user_id -> BigInt,
        url -> Text,
        title -> Text,
        description -> Text,
        notes -> Text,
        visibility -> Text,
        unread -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        tag_names -> Text,
    }
}

diesel::table! {
    tags (id) {
        id -> BigInt,
        name -> Text,
    }
}

diesel::table! {
    bookmark_tags (bookmark_id, tag_id) {
        bookmark_id -> BigInt,
        tag_id -> BigInt,
        position -> Integer,
        user_id -> BigInt,
        bookmark_created_at -> Timestamp,
        tag_name -> Text,
    }
}

diesel::table! {
    tag_totals (user_id, tag_id, visibility) {
        user_id -> BigInt,
        tag_id -> BigInt,
        visibility -> Text,
        bookmarks -> BigInt,
    }
}

diesel::table! {
    domain_events (id) {
        id -> BigInt,
        kind -> Text,
        user_id -> BigInt,
        bookmark_public_id -> Nullable<Text>,
        payload -> Text,
        created_at -> Timestamp,
        visible_to_others -> Bool,
        xact_id -> BigInt,
    }
}

diesel::table! {
    remote_actors (id) {
        id -> BigInt,
        ap_id -> Text,
        kind -> Text,
        handle -> Text,
        host -> Text,
        name -> Text,
        summary -> Text,
        profile_url -> Text,
        inbox -> Text,
        shared_inbox -> Nullable<Text>,
        public_key_pem -> Text,
        fetched_at -> Timestamp,
    }
}

diesel::table! {
    follows (id) {
        id -> BigInt,
        public_id -> Text,
        user_id -> BigInt,
        remote_actor_id -> BigInt,
        state -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    followers (id) {
        id -> BigInt,
        user_id -> BigInt,
        tag -> Text,
        remote_actor_id -> BigInt,
        follow_activity_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    remote_bookmarks (id) {
        id -> BigInt,
        ap_id -> Text,
        author_id -> BigInt,
        url -> Text,
        remote_url -> Text,
        title -> Text,
        notes -> Text,
        tags -> Text,
        visibility -> Text,
        published_at -> Timestamp,
        updated_at -> Timestamp,
        received_at -> Timestamp,
    }
}

diesel::table! {
    network_entries (user_id, remote_bookmark_id, follow_id) {
        user_id -> BigInt,
        remote_bookmark_id -> BigInt,
        follow_id -> BigInt,
    }
}

diesel::table! {
    received_activities (ap_id) {
        ap_id -> Text,
        received_at -> Timestamp,
    }
}

diesel::table! {
    outgoing_activities (id) {
        id -> BigInt,
        ap_id -> Text,
        user_id -> Nullable<BigInt>,
        tag -> Text,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    deliveries (id) {
        id -> BigInt,
        activity_id -> BigInt,
        instance -> Text,
        inbox -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    instances (host) {
        host -> Text,
        last_success_at -> Nullable<Timestamp>,
        last_failure_at -> Nullable<Timestamp>,
        failing_since -> Nullable<Timestamp>,
        last_error -> Text,
        failures -> Integer,
        next_attempt_at -> Timestamp,
        dead -> Bool,
        lease_owner -> Text,
        lease_until -> Timestamp,
    }
}

diesel::table! {
    tag_feeds (user_id, tag) {
        user_id -> BigInt,
        tag -> Text,
        actor_name -> Text,
        public_key_pem -> Text,
        private_key_pem -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(bookmarks -> users (user_id));
diesel::joinable!(bookmark_tags -> bookmarks (bookmark_id));
diesel::joinable!(bookmark_tags -> tags (tag_id));
diesel::joinable!(tag_totals -> tags (tag_id));
diesel::joinable!(domain_events -> users (user_id));
diesel::joinable!(follows -> users (user_id));
diesel::joinable!(follows -> remote_actors (remote_actor_id));
diesel::joinable!(followers -> users (user_id));
diesel::joinable!(followers -> remote_actors (remote_actor_id));
diesel::joinable!(remote_bookmarks -> remote_actors (author_id));
diesel::joinable!(network_entries -> remote_bookmarks (remote_bookmark_id));
diesel::joinable!(network_entries -> follows (follow_id));
diesel::joinable!(deliveries -> outgoing_activities (activity_id));

diesel::allow_tables_to_appear_in_same_query!(
    instance_settings,
    users,
    sessions,
    api_tokens,
    invites,
    bookmarks,
    tags,
    bookmark_tags,
    tag_totals,
    domain_events,
    remote_actors,
    follows,
    followers,
    remote_bookmarks,
    network_entries,
    received_activities,
    outgoing_activities,
    deliveries,
    instances,
    tag_feeds,
);
