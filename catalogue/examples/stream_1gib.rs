//! Stores and reads back a 1 GiB file through the HTTP API and prints the peak resident
//! memory of the process (server and client together, so an upper bound for the service).
//!
//! `cargo run -p catalogue --example stream_1gib [size-in-MiB]` (Linux: reads /proc).
//! With `CATALOGUE_BLOB_STORE=s3://bucket/prefix` (and the `AWS_*` variables) the bytes go to
//! that S3-compatible store instead of a temporary directory.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::print_stdout)]

use futures_util::StreamExt;
use sha2::{Digest, Sha256};

const CHUNK: usize = 1024 * 1024;

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn chunk(i: usize) -> Vec<u8> {
    (0..CHUNK).map(|j| (i.wrapping_mul(7) ^ j) as u8).collect()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mib: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1024);
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("cat.db").display());
    let mut config = catalogue::Config::for_testing(url, dir.path().join("blobs"));
    if let Ok(store) = std::env::var("CATALOGUE_BLOB_STORE") {
        config.blob_store = catalogue::config::BlobStoreUrl::parse(&store)?;
    }
    println!("blob store: {:?}", config.blob_store);
    let app = catalogue::build(config).await?;
    let base = format!("http://127.0.0.1:{}/api/catalogues/v2", app.port());
    tokio::spawn(app.run_until_stopped());
    let before = peak_rss_kib();

    let mut expected = Sha256::new();
    for i in 0..mib {
        expected.update(chunk(i));
    }
    let expected = hex::encode(expected.finalize());
    let body = futures_util::stream::iter((0..mib).map(|i| Ok::<_, std::io::Error>(chunk(i))));
    let client = reqwest::Client::new();
    let started = std::time::Instant::now();
    let uploaded: serde_json::Value = client
        .post(format!("{base}/files"))
        .header("Content-Type", "application/octet-stream")
        .header("Content-Disposition", "attachment; filename=big.bin")
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await?
        .json()
        .await?;
    let Some(uuid) = uploaded["uuid"].as_str() else {
        anyhow::bail!("upload refused: {uploaded}");
    };
    let upload_time = started.elapsed();

    let response = client.get(format!("{base}/files/{uuid}")).send().await?;
    let etag = response.headers()["etag"]
        .to_str()?
        .trim_matches('"')
        .to_owned();
    let mut stream = response.bytes_stream();
    let (mut hasher, mut size) = (Sha256::new(), 0u64);
    while let Some(bytes) = stream.next().await {
        let bytes = bytes?;
        size += bytes.len() as u64;
        hasher.update(&bytes);
    }
    let got = hex::encode(hasher.finalize());
    println!("size: {size} bytes (expected {})", mib * CHUNK);
    println!("sha256 expected {expected}\n       etag     {etag}\n       received {got}");
    println!("upload {upload_time:?}, total {:?}", started.elapsed());
    println!(
        "peak RSS: {} MiB after start-up, {} MiB at the end",
        before / 1024,
        peak_rss_kib() / 1024
    );
    anyhow::ensure!(got == expected && etag == expected, "bytes differ");
    Ok(())
}
