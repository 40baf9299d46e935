//! What the fault tests (tests/faults.rs) share: uploads that each get their own callback path
//! at callback-mock, waiting for those callbacks, and the services' own APIs (the catalogue's
//! collections, the packager's status of a process) read directly.

use std::{collections::BTreeSet, time::Duration};

use anyhow::Context;
use reqwest::StatusCode;
use serde_json::Value;

use crate::{
    client::{self, Outcome},
    packages::Example,
    session::Endpoints,
};
use platform::Service;

/// One upload whose callback goes to callback-mock's `/callbacks/<tag>`.
#[derive(Debug, Clone)]
pub struct Tracked {
    pub tag: String,
    pub process_id: String,
}

impl Tracked {
    /// callback-mock's path for this upload.
    pub fn path(&self) -> String {
        format!("/callbacks/{}", self.tag)
    }
}

/// The callback URL of `tag` at the platform's callback-mock.
pub fn callback_url(tp: &Endpoints, tag: &str) -> String {
    format!("{}/callbacks/{tag}", tp.callback_mock())
}

/// Uploads `bytes` through the gatekeeper with the callback of `tag`; expects it accepted.
pub async fn upload_tracked(tp: &Endpoints, tag: &str, bytes: Vec<u8>) -> anyhow::Result<Tracked> {
    let process_id = client::upload(
        tp,
        bytes,
        &format!("{tag}.tgo"),
        &[],
        &callback_url(tp, tag),
    )
    .await
    .with_context(|| format!("upload {tag}"))?;
    Ok(Tracked {
        tag: tag.to_owned(),
        process_id,
    })
}

/// Uploads one distinct variant of the example per tag, one after the other.
pub async fn upload_variants(
    tp: &Endpoints,
    example: &Example,
    tags: &[String],
) -> anyhow::Result<Vec<Tracked>> {
    let mut tracked = Vec::new();
    for tag in tags {
        tracked.push(upload_tracked(tp, tag, example.variant(tag)?).await?);
    }
    Ok(tracked)
}

/// Uploads one distinct variant of the example per tag, all at the same time.
pub async fn upload_variants_at_once(
    tp: &Endpoints,
    example: &Example,
    tags: &[String],
) -> anyhow::Result<Vec<Tracked>> {
    let uploads = tags.iter().map(|tag| async move {
        let bytes = example.variant(tag)?;
        upload_tracked(tp, tag, bytes).await
    });
    futures_util::future::join_all(uploads)
        .await
        .into_iter()
        .collect()
}

/// `<prefix>-0`, `<prefix>-1`, ...: distinct variant tags.
pub fn tags(prefix: &str, count: usize) -> Vec<String> {
    (0..count).map(|n| format!("{prefix}-{n}")).collect()
}

/// Waits for each upload's callback and checks that it is about that process and that the
/// gatekeeper's status says the same; the outcomes in the order given.
pub async fn outcomes(
    tp: &Endpoints,
    tracked: &[Tracked],
    timeout: Duration,
) -> anyhow::Result<Vec<Outcome>> {
    let mut outcomes = Vec::new();
    for t in tracked {
        let event = client::wait_callback(tp, &t.path(), timeout)
            .await
            .with_context(|| format!("callback of {}", t.tag))?;
        anyhow::ensure!(
            event["package_process_uuid"] == t.process_id.as_str(),
            "{}: callback about another process: {event}",
            t.tag
        );
        let status = client::status(tp, &t.process_id).await?;
        anyhow::ensure!(
            status == event,
            "{}: status and callback differ:\nstatus:   {status}\ncallback: {event}",
            t.tag
        );
        outcomes.push(Outcome {
            process_id: t.process_id.clone(),
            event,
        });
    }
    Ok(outcomes)
}

