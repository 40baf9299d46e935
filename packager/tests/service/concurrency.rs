//! Many uploads at once: the same package twice (one wins, one is a duplicate, one package
//! stored), and hundreds of distinct packages (every one reaches a terminal status).

use std::time::{Duration, Instant};

use futures_util::{stream, StreamExt};
use package_format::test_support::sample_package;
use serde_json::Value;

use crate::helpers::{code, form, on_both_backends, received, Backend, Platform, TestCatalogue};

on_both_backends!(
    two_concurrent_uploads_of_one_package_give_one_success_and_one_duplicate,
    three_hundred_parallel_uploads_all_reach_a_terminal_status,
);

async fn two_concurrent_uploads_of_one_package_give_one_success_and_one_duplicate(
    backend: Backend,
) {
    let p = Platform::start(backend).await;
    const ROUNDS: usize = 4;
    for round in 0..ROUNDS {
        let bytes = sample_package("eu.race", &format!("twin{round}"), "0.1");
        let (a, b) = tokio::join!(
            p.packager.accept(form(bytes.clone(), "a.tgo", None)),
            p.packager.accept(form(bytes, "b.tgo", None)),
        );
        let (a, b) = tokio::join!(p.packager.wait(&a), p.packager.wait(&b));
        let (winner, loser) = if a["package_process_status"] == "success" {
            (a, b)
        } else {
            (b, a)
        };
        assert_eq!(winner["package_process_status"], "success", "{winner}");
        assert_eq!(code(&loser), "duplicate-package", "{loser}");
        let uuid = winner["package_id"].as_str().unwrap();
        let message = loser["package_metadata"]["error"].as_str().unwrap();
        assert!(
            message.contains(uuid),
            "names the existing package: {message}"
        );
        // The loser's rollback kept every part the winner uses.
        for entry in winner["package_metadata"]["package_content"]
            .as_array()
            .unwrap()
        {
            let route = TestCatalogue::collection_of(entry).unwrap();
            let uuid = entry["uuid"].as_str().unwrap();
            let part = p.catalogue.get(&format!("{route}/{uuid}")).await;
            assert_eq!(part.status(), 200, "{route}/{uuid} after round {round}");
        }
    }
    let snapshot = p.catalogue.snapshot().await;
    for collection in ["packages", "network-services", "vnfs", "tgo-packages"] {
        let stored = snapshot[collection].len();
        assert_eq!(stored, ROUNDS, "{collection}: {snapshot:?}");
    }
    // Every sample package ships the same README: one file record, shared.
    assert_eq!(snapshot["files"].len(), 1, "{snapshot:?}");
}

async fn three_hundred_parallel_uploads_all_reach_a_terminal_status(backend: Backend) {
    const UPLOADS: usize = 300;
    let p = Platform::start_with(backend, |c| c.queue_capacity = UPLOADS * 2).await;
    let callback = p.callback("load");
    let ids: Vec<String> = stream::iter(0..UPLOADS)
        .map(|i| {
            let upload = form(
                sample_package("eu.load", &format!("pkg{i}"), "0.1"),
                "p.tgo",
                Some(&callback),
            );
            p.packager.accept(upload)
        })
        .buffer_unordered(16)
        .collect()
        .await;
    assert_eq!(ids.len(), UPLOADS);

    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let list: Value = reqwest::get(format!("{}/packages/status", p.packager.base))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let processes = list["package_processes"].as_array().unwrap();
        assert_eq!(processes.len(), UPLOADS);
        let open = processes
            .iter()
            .filter(|s| !matches!(s["status"].as_str(), Some("success" | "failed")))
            .count();
        if open == 0 {
            let failed: Vec<&Value> = processes
                .iter()
                .filter(|s| s["status"] != "success")
                .collect();
            assert!(failed.is_empty(), "{failed:?}");
            break;
        }
        assert!(Instant::now() < deadline, "{open} still open");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let callbacks = received(&p.mock, "load", UPLOADS).await;
    assert_eq!(callbacks.len(), UPLOADS);
    assert_eq!(p.catalogue.list("packages").await.len(), UPLOADS);
    p.packager.assert_spool_clean("300 parallel uploads").await;
}
