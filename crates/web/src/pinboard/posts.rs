//! The `posts/*` methods: update, add, delete, get, recent, dates, all, suggest.

use super::output::{
    all_posts_head, all_posts_more, all_posts_tail, counts_object, json_response, pinboard_time,
    posts_with_date, result_code, xml_response, Format, Post, Xml,
};
use super::Call;
use crate::blocking::run_db;
use crate::page_fill::fill_from_page;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use bookmarks::model::{
    plausible_time, BookmarkChanges, BookmarkDraft, BookmarkUrl, Notes, TagList, Title, Visibility,
};
use bookmarks::store::{self, Bookmark, BookmarkFilter, Scope};
use bookmarks::{Database, StoreError};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta};
use serde_json::json;
use std::collections::BTreeMap;

/// Routes one method for GET and POST, authenticating before the handler runs.
macro_rules! method {
    ($cfg:expr, $path:literal, $handler:ident) => {{
        async fn endpoint(
            state: actix_web::web::Data<$crate::state::AppState>,
            req: actix_web::HttpRequest,
            body: actix_web::web::Bytes,
        ) -> actix_web::HttpResponse {
            match $crate::pinboard::authenticate(&state, &req, &body).await {
                Ok(call) => {
                    let format = call.format;
                    $handler(&state, call)
                        .await
                        .unwrap_or_else(|failure| failure.respond(format))
                }
                Err(refused) => refused,
            }
        }
        $cfg.service(
            actix_web::web::resource($path)
                .route(actix_web::web::get().to(endpoint))
                .route(actix_web::web::post().to(endpoint)),
        );
    }};
}
pub(crate) use method;

pub fn routes(cfg: &mut web::ServiceConfig) {
    method!(cfg, "/posts/update", update);
    method!(cfg, "/posts/add", add);
    method!(cfg, "/posts/delete", delete);
    method!(cfg, "/posts/get", get);
    method!(cfg, "/posts/recent", recent);
    method!(cfg, "/posts/dates", dates);
    method!(cfg, "/posts/all", all);
    method!(cfg, "/posts/suggest", suggest);
}

/// A method that did not succeed: Pinboard answers these with HTTP 200 and the result code
/// (clients read the code); storage failures are 500.
pub enum Failure {
    Code(String),
    Storage(StoreError),
}

impl Failure {
    pub fn respond(self, format: Format) -> HttpResponse {
        match self {
            Self::Code(code) => result_code(format, StatusCode::OK, &code),
            Self::Storage(e) => {
                tracing::error!(error = %e, "storage failed during a Pinboard API call");
                result_code(
                    format,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "something went wrong",
                )
            }
        }
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(field) => Self::Code(field.to_string()),
            StoreError::NotFound(_) => Self::Code("item not found".into()),
            StoreError::Conflict(message) => Self::Code(message),
            other => Self::Storage(other),
        }
    }
}

impl From<String> for Failure {
    fn from(code: String) -> Self {
        Self::Code(code)
    }
}

pub type Answer = Result<HttpResponse, Failure>;

fn own_filter(call: &Call) -> Result<BookmarkFilter, Failure> {
    let mut filter = BookmarkFilter::of_user(&call.user, Some(call.user.id));
    filter.tags = call.params.tag_filter()?;
    Ok(filter)
}

/// All bookmarks `filter` matches from its offset on, up to `limit` (`None`: all).
fn collect(
    db: &Database,
    mut filter: BookmarkFilter,
    limit: Option<usize>,
) -> Result<Vec<Bookmark>, StoreError> {
    let mut found = Vec::new();
    loop {
        let remaining = limit.map_or(usize::MAX, |l| l.saturating_sub(found.len()));
        if remaining == 0 {
            return Ok(found);
        }
        filter.limit = i64::try_from(remaining.min(200)).unwrap_or(200);
        let page = db.read(|c| store::list_bookmarks(c, &filter))?;
        found.extend(page.items);
        match page.next {
            Some(cursor) => {
                filter.before = Some(cursor);
                filter.offset = 0;
            }
            None => return Ok(found),
        }
    }
}

async fn collect_async(
    state: &AppState,
    filter: BookmarkFilter,
    limit: Option<usize>,
) -> Result<Vec<Bookmark>, StoreError> {
    run_db(&state.db, move |db| collect(db, filter, limit)).await
}

