//! Follows both ways: a local user following a remote actor (`follows`, pending until the other
//! side accepts), and a remote actor following a local user or one of their tags (`followers`).

use super::actors::RemoteActor;
use crate::store::connection::{on_each_backend, DbConnection};
use crate::store::error::StoreError;
use crate::store::now;
use crate::store::schema::{followers, follows, remote_actors};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowState {
    Pending,
    Accepted,
}

impl FollowState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
        }
    }

    fn from_stored(value: &str) -> Self {
        if value == "accepted" {
            Self::Accepted
        } else {
            Self::Pending
        }
    }
}

/// A local user's follow of a remote actor, with the actor.
#[derive(Debug, Clone)]
pub struct Follow {
    pub id: i64,
    /// The id in the API and in the Follow activity's id.
    pub public_id: String,
    pub user_id: i64,
    pub state: FollowState,
    pub created_at: NaiveDateTime,
    pub target: RemoteActor,
}

type FollowRow = (i64, String, i64, String, NaiveDateTime, RemoteActor);

fn follow_from_row(row: FollowRow) -> Follow {
    let (id, public_id, user_id, state, created_at, target) = row;
    Follow {
        id,
        public_id,
        user_id,
        state: FollowState::from_stored(&state),
        created_at,
        target,
    }
}

macro_rules! follow_query {
    () => {
        follows::table.inner_join(remote_actors::table).select((
            follows::id,
            follows::public_id,
            follows::user_id,
            follows::state,
            follows::created_at,
            RemoteActor::as_select(),
        ))
    };
}

/// Records that `user_id` asked to follow `target`; returns the follow and whether it is new
/// (following someone already followed returns the existing follow).
pub fn create_follow(
    conn: &mut DbConnection,
    user_id: i64,
    target: &RemoteActor,
    public_id: &str,
) -> Result<(Follow, bool), StoreError> {
    if let Some(existing) = find_follow(conn, user_id, target.id)? {
        return Ok((existing, false));
    }
    let at = now();
    diesel::insert_into(follows::table)
        .values((
            follows::public_id.eq(public_id),
            follows::user_id.eq(user_id),
            follows::remote_actor_id.eq(target.id),
            follows::state.eq(FollowState::Pending.as_str()),
            follows::created_at.eq(at),
            follows::updated_at.eq(at),
        ))
        .execute(conn)?;
    let follow = find_follow(conn, user_id, target.id)?.ok_or(StoreError::NotFound("follow"))?;
    Ok((follow, true))
}

pub fn find_follow(
    conn: &mut DbConnection,
    user_id: i64,
    remote_actor_id: i64,
) -> Result<Option<Follow>, StoreError> {
    Ok(follow_query!()
        .filter(follows::user_id.eq(user_id))
        .filter(follows::remote_actor_id.eq(remote_actor_id))
        .first::<FollowRow>(conn)
        .optional()?
        .map(follow_from_row))
}

pub fn find_follow_by_public_id(
    conn: &mut DbConnection,
    public_id: &str,
) -> Result<Option<Follow>, StoreError> {
    Ok(follow_query!()
        .filter(follows::public_id.eq(public_id))
        .first::<FollowRow>(conn)
        .optional()?
        .map(follow_from_row))
}

/// Where a slice of a user's follows or followers starts and how long it is: the rows older
/// than row `before` (`None`: from the newest), newest first, at most `limit` of them (1 to
/// [`MAX_SLICE`]). Pages and the API hand a slice's [`Rows::next`] back as the next one's
/// `before`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    pub before: Option<i64>,
    pub limit: i64,
}

/// The most rows one slice reads: a longer one is read as this many.
pub const MAX_SLICE: i64 = 1_000;

impl Slice {
    /// The newest `limit` rows.
    pub fn newest(limit: i64) -> Self {
        Self {
            before: None,
            limit,
        }
    }

