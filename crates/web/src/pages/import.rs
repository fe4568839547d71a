//! Importing through Settings: upload a file (multipart, CSRF-checked, size-capped), see whole-
//! file problems at once, then follow the import's progress on its own page while it runs in
//! the background in batches.

use super::html;
use crate::auth::session::LoggedIn;
use crate::errors::PageError;
use crate::import_jobs::{record_outcome, record_progress, JobOutcome};
use crate::interchange::{parse_file, run_import, ImportOptions, Skipped};
use crate::state::AppState;
use crate::views::Chrome;
use actix_multipart::Multipart;
use actix_web::{web, HttpResponse};
use askama::Template;
use bookmarks::model::OnDuplicate;
use futures_util::StreamExt;

/// The most skipped entries listed on the page (the CLI lists them all).
const SKIPPED_SHOWN: usize = 200;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings/import", web::post().to(upload))
        .route("/settings/import/{job}", web::get().to(progress));
}

/// "50 MB", for the upload limit.
pub fn megabytes(bytes: u64) -> String {
    format!("{} MB", (bytes as f64 / 1_048_576.0).round())
}

struct Upload {
    csrf: String,
    on_duplicate: OnDuplicate,
    file_name: String,
    bytes: Vec<u8>,
}

/// Reads the form, refusing a file over `limit` bytes as soon as it gets there.
async fn read_upload(mut form: Multipart, limit: u64) -> Result<Upload, PageError> {
    let mut upload = Upload {
        csrf: String::new(),
        on_duplicate: OnDuplicate::Skip,
        file_name: String::new(),
        bytes: Vec::new(),
    };
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|e| {
            PageError::BadRequest(format!("the upload could not be read ({e}); try again"))
        })?;
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            upload.file_name = field
                .content_disposition()
                .and_then(|d| d.get_filename().map(str::to_owned))
                .unwrap_or_else(|| "the upload".into());
        }
        let mut value = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| {
                PageError::BadRequest(format!("the upload was cut off ({e}); try again"))
            })?;
            value.extend_from_slice(&chunk);
            if u64::try_from(value.len()).unwrap_or(u64::MAX) > limit {
                return Err(PageError::BadRequest(format!(
                    "the file is larger than {}, the limit for uploads (`import_max_bytes`); import it with `commonplace import` instead",
                    megabytes(limit)
                )));
            }
        }
        match name.as_str() {
            "csrf" => upload.csrf = String::from_utf8_lossy(&value).into_owned(),
            "on_duplicate" if value == b"update" => upload.on_duplicate = OnDuplicate::Update,
            "file" => upload.bytes = value,
            _ => {}
        }
    }
    Ok(upload)
}

async fn upload(
    state: web::Data<AppState>,
    me: LoggedIn,
    form: Multipart,
) -> Result<HttpResponse, PageError> {
    let upload = read_upload(form, state.settings.import_max_bytes).await?;
    me.page.verify_csrf(&upload.csrf)?;
    if upload.bytes.is_empty() {
        return Err(PageError::BadRequest(
            "no file was chosen; choose the exported bookmark file".into(),
        ));
    }
    let Upload {
        bytes,
        file_name,
        on_duplicate,
        ..
    } = upload;
    let parsed = web::block(move || parse_file(&bytes))
        .await
        .map_err(|e| PageError::Internal(format!("the file could not be read: {e}")))?
        .map_err(|e| PageError::BadRequest(format!("{file_name}: {e}; nothing was imported")))?;
    let (job_id, job) = state.imports.start(me.user.id, file_name, parsed.total).map_err(|running| {
        PageError::Conflict(format!(
            "another import of yours is still running; wait until it is done (/settings/import/{running}), then upload again"
        ))
    })?;
    let (db, user_id) = (state.db.clone(), me.user.id);
    // Runs on the blocking pool and carries on whether or not anyone watches.
    tokio::task::spawn_blocking(move || {
        let options = ImportOptions {
            on_duplicate,
            ..ImportOptions::default()
        };
        let result = run_import(&db, user_id, parsed, options, &mut |done, _| {
            record_progress(&job, done)
        });
        if let Err(e) = &result {
            tracing::error!(error = %e, "an import from Settings stopped");
        }
        record_outcome(&job, result.map_err(|e| e.to_string()));
    });
    Ok(super::see_other(&format!("/settings/import/{job_id}")))
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    chrome: Chrome,
    file_name: String,
    running: bool,
    total: usize,
    done: usize,
    created: usize,
    updated: usize,
    failure: Option<String>,
    skipped: Vec<Skipped>,
    more_skipped: usize,
    seconds: String,
}

async fn progress(
    state: web::Data<AppState>,
    me: LoggedIn,
    job: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let job = state
        .imports
        .get(&job, me.user.id)
        .ok_or(PageError::NotFound)?;
    let (running, created, updated, failure, mut skipped) = match job.outcome {
        JobOutcome::Running => (true, 0, 0, None, Vec::new()),
        JobOutcome::Finished {
            created,
            updated,
            skipped,
        } => (false, created, updated, None, skipped),
        JobOutcome::Failed(message) => (false, 0, 0, Some(message), Vec::new()),
    };
    let elapsed = job.finished.map_or_else(
        || job.started.elapsed(),
        |at| at.duration_since(job.started),
    );
    let more_skipped = skipped.len().saturating_sub(SKIPPED_SHOWN);
    skipped.truncate(SKIPPED_SHOWN);
    let body = ImportPage {
        chrome: Chrome::new(&state, &me.page),
        file_name: job.file_name,
        running,
        total: job.total,
        done: job.done,
        created,
        updated,
        failure,
        skipped,
        more_skipped,
        seconds: format!("{:.1}", elapsed.as_secs_f64()),
    }
    .render()?;
    Ok(html(body))
}
