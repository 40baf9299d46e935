//! Faults (issue 7), on the real binaries, on PostgreSQL and on the embedded default: the
//! packager killed in the middle of a process, the catalogue stopped, the callback receiver
//! down, and the gatekeeper restarted with processes in flight. Figures and rerun commands:
//! docs/reliability.md.
//!
//! `SONATA_FAULT_DOWNTIME_SECS` (default 5) is how long the callback receiver stays down; the
//! documented long run sets 60.

use std::time::{Duration, Instant};

use anyhow::Context;
use integration_tests::{
    client,
    faults::{self, Tracked},
    load::{self, LoadSettings},
    packages::{canonical_example, Example},
    session::{Backend, TestPlatform},
};
use platform::Service;
use reqwest::StatusCode;

/// Runs `async fn $name(&mut TestPlatform) -> anyhow::Result<()>` on both backends, on a
/// platform started with the extra variables `$extra`.
macro_rules! on_both_backends {
    ($(#[$attr:meta])* $name:ident, $extra:expr) => {
        mod $name {
            use super::*;
            #[tokio::test]
            $(#[$attr])*
            async fn on_postgres() {
                run(Backend::Postgres, $extra, |tp| Box::pin(super::$name(tp))).await;
            }
            #[tokio::test]
            $(#[$attr])*
            async fn on_the_embedded_default() {
                run(Backend::Embedded, $extra, |tp| Box::pin(super::$name(tp))).await;
            }
        }
    };
}

type Steps<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + 'a>>;

/// Starts the platform, runs the steps, and stops it (every service must stop cleanly); a
/// failed step panics with the end of every service's log.
async fn run<F>(backend: Backend, extra: &[(Service, &str, &str)], steps: F)
where
    F: for<'a> FnOnce(&'a mut TestPlatform) -> Steps<'a>,
{
    let mut tp = TestPlatform::start(backend, extra)
        .await
        .expect("the platform starts");
    if let Err(e) = steps(&mut tp).await {
        panic!("{backend:?}: {e:#}\n{}", tp.logs());
    }
    tp.shutdown().await;
}

fn example() -> anyhow::Result<Example> {
    Example::load(&canonical_example())
}

/// Size of the artifact of the package the packager is killed on: big enough that it is
/// still being processed when the kill comes.
const BIG_ARTIFACT: u64 = 48 << 20;

on_both_backends!(
    packager_killed_mid_process,
    &[
        (Service::Gatekeeper, "GATEKEEPER_PROCESS_TIMEOUT", "3s"),
        (Service::Packager, "PACKAGER_WORKERS", "1"),
    ]
);

/// SIGKILL to the packager while it works on a big package with three more queued: each of
/// the four ends `failed` with `timeout` (the gatekeeper's deadline, 3 s here) and its
/// callback arrives; nothing of them was stored; the restarted packager on-boards again.
async fn packager_killed_mid_process(tp: &mut TestPlatform) -> anyhow::Result<()> {
    let example = example()?;
    let big_file = tp.dir.path().join("big.tgo");
    example.write_big("kill-big", BIG_ARTIFACT, &big_file)?;
    let mut tracked =
        vec![faults::upload_tracked(tp, "kill-big", std::fs::read(&big_file)?).await?];
    tracked.extend(faults::upload_variants(tp, &example, &faults::tags("kill-queued", 3)).await?);
    let (view, big): (&TestPlatform, &str) = (tp, &tracked[0].process_id);
    faults::wait_until(
        Duration::from_secs(20),
        "the packager working on the big package",
        move || async move {
            let (_, status) = faults::packager_status(view, big).await?;
            anyhow::ensure!(
                status.get("package_process_status").is_none(),
                "the big package finished before the kill: {status}"
            );
            Ok((status["status"] == "running").then_some(()))
        },
    )
    .await?;
    let killed = tp.platform.kill(Service::Packager).await?;
    anyhow::ensure!(!killed.success(), "SIGKILL, yet {killed}");

    let outcomes = faults::outcomes(tp, &tracked, Duration::from_secs(30)).await?;
    let wrong = faults::mismatches(&outcomes, "failed", Some("timeout"));
    anyhow::ensure!(wrong.is_empty(), "not failed with timeout: {wrong:?}");
    faults::delivered_once(tp, &tracked).await?;
    // One catalogue transaction per package (ADR-23): a kill mid-store leaves no part either.
    let left = faults::catalogue_contents(tp).await?;
    anyhow::ensure!(
        left.iter().all(|(_, n)| *n == 0),
        "left in the catalogue by the killed processes: {left:?}"
    );

    tp.platform.restart(Service::Packager).await?;
    // The restarted packager removed the killed one's folder: its jobs left nothing behind.
    let spool = spooled(&tp.platform.spec().spool_dir())?;
    anyhow::ensure!(
        spool.is_empty(),
        "left in the spool after the kill and restart: {spool:?}"
    );
    let after = faults::upload_variants(tp, &example, &["kill-after".to_owned()]).await?;
    let done = faults::outcomes(tp, &after, Duration::from_secs(60)).await?;
    let wrong = faults::mismatches(&done, "success", None);
    anyhow::ensure!(wrong.is_empty(), "after the restart: {wrong:?}");
    let packages = faults::catalogue_uuids(tp, "packages").await?;
    anyhow::ensure!(
        packages.len() == 1 && done[0].package_id().is_some_and(|id| packages.contains(id)),
        "the catalogue holds {packages:?}"
    );
    Ok(())
}

on_both_backends!(catalogue_stopped_then_back, &[]);

/// The catalogue stopped (SIGTERM): reads answer 503 `catalogue-unavailable`, uploads end
/// `failed` with `catalogue-unavailable` and call back, nothing is stored. Once it is back,
/// reads work again and the same packages on-board (nothing half-stored claims their names).
async fn catalogue_stopped_then_back(tp: &mut TestPlatform) -> anyhow::Result<()> {
    let example = example()?;
    let stopped = tp.platform.stop_service(Service::Catalogue).await?;
    anyhow::ensure!(
        stopped.success(),
        "the catalogue did not stop cleanly: {stopped}"
    );

    let (code, body) = client::get(tp, "/packages").await?;
    let body: serde_json::Value = serde_json::from_slice(&body)?;
    anyhow::ensure!(
        code == StatusCode::SERVICE_UNAVAILABLE && body["code"] == "catalogue-unavailable",
        "a list without the catalogue: {code} {body}"
    );
    let tags = faults::tags("cat-down", 3);
    let tracked = faults::upload_variants(tp, &example, &tags).await?;
    let outcomes = faults::outcomes(tp, &tracked, Duration::from_secs(60)).await?;
    let wrong = faults::mismatches(&outcomes, "failed", Some("catalogue-unavailable"));
    anyhow::ensure!(wrong.is_empty(), "without the catalogue: {wrong:?}");

    tp.platform.restart(Service::Catalogue).await?;
    let (records, _) = client::list_packages(tp).await?;
    anyhow::ensure!(records.is_empty(), "packages listed: {records:?}");
    let contents = faults::catalogue_contents(tp).await?;
    anyhow::ensure!(
        contents.iter().all(|(_, n)| *n == 0),
        "stored while the catalogue was down: {contents:?}"
    );
    let mut again = Vec::new();
    for tag in &tags {
        let bytes = example.variant(tag)?;
        again.push(faults::upload_tracked(tp, &format!("{tag}-again"), bytes).await?);
    }
    let outcomes = faults::outcomes(tp, &again, Duration::from_secs(60)).await?;
    let wrong = faults::mismatches(&outcomes, "success", None);
    anyhow::ensure!(wrong.is_empty(), "once the catalogue is back: {wrong:?}");
    let stored = faults::catalogue_uuids(tp, "packages").await?;
    anyhow::ensure!(stored.len() == tags.len(), "the catalogue holds {stored:?}");
    Ok(())
}

on_both_backends!(
    catalogue_killed_under_load,
    &[(Service::Gatekeeper, "GATEKEEPER_SUBSCRIBERS", "")]
);

/// SIGKILL to the catalogue while 60 uploads run, 8 at a time, and a start again 2 s later:
/// every process ends (some `failed` with `catalogue-unavailable`), every callback arrives
/// once, the catalogue lists exactly the successes.
async fn catalogue_killed_under_load(tp: &mut TestPlatform) -> anyhow::Result<()> {
    let left = kill_the_catalogue_under_load(tp).await?;
    eprintln!("after deleting every success, the catalogue holds {left:?}");
    Ok(())
}

on_both_backends!(
    catalogue_kill_leaves_nothing_behind,
    &[(Service::Gatekeeper, "GATEKEEPER_SUBSCRIBERS", "")]
);

/// Decision 5 under the same fault: once every success is deleted, the catalogue is empty, so
/// no failed process left a descriptor, file or archive (or a reference count) behind.
async fn catalogue_kill_leaves_nothing_behind(tp: &mut TestPlatform) -> anyhow::Result<()> {
    let left = kill_the_catalogue_under_load(tp).await?;
    anyhow::ensure!(
        left.iter().all(|(_, n)| *n == 0),
        "left behind by failed processes: {left:?}"
    );
    Ok(())
}

/// The run of [`catalogue_killed_under_load`], then every success deleted through the
/// gatekeeper; what each catalogue collection still holds.
async fn kill_the_catalogue_under_load(
    tp: &mut TestPlatform,
) -> anyhow::Result<Vec<(&'static str, usize)>> {
    let settings = LoadSettings {
        packages: 60,
        concurrency: 8,
        prefix: "cat-kill",
    };
    let endpoints = tp.endpoints.clone();
    let ep = &endpoints;
    let fault = async {
        faults::wait_until(
            Duration::from_secs(60),
            "10 packages stored",
            move || async move {
                let stored = faults::catalogue_uuids(ep, "packages").await?;
                Ok((stored.len() >= 10).then_some(()))
            },
        )
        .await?;
        tp.platform.kill(Service::Catalogue).await?;
        tokio::time::sleep(Duration::from_secs(2)).await;
        tp.platform.restart(Service::Catalogue).await
    };
    let (report, fault) = tokio::join!(load::run(&endpoints, settings), fault);
    fault?;
    let report = report?;
    eprintln!("catalogue killed under load: {report}");
    anyhow::ensure!(
        report.successes() < settings.packages,
        "the kill failed no process: {report}"
    );
    for package in faults::catalogue_uuids(tp, "packages").await? {
        let code = client::delete(tp, &package).await?;
        anyhow::ensure!(code == StatusCode::NO_CONTENT, "DELETE {package}: {code}");
    }
    faults::catalogue_contents(tp).await
}

on_both_backends!(
    callback_receiver_down_then_back,
    // The production back-off (the session's test settings shorten it).
    &[
        (Service::Gatekeeper, "GATEKEEPER_CALLBACK_BACKOFF", "1s"),
        (Service::Gatekeeper, "GATEKEEPER_CALLBACK_BACKOFF_MAX", "5m"),
        (
            Service::Gatekeeper,
            "GATEKEEPER_CALLBACK_MAX_ATTEMPTS",
            "10"
        ),
    ]
);

/// callback-mock killed before three uploads and started again `SONATA_FAULT_DOWNTIME_SECS`
/// later (empty: it keeps callbacks in memory): every callback, the caller's and the
/// subscriber's, arrives once, after retries, with the outcome the status shows.
async fn callback_receiver_down_then_back(tp: &mut TestPlatform) -> anyhow::Result<()> {
    let downtime = faults::env_secs("SONATA_FAULT_DOWNTIME_SECS", 5)?;
    let example = example()?;
    let down_at = Instant::now();
    tp.platform.kill(Service::CallbackMock).await?;
    let tracked = faults::upload_variants(tp, &example, &faults::tags("cb-down", 3)).await?;
    let view: &TestPlatform = tp;
    for t in &tracked {
        let done = faults::wait_until(Duration::from_secs(60), "the outcome", move || async move {
            let status = client::status(view, &t.process_id).await?;
            Ok(status
                .get("package_process_status")
                .is_some()
                .then_some(status))
        })
        .await?;
        anyhow::ensure!(done["package_process_status"] == "success", "{done}");
    }
    tokio::time::sleep(downtime.saturating_sub(down_at.elapsed())).await;
    tp.platform.restart(Service::CallbackMock).await?;
    let back_at = Instant::now();

    let limit = downtime * 2 + Duration::from_secs(60);
    let outcomes = faults::outcomes(tp, &tracked, limit).await?;
    let wrong = faults::mismatches(&outcomes, "success", None);
    anyhow::ensure!(wrong.is_empty(), "{wrong:?}");
    let last = back_at.elapsed();
    faults::delivered_once(tp, &tracked).await?;
    let mut attempts = Vec::new();
    for t in &tracked {
        let got = client::received(tp, Some(&t.path())).await?;
        let attempt = got[0]["headers"]["x-delivery-attempt"]
            .as_str()
            .unwrap_or("?")
            .to_owned();
        anyhow::ensure!(attempt != "1", "{}: delivered at the first attempt", t.tag);
        attempts.push(attempt);
    }
    client::wait_callbacks(tp, "/callbacks/subscriber", tracked.len(), limit)
        .await
        .context("the subscriber's events")?;
    eprintln!(
        "receiver down {:.1} s: every callback delivered {:.1} s after it was back, at attempts {attempts:?}",
        (back_at - down_at).as_secs_f64(),
        last.as_secs_f64()
    );
    Ok(())
}

on_both_backends!(
    gatekeeper_killed_with_processes_in_flight,
    &[
        (Service::Gatekeeper, "GATEKEEPER_PROCESS_TIMEOUT", "10s"),
        (Service::Gatekeeper, "GATEKEEPER_CALLBACK_TIMEOUT", "2s"),
        (Service::Packager, "PACKAGER_WORKERS", "1"),
    ]
);

/// SIGKILL to the gatekeeper with eight accepted processes still at the packager and one
/// upload still streaming, then a start on the same port and database. The eight end
/// `success` (the packager's callbacks are retried until the gatekeeper is back), each
/// callback arrives once, the catalogue holds the eight; the cut upload ends `failed` with
/// `timeout` and its callback arrives too.
async fn gatekeeper_killed_with_processes_in_flight(tp: &mut TestPlatform) -> anyhow::Result<()> {
    let example = example()?;
    let cut = slow_upload(tp, &example, "gk-cut")?;
    let tracked =
        faults::upload_variants_at_once(tp, &example, &faults::tags("gk-kill", 8)).await?;
    let in_flight = unfinished_at_packager(tp, &tracked).await?;
    anyhow::ensure!(in_flight > 0, "every process had finished before the kill");
    tp.platform.kill(Service::Gatekeeper).await?;
    let cut_answer = cut.await?;
    anyhow::ensure!(
        cut_answer.is_err(),
        "the cut upload was answered: {cut_answer:?}"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    tp.platform.restart(Service::Gatekeeper).await?;

    let outcomes = faults::outcomes(tp, &tracked, Duration::from_secs(60)).await?;
    let wrong = faults::mismatches(&outcomes, "success", None);
    anyhow::ensure!(
        wrong.is_empty(),
        "{in_flight} in flight at the kill: {wrong:?}"
    );
    faults::delivered_once(tp, &tracked).await?;
    let cut_event = client::wait_callback(tp, "/callbacks/gk-cut", Duration::from_secs(60)).await?;
    anyhow::ensure!(
        cut_event["package_process_status"] == "failed"
            && cut_event["package_metadata"]["error_code"] == "timeout",
        "the cut upload: {cut_event}"
    );
    let stored = faults::catalogue_uuids(tp, "packages").await?;
    let ids: std::collections::BTreeSet<String> = outcomes
        .iter()
        .filter_map(|o| o.package_id().map(str::to_owned))
        .collect();
    anyhow::ensure!(stored == ids, "catalogue {stored:?}, successes {ids:?}");
    eprintln!("gatekeeper killed with {in_flight} of 8 processes in flight: nothing lost");
    Ok(())
}

on_both_backends!(
    gatekeeper_down_longer_than_the_packagers_retries,
    &[
        (Service::Packager, "PACKAGER_CALLBACK_ATTEMPTS", "1"),
        (Service::Packager, "PACKAGER_WORKERS", "1"),
    ]
);

/// The gatekeeper stopped (SIGTERM) right after six uploads and started again only once the
/// packager has finished all six and given up calling back (one attempt here): the new
/// instance reads the outcomes back from the packager, so all six end `success`, not
/// `timeout`, and each callback arrives once.
async fn gatekeeper_down_longer_than_the_packagers_retries(
    tp: &mut TestPlatform,
) -> anyhow::Result<()> {
    let example = example()?;
    let tracked = faults::upload_variants(tp, &example, &faults::tags("gk-down", 6)).await?;
    let stopped = tp.platform.stop_service(Service::Gatekeeper).await?;
    anyhow::ensure!(
        stopped.success(),
        "the gatekeeper did not stop cleanly: {stopped}"
    );
    let (view, all): (&TestPlatform, &[Tracked]) = (tp, &tracked);
    faults::wait_until(
        Duration::from_secs(60),
        "the packager finishing",
        move || async move { Ok((unfinished_at_packager(view, all).await? == 0).then_some(())) },
    )
    .await?;
    tp.platform.restart(Service::Gatekeeper).await?;

    let outcomes = faults::outcomes(tp, &tracked, Duration::from_secs(30)).await?;
    let wrong = faults::mismatches(&outcomes, "success", None);
    anyhow::ensure!(wrong.is_empty(), "{wrong:?}");
    faults::delivered_once(tp, &tracked).await?;
    anyhow::ensure!(
        faults::catalogue_uuids(tp, "packages").await?.len() == tracked.len(),
        "the catalogue does not hold the six"
    );
    Ok(())
}

/// How many of the processes the packager has not finished.
async fn unfinished_at_packager(tp: &TestPlatform, tracked: &[Tracked]) -> anyhow::Result<usize> {
    let mut unfinished = 0;
    for t in tracked {
        let (_, status) = faults::packager_status(tp, &t.process_id).await?;
        unfinished += usize::from(status.get("package_process_status").is_none());
    }
    Ok(unfinished)
}

/// An upload of a big variant that trickles in (64 KiB every 20 ms, about 2.5 s for 8 MiB),
/// so that it is still streaming when the gatekeeper dies; its callback goes to `tag`.
fn slow_upload(
    tp: &TestPlatform,
    example: &Example,
    tag: &str,
) -> anyhow::Result<tokio::task::JoinHandle<anyhow::Result<String>>> {
    let file = tp.dir.path().join(format!("{tag}.tgo"));
    example.write_big(tag, 8 << 20, &file)?;
    let bytes = std::fs::read(&file)?;
    let chunks: Vec<Vec<u8>> = bytes.chunks(64 << 10).map(<[u8]>::to_vec).collect();
    let body = futures_util::stream::iter(chunks).then(|chunk| async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        Ok::<_, std::io::Error>(chunk)
    });
    let part = reqwest::multipart::Part::stream_with_length(
        reqwest::Body::wrap_stream(body),
        bytes.len() as u64,
    )
    .file_name(format!("{tag}.tgo"))
    .mime_str("application/zip")?;
    let form = reqwest::multipart::Form::new()
        .text("callback_url", faults::callback_url(tp, tag))
        .part("package", part);
    let request = tp
        .http
        .post(format!("{}/packages", tp.gatekeeper()))
        .multipart(form);
    Ok(tokio::spawn(async move {
        let response = request.send().await?;
        let status = response.status();
        Ok(format!("{status} {}", response.text().await?))
    }))
}

use futures_util::StreamExt;

/// The entries of the packagers' folders in `PACKAGER_TEMP_DIR` (`packager-*`, each with its
/// `.lock`), and anything else there.
fn spooled(dir: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let folder = entry.file_name().to_string_lossy().starts_with("packager-");
        if !folder || !entry.file_type()?.is_dir() {
            found.push(entry.path());
            continue;
        }
        for inner in std::fs::read_dir(entry.path())? {
            let inner = inner?;
            if inner.file_name() != ".lock" {
                found.push(inner.path());
            }
        }
    }
    Ok(found)
}
