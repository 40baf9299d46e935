//! The whole platform, end to end, through the gatekeeper: every fixture package on-boards
//! with its stated outcome, downloads are byte-identical, delete then re-upload works,
//! callbacks reach callback-mock; once on PostgreSQL and once on the embedded default.

use integration_tests::{
    client, scenario,
    session::{Backend, TestPlatform},
};

async fn whole_platform(backend: Backend) {
    let tp = TestPlatform::start(backend, &[])
        .await
        .expect("the platform starts");
    let report = match scenario::run_corpus(&tp).await {
        Ok(report) => report,
        Err(e) => panic!("corpus on {backend:?}: {e:#}\n{}", tp.logs()),
    };
    let failed: Vec<&str> = report
        .outcomes
        .iter()
        .filter(|(_, o)| o.status() == "failed")
        .map(|(_, o)| o.error_code())
        .collect();
    let duplicates = failed.iter().filter(|c| **c == "duplicate-package").count();
    eprintln!(
        "{backend:?}: {} packages on-boarded, {} failed as stated ({duplicates} duplicates)",
        report.onboarded.len(),
        failed.len()
    );
    assert!(
        report.onboarded.len() >= 50,
        "only {} packages on-boarded",
        report.onboarded.len()
    );
    assert_eq!(
        failed.len() - duplicates,
        4,
        "the four broken fixtures: {failed:?}"
    );
    assert!(duplicates > 0, "no duplicate was exercised");
    if let Err(e) = scenario::delete_and_reupload(&tp, &report).await {
        panic!("delete and re-upload on {backend:?}: {e:#}\n{}", tp.logs());
    }
    let (_, count) = client::list_packages(&tp).await.expect("list");
    assert_eq!(
        count,
        Some(report.onboarded.len() as u64),
        "after re-uploads"
    );
    if let Err(e) = scenario::example_project(&tp).await {
        panic!("example project on {backend:?}: {e:#}\n{}", tp.logs());
    }
    tp.shutdown().await;
}

#[tokio::test]
async fn every_fixture_onboards_as_stated_on_postgres() {
    whole_platform(Backend::Postgres).await;
}

#[tokio::test]
async fn every_fixture_onboards_as_stated_on_the_embedded_default() {
    whole_platform(Backend::Embedded).await;
}

/// Decision 3 across processes: callback-mock refuses the first two attempts with 500; the
/// gatekeeper's outbox retries the same delivery until the third is accepted.
#[tokio::test]
async fn a_refused_callback_is_retried_until_accepted() {
    use platform::Service;
    let no_subscriber = [(Service::Gatekeeper, "GATEKEEPER_SUBSCRIBERS", "")];
    let tp = TestPlatform::start(Backend::Embedded, &no_subscriber)
        .await
        .expect("the platform starts");
    let plan = serde_json::json!({"status": 500, "count": 2});
    let url = format!("{}/api/v1/failures", tp.callback_mock());
    let answer = tp.http.put(url).json(&plan).send().await.unwrap();
    assert!(answer.status().is_success(), "{}", answer.status());

    let packed = scenario::pack(
        &integration_tests::binaries::workspace_root().join("examples/hello-ns"),
        tp.dir.path(),
    )
    .unwrap();
    let bytes = std::fs::read(packed).unwrap();
    let outcome = client::onboard(&tp, bytes, "hello.tgo", &[]).await;
    let outcome = outcome.unwrap_or_else(|e| panic!("{e:#}\n{}", tp.logs()));
    assert_eq!(outcome.status(), "success");

    let all: serde_json::Value = tp
        .http
        .get(format!("{}/api/v1/received", tp.callback_mock()))
        .query(&[("include_rejected", "true")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let attempts = all["callbacks"].as_array().unwrap();
    let answered: Vec<_> = attempts
        .iter()
        .map(|c| c["answered_status"].clone())
        .collect();
    assert_eq!(answered, [500, 500, 200], "{all}");
    let attempt_numbers: Vec<_> = attempts
        .iter()
        .map(|c| c["headers"]["x-delivery-attempt"].clone())
        .collect();
    assert_eq!(attempt_numbers, ["1", "2", "3"], "{all}");
    assert!(
        attempts
            .iter()
            .all(|c| c["delivery_id"] == attempts[0]["delivery_id"]),
        "one delivery id across retries: {all}"
    );
    tp.shutdown().await;
}

/// ADR-31 across the services: a package whose 24 MiB VM image is stored uncompressed
/// on-boards, its file downloads through the gatekeeper byte for byte, and the catalogue's
/// blob store holds those bytes once (inside the archive), not twice; deleting the package
/// empties the store.
#[tokio::test]
async fn a_big_stored_artifact_is_kept_once_and_downloads_exactly() {
    use integration_tests::packages::{canonical_example, Example};
    let tp = TestPlatform::start(Backend::Embedded, &[])
        .await
        .expect("the platform starts");
    let archive = tp.dir.path().join("big.tgo");
    let example = Example::load(&canonical_example()).unwrap();
    example.write_big("kept-once", 24 << 20, &archive).unwrap();
    let bytes = std::fs::read(&archive).unwrap();
    let artifact = {
        use std::io::Read;
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
        let mut entry = zip.by_name("Artifacts/big-image.bin").unwrap();
        let mut artifact = Vec::new();
        entry.read_to_end(&mut artifact).unwrap();
        artifact
    };
    let outcome = client::onboard(&tp, bytes.clone(), "big.tgo", &[]).await;
    let outcome = outcome.unwrap_or_else(|e| panic!("{e:#}\n{}", tp.logs()));
    assert_eq!(outcome.status(), "success", "{}", outcome.event);
    let package = outcome.package_id().expect("a package id").to_owned();

    let (_, record) = client::get(&tp, &format!("/packages/{package}"))
        .await
        .unwrap();
    let record: serde_json::Value = serde_json::from_slice(&record).unwrap();
    let file = record["pd"]["package_content"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["source"] == "Artifacts/big-image.bin")
        .and_then(|e| e["uuid"].as_str())
        .unwrap_or_else(|| panic!("no uuid for the artifact: {record}"))
        .to_owned();
    let (code, downloaded) = client::get(&tp, &format!("/packages/{package}/files/{file}"))
        .await
        .unwrap();
    assert_eq!(code, 200);
    assert!(
        downloaded == artifact,
        "the artifact differs after the round trip"
    );
    assert_eq!(client::download(&tp, &package).await.unwrap(), bytes);

    let blobs = tp.dir.path().join("data/blobs");
    let stored = bytes_under(&blobs);
    assert!(
        stored < bytes.len() as u64 + (1 << 20),
        "{stored} bytes stored for a {} byte archive: the artifact was copied",
        bytes.len()
    );
    assert_eq!(client::delete(&tp, &package).await.unwrap(), 204);
    assert_eq!(
        bytes_under(&blobs),
        0,
        "the store is empty after the delete"
    );
    tp.shutdown().await;
}

/// The size of every file below `dir`, staging area included.
fn bytes_under(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => bytes_under(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}
