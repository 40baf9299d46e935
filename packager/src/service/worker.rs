//! The bounded queue and worker pool: each job unpacks and checks the package on a blocking
//! thread, stores it, records the outcome and calls back. Every job ends in a terminal state.

use std::{path::PathBuf, sync::Arc, time::Duration};

use chrono::Utc;
use package_format::{unpack, PackageError, UnpackOptions, ValidationLevel};
use shared_models::{NapdRecord, OnChangeEvent, ProcessOutcome, EVENT_NAME};
use tokio::sync::{mpsc, Mutex};
use uuid::Uuid;

use super::{
    catalogue_client::CatalogueClient,
    config::Config,
    registry::Registry,
    store::{Archive, Deadline, Stored},
};

/// One accepted upload.
#[derive(Debug)]
pub struct Job {
    pub id: Uuid,
    /// The spooled upload, emptied for the next upload when the last holder lets go (the
    /// job, or an unpack still running on its blocking thread after a timeout).
    pub spool: Arc<super::spool_files::SpoolFile>,
    pub archive: PathBuf,
    pub file_name: String,
    /// SHA-256 of the archive, computed while it was spooled.
    pub sha256: String,
    pub callback_url: Option<String>,
    pub username: Option<String>,
    pub level: ValidationLevel,
    pub skip_store: bool,
}

/// What every worker shares.
#[derive(Debug, Clone)]
pub struct WorkerContext {
    pub config: Arc<Config>,
    pub registry: Registry,
    pub catalogue: CatalogueClient,
    pub http: reqwest::Client,
}

/// Bytes of one package's small files kept in memory instead of being extracted (with
/// `workers` jobs at once, at most that many times this).
const MEMORY_BUDGET: u64 = 4 * 1024 * 1024;

/// Where a job extracts what it does not keep in memory or in the archive: created only when
/// something is written there, removed (if it was) when dropped.
#[derive(Debug)]
struct WorkDir(PathBuf);

impl Drop for WorkDir {
    fn drop(&mut self) {
        match std::fs::remove_dir_all(&self.0) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                tracing::warn!(dir = %self.0.display(), error = %e, "unpack folder left behind");
            }
            _ => {}
        }
    }
}

/// How long the work after a deadline (cutting the bundle, its cancel) may take.
const ROLLBACK_GRACE: Duration = Duration::from_secs(120);

/// Start `workers` tasks reading from one bounded queue; returns its sender.
pub fn start_pool(context: &WorkerContext) -> mpsc::Sender<Job> {
    let (sender, receiver) = mpsc::channel::<Job>(context.config.queue_capacity);
    let receiver = Arc::new(Mutex::new(receiver));
    for _ in 0..context.config.workers {
        let receiver = receiver.clone();
        let context = context.clone();
        tokio::spawn(async move {
            loop {
                let next = receiver.lock().await.recv().await;
                let Some(job) = next else { break };
                let id = job.id;
                let callback_url = job.callback_url.clone();
                let deadline = context.config.process_timeout;
                // run() keeps its own deadline (and cancels a store it cuts, ADR-23); this
                // is the last resort should even that hang.
                let last_resort = deadline + ROLLBACK_GRACE;
                let event = match tokio::time::timeout(last_resort, run(&context, &job)).await {
                    Ok(event) => event,
                    Err(_) => failed_event(&context, id, "timeout", timeout_message(last_resort)),
                };
                finish(&context, id, event, callback_url).await;
                // The spool file is emptied once the outcome is out (freeing a big file's
                // blocks, with the disk's discard, takes a while), before the next job.
                discard(job).await;
            }
        });
    }
    sender
}

