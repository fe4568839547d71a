//! `/api/bookmarks`: create (or update by URL), list with tag, search and cursor filters, and
//! read, change or delete one bookmark by id. Callers only ever change their own bookmarks.

use super::json::{
    parse_body, write_bookmark_json, write_value, written_json_response, BookmarkFields,
    BookmarkJson, ErrorJson,
};
use crate::auth::bearer::{unknown_token, ApiUser, BearerToken};
use crate::blocking::{read_now_if_idle, run_db};
use crate::errors::ApiError;
use crate::page_fill::{fill_from_page, wants_title};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use bookmarks::model::{BookmarkDraft, BookmarkUrl, Cursor, TagName};
use bookmarks::store::{self, BookmarkFilter, BookmarkPage, User};
use serde::Serialize;

/// Saves a bookmark: `201 Created` for a new one, `200 OK` when the URL (normalised) was saved
/// before, with the same id; fields left out keep their value. An empty title is fetched from
/// the page.
#[utoipa::path(
    tag = "bookmarks",
    request_body = BookmarkFields,
    responses(
        (status = 201, description = "Created", body = BookmarkJson),
        (status = 200, description = "The URL was saved before; that bookmark, updated", body = BookmarkJson),
        (status = 400, description = "Bad input; the message names the field", body = ErrorJson),
        (status = 401, description = "No or unknown bearer token", body = ErrorJson),
    ),
    security(("bearer" = []))
)]
#[post("/bookmarks")]
pub async fn create(
    state: web::Data<AppState>,
    token: BearerToken,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let draft = draft_from(body.into_inner());
    // One trip to the database for the usual create: the token is checked (before the fields
    // are looked at, so a caller without a valid token learns nothing from a 400), then the
    // bookmark is saved right away unless its page must be fetched for a title first.
    let step = run_db(&state.db, move |db| {
        let Some(user) = db.read(|c| token.user(c))? else {
            return Ok(Err(unknown_token()));
        };
        let draft = match draft {
            Ok(draft) => draft,
            Err(bad) => return Ok(Err(bad)),
        };
        let title_wanted = match wants_title(&draft) {
            Some(wanted) => wanted,
            None => db
                .read(|c| store::find_bookmark_by_url(c, user.id, &draft.url))?
                .is_none_or(|stored| stored.title.is_empty()),
        };
        if title_wanted {
            return Ok(Ok(CreateStep::FetchFirst(user.id, draft)));
        }
        let user_id = user.id;
        db.save_bookmark(user_id, draft)
            .map(|saved| Ok(CreateStep::Saved(saved)))
    })
    .await??;
    let saved = match step {
        CreateStep::Saved(saved) => saved,
        CreateStep::FetchFirst(user_id, mut draft) => {
            fill_from_page(&state, &mut draft, true).await;
            run_db(&state.db, move |db| db.save_bookmark(user_id, draft)).await?
        }
    };
    let json = BookmarkJson::from(&saved.bookmark);
    Ok(if saved.created {
        HttpResponse::Created()
            .insert_header((
                actix_web::http::header::LOCATION,
                format!("/api/bookmarks/{}", json.id),
            ))
            .json(json)
    } else {
        HttpResponse::Ok().json(json)
    })
}

/// Where a create stands after its first trip to the database.
enum CreateStep {
    Saved(store::SavedBookmark),
    /// The page is fetched for a title before the bookmark of this user is saved.
    FetchFirst(i64, BookmarkDraft),
}

fn draft_from(body: serde_json::Value) -> Result<BookmarkDraft, ApiError> {
    let fields: BookmarkFields = parse_body(body)?;
    let url = fields.url.as_deref().ok_or_else(|| {
        ApiError::BadRequest("url: missing; send the address to save as `url`".into())
    })?;
    Ok(BookmarkDraft {
        url: BookmarkUrl::parse(url)?,
        changes: fields.changes()?,
    })
}

/// The list's answer: its shape for the OpenAPI document, and what [`list_body`] writes by
/// hand (tested).
#[derive(Serialize, utoipa::ToSchema)]
pub struct ListJson<'a> {
    bookmarks: Vec<BookmarkJson<'a>>,
    /// Pass as `cursor` to get the next (older) page; `null` on the last page.
    next_cursor: Option<String>,
}

const DEFAULT_LIMIT: i64 = 50;

