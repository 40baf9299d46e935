//! P3: a package with one big artifact. Wall time upload -> terminal, divided by the time of
//! `sha256sum` plus `cp` of the same file in the same run; peak RSS of every service.

use std::{
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};

use super::{tag, Options};
use crate::{client::Gatekeeper, package::Example, platform::Platform, report::Report, stats};

fn timed(program: &str, args: &[&Path]) -> Result<Duration> {
    let start = Instant::now();
    let status = Command::new(program)
        .args(args)
        .status()
        .with_context(|| program.to_owned())?;
    if !status.success() {
        bail!("{program} failed: {status}");
    }
    Ok(start.elapsed())
}

pub async fn p3(platform: &Platform, options: &Options, report: &mut Report) -> Result<()> {
    let example = Example::load(&options.example)?;
    let package = platform.scratch().join("big.tgo");
    let built = Instant::now();
    example.write_big(&tag("p3", 0), options.p3_bytes, &package)?;
    println!(
        "P3 package {} built in {:.1}s",
        package.display(),
        built.elapsed().as_secs_f64()
    );
    let result = measure(platform, &package, options, report).await;
    let _ = std::fs::remove_file(&package);
    result
}

async fn measure(
    platform: &Platform,
    package: &Path,
    options: &Options,
    report: &mut Report,
) -> Result<()> {
    let size = std::fs::metadata(package)?.len();
    // The baseline of the same run: hash the bytes once and copy them once.
    let copy = platform.scratch().join("big-copy.tgo");
    let hash = timed("sha256sum", &[package])?;
    let cp = timed("cp", &[package, &copy])?;
    std::fs::remove_file(&copy)?;
    let baseline = hash + cp;
    let gk = Gatekeeper::new(
        &platform.gatekeeper,
        Duration::from_millis(20),
        options.status_wait,
    );
    let callback = format!("{}/api/v1/packages/on-change", platform.callback);
    let outcome = gk.onboard_file(package, Some(&callback)).await?;
    if !outcome.succeeded() {
        bail!("P3 upload did not succeed: {}", outcome.describe());
    }
    let ratio = outcome.elapsed.as_secs_f64() / baseline.as_secs_f64();
    let backend = platform.backend.name();
    let gib = size as f64 / f64::from(1u32 << 30);
    report.add(
        "P3",
        backend,
        format!("upload->terminal, {gib:.2} GiB package"),
        format!("{:.2} s", outcome.elapsed.as_secs_f64()),
        "-",
    );
    report.add(
        "P3",
        backend,
        "sha256sum + cp of the same file",
        format!(
            "{:.2} s ({:.2} + {:.2})",
            baseline.as_secs_f64(),
            hash.as_secs_f64(),
            cp.as_secs_f64()
        ),
        "-",
    );
    report.add("P3", backend, "ratio", format!("{ratio:.2}"), "<= 2");
    // Let the callback reach callback-mock so its peak counts too.
    tokio::time::sleep(Duration::from_secs(2)).await;
    for (name, kib) in platform.peak_rss_kib() {
        report.add(
            "P3",
            backend,
            format!("peak RSS (VmHWM) {name}"),
            stats::mib(kib),
            "<= 64 MiB",
        );
    }
    Ok(())
}