/// Unpack, check, store; the event of the outcome, once the unpacked files are removed (the
/// worker empties the job's spool file after the outcome).
async fn run(context: &WorkerContext, job: &Job) -> OnChangeEvent {
    context.registry.set_running(job.id);
    let limit = context.config.process_timeout;
    let deadline = tokio::time::Instant::now() + limit;
    let options = UnpackOptions {
        limits: context.config.limits,
        level: job.level,
        schema_dir: context.config.schema_dir.clone(),
        // Anything too big to be a descriptor is only hashed and streamed to the catalogue:
        // a stored one (a VM image) is read in place instead of being copied out first.
        keep_in_archive_above: Some(context.config.limits.max_descriptor_bytes),
        memory_budget: MEMORY_BUDGET,
    };
    let archive = job.archive.clone();
    let work = WorkDir(context.config.temp_dir.join(format!("unpack-{}", job.id)));
    // The blocking unpack owns the temp dirs it writes into, so that a timeout (which drops this
    // future) cannot remove them under its feet; they go when it returns.
    let spool = job.spool.clone();
    let started = std::time::Instant::now();
    let unpacking = tokio::task::spawn_blocking(move || {
        let result = unpack(&archive, &work.0, &options);
        (result, work, spool)
    });
    let Ok(unpacked) = tokio::time::timeout_at(deadline, unpacking).await else {
        return failed_event(context, job.id, "timeout", timeout_message(limit));
    };
    let (result, work) = match unpacked {
        Ok((result, work, _spool)) => (result, work),
        Err(e) => return failed_event(context, job.id, "internal-error", e.to_string()),
    };
    let mut unpacked = match result {
        Ok(unpacked) => unpacked,
        Err(e) => {
            discard(work).await;
            return package_failure(context, job.id, &e);
        }
    };
    tracing::info!(process = %job.id, ms = started.elapsed().as_millis(), "unpacked and checked");
    if job.skip_store {
        discard(work).await;
        return event_of(
            context,
            job.id,
            unpacked.record,
            None,
            ProcessOutcome::Success,
        );
    }
    let storing = std::time::Instant::now();
    let stored = context
        .catalogue
        .store(
            &mut unpacked,
            &Archive {
                path: &job.archive,
                name: &job.file_name,
                sha256: &job.sha256,
            },
            &job.id.to_string(),
            job.username.as_deref(),
            &context.config.limits,
            Deadline {
                at: deadline,
                limit,
            },
        )
        .await;
    tracing::info!(process = %job.id, ms = storing.elapsed().as_millis(), ok = stored.is_ok(),
        "stored in the catalogue");
    let event = match stored {
        Ok(stored) => event_of(
            context,
            job.id,
            unpacked.record,
            Some(stored),
            ProcessOutcome::Success,
        ),
        Err(e) => {
            let mut record = unpacked.record;
            record.error = Some(e.to_string());
            record.error_code = Some(e.code().to_owned());
            if let super::catalogue_client::StoreError::Duplicate { uuid, .. } = &e {
                record
                    .metadata
                    .insert("existing_package_uuid".into(), uuid.clone().into());
            }
            event_of(context, job.id, record, None, ProcessOutcome::Failed)
        }
    };
    discard(work).await;
    event
}

/// Drops `dir` (a temp dir, or a job with its spool file) on a blocking thread: a big package
/// takes a while to delete.
async fn discard<T: Send + 'static>(dir: T) {
    let _ = tokio::task::spawn_blocking(move || drop(dir)).await;
}

pub fn timeout_message(limit: Duration) -> String {
    format!("processing took longer than {limit:?}")
}

fn package_failure(context: &WorkerContext, id: Uuid, error: &PackageError) -> OnChangeEvent {
    failed_event(context, id, error.code(), error.to_string())
}

fn failed_event(context: &WorkerContext, id: Uuid, code: &str, message: String) -> OnChangeEvent {
    event_of(
        context,
        id,
        NapdRecord::failed(code, message),
        None,
        ProcessOutcome::Failed,
    )
}

fn event_of(
    context: &WorkerContext,
    id: Uuid,
    mut record: NapdRecord,
    stored: Option<Stored>,
    outcome: ProcessOutcome,
) -> OnChangeEvent {
    if let Some(stored) = &stored {
        record
            .metadata
            .insert("_storage_uuid".into(), stored.package_uuid.clone().into());
        record
            .metadata
            .insert("_storage_location".into(), stored.location.clone().into());
    }
    OnChangeEvent {
        event_name: EVENT_NAME.to_owned(),
        package_id: stored.as_ref().map(|s| s.package_uuid.clone()),
        package_location: stored.map(|s| s.location),
        package_metadata: record,
        package_process_status: outcome,
        package_process_uuid: id,
        created_at: context.registry.created_at(id),
        updated_at: Utc::now(),
    }
}

/// Record the outcome, then deliver the callback in its own task.
async fn finish(
    context: &WorkerContext,
    id: Uuid,
    event: OnChangeEvent,
    callback_url: Option<String>,
) {
    tracing::info!(
        process = %id,
        outcome = ?event.package_process_status,
        code = event.error_code().unwrap_or(""),
        "process finished"
    );
    context.registry.finish(id, event.clone());
    if let Some(url) = callback_url.filter(|u| !u.trim().is_empty()) {
        let http = context.http.clone();
        let attempts = context.config.callback_attempts;
        tokio::spawn(async move { deliver(&http, &url, &event, attempts).await });
    }
}

/// POST the event until a 2xx answer or the attempts are spent (backoff 0.5 s doubling).
pub async fn deliver(
    http: &reqwest::Client,
    url: &str,
    event: &OnChangeEvent,
    attempts: u32,
) -> bool {
    let mut delay = Duration::from_millis(500);
    for attempt in 1..=attempts {
        let sent = http
            .post(url)
            .header("X-Process-Id", event.package_process_uuid.to_string())
            .json(event)
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => return true,
            Ok(r) => tracing::warn!(url, attempt, status = %r.status(), "callback refused"),
            Err(e) => tracing::warn!(url, attempt, error = %e, "callback failed"),
        }
        if attempt < attempts {
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(30));
        }
    }
    tracing::error!(url, process = %event.package_process_uuid, "callback given up");
    false
}
