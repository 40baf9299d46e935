//! P1: one client, the canonical example (a distinct name per run), POST to terminal status.

use anyhow::{bail, Result};

use super::{tag, Options};
use crate::{client::Gatekeeper, package::Example, platform::Platform, report::Report, stats};

pub async fn p1(platform: &Platform, options: &Options, report: &mut Report) -> Result<()> {
    let example = Example::load(&options.example)?;
    let gk = Gatekeeper::new(&platform.gatekeeper, options.poll, options.status_wait);
    // Warm-up: connections, prepared statements, page cache.
    for n in 0..10 {
        gk.onboard(example.variant(&tag("w1", n))?, "example.tgo", None)
            .await?;
    }
    let mut samples = Vec::with_capacity(options.p1_runs);
    for n in 0..options.p1_runs {
        let bytes = example.variant(&tag("p1", n))?;
        let outcome = gk.onboard(bytes, "example.tgo", None).await?;
        if !outcome.succeeded() {
            bail!("P1 run {n} did not succeed: {}", outcome.describe());
        }
        samples.push(outcome.elapsed);
    }
    let backend = platform.backend.name();
    let runs = samples.len();
    report.add(
        "P1",
        backend,
        format!("latency p50 ({runs} runs)"),
        stats::ms(stats::percentile(&mut samples, 50.0)),
        "<= 15 ms",
    );
    report.add(
        "P1",
        backend,
        format!("latency p99 ({runs} runs)"),
        stats::ms(stats::percentile(&mut samples, 99.0)),
        "<= 50 ms",
    );
    report.add(
        "P1",
        backend,
        "latency max",
        stats::ms(stats::percentile(&mut samples, 100.0)),
        "-",
    );
    Ok(())
}
