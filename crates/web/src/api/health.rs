//! `GET /healthz`: 200 when the database answers, 503 when it does not. For load balancers and
//! container health checks; no authentication, no details.

use crate::blocking::run_db;
use crate::state::AppState;
use actix_web::{web, HttpResponse};

pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    match run_db(&state.db, |db| db.ping()).await {
        Ok(()) => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body("ok"),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain; charset=utf-8")
                .body("database unavailable")
        }
    }
}
