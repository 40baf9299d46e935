//! P2: concurrent clients, distinct packages, on-boarded packages per second over a window.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Instant,
};

use anyhow::{bail, Result};

use super::{tag, Options};
use crate::{client::Gatekeeper, package::Example, platform::Platform, report::Report, stats};

pub async fn p2(platform: &Platform, options: &Options, report: &mut Report) -> Result<()> {
    let example = Arc::new(Example::load(&options.example)?);
    let gk = Gatekeeper::new(&platform.gatekeeper, options.p2_poll, options.status_wait);
    let counter = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let window = options.p2_duration;
    let mut tasks = Vec::new();
    for _ in 0..options.p2_clients {
        let (example, gk, counter) = (example.clone(), gk.clone(), counter.clone());
        tasks.push(tokio::spawn(async move {
            let mut done = Vec::new();
            let mut failed = Vec::new();
            while start.elapsed() < window {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let outcome = gk
                    .onboard(example.variant(&tag("p2", n))?, "example.tgo", None)
                    .await?;
                if outcome.succeeded() {
                    done.push((start.elapsed(), outcome.elapsed));
                } else {
                    failed.push(outcome.describe());
                }
            }
            anyhow::Ok((done, failed))
        }));
    }
    let mut finished = Vec::new();
    let mut failures = Vec::new();
    for task in tasks {
        let (done, failed) = task.await??;
        finished.extend(done);
        failures.extend(failed);
    }
    let wall = start.elapsed();
    let cpu: Vec<String> = platform
        .cpu_seconds()
        .iter()
        .map(|(name, secs)| format!("{name} {secs:.0}s"))
        .collect();
    if let Some(first) = failures.first() {
        bail!(
            "P2: {} of the uploads failed, first: {first}",
            failures.len()
        );
    }
    let in_window = finished.iter().filter(|(at, _)| *at <= window).count();
    let rate = in_window as f64 / window.as_secs_f64();
    let mut latencies: Vec<_> = finished.iter().map(|(_, l)| *l).collect();
    let backend = platform.backend.name();
    let clients = options.p2_clients;
    report.add(
        "P2",
        backend,
        format!("throughput, {clients} clients, {}s", window.as_secs()),
        format!("{rate:.1} pkg/s"),
        ">= 200 pkg/s",
    );
    report.add(
        "P2",
        backend,
        "packages terminal (all success)",
        format!("{} in {:.1}s", finished.len(), wall.as_secs_f64()),
        "all",
    );
    report.add(
        "P2",
        backend,
        "service CPU seconds in the run",
        cpu.join(", "),
        "-",
    );
    report.add(
        "P2",
        backend,
        "per-upload latency p50",
        stats::ms(stats::percentile(&mut latencies, 50.0)),
        "-",
    );
    report.add(
        "P2",
        backend,
        "per-upload latency p99",
        stats::ms(stats::percentile(&mut latencies, 99.0)),
        "-",
    );
    Ok(())
}