/// Reads `tag` (repeatable), `q`, `limit`, `cursor` and `unread` from the query string.
fn parse_list_query(query: &str, owner: &User) -> Result<BookmarkFilter, ApiError> {
    let mut filter = BookmarkFilter::of_user(owner, Some(owner.id));
    filter.limit = DEFAULT_LIMIT;
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "tag" => filter.tags.push(TagName::parse(&value)?),
            "q" => filter.search = Some(value.into_owned()).filter(|q| !q.trim().is_empty()),
            "cursor" if !value.is_empty() => filter.before = Some(Cursor::parse(&value)?),
            "cursor" => {}
            "limit" => {
                filter.limit = value
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (1..=store::MAX_PAGE_SIZE).contains(n))
                    .ok_or_else(|| {
                        ApiError::BadRequest(format!(
                            "limit: `{value}` is not a number from 1 to {}",
                            store::MAX_PAGE_SIZE
                        ))
                    })?;
            }
            "unread" => {
                filter.unread_only = match value.as_ref() {
                    "true" | "1" | "yes" => true,
                    "false" | "0" | "no" | "" => false,
                    other => {
                        return Err(ApiError::BadRequest(format!(
                            "unread: `{other}` is not true or false"
                        )))
                    }
                }
            }
            other => {
                return Err(ApiError::BadRequest(format!(
                    "unknown query parameter `{other}`; use tag, q, limit, cursor or unread"
                )))
            }
        }
    }
    if filter.tags.len() > 8 {
        return Err(ApiError::BadRequest(
            "at most 8 `tag` filters can be combined".into(),
        ));
    }
    Ok(filter)
}

/// Your bookmarks, newest first: every `tag` must match, `q` words must each appear in the
/// title, notes, URL or a tag; pass `next_cursor` as `cursor` for the next page.
#[utoipa::path(
    tag = "bookmarks",
    params(
        ("tag" = Option<Vec<String>>, Query, description = "A tag the bookmarks must carry; repeat for more (at most 8)"),
        ("q" = Option<String>, Query, description = "Words to search for"),
        ("limit" = Option<i64>, Query, description = "1–200, default 50"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("unread" = Option<bool>, Query, description = "Only bookmarks marked to read"),
    ),
    responses(
        (status = 200, description = "One page", body = ListJson),
        (status = 400, description = "A bad parameter", body = ErrorJson),
        (status = 401, description = "No or unknown bearer token", body = ErrorJson),
    ),
    security(("bearer" = []))
)]
#[get("/bookmarks")]
pub async fn list(
    state: web::Data<AppState>,
    token: BearerToken,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query = req.query_string().to_owned();
    // A page of one listing, for a token checked a moment ago, is one bounded statement that
    // waits for no other request of this process and writes nothing: read on this worker when
    // a connection is idle (`read_now_if_idle`).
    let page = match token.remembered() {
        Some(user) => {
            let filter = parse_list_query(&query, &user)?;
            // A search waits for its turn on PostgreSQL (`store::search_gate`), and more tags
            // or the unread flag may read far more rows than a page: those on the blocking
            // pool.
            if filter.reads_one_listing() {
                read_now_if_idle(&state.db, move |c| store::list_bookmarks(c, &filter)).await?
            } else {
                run_db(&state.db, move |db| {
                    db.read(|c| store::list_bookmarks(c, &filter))
                })
                .await?
            }
        }
        // The token is checked in the same trip to the database as the page, and before the
        // query is looked at: a caller without a valid token learns nothing from a 400.
        _ => {
            run_db(&state.db, move |db| {
                db.read(|c| {
                    let Some(user) = token.user(c)? else {
                        return Ok(Err(unknown_token()));
                    };
                    match parse_list_query(&query, &user) {
                        Ok(filter) => store::list_bookmarks(c, &filter).map(Ok),
                        Err(bad) => Ok(Err(bad)),
                    }
                })
            })
            .await??
        }
    };
    Ok(written_json_response(StatusCode::OK, list_body(&page)))
}

/// The list's answer as [`ListJson`] serialises it, with its keys written as literal bytes
/// ([`write_bookmark_json`]).
fn list_body(page: &BookmarkPage) -> sonic_rs::Result<Vec<u8>> {
    // Room for the page from the start: about 500 bytes a bookmark of the benchmark's (a
    // 200-character note). actix's `json` started at 128 bytes and doubled its way to a page's
    // 25 kB, copying it eight times (5 % of a JSON list request).
    let mut out = Vec::with_capacity(64 + page.items.len() * 768);
    out.extend_from_slice(b"{\"bookmarks\":[");
    for (at, bookmark) in page.items.iter().enumerate() {
        if at > 0 {
            out.push(b',');
        }
        write_bookmark_json(&mut out, bookmark)?;
    }
    out.extend_from_slice(b"],\"next_cursor\":");
    write_value(&mut out, &page.next.map(|c| c.encode()))?;
    out.push(b'}');
    Ok(out)
}

fn not_found() -> ApiError {
    ApiError::NotFound(
        "bookmark not found; check the id (ids come from `GET /api/bookmarks`)".into(),
    )
}

/// One bookmark: yours, or someone else's that is not private.
#[utoipa::path(
    tag = "bookmarks",
    params(("id" = String, Path, description = "The bookmark's id")),
    responses(
        (status = 200, description = "The bookmark", body = BookmarkJson),
        (status = 401, description = "No or unknown bearer token", body = ErrorJson),
        (status = 404, description = "No such bookmark, or not yours to see", body = ErrorJson),
    ),
    security(("bearer" = []))
)]
#[get("/bookmarks/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let bookmark = run_db(&state.db, move |db| {
        db.read(|c| store::get_bookmark(c, &id))
    })
    .await?
    .filter(|b| b.visible_to(Some(user.id)))
    .ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(BookmarkJson::from(&bookmark)))
}

