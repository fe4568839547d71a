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
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(bookmarks -> users (user_id));
diesel::joinable!(bookmark_tags -> bookmarks (bookmark_id));
diesel::joinable!(bookmark_tags -> tags (tag_id));
diesel::joinable!(domain_events -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    instance_settings,
    users,
    sessions,
    api_tokens,
    invites,
    bookmarks,
    tags,
    bookmark_tags,
    domain_events,
);