    /// The rows before `cursor`, a [`Rows::next`] as a page or the API wrote it (a row id:
    /// digits only); `None` when it is not one.
    pub fn after_cursor(cursor: &str, limit: i64) -> Option<Self> {
        let before = cursor
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| cursor.parse::<i64>().ok())
            .flatten()
            .filter(|id| *id > 0)?;
        Some(Self {
            before: Some(before),
            limit,
        })
    }

    /// The limit a statement reads: 1 to [`MAX_SLICE`].
    fn rows(self) -> i64 {
        self.limit.clamp(1, MAX_SLICE)
    }
}

/// One slice of rows, newest first, and where the next (older) slice starts: `None` when
/// these are the oldest.
#[derive(Debug, Clone)]
pub struct Rows<T> {
    pub items: Vec<T>,
    pub next: Option<i64>,
}

impl<T> Rows<T> {
    /// `rows` as read with one more than `limit` asked for: the extra row says there is more.
    fn of(mut rows: Vec<T>, limit: i64, id: impl Fn(&T) -> i64) -> Self {
        let limit = usize::try_from(limit).unwrap_or(0);
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(id)
        } else {
            None
        };
        Self { items: rows, next }
    }
}

/// A slice of a user's follows (only those in `state`, when given), newest first.
pub fn list_follows(
    conn: &mut DbConnection,
    user_id: i64,
    state: Option<FollowState>,
    slice: Slice,
) -> Result<Rows<Follow>, StoreError> {
    // On the concrete connection, as every listed page's statements are (see
    // `on_each_backend!`); by the user's newest-first index (`follows_user_newest`).
    let rows: Vec<FollowRow> = on_each_backend!(conn, |c| {
        let mut query = follow_query!()
            .filter(follows::user_id.eq(user_id))
            .into_boxed();
        if let Some(state) = state {
            query = query.filter(follows::state.eq(state.as_str()));
        }
        if let Some(before) = slice.before {
            query = query.filter(follows::id.lt(before));
        }
        query
            .order(follows::id.desc())
            .limit(slice.rows() + 1)
            .load(c)
    })?;
    Ok(Rows::of(
        rows.into_iter().map(follow_from_row).collect(),
        slice.rows(),
        |f| f.id,
    ))
}

/// How many follows the user has (only those in `state`, when given).
pub fn count_follows(
    conn: &mut DbConnection,
    user_id: i64,
    state: Option<FollowState>,
) -> Result<i64, StoreError> {
    let mut query = follows::table
        .filter(follows::user_id.eq(user_id))
        .into_boxed();
    if let Some(state) = state {
        query = query.filter(follows::state.eq(state.as_str()));
    }
    Ok(query.count().get_result(conn)?)
}

