//! Every follow and every follower of the logged-in user, a page at a time, newest first
//! (`/network/following`, `/network/followers`): the network page lists only the newest of
//! each, so that an account followed by thousands is read and shown in bounded pieces.

use crate::auth::session::LoggedIn;
use crate::blocking::run_db;
use crate::errors::PageError;
use crate::state::AppState;
use crate::views::Chrome;
use actix_web::{web, HttpResponse};
use askama::Template;
use bookmarks::store::federation::{
    count_followers, count_follows, list_followers, list_follows, Follow, FollowState, Follower,
    Slice,
};
use bookmarks::store::DbConnection;
use bookmarks::StoreError;
use serde::Deserialize;

pub(super) const FOLLOWING_PATH: &str = "/network/following";
pub(super) const FOLLOWERS_PATH: &str = "/network/followers";
/// Follows or followers on one page.
const PAGE_SIZE: i64 = 100;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(FOLLOWING_PATH, web::get().to(following))
        .route(FOLLOWERS_PATH, web::get().to(followers));
}

/// A follow or a follower as the network pages list them.
pub(super) struct PersonView {
    pub handle: String,
    /// What else to say of them: that a follow is pending, or which tag of yours they follow.
    pub note: String,
    /// A follow's id, for its unfollow form (followers have none).
    pub unfollow: Option<String>,
}

impl PersonView {
    pub fn followed(f: &Follow) -> Self {
        Self {
            handle: f.target.handle.clone(),
            note: if f.state == FollowState::Pending {
                "(pending)".to_string()
            } else {
                String::new()
            },
            unfollow: Some(f.public_id.clone()),
        }
    }

    pub fn follower(f: &Follower) -> Self {
        Self {
            handle: f.actor.handle.clone(),
            note: if f.tag.is_empty() {
                String::new()
            } else {
                format!("follows your tag {}", f.tag)
            },
            unfollow: None,
        }
    }
}

#[derive(Template)]
#[template(path = "network_people.html")]
struct PeoplePage {
    chrome: Chrome,
    heading: &'static str,
    total: i64,
    people: Vec<PersonView>,
    /// Where an unfollow form on this page returns to: this page.
    back: String,
    /// The first page, when this is a later one.
    newest_href: Option<&'static str>,
    next_href: Option<String>,
}

#[derive(Deserialize)]
struct PeopleQuery {
    before: Option<String>,
}

impl PeopleQuery {
    /// The page asked for: the newest, or those older than `before` (an *Older* link's).
    fn slice(&self) -> Result<Slice, PageError> {
        match self.before.as_deref().filter(|b| !b.is_empty()) {
            None => Ok(Slice::newest(PAGE_SIZE)),
            Some(before) => Slice::after_cursor(before, PAGE_SIZE).ok_or_else(|| {
                PageError::BadRequest(format!(
                    "`before={before}` is not a place in this list; follow the page's \
                     \"Older\" link, or leave it out for the newest"
                ))
            }),
        }
    }
}

/// A page of follows whose unfollow forms may return to it: `/network/following`, with or
/// without `?before=` and a row id.
pub(super) fn is_following_page(path: &str) -> bool {
    match path.strip_prefix(FOLLOWING_PATH) {
        Some("") => true,
        Some(rest) => rest
            .strip_prefix("?before=")
            .and_then(|cursor| Slice::after_cursor(cursor, PAGE_SIZE))
            .is_some(),
        None => false,
    }
}

/// Which of the two lists a page is.
#[derive(Clone, Copy)]
pub(super) enum People {
    Following,
    Followers,
}

/// A slice of one of the lists as the pages show it, with where the next slice starts and how
/// many the list holds in all.
pub(super) struct Listed {
    pub people: Vec<PersonView>,
    pub next: Option<i64>,
    pub total: i64,
}

impl People {
    fn path(self) -> &'static str {
        match self {
            Self::Following => FOLLOWING_PATH,
            Self::Followers => FOLLOWERS_PATH,
        }
    }

    /// A slice of the user's list, and how many are on it in all (inside the caller's read).
    pub(super) fn read(
        self,
        c: &mut DbConnection,
        user_id: i64,
        slice: Slice,
    ) -> Result<Listed, StoreError> {
        Ok(match self {
            Self::Following => {
                let rows = list_follows(c, user_id, None, slice)?;
                Listed {
                    people: rows.items.iter().map(PersonView::followed).collect(),
                    next: rows.next,
                    total: count_follows(c, user_id, None)?,
                }
            }
            Self::Followers => {
                let rows = list_followers(c, user_id, None, slice)?;
                Listed {
                    people: rows.items.iter().map(PersonView::follower).collect(),
                    next: rows.next,
                    total: count_followers(c, user_id, None)?,
                }
            }
        })
    }
}

async fn following(
    state: web::Data<AppState>,
    me: LoggedIn,
    query: web::Query<PeopleQuery>,
) -> Result<HttpResponse, PageError> {
    people_page(&state, &me, &query, People::Following).await
}

async fn followers(
    state: web::Data<AppState>,
    me: LoggedIn,
    query: web::Query<PeopleQuery>,
) -> Result<HttpResponse, PageError> {
    people_page(&state, &me, &query, People::Followers).await
}

async fn people_page(
    state: &AppState,
    me: &LoggedIn,
    query: &PeopleQuery,
    people: People,
) -> Result<HttpResponse, PageError> {
    let slice = query.slice()?;
    let user_id = me.user.id;
    let listed = run_db(&state.db, move |db| {
        db.read(|c| people.read(c, user_id, slice))
    })
    .await?;
    let path = people.path();
    let page = PeoplePage {
        chrome: Chrome::new(state, &me.page),
        heading: match people {
            People::Following => "Following",
            People::Followers => "Followers",
        },
        total: listed.total,
        people: listed.people,
        back: match slice.before {
            Some(before) => format!("{path}?before={before}"),
            None => path.to_string(),
        },
        newest_href: slice.before.map(|_| path),
        next_href: listed.next.map(|id| format!("{path}?before={id}")),
    };
    Ok(super::html(page.render()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfollow_forms_return_only_to_pages_of_follows() {
        assert!(is_following_page("/network/following"));
        assert!(is_following_page("/network/following?before=42"));
        assert!(!is_following_page("/network/following?before="));
        assert!(!is_following_page("/network/following?before=-1"));
        assert!(!is_following_page("/network/following?before=+1"));
        assert!(!is_following_page("/network/following?before=4&x=1"));
        assert!(!is_following_page("/network/following/../../elsewhere"));
        assert!(!is_following_page("/network/followingx"));
        assert!(!is_following_page("https://evil.example/network/following"));
    }

    #[test]
    fn a_page_is_the_newest_or_older_than_a_row() {
        let newest = PeopleQuery { before: None }.slice().ok();
        assert_eq!(newest, Some(Slice::newest(PAGE_SIZE)));
        let empty = PeopleQuery {
            before: Some(String::new()),
        };
        assert_eq!(empty.slice().ok(), Some(Slice::newest(PAGE_SIZE)));
        let older = PeopleQuery {
            before: Some("17".into()),
        };
        assert_eq!(older.slice().ok().and_then(|s| s.before), Some(17));
        for bad in ["0", "-3", "+3", "x", "99999999999999999999"] {
            let query = PeopleQuery {
                before: Some(bad.into()),
            };
            assert!(query.slice().is_err(), "{bad}");
        }
    }
}
