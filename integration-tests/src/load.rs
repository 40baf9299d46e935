//! The load run of issue 7: `packages` distinct packages (variants of the canonical example)
//! on-boarded through the gatekeeper by `concurrency` clients at once, each with its own
//! callback path at callback-mock. It checks that every process reached a terminal status,
//! that every callback was delivered once with that status, and that the catalogue holds
//! exactly the successes. tests/load.rs runs it; docs/reliability.md has the figures.

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt,
    time::{Duration, Instant},
};

use anyhow::Context;
use futures_util::{stream, StreamExt};
use reqwest::{multipart, StatusCode};
use serde_json::Value;

use crate::{
    client::{self, Outcome},
    faults,
    packages::{canonical_example, Example},
    session::Endpoints,
};

/// How big and how parallel the run is.
#[derive(Debug, Clone, Copy)]
pub struct LoadSettings {
    pub packages: usize,
    pub concurrency: usize,
    /// Tags are `<prefix>-<n>` (the variant's name and its callback path).
    pub prefix: &'static str,
}

impl LoadSettings {
    /// `SONATA_LOAD_PACKAGES` (default `packages`) and `SONATA_LOAD_CONCURRENCY` (default 16).
    pub fn from_env(packages: usize) -> anyhow::Result<Self> {
        let number = |name: &str, default: usize| -> anyhow::Result<usize> {
            match platform::env_text(name) {
                Some(raw) => raw
                    .parse()
                    .with_context(|| format!("{name}={raw:?} must be a number")),
                None => Ok(default),
            }
        };
        Ok(Self {
            packages: number("SONATA_LOAD_PACKAGES", packages)?.max(1),
            concurrency: number("SONATA_LOAD_CONCURRENCY", 16)?.max(1),
            prefix: "load",
        })
    }

    /// callback-mock must keep every callback of the run.
    pub fn mock_capacity(&self) -> String {
        (self.packages * 2 + 100).to_string()
    }
}

/// What a run measured.
#[derive(Debug, Clone)]
pub struct LoadReport {
    pub settings: LoadSettings,
    /// From the first upload to the last callback.
    pub wall: Duration,
    /// Outcomes by `success` or error code.
    pub outcomes: BTreeMap<String, usize>,
    /// Uploads answered 503 (`queue-full`) and sent again.
    pub retried_uploads: usize,
    /// Callbacks callback-mock accepted.
    pub callbacks: usize,
    /// Package records the catalogue lists.
    pub catalogue_packages: usize,
    /// Upload to callback, per package.
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl LoadReport {
    pub fn successes(&self) -> usize {
        self.outcomes.get("success").copied().unwrap_or(0)
    }
}

impl fmt::Display for LoadReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rate = self.settings.packages as f64 / self.wall.as_secs_f64();
        write!(
            f,
            "{} packages, {} at once: {:.1} s, {rate:.1} pkg/s; outcomes {:?}; {} uploads retried; \
             {} callbacks; catalogue {} packages; upload to callback p50 {} ms, p99 {} ms, max {} ms",
            self.settings.packages,
            self.settings.concurrency,
            self.wall.as_secs_f64(),
            self.outcomes,
            self.retried_uploads,
            self.callbacks,
            self.catalogue_packages,
            self.p50.as_millis(),
            self.p99.as_millis(),
            self.max.as_millis()
        )
    }
}

/// One package's run.
struct Done {
    tag: String,
    outcome: Outcome,
    latency: Duration,
    retries: usize,
}