/// Changes your bookmark; every field is optional, `url` included.
#[utoipa::path(
    tag = "bookmarks",
    params(("id" = String, Path, description = "The bookmark's id")),
    request_body = BookmarkFields,
    responses(
        (status = 200, description = "The changed bookmark", body = BookmarkJson),
        (status = 400, description = "Bad input; the message names the field", body = ErrorJson),
        (status = 401, description = "No or unknown bearer token", body = ErrorJson),
        (status = 404, description = "No such bookmark of yours", body = ErrorJson),
        (status = 409, description = "You saved the new URL in another bookmark", body = ErrorJson),
    ),
    security(("bearer" = []))
)]
#[patch("/bookmarks/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    id: web::Path<String>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let fields: BookmarkFields = parse_body(body.into_inner())?;
    let new_url = fields.url.as_deref().map(BookmarkUrl::parse).transpose()?;
    let changes = fields.changes()?;
    let (user_id, id) = (user.id, id.into_inner());
    let bookmark = run_db(&state.db, move |db| {
        db.write(|c| store::update_bookmark(c, user_id, &id, new_url.as_ref(), &changes))
    })
    .await
    .map_err(|e| match e {
        bookmarks::StoreError::NotFound(_) => not_found(),
        other => other.into(),
    })?;
    Ok(HttpResponse::Ok().json(BookmarkJson::from(&bookmark)))
}

/// Deletes your bookmark.
#[utoipa::path(
    tag = "bookmarks",
    params(("id" = String, Path, description = "The bookmark's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No or unknown bearer token", body = ErrorJson),
        (status = 404, description = "No such bookmark of yours", body = ErrorJson),
    ),
    security(("bearer" = []))
)]
#[delete("/bookmarks/{id}")]
pub async fn delete(
    state: web::Data<AppState>,
    ApiUser(user): ApiUser,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (user_id, id) = (user.id, id.into_inner());
    run_db(&state.db, move |db| {
        db.write(|c| store::delete_bookmark(c, user_id, &id))
    })
    .await
    .map_err(|e| match e {
        bookmarks::StoreError::NotFound(_) => not_found(),
        other => other.into(),
    })?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::json::sample_bookmark;

    #[test]
    fn a_list_is_written_as_its_shape_serialises() {
        let items = vec![
            sample_bookmark("first \"one\"", &["rust", "web"], false, 0),
            sample_bookmark("second\u{1}", &[], true, 5_000),
        ];
        for (items, next) in [
            (items.clone(), None),
            (
                items.clone(),
                items.last().map(bookmarks::store::Bookmark::cursor),
            ),
            (Vec::new(), None),
        ] {
            let page = BookmarkPage { items, next };
            let shape = ListJson {
                bookmarks: page.items.iter().map(BookmarkJson::from).collect(),
                next_cursor: page.next.map(|c| c.encode()),
            };
            let written = list_body(&page).expect("written");
            assert_eq!(written, serde_json::to_vec(&shape).expect("serde"));
        }
    }

    #[test]
    fn list_query_reads_repeated_tags_and_checks_values() {
        let Ok(name) = bookmarks::model::UserName::parse("alice") else {
            panic!("a valid name");
        };
        let alice = User {
            id: 7,
            name,
            display_name: String::new(),
            password_hash: bookmarks::model::PasswordHash::from_stored(String::new()),
            is_admin: false,
            public_key_pem: String::new(),
            created_at: chrono::NaiveDateTime::default(),
        };
        let parse_list_query = |query| parse_list_query(query, &alice);
        let filter = parse_list_query("tag=Rust&tag=web&q=async&limit=10&unread=true").ok();
        let filter = filter.as_ref();
        assert_eq!(filter.map(|f| f.tags.len()), Some(2));
        assert_eq!(
            filter.and_then(|f| f.search.clone()).as_deref(),
            Some("async")
        );
        assert_eq!(filter.map(|f| (f.limit, f.unread_only)), Some((10, true)));
        assert!(parse_list_query("limit=0").is_err());
        assert!(parse_list_query("limit=abc").is_err());
        assert!(parse_list_query("cursor=nope").is_err());
        assert!(parse_list_query("tag=a%20b").is_err());
        assert!(parse_list_query("colour=red").is_err());
        // Only a page of one listing is read on the worker.
        let one_listing = |query| parse_list_query(query).map(|f| f.reads_one_listing()).ok();
        assert_eq!(one_listing(""), Some(true));
        assert_eq!(
            one_listing("tag=rust&cursor=1700000000000000-7&limit=200"),
            Some(true)
        );
        assert_eq!(one_listing("q=rust"), Some(false));
        assert_eq!(one_listing("tag=rust&tag=web"), Some(false));
        assert_eq!(one_listing("unread=true"), Some(false));
    }
}
