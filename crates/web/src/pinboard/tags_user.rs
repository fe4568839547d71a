//! `tags/get`, `tags/delete`, `tags/rename`, `user/api_token` and `notes/list`.

use super::output::{counts_object, json_response, result_text, xml_response, Format, Xml};
use super::posts::{method, Answer};
use super::Call;
use crate::blocking::run_db;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::web;
use bookmarks::model::TagName;
use bookmarks::store::{self, BookmarkFilter, Scope};
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    method!(cfg, "/tags/get", tags_get);
    method!(cfg, "/tags/delete", tags_delete);
    method!(cfg, "/tags/rename", tags_rename);
    method!(cfg, "/user/api_token", api_token);
    method!(cfg, "/notes/list", notes_list);
}

async fn tags_get(state: &AppState, call: Call) -> Answer {
    let filter = BookmarkFilter::new(
        Scope::User {
            owner: call.user.id,
        },
        Some(call.user.id),
    );
    let counts = run_db(&state.db, move |db| {
        db.read(|c| store::tag_counts(c, &filter, 100_000))
    })
    .await?;
    let pairs: Vec<(String, i64)> = counts.into_iter().map(|t| (t.name, t.count)).collect();
    Ok(match call.format {
        Format::Xml => {
            let mut xml = Xml::new();
            xml.open("tags", &[]);
            for (name, count) in &pairs {
                xml.empty("tag", &[("count", &count.to_string()), ("tag", name)]);
            }
            xml.close("tags");
            xml_response(StatusCode::OK, xml.finish())
        }
        Format::Json => json_response(StatusCode::OK, &counts_object(&pairs)),
    })
}

fn required_tag(call: &Call, name: &str) -> Result<TagName, String> {
    let value = call
        .params
        .get(name)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("missing {name}"))?;
    TagName::parse(value).map_err(|e| e.message)
}

async fn tags_delete(state: &AppState, call: Call) -> Answer {
    let tag = required_tag(&call, "tag")?;
    let user_id = call.user.id;
    run_db(&state.db, move |db| {
        db.write(|c| store::retag(c, user_id, &tag, None))
    })
    .await?;
    Ok(result_text(call.format, "done"))
}

async fn tags_rename(state: &AppState, call: Call) -> Answer {
    let old = required_tag(&call, "old")?;
    let new = required_tag(&call, "new")?;
    let user_id = call.user.id;
    run_db(&state.db, move |db| {
        db.write(|c| store::retag(c, user_id, &old, Some(&new)))
    })
    .await?;
    Ok(result_text(call.format, "done"))
}

/// The token part of `auth_token`. Tokens are stored hashed, so a call that logged in with a
/// password gets a new token (listed in Settings as "Pinboard API", revocable there).
async fn api_token(state: &AppState, call: Call) -> Answer {
    let token = match call.token.clone() {
        Some(token) => token,
        None => {
            let user_id = call.user.id;
            run_db(&state.db, move |db| {
                db.write(|c| store::create_api_token(c, user_id, "Pinboard API"))
            })
            .await?
            .into_string()
        }
    };
    Ok(result_text(call.format, &token))
}

/// Commonplace has no notes of Pinboard's kind; the list is empty.
async fn notes_list(_state: &AppState, call: Call) -> Answer {
    Ok(match call.format {
        Format::Xml => {
            let mut xml = Xml::new();
            xml.open("notes", &[("count", "0")]).close("notes");
            xml_response(StatusCode::OK, xml.finish())
        }
        Format::Json => json_response(StatusCode::OK, &json!({ "count": 0, "notes": [] })),
    })
}