/// Runs the load and checks it; the report, or what went wrong.
pub async fn run(tp: &Endpoints, settings: LoadSettings) -> anyhow::Result<LoadReport> {
    let example = Example::load(&canonical_example())?;
    let started = Instant::now();
    let results: Vec<anyhow::Result<Done>> = stream::iter(0..settings.packages)
        .map(|n| onboard_one(tp, &example, format!("{}-{n}", settings.prefix)))
        .buffer_unordered(settings.concurrency)
        .collect()
        .await;
    let wall = started.elapsed();
    let mut done = Vec::new();
    let mut problems = Vec::new();
    for result in results {
        match result {
            Ok(d) => done.push(d),
            Err(e) => problems.push(format!("{e:#}")),
        }
    }
    anyhow::ensure!(
        problems.is_empty(),
        "{} of {} packages did not reach a terminal status with its callback, first: {}",
        problems.len(),
        settings.packages,
        problems[0]
    );
    let callbacks = check_callbacks(tp, &done).await?;
    let catalogue_packages = check_catalogue(tp, &done).await?;
    Ok(report(settings, wall, &done, callbacks, catalogue_packages))
}

fn report(
    settings: LoadSettings,
    wall: Duration,
    done: &[Done],
    callbacks: usize,
    catalogue_packages: usize,
) -> LoadReport {
    let mut outcomes = BTreeMap::new();
    for d in done {
        let key = match d.outcome.status() {
            "success" => "success".to_owned(),
            _ => d.outcome.error_code().to_owned(),
        };
        *outcomes.entry(key).or_insert(0) += 1;
    }
    let mut latencies: Vec<Duration> = done.iter().map(|d| d.latency).collect();
    latencies.sort_unstable();
    let at = |q: f64| {
        let index = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        latencies.get(index).copied().unwrap_or_default()
    };
    LoadReport {
        settings,
        wall,
        outcomes,
        retried_uploads: done.iter().map(|d| d.retries).sum(),
        callbacks,
        catalogue_packages,
        p50: at(0.5),
        p99: at(0.99),
        max: latencies.last().copied().unwrap_or_default(),
    }
}

/// Uploads variant `tag`, waits for its callback, and checks the status says the same.
async fn onboard_one(tp: &Endpoints, example: &Example, tag: String) -> anyhow::Result<Done> {
    let bytes = example.variant(&tag)?;
    let started = Instant::now();
    let (process_id, retries) = upload_retrying(tp, &tag, bytes).await?;
    let path = format!("/callbacks/{tag}");
    let event = wait_long(tp, &path, Duration::from_secs(900))
        .await
        .with_context(|| format!("{tag} ({process_id})"))?;
    let latency = started.elapsed();
    anyhow::ensure!(
        event["package_process_uuid"] == process_id.as_str(),
        "{tag}: callback about another process: {event}"
    );
    let status = client::status(tp, &process_id).await?;
    anyhow::ensure!(
        status == event,
        "{tag}: status and callback differ:\nstatus:   {status}\ncallback: {event}"
    );
    Ok(Done {
        tag,
        outcome: Outcome { process_id, event },
        latency,
        retries,
    })
}

/// `POST /api/v3/packages`; a 503 (the packager's queue is full) is sent again after its
/// `Retry-After` (at most 2 s). The process id and how many retries it took.
async fn upload_retrying(
    tp: &Endpoints,
    tag: &str,
    bytes: Vec<u8>,
) -> anyhow::Result<(String, usize)> {
    let callback_url = faults::callback_url(tp, tag);
    for retries in 0..100 {
        let part = multipart::Part::bytes(bytes.clone())
            .file_name(format!("{tag}.tgo"))
            .mime_str("application/zip")?;
        let form = multipart::Form::new()
            .text("callback_url", callback_url.clone())
            .part("package", part);
        let response = tp
            .http
            .post(format!("{}/packages", tp.gatekeeper()))
            .multipart(form)
            .send()
            .await?;
        let code = response.status();
        let wait = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(1)
            .min(2);
        let body: Value = response.json().await.context("upload answer")?;
        if code == StatusCode::SERVICE_UNAVAILABLE {
            tokio::time::sleep(Duration::from_secs(wait)).await;
            continue;
        }
        anyhow::ensure!(
            code == StatusCode::OK,
            "{tag}: upload answered {code}: {body}"
        );
        let id = body["package_process_uuid"]
            .as_str()
            .context("no package_process_uuid")?;
        return Ok((id.to_owned(), retries));
    }
    anyhow::bail!("{tag}: the upload was refused 100 times")
}

