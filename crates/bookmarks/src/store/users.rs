//! Accounts and the credentials that identify them: sessions (browser cookies), API tokens
//! (bearer), invites. Secrets are stored as SHA-256 hashes only.

use super::connection::{on_each_backend, DbConnection};
use super::error::StoreError;
use super::events::ChangeGeneration;
use super::federation::SocialHandles;
use super::kept_conditions::{
    UsersFollowers, UsersFollowersTotal, UsersFollowing, UsersFollowingTotal, UsersNewestChange,
    UsersSettledChange,
};
use super::now;
use super::schema::{api_tokens, invites, sessions, users};
use crate::model::{ActorKeys, PasswordHash, Secret, SecretHash, UserName};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
struct UserRow {
    id: i64,
    name: String,
    display_name: String,
    password_hash: String,
    is_admin: bool,
    public_key_pem: String,
    created_at: NaiveDateTime,
}

/// A local account. The private key is not loaded here; federation reads it when it signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub name: UserName,
    pub display_name: String,
    pub password_hash: PasswordHash,
    pub is_admin: bool,
    pub public_key_pem: String,
    pub created_at: NaiveDateTime,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        Self {
            id: row.id,
            name: UserName::from_stored(row.name),
            display_name: row.display_name,
            password_hash: PasswordHash::from_stored(row.password_hash),
            is_admin: row.is_admin,
            public_key_pem: row.public_key_pem,
            created_at: row.created_at,
        }
    }
}

pub struct NewAccount {
    pub name: UserName,
    pub password_hash: PasswordHash,
    pub is_admin: bool,
    pub keys: ActorKeys,
}

pub fn create_user(conn: &mut DbConnection, account: &NewAccount) -> Result<User, StoreError> {
    if find_user_by_name(conn, &account.name)?.is_some() {
        return Err(StoreError::Conflict(format!(
            "the user name `{}` is taken; choose another",
            account.name
        )));
    }
    diesel::insert_into(users::table)
        .values((
            users::name.eq(account.name.as_str()),
            users::display_name.eq(""),
            users::password_hash.eq(account.password_hash.as_str()),
            users::is_admin.eq(account.is_admin),
            users::public_key_pem.eq(&account.keys.public_pem),
            users::private_key_pem.eq(&account.keys.private_pem),
            users::created_at.eq(now()),
        ))
        .execute(conn)?;
    find_user_by_name(conn, &account.name)?.ok_or(StoreError::NotFound("user"))
}

pub fn find_user_by_name(
    conn: &mut DbConnection,
    name: &UserName,
) -> Result<Option<User>, StoreError> {
    // On the concrete connection, as every user page reads it (see `on_each_backend!`).
    let row: Option<UserRow> = on_each_backend!(conn, |c| users::table
        .filter(users::name.eq(name.as_str()))
        .select(UserRow::as_select())
        .first(c)
        .optional())?;
    Ok(row.map(User::from))
}

/// The user named `name`, with their bookmarks' change generation (as
/// [`super::change_generation`] gives it) read in the same statement: a user's pages need both,
/// and on PostgreSQL each statement is a round trip.
pub fn find_user_by_name_with_generation(
    conn: &mut DbConnection,
    name: &UserName,
) -> Result<Option<(User, ChangeGeneration)>, StoreError> {
    let backend = conn.backend();
    let row: Option<(UserRow, Option<i64>, Option<i64>)> =
        on_each_backend!(conn, |c| users::table
            .filter(users::name.eq(name.as_str()))
            .select((UserRow::as_select(), UsersNewestChange, UsersSettledChange))
            .first(c)
            .optional())?;
    Ok(row.map(|(user, newest, settled)| {
        (
            User::from(user),
            ChangeGeneration::read(backend, newest, settled),
        )
    }))
}

