//! Imports uploaded through Settings run in the background; this keeps their progress so the
//! progress page can show it. In memory: after a restart the page is gone, but the import's
//! finished batches are stored and uploading the file again carries on where it stopped.

use crate::interchange::{ImportReport, Skipped};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Finished imports are shown for this long.
const KEEP_FINISHED: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone)]
pub enum JobOutcome {
    Running,
    Finished {
        created: usize,
        updated: usize,
        skipped: Vec<Skipped>,
    },
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct JobState {
    pub user_id: i64,
    pub file_name: String,
    pub total: usize,
    pub done: usize,
    pub outcome: JobOutcome,
    pub started: Instant,
    pub finished: Option<Instant>,
}

#[derive(Default)]
pub struct ImportJobs(Mutex<HashMap<String, Arc<Mutex<JobState>>>>);

impl ImportJobs {
    /// Registers a new running job; returns its id and its shared state.
    /// Or, as the error, the id of the user's import still running (one at a time per user).
    pub fn start(
        &self,
        user_id: i64,
        file_name: String,
        total: usize,
    ) -> Result<(String, Arc<Mutex<JobState>>), String> {
        let id = bookmarks::model::Secret::generate().into_string();
        let state = Arc::new(Mutex::new(JobState {
            user_id,
            file_name,
            total,
            done: 0,
            outcome: JobOutcome::Running,
            started: Instant::now(),
            finished: None,
        }));
        let mut jobs = self.0.lock().unwrap_or_else(|p| p.into_inner());
        jobs.retain(|_, job| {
            let job = job.lock().unwrap_or_else(|p| p.into_inner());
            job.finished.is_none_or(|at| at.elapsed() < KEEP_FINISHED)
        });
        let running = jobs.iter().find(|(_, job)| {
            let job = job.lock().unwrap_or_else(|p| p.into_inner());
            job.user_id == user_id && job.finished.is_none()
        });
        if let Some((running_id, _)) = running {
            return Err(running_id.clone());
        }
        jobs.insert(id.clone(), state.clone());
        Ok((id, state))
    }

    /// The job's state, if it exists and belongs to `user_id`.
    pub fn get(&self, id: &str, user_id: i64) -> Option<JobState> {
        let jobs = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let job = jobs
            .get(id)?
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        (job.user_id == user_id).then_some(job)
    }
}

pub fn record_progress(job: &Mutex<JobState>, done: usize) {
    job.lock().unwrap_or_else(|p| p.into_inner()).done = done;
}

pub fn record_outcome(job: &Mutex<JobState>, outcome: Result<ImportReport, String>) {
    let mut job = job.lock().unwrap_or_else(|p| p.into_inner());
    job.outcome = match outcome {
        Ok(report) => {
            job.done = job.total;
            JobOutcome::Finished {
                created: report.created,
                updated: report.updated,
                skipped: report.skipped,
            }
        }
        Err(message) => JobOutcome::Failed(message),
    };
    job.finished = Some(Instant::now());
}
