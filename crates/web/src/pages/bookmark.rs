//! One bookmark: its page (`/b/{id}`, the stable public address), and deleting it.

use super::{html, see_other};
use crate::auth::session::{LoggedIn, PageContext};
use crate::blocking::run_db;
use crate::errors::PageError;
use crate::state::AppState;
use crate::views::{BookmarkView, Chrome};
use actix_web::{web, HttpResponse};
use askama::Template;
use bookmarks::store;
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/b/{id}", web::get().to(show))
        .route("/b/{id}/delete", web::get().to(confirm_delete))
        .route("/b/{id}/delete", web::post().to(delete));
}

#[derive(Template)]
#[template(path = "bookmark.html")]
struct BookmarkPage<'a> {
    chrome: Chrome,
    b: BookmarkView<'a>,
}

#[derive(Template)]
#[template(path = "delete.html")]
struct DeletePage<'a> {
    chrome: Chrome,
    b: BookmarkView<'a>,
}

/// The bookmark if `viewer` may see it; "not found" otherwise, so private ids cannot be probed.
pub(crate) async fn visible_bookmark(
    state: &AppState,
    id: String,
    viewer: Option<i64>,
) -> Result<store::Bookmark, PageError> {
    run_db(&state.db, move |db| {
        db.read(|c| store::get_bookmark(c, &id))
    })
    .await?
    .filter(|b| b.visible_to(viewer))
    .ok_or(PageError::NotFound)
}

async fn show(
    state: web::Data<AppState>,
    page: PageContext,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let bookmark = visible_bookmark(&state, id.into_inner(), page.viewer_id()).await?;
    let body = BookmarkPage {
        b: BookmarkView::new(&bookmark, page.viewer_id()),
        chrome: Chrome::new(&state, &page),
    }
    .render()?;
    Ok(html(body))
}

async fn confirm_delete(
    state: web::Data<AppState>,
    me: LoggedIn,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let bookmark = visible_bookmark(&state, id.into_inner(), Some(me.user.id)).await?;
    if bookmark.owner_id != me.user.id {
        return Err(PageError::NotFound);
    }
    let body = DeletePage {
        b: BookmarkView::new(&bookmark, Some(me.user.id)),
        chrome: Chrome::new(&state, &me.page),
    }
    .render()?;
    Ok(html(body))
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn delete(
    state: web::Data<AppState>,
    me: LoggedIn,
    id: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, PageError> {
    me.page.verify_csrf(&form.csrf)?;
    let (user_id, id) = (me.user.id, id.into_inner());
    run_db(&state.db, move |db| {
        db.write(|c| store::delete_bookmark(c, user_id, &id))
    })
    .await?;
    Ok(see_other(&format!("/u/{}", me.user.name)))
}
