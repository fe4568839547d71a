//! The save form, reached from "Save a link", from a bookmark's "edit", and from the
//! bookmarklet (`/save?url=…&title=…&notes=…&popup=1`). A URL saved before opens that bookmark
//! for editing. After saving, a popup closes itself; a same-tab save (`back=1`, when the popup
//! was blocked) returns to the page; otherwise the user lands on their bookmarks.

use super::{html, html_with_status, see_other};
use crate::auth::session::LoggedIn;
use crate::blocking::run_db;
use crate::errors::PageError;
use crate::page_fill::fill_from_page;
use crate::state::AppState;
use crate::views::{human_date, Chrome};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use bookmarks::model::{
    BookmarkChanges, BookmarkDraft, BookmarkUrl, Notes, TagList, Title, Visibility,
};
use bookmarks::store::{self, Bookmark, BookmarkFilter, Scope, User};
use bookmarks::FieldError;
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/save", web::get().to(form))
        .route("/save", web::post().to(submit))
        .route("/b/{id}/edit", web::get().to(edit));
}

/// The form's fields as strings, exactly as shown or submitted.
#[derive(Debug, Default, Deserialize)]
pub struct SaveForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    visibility: String,
    /// A checkbox: present ("on") when ticked.
    #[serde(default)]
    unread: Option<String>,
    #[serde(default)]
    popup: String,
    #[serde(default)]
    back: String,
    #[serde(default)]
    csrf: String,
}

/// What the template shows.
struct FormView {
    id: String,
    url: String,
    title: String,
    notes: String,
    tags: String,
    visibility: String,
    unread: bool,
    popup: String,
    back: String,
}

impl FormView {
    fn from_form(form: &SaveForm) -> Self {
        Self {
            id: form.id.clone(),
            url: form.url.clone(),
            title: form.title.clone(),
            notes: form.notes.clone(),
            tags: form.tags.clone(),
            visibility: Visibility::parse(&form.visibility)
                .unwrap_or_default()
                .as_str()
                .to_owned(),
            unread: form.unread.is_some(),
            popup: flag(&form.popup),
            back: flag(&form.back),
        }
    }

    fn from_bookmark(bookmark: &Bookmark, form: &SaveForm) -> Self {
        Self {
            id: bookmark.public_id.clone(),
            url: bookmark.url.to_string(),
            title: bookmark.title.as_str().to_owned(),
            // A selection sent by the bookmarklet is kept when the bookmark has no notes yet.
            notes: if bookmark.notes.as_str().is_empty() {
                form.notes.clone()
            } else {
                bookmark.notes.as_str().to_owned()
            },
            tags: bookmark.tags.to_typed(),
            visibility: bookmark.visibility.as_str().to_owned(),
            unread: bookmark.unread,
            popup: flag(&form.popup),
            back: flag(&form.back),
        }
    }
}

fn flag(value: &str) -> String {
    if value == "1" {
        "1".into()
    } else {
        String::new()
    }
}

#[derive(Template)]
#[template(path = "save.html")]
struct SavePage {
    chrome: Chrome,
    form: FormView,
    /// `Some("3 May 2026")` when editing a bookmark saved then.
    editing: Option<String>,
    error: String,
    /// `(value, label)` of each visibility.
    visibilities: Vec<(&'static str, &'static str)>,
    user_tags_json: String,
}

#[derive(Template)]
#[template(path = "saved.html")]
struct SavedPage {
    chrome: Chrome,
    id: String,
    heading: String,
    owner: String,
    close: &'static str,
}

/// The user's tags as JSON for the autocomplete, safe inside a `<script>` element.
async fn user_tags_json(state: &AppState, user: &User) -> Result<String, PageError> {
    let filter = BookmarkFilter::new(Scope::User { owner: user.id }, Some(user.id));
    let counts = run_db(&state.db, move |db| {
        db.read(|c| store::tag_counts(c, &filter, 2000))
    })
    .await?;
    let names: Vec<&str> = counts.iter().map(|c| c.name.as_str()).collect();
    Ok(serde_json::to_string(&names)
        .unwrap_or_else(|_| "[]".into())
        .replace('<', "\\u003c"))
}

async fn render_form(
    state: &AppState,
    me: &LoggedIn,
    form: FormView,
    editing: Option<String>,
    error: String,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let body = SavePage {
        chrome: Chrome::new(state, &me.page),
        form,
        editing,
        error,
        visibilities: Visibility::ALL
            .iter()
            .map(|v| (v.as_str(), v.label()))
            .collect(),
        user_tags_json: user_tags_json(state, &me.user).await?,
    }
    .render()?;
    Ok(html_with_status(status, body))
}