/// [`find_user_by_name_with_generation`] with the user's followers and follows, as their
/// pages list them (how many, and the newest by name), read in the same statement.
pub fn find_user_by_name_with_social(
    conn: &mut DbConnection,
    name: &UserName,
) -> Result<Option<(User, ChangeGeneration, SocialHandles)>, StoreError> {
    let backend = conn.backend();
    type Row = (
        UserRow,
        Option<i64>,
        Option<i64>,
        Option<String>,
        Option<String>,
        i64,
        i64,
    );
    let row: Option<Row> = on_each_backend!(conn, |c| users::table
        .filter(users::name.eq(name.as_str()))
        .select((
            UserRow::as_select(),
            UsersNewestChange,
            UsersSettledChange,
            UsersFollowers,
            UsersFollowing,
            UsersFollowersTotal,
            UsersFollowingTotal,
        ))
        .first(c)
        .optional())?;
    row.map(
        |(user, newest, settled, followers, following, followers_total, following_total)| {
            let social = SocialHandles::from_json(
                followers.as_deref(),
                following.as_deref(),
                (followers_total, following_total),
            )?;
            Ok((
                User::from(user),
                ChangeGeneration::read(backend, newest, settled),
                social,
            ))
        },
    )
    .transpose()
}

/// The user's private key (PKCS#8 PEM), for signing on their behalf. Never shown anywhere.
pub fn user_private_key(conn: &mut DbConnection, id: i64) -> Result<String, StoreError> {
    users::table
        .find(id)
        .select(users::private_key_pem)
        .first(conn)
        .optional()?
        .ok_or(StoreError::NotFound("user"))
}

pub fn get_user(conn: &mut DbConnection, id: i64) -> Result<User, StoreError> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .map(User::from)
        .ok_or(StoreError::NotFound("user"))
}

pub fn list_users(conn: &mut DbConnection) -> Result<Vec<User>, StoreError> {
    Ok(users::table
        .order(users::name.asc())
        .select(UserRow::as_select())
        .load(conn)?
        .into_iter()
        .map(User::from)
        .collect())
}

pub fn count_users(conn: &mut DbConnection) -> Result<i64, StoreError> {
    Ok(users::table.count().get_result(conn)?)
}

// ---- sessions ---------------------------------------------------------------------------

/// Starts a session lasting `lifetime`; returns the secret for the cookie.
pub fn create_session(
    conn: &mut DbConnection,
    user_id: i64,
    lifetime: Duration,
) -> Result<Secret, StoreError> {
    let secret = Secret::generate();
    let created_at = now();
    // Logging in is rare enough to tidy up: expired sessions go.
    diesel::delete(sessions::table.filter(sessions::expires_at.le(created_at))).execute(conn)?;
    diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(secret.hash().as_str()),
            sessions::user_id.eq(user_id),
            sessions::created_at.eq(created_at),
            sessions::expires_at.eq(created_at + lifetime),
        ))
        .execute(conn)?;
    Ok(secret)
}

pub fn user_for_session(
    conn: &mut DbConnection,
    presented: &str,
) -> Result<Option<User>, StoreError> {
    Ok(sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(SecretHash::of(presented).as_str()))
        .filter(sessions::expires_at.gt(now()))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?
        .map(User::from))
}

pub fn delete_session(conn: &mut DbConnection, presented: &str) -> Result<(), StoreError> {
    diesel::delete(
        sessions::table.filter(sessions::token_hash.eq(SecretHash::of(presented).as_str())),
    )
    .execute(conn)?;
    Ok(())
}

// ---- API tokens -------------------------------------------------------------------------

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    pub id: i64,
    pub label: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
}

pub fn create_api_token(
    conn: &mut DbConnection,
    user_id: i64,
    label: &str,
) -> Result<Secret, StoreError> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 100 {
        return Err(crate::FieldError::new(
            "label",
            "give the token a name of 1–100 characters, e.g. `laptop script`",
        )
        .into());
    }
    let secret = Secret::generate();
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::user_id.eq(user_id),
            api_tokens::label.eq(label),
            api_tokens::token_hash.eq(secret.hash().as_str()),
            api_tokens::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(secret)
}

/// The token's owner, or `None` for an unknown or revoked token. One indexed lookup, plus, at
/// most once an hour per token, a write of when it was last used (shown in Settings).
pub fn user_for_api_token(
    conn: &mut DbConnection,
    presented: &str,
) -> Result<Option<User>, StoreError> {
    let hash = SecretHash::of(presented);
    let found: Option<(UserRow, i64, Option<NaiveDateTime>)> =
        on_each_backend!(conn, |c| api_tokens::table
            .inner_join(users::table)
            .filter(api_tokens::token_hash.eq(hash.as_str()))
            .select((
                UserRow::as_select(),
                api_tokens::id,
                api_tokens::last_used_at,
            ))
            .first(c)
            .optional())?;
    let Some((user, token_id, last_used_at)) = found else {
        return Ok(None);
    };
    let now = now();
    if last_used_at.is_none_or(|at| now - at > Duration::hours(1)) {
        diesel::update(api_tokens::table.find(token_id))
            .set(api_tokens::last_used_at.eq(now))
            .execute(conn)?;
    }
    Ok(Some(User::from(user)))
}

