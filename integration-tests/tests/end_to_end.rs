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