/// The form for a bookmark already saved ("You saved this on …").
async fn render_edit_form(
    state: &AppState,
    me: &LoggedIn,
    bookmark: &Bookmark,
    form: &SaveForm,
    message: String,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let view = FormView::from_bookmark(bookmark, form);
    render_form(
        state,
        me,
        view,
        Some(human_date(bookmark.created_at)),
        message,
        status,
    )
    .await
}

async fn form(
    state: web::Data<AppState>,
    me: LoggedIn,
    query: web::Query<SaveForm>,
) -> Result<HttpResponse, PageError> {
    let query = query.into_inner();
    let existing = match BookmarkUrl::parse(&query.url) {
        Ok(url) => {
            let user_id = me.user.id;
            run_db(&state.db, move |db| {
                db.read(|c| store::find_bookmark_by_url(c, user_id, &url))
            })
            .await?
        }
        Err(_) => None,
    };
    match existing {
        Some(bookmark) => {
            render_edit_form(
                &state,
                &me,
                &bookmark,
                &query,
                String::new(),
                StatusCode::OK,
            )
            .await
        }
        None => {
            render_form(
                &state,
                &me,
                FormView::from_form(&query),
                None,
                String::new(),
                StatusCode::OK,
            )
            .await
        }
    }
}

async fn edit(
    state: web::Data<AppState>,
    me: LoggedIn,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let bookmark =
        super::bookmark::visible_bookmark(&state, id.into_inner(), Some(me.user.id)).await?;
    if bookmark.owner_id != me.user.id {
        return Err(PageError::NotFound);
    }
    render_edit_form(
        &state,
        &me,
        &bookmark,
        &SaveForm::default(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

fn parse_form(form: &SaveForm) -> Result<BookmarkDraft, FieldError> {
    Ok(BookmarkDraft {
        url: BookmarkUrl::parse(&form.url)?,
        changes: BookmarkChanges {
            title: Some(Title::parse(&form.title)?),
            description: None,
            notes: Some(Notes::parse(&form.notes)?),
            tags: Some(TagList::parse_typed(&form.tags)?),
            visibility: Some(Visibility::parse(&form.visibility)?),
            unread: Some(form.unread.is_some()),
            created_at: None,
        },
    })
}

async fn submit(
    state: web::Data<AppState>,
    me: LoggedIn,
    form: web::Form<SaveForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    me.page.verify_csrf(&form.csrf)?;
    let mut draft = match parse_form(&form) {
        Ok(draft) => draft,
        Err(e) => {
            return render_form(
                &state,
                &me,
                FormView::from_form(&form),
                None,
                e.to_string(),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    let user_id = me.user.id;
    let id = form.id.trim().to_owned();
    if id.is_empty() {
        // A new-bookmark form for a URL saved before (pasted into "Save a link", or a second
        // bookmarklet window): show that bookmark for editing instead of overwriting it with
        // this form's defaults.
        let url = draft.url.clone();
        let existing = run_db(&state.db, move |db| {
            db.read(|c| store::find_bookmark_by_url(c, user_id, &url))
        })
        .await?;
        if let Some(bookmark) = existing {
            let notice = "Nothing was changed: this link is already in your bookmarks. Check it below and save again to change it.".to_owned();
            return render_edit_form(&state, &me, &bookmark, &form, notice, StatusCode::CONFLICT)
                .await;
        }
    }
    fill_from_page(&state, &mut draft, true).await;
    let result = run_db(&state.db, move |db| {
        db.write(|c| {
            if id.is_empty() {
                store::save_bookmark(c, user_id, &draft).map(|saved| saved.bookmark)
            } else {
                store::update_bookmark(c, user_id, &id, Some(&draft.url), &draft.changes)
            }
        })
    })
    .await;
    let bookmark = match result {
        Ok(bookmark) => bookmark,
        Err(bookmarks::StoreError::Invalid(e)) => {
            return render_form(
                &state,
                &me,
                FormView::from_form(&form),
                None,
                e.to_string(),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
        Err(bookmarks::StoreError::Conflict(message)) => {
            return render_form(
                &state,
                &me,
                FormView::from_form(&form),
                None,
                message,
                StatusCode::CONFLICT,
            )
            .await;
        }
        Err(other) => return Err(other.into()),
    };
    if form.popup == "1" {
        let heading = bookmark.heading().to_owned();
        let body = SavedPage {
            chrome: Chrome::new(&state, &me.page),
            id: bookmark.public_id,
            heading,
            owner: me.user.name.to_string(),
            close: "1",
        }
        .render()?;
        return Ok(html(body));
    }
    if form.back == "1" {
        return Ok(see_other(bookmark.url.as_str()));
    }
    Ok(see_other(&format!("/u/{}", me.user.name)))
}