/// The first callback on `path`, long-polling callback-mock in 30 s steps up to `limit`.
async fn wait_long(tp: &Endpoints, path: &str, limit: Duration) -> anyhow::Result<Value> {
    let deadline = Instant::now() + limit;
    loop {
        match client::wait_callback(tp, path, Duration::from_secs(30)).await {
            Ok(event) => return Ok(event),
            Err(e) if Instant::now() >= deadline => return Err(e),
            Err(_) => {}
        }
    }
}

/// Every package's callback was accepted exactly once (one delivery, one accepted attempt),
/// and callback-mock got nothing else. Returns the number of accepted callbacks.
async fn check_callbacks(tp: &Endpoints, done: &[Done]) -> anyhow::Result<usize> {
    let callbacks = client::received(tp, None).await?;
    let mut per_path: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &callbacks {
        *per_path
            .entry(c["path"].as_str().unwrap_or(""))
            .or_insert(0) += 1;
    }
    let twice: Vec<_> = per_path.iter().filter(|(_, n)| **n != 1).collect();
    anyhow::ensure!(
        twice.is_empty(),
        "paths not called back exactly once: {twice:?}"
    );
    let expected: BTreeSet<String> = done
        .iter()
        .map(|d| format!("/callbacks/{}", d.tag))
        .collect();
    let got: BTreeSet<String> = per_path.keys().map(|p| (*p).to_owned()).collect();
    anyhow::ensure!(
        got == expected,
        "{} callback paths, {} packages; unexpected: {:?}",
        got.len(),
        expected.len(),
        got.difference(&expected).take(5).collect::<Vec<_>>()
    );
    Ok(callbacks.len())
}

/// The catalogue lists exactly the successes' packages (its own API, every page), and its
/// `Record-Count` says as many (the count may lag its writes by a second or so). A failed
/// process whose bundle was committed while its answer was lost (the catalogue killed) is
/// removed by the packager's cancel once the catalogue is back (ADR-23), retried 1 s, 2 s,
/// 4 s ... apart: the list is given 30 s to settle before it is compared.
async fn check_catalogue(tp: &Endpoints, done: &[Done]) -> anyhow::Result<usize> {
    let successes: BTreeSet<String> = done
        .iter()
        .filter(|d| d.outcome.status() == "success")
        .filter_map(|d| d.outcome.package_id().map(str::to_owned))
        .collect();
    let wanted = &successes;
    // A timeout here is reported by the comparison below, with what differs.
    let _ = faults::wait_until(
        Duration::from_secs(30),
        "the catalogue to list exactly the successes",
        move || async move {
            let listed = faults::catalogue_uuids(tp, "packages").await?;
            Ok((&listed == wanted).then_some(()))
        },
    )
    .await;
    let listed = faults::catalogue_uuids(tp, "packages").await?;
    anyhow::ensure!(
        listed == successes,
        "the catalogue lists {} packages, {} on-boarded; extra {:?}, missing {:?}",
        listed.len(),
        successes.len(),
        listed.difference(&successes).take(5).collect::<Vec<_>>(),
        successes.difference(&listed).take(5).collect::<Vec<_>>()
    );
    let expected = successes.len().to_string();
    let expected = expected.as_str();
    faults::wait_until(
        Duration::from_secs(10),
        "the catalogue's Record-Count",
        move || async move {
            let response = tp
                .http
                .get(faults::catalogue_url(tp, "packages"))
                .query(&[("page_size", "1")])
                .send()
                .await?;
            let count = response
                .headers()
                .get("record-count")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            Ok((count.as_deref() == Some(expected)).then_some(()))
        },
    )
    .await?;
    Ok(listed.len())
}