/// Every outcome has `status` and, when given, `code`; the list of what did not.
pub fn mismatches(outcomes: &[Outcome], status: &str, code: Option<&str>) -> Vec<String> {
    outcomes
        .iter()
        .filter(|o| o.status() != status || code.is_some_and(|c| o.error_code() != c))
        .map(|o| {
            format!(
                "{}: {} [{}] {}",
                o.process_id,
                o.status(),
                o.error_code(),
                o.error()
            )
        })
        .collect()
}

/// Each upload's callback was accepted exactly once: one delivery id, one accepted attempt.
pub async fn delivered_once(tp: &Endpoints, tracked: &[Tracked]) -> anyhow::Result<()> {
    for t in tracked {
        let got = client::received(tp, Some(&t.path())).await?;
        let ids: BTreeSet<&str> = got
            .iter()
            .filter_map(|c| c["delivery_id"].as_str())
            .collect();
        anyhow::ensure!(
            got.len() == 1 && ids.len() == 1,
            "{}: {} accepted callbacks with {} delivery ids",
            t.tag,
            got.len(),
            ids.len()
        );
    }
    Ok(())
}

/// `http://127.0.0.1:<port>/api/catalogues/v2/<route>`.
pub fn catalogue_url(tp: &Endpoints, route: &str) -> String {
    format!(
        "{}/api/catalogues/v2/{route}",
        tp.base_url(Service::Catalogue)
    )
}

/// The uuids of every record of a catalogue collection (`packages`, `vnfs`,
/// `network-services`, `files`, `tgo-packages`), read page by page from the catalogue itself.
pub async fn catalogue_uuids(tp: &Endpoints, route: &str) -> anyhow::Result<BTreeSet<String>> {
    const PAGE: usize = 1000;
    let mut uuids = BTreeSet::new();
    for page in 0.. {
        let response = tp
            .http
            .get(catalogue_url(tp, route))
            .query(&[
                ("page_size", PAGE.to_string()),
                ("page_number", page.to_string()),
            ])
            .header("Accept", "application/json")
            .send()
            .await?;
        anyhow::ensure!(
            response.status() == StatusCode::OK,
            "catalogue {route} answered {}",
            response.status()
        );
        let body: Value = response.json().await?;
        let records = body.as_array().context("a catalogue list is an array")?;
        uuids.extend(
            records
                .iter()
                .filter_map(|r| r["uuid"].as_str().map(str::to_owned)),
        );
        if records.len() < PAGE {
            break;
        }
    }
    Ok(uuids)
}

/// How many records of each descriptor and file collection the catalogue holds.
pub async fn catalogue_contents(tp: &Endpoints) -> anyhow::Result<Vec<(&'static str, usize)>> {
    let mut counts = Vec::new();
    for route in [
        "packages",
        "network-services",
        "vnfs",
        "files",
        "tgo-packages",
    ] {
        counts.push((route, catalogue_uuids(tp, route).await?.len()));
    }
    Ok(counts)
}

/// The packager's own status of a process (`GET /api/v1/packages/status/<id>`), any answer.
pub async fn packager_status(tp: &Endpoints, id: &str) -> anyhow::Result<(StatusCode, Value)> {
    let url = format!(
        "{}/api/v1/packages/status/{id}",
        tp.base_url(Service::Packager)
    );
    let response = tp.http.get(url).send().await?;
    let code = response.status();
    Ok((code, response.json().await.unwrap_or_default()))
}

/// Polls `probe` every 50 ms until it gives a value, at most `limit`.
pub async fn wait_until<T, F, Fut>(limit: Duration, what: &str, mut probe: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(value) = probe().await? {
            return Ok(value);
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "{what}: not within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A whole number of seconds from an environment variable, or `default`.
pub fn env_secs(name: &str, default: u64) -> anyhow::Result<Duration> {
    match platform::env_text(name) {
        Some(raw) => raw
            .parse()
            .map(Duration::from_secs)
            .with_context(|| format!("{name}={raw:?} must be a whole number of seconds")),
        None => Ok(Duration::from_secs(default)),
    }
}