pub fn list_api_tokens(conn: &mut DbConnection, user_id: i64) -> Result<Vec<ApiToken>, StoreError> {
    Ok(api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .order(api_tokens::id.desc())
        .select(ApiToken::as_select())
        .load(conn)?)
}

pub fn revoke_api_token(
    conn: &mut DbConnection,
    user_id: i64,
    token_id: i64,
) -> Result<(), StoreError> {
    let deleted = diesel::delete(
        api_tokens::table
            .filter(api_tokens::id.eq(token_id))
            .filter(api_tokens::user_id.eq(user_id)),
    )
    .execute(conn)?;
    if deleted == 0 {
        return Err(StoreError::NotFound("API token"));
    }
    Ok(())
}

// ---- invites ----------------------------------------------------------------------------

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = invites)]
pub struct Invite {
    pub id: i64,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

/// An invite code valid for `lifetime`, usable once.
pub fn create_invite(
    conn: &mut DbConnection,
    created_by: i64,
    lifetime: Duration,
) -> Result<Secret, StoreError> {
    let secret = Secret::generate();
    let created_at = now();
    diesel::insert_into(invites::table)
        .values((
            invites::code_hash.eq(secret.hash().as_str()),
            invites::created_by.eq(created_by),
            invites::created_at.eq(created_at),
            invites::expires_at.eq(created_at + lifetime),
        ))
        .execute(conn)?;
    Ok(secret)
}

pub fn list_invites(conn: &mut DbConnection, created_by: i64) -> Result<Vec<Invite>, StoreError> {
    Ok(invites::table
        .filter(invites::created_by.eq(created_by))
        .order(invites::id.desc())
        .select(Invite::as_select())
        .load(conn)?)
}

/// Creates the account and uses up the invite, in one transaction (run inside `write`).
pub fn accept_invite(
    conn: &mut DbConnection,
    code: &str,
    account: &NewAccount,
) -> Result<User, StoreError> {
    let invite_id: Option<i64> = invites::table
        .filter(invites::code_hash.eq(SecretHash::of(code).as_str()))
        .filter(invites::used_at.is_null())
        .filter(invites::expires_at.gt(now()))
        .select(invites::id)
        .first(conn)
        .optional()?;
    let Some(invite_id) = invite_id else {
        return Err(crate::FieldError::new(
            "invite",
            "this invite link is unknown, used or expired; ask an administrator for a new one",
        )
        .into());
    };
    let user = create_user(conn, account)?;
    let claimed = diesel::update(
        invites::table
            .filter(invites::id.eq(invite_id))
            .filter(invites::used_at.is_null()),
    )
    .set((invites::used_by.eq(user.id), invites::used_at.eq(now())))
    .execute(conn)?;
    if claimed == 0 {
        return Err(StoreError::Conflict(
            "this invite link was used a moment ago; ask for a new one".into(),
        ));
    }
    Ok(user)
}

// ---- private feed tokens ----------------------------------------------------------------

/// The user's private feed token, if they made one.
pub fn feed_token(conn: &mut DbConnection, user_id: i64) -> Result<Option<String>, StoreError> {
    Ok(users::table
        .find(user_id)
        .select(users::feed_token)
        .first::<Option<String>>(conn)?)
}

/// Makes a new private feed token, replacing (and so disabling) the old one.
pub fn regenerate_feed_token(conn: &mut DbConnection, user_id: i64) -> Result<String, StoreError> {
    let token = Secret::generate().into_string();
    diesel::update(users::table.find(user_id))
        .set(users::feed_token.eq(&token))
        .execute(conn)?;
    Ok(token)
}

/// True when `presented` is the user's current private feed token.
pub fn feed_token_matches(
    conn: &mut DbConnection,
    user_id: i64,
    presented: &str,
) -> Result<bool, StoreError> {
    Ok(feed_token(conn, user_id)?.is_some_and(|token| !presented.is_empty() && token == presented))
}