fn parse_time(name: &str, value: &str) -> Result<NaiveDateTime, String> {
    DateTime::parse_from_rfc3339(value.trim())
        .map(|t| t.naive_utc())
        .map_err(|_| format!("{name} must be a UTC time like 2011-03-24T19:02:07Z"))
}

/// A creation time from a client: a time after now becomes now, one before 1970 is refused.
fn parse_creation_time(value: &str) -> Result<NaiveDateTime, String> {
    plausible_time(parse_time("dt", value)?)
        .ok_or_else(|| "dt is before 1970; give the time the bookmark was made".to_owned())
}

/// `YYYY-MM-DD`, or a full time whose date is used.
fn parse_day(value: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .or_else(|_| parse_time("dt", value).map(|t| t.date()))
        .map_err(|_| "dt must be a date like 2011-03-24".to_owned())
}

async fn update(state: &AppState, call: Call) -> Answer {
    let user_id = call.user.id;
    let latest = run_db(&state.db, move |db| {
        db.read(|c| store::latest_change(c, Some(user_id), true))
    })
    .await?;
    let time = pinboard_time(latest.unwrap_or_default());
    Ok(match call.format {
        Format::Xml => {
            let mut xml = Xml::new();
            xml.empty("update", &[("time", &time)]);
            xml_response(StatusCode::OK, xml.finish())
        }
        Format::Json => json_response(StatusCode::OK, &json!({ "update_time": time })),
    })
}

async fn add(state: &AppState, call: Call) -> Answer {
    let p = &call.params;
    let url = p
        .get("url")
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| "missing url".to_owned())?;
    let url = BookmarkUrl::parse(url).map_err(|e| e.to_string())?;
    let replace = p.yes("replace")?.unwrap_or(true);
    let user_id = call.user.id;
    let lookup = url.clone();
    let existing = run_db(&state.db, move |db| {
        db.read(|c| store::find_bookmark_by_url(c, user_id, &lookup))
    })
    .await?;
    if existing.is_some() && !replace {
        return Err("item already exists".to_owned().into());
    }
    // Pinboard's add replaces the whole bookmark; only the visibility of an existing bookmark
    // is kept when `shared` is not given, so leaving it out never publishes a private one.
    let visibility = match p.yes("shared")? {
        // Pinboard has no "unlisted": apps re-send shared=yes for it, which must not publish it.
        Some(true)
            if existing
                .as_ref()
                .is_some_and(|b| b.visibility == Visibility::Unlisted) =>
        {
            None
        }
        Some(true) => Some(Visibility::Public),
        // Likewise "my organisation" is reported as shared=no and comes back so: keep it.
        Some(false)
            if existing
                .as_ref()
                .is_some_and(|b| b.visibility == Visibility::Org) =>
        {
            None
        }
        Some(false) => Some(Visibility::Private),
        None => existing.as_ref().map_or(Some(Visibility::Public), |_| None),
    };
    let title = match p.get("description") {
        Some(description) => Some(Title::parse(description).map_err(|e| e.to_string())?),
        None => None,
    };
    let mut draft = BookmarkDraft {
        url,
        changes: BookmarkChanges {
            title,
            description: None,
            notes: Some(Notes::parse(p.get("extended").unwrap_or("")).map_err(|e| e.to_string())?),
            tags: Some(
                TagList::parse_typed(p.get("tags").unwrap_or("")).map_err(|e| e.to_string())?,
            ),
            visibility,
            unread: Some(p.yes("toread")?.unwrap_or(false)),
            created_at: p.get("dt").map(parse_creation_time).transpose()?,
        },
    };
    fill_from_page(
        state,
        &mut draft,
        existing.as_ref().is_none_or(|b| b.title.is_empty()),
    )
    .await;
    run_db(&state.db, move |db| db.save_bookmark(user_id, draft)).await?;
    Ok(result_code(call.format, StatusCode::OK, "done"))
}

async fn delete(state: &AppState, call: Call) -> Answer {
    let url = call
        .params
        .get("url")
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| "missing url".to_owned())?;
    let url = BookmarkUrl::parse(url).map_err(|_| "item not found".to_owned())?;
    let user_id = call.user.id;
    run_db(&state.db, move |db| {
        db.write(|c| match store::find_bookmark_by_url(c, user_id, &url)? {
            Some(bookmark) => store::delete_bookmark(c, user_id, &bookmark.public_id).map(|_| ()),
            None => Err(StoreError::NotFound("bookmark")),
        })
    })
    .await?;
    Ok(result_code(call.format, StatusCode::OK, "done"))
}