/// Marks the follow accepted; false when there is no such follow.
pub fn accept_follow(conn: &mut DbConnection, follow_id: i64) -> Result<bool, StoreError> {
    let changed = diesel::update(follows::table.find(follow_id))
        .set((
            follows::state.eq(FollowState::Accepted.as_str()),
            follows::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(changed > 0)
}

/// Ends a follow; what arrived only through it leaves the user's network with it.
pub fn delete_follow(conn: &mut DbConnection, follow_id: i64) -> Result<bool, StoreError> {
    super::network::remove_network_entries(conn, follow_id, None)?;
    Ok(diesel::delete(follows::table.find(follow_id)).execute(conn)? > 0)
}

/// `(user id, follow id)` of every accepted follow of a remote actor: who sees what it sends.
pub fn accepted_follows_of(
    conn: &mut DbConnection,
    remote_actor_id: i64,
) -> Result<Vec<(i64, i64)>, StoreError> {
    Ok(follows::table
        .filter(follows::remote_actor_id.eq(remote_actor_id))
        .filter(follows::state.eq(FollowState::Accepted.as_str()))
        .select((follows::user_id, follows::id))
        .load(conn)?)
}

/// A remote actor following a local user (`tag` empty) or one of their tag feeds.
#[derive(Debug, Clone)]
pub struct Follower {
    /// The row's id: where a [`Slice`] after this follower starts.
    pub id: i64,
    pub tag: String,
    pub follow_activity_id: String,
    pub created_at: NaiveDateTime,
    pub actor: RemoteActor,
}

/// Records a follower; following twice keeps one row (with the newest Follow's id, which an
/// Undo will name).
pub fn add_follower(
    conn: &mut DbConnection,
    user_id: i64,
    tag: &str,
    actor: &RemoteActor,
    follow_activity_id: &str,
) -> Result<(), StoreError> {
    let existing = followers::table
        .filter(followers::user_id.eq(user_id))
        .filter(followers::tag.eq(tag))
        .filter(followers::remote_actor_id.eq(actor.id))
        .select(followers::id)
        .first::<i64>(conn)
        .optional()?;
    match existing {
        Some(id) => {
            diesel::update(followers::table.find(id))
                .set(followers::follow_activity_id.eq(follow_activity_id))
                .execute(conn)?;
        }
        None => {
            diesel::insert_into(followers::table)
                .values((
                    followers::user_id.eq(user_id),
                    followers::tag.eq(tag),
                    followers::remote_actor_id.eq(actor.id),
                    followers::follow_activity_id.eq(follow_activity_id),
                    followers::created_at.eq(now()),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

pub fn remove_follower(
    conn: &mut DbConnection,
    user_id: i64,
    tag: &str,
    remote_actor_id: i64,
) -> Result<bool, StoreError> {
    let removed = diesel::delete(
        followers::table
            .filter(followers::user_id.eq(user_id))
            .filter(followers::tag.eq(tag))
            .filter(followers::remote_actor_id.eq(remote_actor_id)),
    )
    .execute(conn)?;
    Ok(removed > 0)
}

/// Removes the follower that the Follow activity `follow_activity_id` of `remote_actor_id`
/// made (for an Undo that names the Follow only by id).
pub fn remove_follower_by_activity(
    conn: &mut DbConnection,
    remote_actor_id: i64,
    follow_activity_id: &str,
) -> Result<bool, StoreError> {
    let removed = diesel::delete(
        followers::table
            .filter(followers::remote_actor_id.eq(remote_actor_id))
            .filter(followers::follow_activity_id.eq(follow_activity_id)),
    )
    .execute(conn)?;
    Ok(removed > 0)
}

/// A slice of the followers of a user, of one of their feeds (`tag`: empty for the person's,
/// a tag's name for that tag's) or of any of them (`None`), newest first.
pub fn list_followers(
    conn: &mut DbConnection,
    user_id: i64,
    tag: Option<&str>,
    slice: Slice,
) -> Result<Rows<Follower>, StoreError> {
    // On the concrete connection, as every listed page's statements are (see
    // `on_each_backend!`); by the user's newest-first index (`followers_user_newest`).
    let rows: Vec<(i64, String, String, NaiveDateTime, RemoteActor)> =
        on_each_backend!(conn, |c| {
            let mut query = followers::table
                .inner_join(remote_actors::table)
                .filter(followers::user_id.eq(user_id))
                .into_boxed();
            if let Some(tag) = tag {
                query = query.filter(followers::tag.eq(tag.to_string()));
            }
            if let Some(before) = slice.before {
                query = query.filter(followers::id.lt(before));
            }
            query
                .order(followers::id.desc())
                .limit(slice.rows() + 1)
                .select((
                    followers::id,
                    followers::tag,
                    followers::follow_activity_id,
                    followers::created_at,
                    RemoteActor::as_select(),
                ))
                .load(c)
        })?;
    let followers = rows
        .into_iter()
        .map(
            |(id, tag, follow_activity_id, created_at, actor)| Follower {
                id,
                tag,
                follow_activity_id,
                created_at,
                actor,
            },
        )
        .collect();
    Ok(Rows::of(followers, slice.rows(), |f| f.id))
}

/// How many follow the user's feed `tag` (empty for the person's), or any of their feeds
/// (`None`).
pub fn count_followers(
    conn: &mut DbConnection,
    user_id: i64,
    tag: Option<&str>,
) -> Result<i64, StoreError> {
    let mut query = followers::table
        .filter(followers::user_id.eq(user_id))
        .into_boxed();
    if let Some(tag) = tag {
        query = query.filter(followers::tag.eq(tag.to_string()));
    }
    Ok(query.count().get_result(conn)?)
}

/// The distinct delivery inboxes (shared inbox where there is one) of the followers of
/// `user_id`'s feeds named in `tags` (`""` for the person), with each inbox's instance host.
pub fn follower_inboxes(
    conn: &mut DbConnection,
    user_id: i64,
    tags: &[String],
) -> Result<Vec<(String, String)>, StoreError> {
    let rows: Vec<(String, String, Option<String>)> = followers::table
        .inner_join(remote_actors::table)
        .filter(followers::user_id.eq(user_id))
        .filter(followers::tag.eq_any(tags))
        .select((
            remote_actors::host,
            remote_actors::inbox,
            remote_actors::shared_inbox,
        ))
        .load(conn)?;
    let mut inboxes: Vec<(String, String)> = rows
        .into_iter()
        .map(|(host, inbox, shared)| (host, shared.unwrap_or(inbox)))
        .collect();
    inboxes.sort();
    inboxes.dedup();
    Ok(inboxes)
}

/// Whether anyone could receive a new bookmark of the user: a follower elsewhere, of them or
/// of one of their tags (`followers`), or an actor of theirs known here (`person_url` among
/// the remote actors), which a follow of them or their tags on this instance needs, and
/// which also exists when they follow someone here themselves. When there is neither,
/// publishing the bookmark does nothing, and its event is skipped after this one statement
/// instead of three lookups that would each find nobody.
pub fn anyone_could_receive(
    conn: &mut DbConnection,
    user_id: i64,
    person_url: &str,
) -> Result<bool, StoreError> {
    let remote_followers = followers::table.filter(followers::user_id.eq(user_id));
    let known_here = remote_actors::table.filter(remote_actors::ap_id.eq(person_url));
    Ok(
        diesel::select(diesel::dsl::exists(remote_followers).or(diesel::dsl::exists(known_here)))
            .get_result(conn)?,
    )
}

/// Who follows a user (with the tag they follow, empty for all of the user's bookmarks) and
/// whom the user follows, as their profile lists them: how many, and the newest by handle (at
/// most 50 of each).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SocialHandles {
    /// The newest first (by when they first followed).
    pub followers: Vec<(String, String)>,
    /// Accepted follows only, the newest first.
    pub following: Vec<String>,
    /// All of the user's followers, listed or not.
    pub followers_total: i64,
    /// All of the user's accepted follows, listed or not.
    pub following_total: i64,
}

impl SocialHandles {
    /// Reads the JSON texts of [`UsersFollowers`](crate::store::kept_conditions::UsersFollowers)
    /// and [`UsersFollowing`](crate::store::kept_conditions::UsersFollowing) (`None` for none),
    /// with how many there are in all (`(followers, follows)`).
    pub(crate) fn from_json(
        followers: Option<&str>,
        following: Option<&str>,
        totals: (i64, i64),
    ) -> Result<Self, StoreError> {
        // Written by the database's own JSON functions: a text that does not read is a value
        // diesel could not read.
        fn parse<T: serde::de::DeserializeOwned>(json: Option<&str>) -> Result<Vec<T>, StoreError> {
            json.map(serde_json::from_str)
                .transpose()
                .map(Option::unwrap_or_default)
                .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)).into())
        }
        let mut followers: Vec<(i64, String, String)> = parse(followers)?;
        let mut following: Vec<(i64, String)> = parse(following)?;
        followers.sort_unstable_by_key(|(id, ..)| std::cmp::Reverse(*id));
        following.sort_unstable_by_key(|(id, _)| std::cmp::Reverse(*id));
        Ok(Self {
            followers_total: totals.0,
            following_total: totals.1,
            followers: followers
                .into_iter()
                .map(|(_, handle, tag)| (handle, tag))
                .collect(),
            following: following.into_iter().map(|(_, handle)| handle).collect(),
        })
    }
}
