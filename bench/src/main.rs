//! `cargo run --release -p bench -- <p1|p2|p3|p4|all> [--backend sqlite|postgres|both]`
//! Builds nothing itself: the service binaries come from `target/release` (or `--bin-dir`).

use std::{path::PathBuf, time::Duration};

use anyhow::Result;
use bench::{
    platform::{Backend, Platform, Settings},
    report::Report,
    scenarios::{self, Options},
};
use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scenario {
    P1,
    P2,
    P3,
    P4,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backends {
    Sqlite,
    Postgres,
    Both,
}

#[derive(Debug, Parser)]
#[command(about = "Benchmarks P1-P4 (issue 7) against the release binaries as separate processes")]
struct Args {
    scenario: Scenario,
    #[arg(long, value_enum, default_value = "both")]
    backend: Backends,
    /// Folder of the release binaries (catalogue, packager, gatekeeper-common, callback-mock).
    #[arg(long, env = "BENCH_BIN_DIR", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/release"))]
    bin_dir: PathBuf,
    /// PostgreSQL admin URL; two fresh databases are created under it and dropped after.
    #[arg(
        long,
        env = "BENCH_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    database_url: String,
    #[arg(long, env = "FIXTURES_DIR", default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures"))]
    fixtures: PathBuf,
    /// `RUST_LOG` of the services.
    #[arg(long, default_value = "warn")]
    service_log: String,
    #[arg(long, default_value_t = 500)]
    p1_runs: usize,
    #[arg(long, default_value_t = 16)]
    p2_clients: usize,
    #[arg(long, default_value_t = 60)]
    p2_seconds: u64,
    #[arg(long, default_value_t = 1024)]
    p3_mib: u64,
    #[arg(long, default_value_t = 100_000)]
    p4_descriptors: usize,
    #[arg(long, default_value_t = 200)]
    p4_samples: usize,
    /// Pause between status polls of one upload, in milliseconds (P1, P4).
    #[arg(long, default_value_t = 1)]
    poll_ms: u64,
    /// Pause between status polls in P2: 16 clients polling every millisecond would be a load
    /// of their own.
    #[arg(long, default_value_t = 20)]
    p2_poll_ms: u64,
    /// How long one status question waits for the process to finish (`?wait=`), in seconds;
    /// 0 polls with the pauses above instead, as clients without `wait` do.
    #[arg(long, default_value_t = 10.0, value_parser = parse_seconds)]
    status_wait_s: f64,
    /// Extra `KEY=VALUE` environment for every service (repeatable).
    #[arg(long = "env", value_parser = parse_env)]
    extra_env: Vec<(String, String)>,
    /// Keep each platform's temp dir (service logs, e.g. with `--service-log info` for the
    /// per-stage timings) after a successful run too; its path is printed.
    #[arg(long)]
    keep_logs: bool,
}

fn parse_seconds(raw: &str) -> Result<f64, String> {
    match raw.parse::<f64>() {
        Ok(s) if s.is_finite() && (0.0..=3600.0).contains(&s) => Ok(s),
        _ => Err(format!("{raw:?} is not a number of seconds from 0 to 3600")),
    }
}

fn parse_env(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("{text:?} is not KEY=VALUE"))
}

async fn run_one(
    scenario: Scenario,
    backend: Backend,
    settings: &Settings,
    options: &Options,
    report: &mut Report,
    keep_logs: bool,
) -> Result<()> {
    let platform = Platform::start(backend, settings).await?;
    let result = match scenario {
        Scenario::P1 => scenarios::p1(&platform, options, report).await,
        Scenario::P2 => scenarios::p2(&platform, options, report).await,
        Scenario::P3 => scenarios::p3(&platform, options, report).await,
        Scenario::P4 => scenarios::p4(&platform, options, report).await,
        Scenario::All => unreachable!("expanded by main"),
    };
    if let Err(error) = &result {
        let kept = platform.abandon().await;
        eprintln!(
            "{scenario:?} on {}: {error:#} (service logs kept in {})",
            backend.name(),
            kept.display()
        );
        return result;
    }
    if keep_logs {
        let kept = platform.abandon().await;
        println!(
            "{scenario:?} on {}: service logs kept in {}",
            backend.name(),
            kept.display()
        );
        return result;
    }
    platform.stop().await?;
    result
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let settings = Settings {
        bin_dir: args.bin_dir.clone(),
        admin_url: args.database_url.clone(),
        log: args.service_log.clone(),
        extra_env: args.extra_env.clone(),
    };
    let options = Options {
        example: args
            .fixtures
            .join("packages/5gtango-ns-package-example.tgo"),
        p1_runs: args.p1_runs,
        p2_clients: args.p2_clients,
        p2_duration: Duration::from_secs(args.p2_seconds),
        p3_bytes: args.p3_mib * 1024 * 1024,
        p4_descriptors: args.p4_descriptors,
        p4_samples: args.p4_samples,
        poll: Duration::from_millis(args.poll_ms),
        p2_poll: Duration::from_millis(args.p2_poll_ms),
        status_wait: Duration::from_secs_f64(args.status_wait_s),
    };
    let scenarios = match args.scenario {
        Scenario::All => vec![Scenario::P1, Scenario::P2, Scenario::P3, Scenario::P4],
        one => vec![one],
    };
    let backends = match args.backend {
        Backends::Sqlite => vec![Backend::Sqlite],
        Backends::Postgres => vec![Backend::Postgres],
        Backends::Both => vec![Backend::Sqlite, Backend::Postgres],
    };
    let mut report = Report::default();
    let mut failed = false;
    for scenario in scenarios {
        for &backend in &backends {
            failed |= run_one(
                scenario,
                backend,
                &settings,
                &options,
                &mut report,
                args.keep_logs,
            )
            .await
            .is_err();
        }
    }
    println!("\n{}", report.markdown());
    if failed {
        anyhow::bail!("at least one scenario failed (see above)");
    }
    Ok(())
}