async fn get(state: &AppState, call: Call) -> Answer {
    let mut filter = own_filter(&call)?;
    let date = if let Some(url) = call.params.get("url").filter(|u| !u.trim().is_empty()) {
        filter.url = Some(BookmarkUrl::parse(url).map_err(|e| e.to_string())?);
        None
    } else {
        let day = match call.params.get("dt") {
            Some(dt) => Some(parse_day(dt)?),
            // Without dt or url: the day of the most recent bookmark.
            None => collect_async(state, filter.clone(), Some(1))
                .await?
                .first()
                .map(|b| b.created_at.date()),
        };
        if let Some(day) = day {
            let start = day.and_hms_opt(0, 0, 0).unwrap_or_default();
            filter.created_from = Some(start);
            filter.created_until = Some(
                start
                    .checked_add_signed(TimeDelta::days(1))
                    .ok_or_else(|| "dt is out of range".to_owned())?,
            );
        }
        day
    };
    let found = if date.is_none() && filter.url.is_none() {
        Vec::new()
    } else {
        collect_async(state, filter, None).await?
    };
    let posts: Vec<Post> = found.iter().map(Post::of).collect();
    let dt = match (date, found.first()) {
        (Some(day), _) => pinboard_time(day.and_hms_opt(0, 0, 0).unwrap_or_default()),
        (None, Some(b)) => pinboard_time(b.created_at),
        (None, None) => pinboard_time(chrono::Utc::now().naive_utc()),
    };
    Ok(posts_with_date(
        call.format,
        call.user.name.as_str(),
        &dt,
        &posts,
    ))
}

async fn recent(state: &AppState, call: Call) -> Answer {
    let filter = own_filter(&call)?;
    let count = match call.params.get("count") {
        Some(n) => n
            .trim()
            .parse::<usize>()
            .map_err(|_| format!("count must be a number from 1 to 100, not `{n}`"))?
            .clamp(1, 100),
        None => 15,
    };
    let found = collect_async(state, filter, Some(count)).await?;
    let dt = pinboard_time(
        found
            .first()
            .map_or_else(|| chrono::Utc::now().naive_utc(), |b| b.created_at),
    );
    let posts: Vec<Post> = found.iter().map(Post::of).collect();
    Ok(posts_with_date(
        call.format,
        call.user.name.as_str(),
        &dt,
        &posts,
    ))
}

async fn all(state: &AppState, call: Call) -> Answer {
    let p = &call.params;
    let mut filter = own_filter(&call)?;
    filter.offset = match p.get("start") {
        Some(n) => n
            .trim()
            .parse::<i64>()
            .map_err(|_| format!("start must be a number, not `{n}`"))?
            .max(0),
        None => 0,
    };
    let limit = match p.get("results") {
        Some(n) => Some(
            n.trim()
                .parse::<usize>()
                .map_err(|_| format!("results must be a number, not `{n}`"))?,
        ),
        None => None,
    };
    filter.created_from = p
        .get("fromdt")
        .map(|t| parse_time("fromdt", t))
        .transpose()?;
    // todt is inclusive in Pinboard's examples.
    filter.created_until = p
        .get("todt")
        .map(|t| {
            parse_time("todt", t).and_then(|t| {
                t.checked_add_signed(TimeDelta::seconds(1))
                    .ok_or_else(|| "todt is out of range".to_owned())
            })
        })
        .transpose()?;
    let pieces = AllPosts {
        filter,
        remaining: limit,
        format: call.format,
        user: call.user.name.as_str().to_owned(),
        started: false,
        written: 0,
        finished: false,
    };
    let body = crate::streamed_body::streamed(&state.db, pieces).await?;
    let content_type = match call.format {
        Format::Xml => "text/xml; charset=utf-8",
        Format::Json => "application/json",
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .streaming(body))
}

/// posts/all's answer, a page of bookmarks at a time (`streamed_body`): clients fetch whole
/// collections with it, which it never holds whole.
struct AllPosts {
    /// The next page's filter: its cursor (or, for the first, `start`'s offset).
    filter: BookmarkFilter,
    /// How many more bookmarks to write (`results`; `None`: all).
    remaining: Option<usize>,
    format: Format,
    user: String,
    started: bool,
    written: usize,
    finished: bool,
}

