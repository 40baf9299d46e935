//! P4: the catalogue holding many descriptors (loaded through its own API, as the packager
//! stores them), then sequential requests: list pages, filtered queries and `version=last`.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use anyhow::{bail, Result};
use futures_util::{stream, StreamExt};
use serde_json::json;

use super::Options;
use crate::{platform::Platform, report::Report, stats};

const VENDORS: usize = 100;
const VERSIONS: usize = 10;

/// Descriptor `i`: 100 vendors, names shared by 10 versions each.
fn descriptor(i: usize) -> serde_json::Value {
    let group = i / VERSIONS;
    json!({
        "descriptor_schema": "https://raw.githubusercontent.com/sonata-nfv/tng-schema/master/function-descriptor/vnfd-schema.yml",
        "vendor": format!("eu.bench.v{}", group % VENDORS),
        "name": format!("vnf-{group}"),
        "version": format!("0.{}", i % VERSIONS),
        "author": "bench",
        "description": format!("benchmark VNF {i}"),
        "virtual_deployment_units": [{"id": "vdu01", "vm_image": format!("image-{}", i % 97), "resource_requirements": {"cpu": {"vcpus": 1 + i % 4}, "memory": {"size": 512 * (1 + i % 8), "size_unit": "MB"}}}]
    })
}

async fn load(http: &reqwest::Client, base: &str, count: usize) -> Result<Duration> {
    let start = Instant::now();
    let done = Arc::new(AtomicUsize::new(0));
    let results = stream::iter(0..count)
        .map(|i| {
            let (http, done) = (http.clone(), done.clone());
            let url = format!("{base}/vnfs");
            async move {
                let r = http.post(url).json(&descriptor(i)).send().await?;
                if !r.status().is_success() {
                    bail!(
                        "loading descriptor {i}: {} {}",
                        r.status(),
                        r.text().await.unwrap_or_default()
                    );
                }
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if n % 10_000 == 0 {
                    println!(
                        "P4 loaded {n} descriptors ({:.0}s)",
                        start.elapsed().as_secs_f64()
                    );
                }
                anyhow::Ok(())
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    results.into_iter().collect::<Result<Vec<()>>>()?;
    Ok(start.elapsed())
}

/// Time `samples` GETs of the URLs `make(i)` yields, one at a time; each must answer 200.
async fn sample(
    http: &reqwest::Client,
    samples: usize,
    make: impl Fn(usize) -> String,
) -> Result<Vec<Duration>> {
    let mut out = Vec::with_capacity(samples);
    for i in 0..samples {
        let url = make(i);
        let start = Instant::now();
        let r = http
            .get(&url)
            .header("Accept", "application/json")
            .send()
            .await?;
        let status = r.status();
        let body = r.bytes().await?;
        out.push(start.elapsed());
        if !status.is_success() {
            bail!("{url}: {status} {}", String::from_utf8_lossy(&body));
        }
    }
    Ok(out)
}

/// Waits until the catalogue's field indexer has no descriptor waiting (ADR-30), so the
/// queries meet the catalogue as it is once loaded, not while it catches up; how long.
async fn index_caught_up(http: &reqwest::Client, base: &str) -> Result<Duration> {
    const PATIENCE: Duration = Duration::from_secs(900);
    let start = Instant::now();
    loop {
        let state: serde_json::Value = http
            .get(format!("{base}/field-index"))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let waiting = state["waiting"].as_u64().unwrap_or(u64::MAX);
        if waiting == 0 {
            return Ok(start.elapsed());
        }
        if start.elapsed() > PATIENCE {
            bail!("the field index is {waiting} descriptors behind after {PATIENCE:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

pub async fn p4(platform: &Platform, options: &Options, report: &mut Report) -> Result<()> {
    let http = reqwest::Client::new();
    let base = platform.catalogue.clone();
    let count = options.p4_descriptors;
    let backend = platform.backend.name();
    let took = load(&http, &base, count).await?;
    report.add(
        "P4",
        backend,
        format!("load {count} VNFDs over HTTP (8 at once)"),
        format!("{:.0} /s", count as f64 / took.as_secs_f64()),
        "-",
    );
    let caught_up = index_caught_up(&http, &base).await?;
    report.add(
        "P4",
        backend,
        "field index caught up, after the load".to_owned(),
        format!("{:.1} s", caught_up.as_secs_f64()),
        "-",
    );
    let n = options.p4_samples;
    let groups = count.div_ceil(VERSIONS);
    let pages = count.div_ceil(100);
    // A spread of pages, first and deep ones alike (a stride prime to the page count).
    let mut list = sample(&http, n, |i| {
        format!(
            "{base}/vnfs?page_size=100&page_number={}",
            (i * 7919) % pages
        )
    })
    .await?;
    let mut first = sample(&http, n, |_| {
        format!("{base}/vnfs?page_size=100&page_number=0")
    })
    .await?;
    let mut filtered = sample(&http, n, |i| {
        let g = (i * 7919) % groups;
        format!("{base}/vnfs?vendor=eu.bench.v{}&name=vnf-{g}", g % VENDORS)
    })
    .await?;
    let mut deep = sample(&http, n, |i| {
        format!(
            "{base}/vnfs?virtual_deployment_units.vm_image=image-{}&page_size=100",
            i % 97
        )
    })
    .await?;
    let mut deep_key = sample(&http, n, |i| {
        format!(
            "{base}/vnfs?memory_size={}&page_size=100",
            512 * (1 + i % 8)
        )
    })
    .await?;
    let mut ordering = sample(&http, n, |i| {
        format!(
            "{base}/vnfs?virtual_deployment_units.vm_image.gte=image-9{}&page_size=100",
            i % 7 + 3
        )
    })
    .await?;
    let mut last = sample(&http, n, |i| {
        let g = (i * 7919) % groups;
        format!(
            "{base}/vnfs?vendor=eu.bench.v{}&name=vnf-{g}&version=last",
            g % VENDORS
        )
    })
    .await?;
    let mut last_all = sample(&http, n.min(50), |i| {
        format!(
            "{base}/vnfs?version=last&page_size=100&page_number={}",
            i % 100
        )
    })
    .await?;
    for (name, samples) in [
        ("list page (100), random page_number", &mut list),
        ("list page (100), page 0", &mut first),
        ("filter vendor+name (10 hits)", &mut filtered),
        ("filter field vm_image (1%), page 100", &mut deep),
        (
            "filter deep key memory_size (12.5%), page 100",
            &mut deep_key,
        ),
        (
            "filter field order vm_image.gte (0-4%), page 100",
            &mut ordering,
        ),
        ("version=last for vendor+name", &mut last),
        ("version=last over all, page 100", &mut last_all),
    ] {
        let count = samples.len();
        let p50 = stats::percentile(samples, 50.0);
        let p99 = stats::percentile(samples, 99.0);
        report.add(
            "P4",
            backend,
            format!("{name}: p50 / p99 ({count})"),
            format!("{} / {}", stats::ms(p50), stats::ms(p99)),
            "p99 <= 10 ms",
        );
    }
    Ok(())
}
