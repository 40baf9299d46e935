//! On-boarding processes: `upload` and `status`, and following a process to its end.

use std::time::Duration;

use futures_util::TryStreamExt;
use reqwest::multipart::{Form, Part};
use reqwest::{Body, Method};
use serde_json::Value;
use shared_models::{OnChangeEvent, ProcessAccepted, ProcessOutcome};
use tokio::time::Instant;
use tokio_util::io::ReaderStream;
use uuid::Uuid;

use crate::args::{Follow, Status, Upload};
use crate::client::Gatekeeper;
use crate::error::CliError;
use crate::ui::{self, Ui};

/// Consecutive failed status queries tolerated while following (a gatekeeper restart).
const POLL_RETRIES: u32 = 5;

/// The longest one status question of `follow` waits for the finish.
const STATUS_WAIT: Duration = Duration::from_secs(10);

/// `sonata upload`: stream the file, then (unless `--no-wait`) follow the process.
pub async fn upload(gk: &Gatekeeper, args: &Upload, ui: Ui) -> Result<(), CliError> {
    let accepted = send_package(gk, args, ui).await?;
    let id = accepted.package_process_uuid;
    if args.no_wait {
        if ui.json {
            print_json(&serde_json::to_value(&accepted).unwrap_or_default());
        } else {
            println!("{id}");
        }
        return Ok(());
    }
    let event = follow(gk, id, args.follow, ui).await?;
    report_outcome(&event, ui, Report::Upload)
}

/// `sonata status`: one query, or following with `--wait`.
pub async fn status(gk: &Gatekeeper, args: &Status, ui: Ui) -> Result<(), CliError> {
    let body = if args.wait {
        follow(gk, args.process_id, args.follow, ui).await?
    } else {
        query(gk, args.process_id, Duration::ZERO).await?
    };
    if is_finished(&body) {
        return report_outcome(&body, ui, Report::Status);
    }
    if ui.json {
        print_json(&body);
    } else {
        let state = body
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or("running");
        println!("{} {state}", args.process_id);
    }
    Ok(())
}

async fn send_package(gk: &Gatekeeper, args: &Upload, ui: Ui) -> Result<ProcessAccepted, CliError> {
    let unreadable =
        |e: std::io::Error| CliError::Usage(format!("cannot read {}: {e}", args.file.display()));
    let file = tokio::fs::File::open(&args.file)
        .await
        .map_err(unreadable)?;
    let meta = file.metadata().await.map_err(unreadable)?;
    if !meta.is_file() {
        return Err(CliError::Usage(format!(
            "{} is not a file",
            args.file.display()
        )));
    }
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "package.tgo".to_owned());
    let bar = ui.bytes_bar(Some(meta.len()), &format!("uploading {name}"));
    let progress = bar.clone();
    let stream = ReaderStream::with_capacity(file, 64 * 1024)
        .inspect_ok(move |chunk| progress.inc(chunk.len() as u64));
    let part = Part::stream_with_length(Body::wrap_stream(stream), meta.len())
        .file_name(name.clone())
        .mime_str("application/zip")
        .map_err(|e| CliError::Usage(e.to_string()))?;
    // Text fields go before the package part: the gatekeeper checks them before forwarding.
    let mut form = Form::new();
    if let Some(url) = &args.callback_url {
        form = form.text("callback_url", url.clone());
    }
    if args.skip_store {
        form = form.text("skip_store", "true");
    }
    let req = gk
        .request(Method::POST, "/packages", false)
        .multipart(form.part("package", part));
    let res = gk.send(req).await;
    bar.finish_and_clear();
    let accepted: ProcessAccepted = gk.json(res?).await?;
    ui.info(format!(
        "uploaded {name} ({}), process {}",
        ui::bytes(meta.len()),
        accepted.package_process_uuid
    ));
    Ok(accepted)
}

/// The status of `id`; the gatekeeper holds a running process's answer for up to `wait`
/// (ADR-26), so a finish is seen when it happens rather than at the next poll.
async fn query(gk: &Gatekeeper, id: Uuid, wait: Duration) -> Result<Value, CliError> {
    let wait = wait.min(STATUS_WAIT).min(gk.timeout() / 2);
    let query = if wait.is_zero() {
        Vec::new()
    } else {
        vec![("wait", format!("{:.3}", wait.as_secs_f64()))]
    };
    let (body, _) = gk
        .get_json::<Value>(&format!("/packages/status/{id}"), &query)
        .await?;
    Ok(body)
}

/// A finished status carries `package_process_status` (decision 1).
fn is_finished(body: &Value) -> bool {
    body.get("package_process_status").is_some()
}

/// Polls the status until it is finished, or `wait_timeout` passes.
async fn follow(gk: &Gatekeeper, id: Uuid, opts: Follow, ui: Ui) -> Result<Value, CliError> {
    let spinner = ui.spinner(format!("on-boarding, process {id}"));
    let deadline = Instant::now() + opts.wait_timeout.0;
    let mut failures = 0;
    let result = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match query(gk, id, left).await {
            Ok(body) if is_finished(&body) => break Ok(body),
            Ok(body) => {
                failures = 0;
                let state = body
                    .get("status")
                    .and_then(Value::as_str)
                    .unwrap_or("running");
                spinner.set_message(format!("on-boarding, process {id}: {state}"));
            }
            Err(e @ (CliError::Unreachable { .. } | CliError::Timeout { .. }))
                if failures < POLL_RETRIES =>
            {
                failures += 1;
                spinner.set_message(format!("on-boarding, process {id}: {}", e.line()));
            }
            Err(e) => break Err(e),
        }
        if Instant::now() >= deadline {
            break Err(CliError::StillRunning(id.to_string(), opts.wait_timeout.0));
        }
        tokio::time::sleep(opts.poll_interval.0.min(Duration::from_secs(60))).await;
    };
    spinner.finish_and_clear();
    result
}

/// Which command prints the outcome: `upload` prints the package uuid alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Report {
    Upload,
    Status,
}

/// Prints a finished process; a failed one is an error with its code (exit 1).
fn report_outcome(body: &Value, ui: Ui, report: Report) -> Result<(), CliError> {
    let event: OnChangeEvent = serde_json::from_value(body.clone()).map_err(|e| {
        CliError::BadResponse(format!("a finished status that is no on-change event: {e}"))
    })?;
    let id = event.package_process_uuid;
    if ui.json {
        print_json(body);
    }
    match event.package_process_status {
        ProcessOutcome::Success => {
            let package = event.package_id.as_deref();
            let what = event.package_metadata.triple().unwrap_or_default();
            match (report, package, ui.json) {
                (_, _, true) => {}
                (Report::Upload, Some(p), false) => println!("{p}"),
                (Report::Upload, None, false) => println!("{id}"),
                (Report::Status, p, false) => println!("{id} success {}", p.unwrap_or("-")),
            }
            match package {
                Some(p) => ui.info(format!("on-boarded {what} as package {p}")),
                None => ui.info(format!("{what} is valid; nothing was stored")),
            }
            Ok(())
        }
        ProcessOutcome::Failed => {
            if report == Report::Status && !ui.json {
                println!("{id} failed");
            }
            Err(CliError::Failed {
                code: event.error_code().unwrap_or("failed").to_owned(),
                error: event
                    .package_metadata
                    .error
                    .clone()
                    .unwrap_or_else(|| format!("process {id} failed")),
            })
        }
    }
}

pub fn print_json(value: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
    );
}