impl crate::streamed_body::Pieces for AllPosts {
    fn next_piece(&mut self, db: &Database) -> Result<Option<String>, StoreError> {
        if self.finished {
            return Ok(None);
        }
        let wanted = self.remaining.map_or(200, |r| r.min(200));
        let page = if wanted == 0 {
            store::BookmarkPage {
                items: Vec::new(),
                next: None,
            }
        } else {
            self.filter.limit = i64::try_from(wanted).unwrap_or(200);
            db.read(|c| store::list_bookmarks(c, &self.filter))?
        };
        let mut out = String::new();
        if !self.started {
            out.push_str(&all_posts_head(self.format, &self.user));
            self.started = true;
        }
        let posts: Vec<Post> = page.items.iter().map(Post::of).collect();
        all_posts_more(self.format, &mut out, &posts, self.written == 0);
        self.written += posts.len();
        self.remaining = self.remaining.map(|r| r.saturating_sub(posts.len()));
        match page.next.filter(|_| self.remaining != Some(0)) {
            Some(cursor) => {
                self.filter.before = Some(cursor);
                self.filter.offset = 0;
            }
            None => {
                out.push_str(all_posts_tail(self.format));
                self.finished = true;
            }
        }
        Ok(Some(out))
    }
}

async fn dates(state: &AppState, call: Call) -> Answer {
    let filter = own_filter(&call)?;
    let tag = filter
        .tags
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("+");
    let times = run_db(&state.db, move |db| {
        db.read(|c| store::bookmark_times(c, &filter))
    })
    .await?;
    let mut per_day: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for time in times {
        *per_day.entry(time.date()).or_default() += 1;
    }
    let newest_first: Vec<(String, i64)> = per_day
        .into_iter()
        .rev()
        .map(|(day, n)| (day.format("%Y-%m-%d").to_string(), n))
        .collect();
    let user = call.user.name.as_str();
    Ok(match call.format {
        Format::Xml => {
            let mut xml = Xml::new();
            xml.open("dates", &[("user", user), ("tag", &tag)]);
            for (day, count) in &newest_first {
                xml.empty("date", &[("count", &count.to_string()), ("date", day)]);
            }
            xml.close("dates");
            xml_response(StatusCode::OK, xml.finish())
        }
        Format::Json => json_response(
            StatusCode::OK,
            &json!({ "user": user, "tag": tag, "dates": counts_object(&newest_first) }),
        ),
    })
}

async fn suggest(state: &AppState, call: Call) -> Answer {
    let url = call
        .params
        .get("url")
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| "missing url".to_owned())?;
    let url = BookmarkUrl::parse(url).map_err(|e| e.to_string())?;
    let user_id = call.user.id;
    let (popular, recommended) = run_db(&state.db, move |db| {
        db.read(|c| {
            // Popular: what people on this instance tagged this address with, publicly.
            let mut everyone = BookmarkFilter::new(Scope::Instance, Some(user_id));
            everyone.url = Some(url.clone());
            let popular: Vec<String> = store::tag_counts(c, &everyone, 10)?
                .into_iter()
                .map(|t| t.name)
                .collect();
            // Recommended: the user's own tags for it, or their tags that appear in the address.
            let mine = BookmarkFilter::new(Scope::User { owner: user_id }, Some(user_id));
            let recommended: Vec<String> = match store::find_bookmark_by_url(c, user_id, &url)? {
                Some(saved) => saved.tags.names(),
                None => {
                    let address = url.as_str().to_lowercase();
                    store::tag_counts(c, &mine, 2_000)?
                        .into_iter()
                        .map(|t| t.name)
                        .filter(|name| name.chars().count() > 2 && address.contains(name.as_str()))
                        .take(10)
                        .collect()
                }
            };
            Ok((popular, recommended))
        })
    })
    .await?;
    Ok(match call.format {
        Format::Xml => {
            let mut xml = Xml::new();
            xml.open("suggested", &[]);
            for tag in &popular {
                xml.open("popular", &[]).text(tag).close("popular");
            }
            for tag in &recommended {
                xml.open("recommended", &[]).text(tag).close("recommended");
            }
            xml.close("suggested");
            xml_response(StatusCode::OK, xml.finish())
        }
        Format::Json => json_response(
            StatusCode::OK,
            &json!([{ "popular": popular }, { "recommended": recommended }]),
        ),
    })
}
