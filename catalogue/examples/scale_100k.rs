//! Loads 100,000 VNF descriptors through the HTTP API into each backend (SQLite, then
//! PostgreSQL), then prints p50 / p99 latencies of list pages, filtered queries, counts and
//! `version=last`.
//!
//! `cargo run --release -p catalogue --example scale_100k [records] [repeats] [sqlite|postgres]`
//! PostgreSQL from `TEST_DATABASE_URL` (default postgres://postgres@127.0.0.1:5432/postgres);
//! a fresh database is created and dropped. Data: 20 vendors x 10,000 names x 10 versions
//! (10,000 name/vendor groups), 1,000 VM images, memory sizes 0..15.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use futures_util::{stream, StreamExt};
use serde_json::{json, Value};
use sqlx::{Connection, Executor, PgConnection};

const DEFAULT_PG: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const LOAD_CONCURRENCY: usize = 16;

/// The queries measured (after `/vnfs?`), with what they exercise.
const QUERIES: &[(&str, &str)] = &[
    ("page 0", "page_size=100"),
    ("page 500 (offset 50,000)", "page_size=100&page_number=500"),
    ("page 999 (offset 99,900)", "page_size=100&page_number=999"),
    ("vendor=", "vendor=v3&page_size=100"),
    ("vendor+name (identity)", "vendor=v2&name=n42"),
    (
        "field equality",
        "virtual_deployment_units.vm_image=img7&page_size=100",
    ),
    (
        "field order",
        "virtual_deployment_units.resource_requirements.cpu.vcpus.gt=3&page_size=100",
    ),
    ("deep key", "memory_size.gte=15&page_size=100"),
    (
        "status+username",
        "status=active&username=bench&page_size=100",
    ),
    ("count", "count"),
    ("count vendor=", "count&vendor=v3"),
    ("version=last", "version=last&page_size=100"),
    (
        "version=last vendor=",
        "version=last&vendor=v3&page_size=100",
    ),
];

fn descriptor(i: usize) -> Value {
    json!({
        "descriptor_schema": "https://example.org/vnfd-schema.yml",
        "vendor": format!("v{}", i % 20),
        "name": format!("n{}", i % 10_000),
        "version": format!("1.{}", i / 10_000),
        "author": "scale benchmark",
        "description": format!("descriptor number {i} of the scale benchmark"),
        "virtual_deployment_units": [{
            "id": "vdu01",
            "vm_image": format!("img{}", i % 1000),
            "vm_image_format": "qcow2",
            "resource_requirements": {
                "cpu": {"vcpus": 1 + i % 4},
                "memory": {"size": i % 16, "size_unit": "GB"},
                "storage": {"size": 10, "size_unit": "GB"}
            },
            "connection_points": [{"id": "eth0", "interface": "ipv4", "type": "internal"}]
        }],
        "connection_points": [{"id": "mgmt", "interface": "ipv4", "type": "management"}]
    })
}

async fn load(client: &reqwest::Client, base: &str, records: usize) -> Duration {
    let started = Instant::now();
    let posts = stream::iter(0..records).map(|i| {
        let body = descriptor(i).to_string();
        async move {
            let response = client
                .post(format!("{base}/vnfs?username=bench"))
                .header("Content-Type", "application/json")
                .body(body)
                .send()
                .await
                .expect("POST /vnfs");
            assert_eq!(response.status(), 201, "record {i}");
        }
    });
    posts
        .buffer_unordered(LOAD_CONCURRENCY)
        .collect::<Vec<()>>()
        .await;
    started.elapsed()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

async fn measure(client: &reqwest::Client, base: &str, backend: &str, repeats: usize) {
    for (label, query) in QUERIES {
        let url = format!("{base}/vnfs?{query}");
        let mut times = Vec::with_capacity(repeats);
        let mut answer = String::new();
        // One warm-up request (page cache, prepared statement), then `repeats` timed ones.
        for round in 0..=repeats {
            let started = Instant::now();
            let response = client
                .get(&url)
                .header("Accept", "application/json")
                .send()
                .await
                .expect("GET");
            assert_eq!(response.status(), 200, "{url}");
            let total = response
                .headers()
                .get("record-count")
                .map(|v| v.to_str().unwrap().to_owned());
            let body: Value = response.json().await.expect("JSON");
            if round > 0 {
                times.push(started.elapsed());
            }
            answer = match (body.as_array(), total) {
                (Some(items), Some(total)) => format!("{} of {total}", items.len()),
                _ => body.to_string(),
            };
        }
        times.sort();
        println!(
            "{backend:<10} {label:<26} p50 {:>8.2} ms  p99 {:>8.2} ms  ({answer})",
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
    }
}

async fn run(url: String, backend: &str, records: usize, repeats: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let vacuum_url = url.starts_with("postgres").then(|| url.clone());
    let vacuum_url = vacuum_url.as_deref();
    let url_for_queue = url.clone();
    let mut config = catalogue::Config::for_testing(url, dir.path().join("blobs"));
    config.workers = Some(2);
    config.db_max_connections = 10;
    // The field index and its indexer as the service's defaults have them (ADR-30), unless
    // the environment says otherwise.
    config.field_index = std::env::var("CATALOGUE_FIELD_INDEX").map_or(true, |v| v != "false");
    config.field_index_interval = Some(Duration::from_millis(
        catalogue::config::DEFAULT_FIELD_INDEX_INTERVAL_MS,
    ));
    config.field_index_batch = catalogue::config::field_index_batch()?;
    let indexed = config.field_index;
    let app = catalogue::build(config).await?;
    let base = format!("http://127.0.0.1:{}/api/catalogues/v2", app.port());
    let server = tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let took = load(&client, &base, records).await;
    println!(
        "{backend:<10} loaded {records} descriptors in {:.1} s ({:.0}/s)",
        took.as_secs_f64(),
        records as f64 / took.as_secs_f64()
    );
    if indexed {
        let drained = wait_for_the_indexer(&url_for_queue, took).await?;
        println!(
            "{backend:<10} field index written {:.1} s after the load ({:.0} descriptors/s in all)",
            (drained - took).as_secs_f64(),
            records as f64 / drained.as_secs_f64()
        );
    }
    if let Some(url) = vacuum_url {
        // What autovacuum does shortly after a bulk load: statistics and the visibility map
        // (index-only counts). SQLite runs on the statistics of its migration 3.
        let mut conn = PgConnection::connect(url).await?;
        conn.execute("VACUUM ANALYZE").await?;
        println!("{backend:<10} VACUUM ANALYZE done");
    }
    measure(&client, &base, backend, repeats).await;
    server.abort();
    Ok(())
}

/// Waits until the field indexer's queue is empty; the time since the load started.
async fn wait_for_the_indexer(url: &str, loaded: Duration) -> anyhow::Result<Duration> {
    let repo = catalogue::storage::connect(url, 1, false).await?;
    let started = Instant::now() - loaded;
    loop {
        let queued: i64 = match &repo {
            catalogue::storage::Repository::Postgres(pool) => {
                sqlx::query_scalar(QUEUED).fetch_one(pool).await?
            }
            catalogue::storage::Repository::Sqlite(pool) => {
                sqlx::query_scalar(QUEUED).fetch_one(pool).await?
            }
        };
        if queued == 0 {
            return Ok(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const QUEUED: &str = "SELECT count(*) FROM descriptor_fields_pending";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let records: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let repeats: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(50);
    let only = args.next();

    if only.as_deref() != Some("postgres") {
        let dir = tempfile::tempdir()?;
        let sqlite = format!("sqlite://{}?mode=rwc", dir.path().join("cat.db").display());
        run(sqlite, "sqlite", records, repeats).await?;
    }
    if only.as_deref() == Some("sqlite") {
        return Ok(());
    }

    let admin = std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_PG.to_owned());
    let name = format!("catalogue_scale_{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::connect(&admin).await?;
    conn.execute(format!("CREATE DATABASE \"{name}\"").as_str())
        .await?;
    let (server, _) = admin.rsplit_once('/').expect("a database path");
    let outcome = run(format!("{server}/{name}"), "postgres", records, repeats).await;
    if std::env::var_os("SCALE_KEEP_DATABASE").is_some() {
        println!("postgres   kept database {name}");
        return outcome;
    }
    conn.execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
        .await?;
    outcome
}
