//! The end-to-end scenario both backends pass: the whole fixture corpus through the gatekeeper,
//! then delete and re-upload, then the project's own example package.

use std::{collections::BTreeSet, path::Path, time::Duration};

use anyhow::Context;
use futures_util::{stream, StreamExt};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{
    binaries,
    client::{self, Outcome},
    corpus::{self, Case, Expected},
    session::TestPlatform,
};

/// Groups of packages on-boarded at the same time (packages of one group go one by one).
const PARALLEL_GROUPS: usize = 4;

/// What the corpus run on-boarded.
#[derive(Debug, Default)]
pub struct CorpusReport {
    /// (fixture path, package uuid) of every package that on-boarded.
    pub onboarded: Vec<(String, String)>,
    /// Every case that was run, with its outcome.
    pub outcomes: Vec<(Case, Outcome)>,
}

impl CorpusReport {
    pub fn package_of(&self, rel: &str) -> Option<&str> {
        self.onboarded
            .iter()
            .find(|(r, _)| r == rel)
            .map(|(_, id)| id.as_str())
    }
}

/// Uploads every fixture package and checks each outcome; all mismatches are reported at once.
pub async fn run_corpus(tp: &TestPlatform) -> anyhow::Result<CorpusReport> {
    let packager = binaries::bin_dir().join("packager");
    let groups = corpus::plan(&packager)?;
    let results: Vec<Vec<Ran>> = stream::iter(groups)
        .map(|group| run_group(tp, group))
        .buffer_unordered(PARALLEL_GROUPS)
        .collect()
        .await;
    let mut report = CorpusReport::default();
    let mut problems = Vec::new();
    for (case, result, claimer) in results.into_iter().flatten() {
        match result.and_then(|outcome| check_case(&case, outcome, claimer.as_deref())) {
            Ok(outcome) => {
                if let Some(id) = outcome
                    .package_id()
                    .filter(|_| outcome.status() == "success")
                {
                    report.onboarded.push((case.rel.clone(), id.to_owned()));
                }
                report.outcomes.push((case, outcome));
            }
            Err(e) => problems.push(format!("{}: {e:#}", case.rel)),
        }
    }
    anyhow::ensure!(
        problems.is_empty(),
        "{} of {} packages did not on-board as stated:\n{}",
        problems.len(),
        problems.len() + report.outcomes.len(),
        problems.join("\n")
    );
    check_downloads(tp, &report).await?;
    check_catalogue_holds_exactly(tp, &report).await?;
    check_subscriber(tp, report.onboarded.len()).await?;
    Ok(report)
}

/// A case, its outcome, and the package that held its identity when it was uploaded.
type Ran = (Case, anyhow::Result<Outcome>, Option<String>);

async fn run_group(tp: &TestPlatform, group: Vec<Case>) -> Vec<Ran> {
    let mut results = Vec::new();
    let mut claimer: Option<String> = None;
    for case in group {
        let outcome = match std::fs::read(&case.path) {
            Ok(bytes) => client::onboard(tp, bytes, case.file_name(), &[]).await,
            Err(e) => Err(e.into()),
        };
        let held = claimer.clone();
        if let Ok(done) = &outcome {
            if done.status() == "success" {
                claimer = claimer.or(done.package_id().map(str::to_owned));
            }
        }
        results.push((case, outcome, held));
    }
    results
}

/// The outcome against the stated one (decisions 1, 5, 6, 10). A duplicate must name the
/// package that holds the identity (`claimer`).
fn check_case(case: &Case, outcome: Outcome, claimer: Option<&str>) -> anyhow::Result<Outcome> {
    match &case.expected {
        Expected::Success => {
            anyhow::ensure!(
                outcome.status() == "success" && outcome.package_id().is_some(),
                "expected success, got {} [{}] {}",
                outcome.status(),
                outcome.error_code(),
                outcome.error()
            );
        }
        Expected::Failure(code) => {
            anyhow::ensure!(
                outcome.status() == "failed" && outcome.error_code() == *code,
                "expected failed [{code}], got {} [{}] {}",
                outcome.status(),
                outcome.error_code(),
                outcome.error()
            );
            anyhow::ensure!(
                outcome.event["package_id"].is_null(),
                "a failed process names a package: {}",
                outcome.event
            );
            if *code == "duplicate-package" {
                let existing = claimer.unwrap_or("<no earlier package>");
                anyhow::ensure!(
                    outcome.error().contains(existing),
                    "the duplicate does not name the existing package {existing}: {}",
                    outcome.error()
                );
            }
            if let Some(word) = case.message_must_name() {
                anyhow::ensure!(
                    outcome.error().contains(word),
                    "the message does not name {word}: {}",
                    outcome.error()
                );
            }
        }
    }
    Ok(outcome)
}

/// Every on-boarded package downloads byte for byte as uploaded (decision 8).
async fn check_downloads(tp: &TestPlatform, report: &CorpusReport) -> anyhow::Result<()> {
    let root = corpus::fixtures_dir().join("packages");
    for (rel, id) in &report.onboarded {
        let original = std::fs::read(root.join(rel))?;
        let downloaded = client::download(tp, id).await?;
        anyhow::ensure!(
            sha256(&downloaded) == sha256(&original),
            "{rel}: download of {id} differs from the upload ({} vs {} bytes)",
            downloaded.len(),
            original.len()
        );
    }
    Ok(())
}

/// The catalogue lists exactly the packages that on-boarded: failures left nothing behind.
pub async fn check_catalogue_holds_exactly(
    tp: &TestPlatform,
    report: &CorpusReport,
) -> anyhow::Result<()> {
    let (records, count) = client::list_packages(tp).await?;
    let listed: BTreeSet<String> = records
        .iter()
        .filter_map(|r| r["uuid"].as_str().map(str::to_owned))
        .collect();
    let expected: BTreeSet<String> = report.onboarded.iter().map(|(_, id)| id.clone()).collect();
    anyhow::ensure!(
        listed == expected,
        "the catalogue lists {} packages, {} on-boarded;\nextra: {:?}\nmissing: {:?}",
        listed.len(),
        expected.len(),
        listed.difference(&expected).collect::<Vec<_>>(),
        expected.difference(&listed).collect::<Vec<_>>()
    );
    anyhow::ensure!(
        count == Some(expected.len() as u64),
        "Record-Count {count:?}"
    );
    Ok(())
}

/// The configured subscriber got one event per success, and nothing for failures.
async fn check_subscriber(tp: &TestPlatform, successes: usize) -> anyhow::Result<()> {
    let path = "/callbacks/subscriber";
    let events = client::wait_callbacks(tp, path, successes, Duration::from_secs(30)).await?;
    anyhow::ensure!(
        events
            .iter()
            .all(|e| e["body"]["package_process_status"] == "success"),
        "a subscriber got a non-success event"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let all = client::received(tp, Some(path)).await?;
    anyhow::ensure!(
        all.len() == successes,
        "subscriber got {} events for {successes} successes",
        all.len()
    );
    Ok(())
}

/// Deletes packages and uploads them again (decision 5), including a package that on-boards
/// only with validation skipped once its identity is free.
pub async fn delete_and_reupload(tp: &TestPlatform, report: &CorpusReport) -> anyhow::Result<()> {
    let root = corpus::fixtures_dir().join("packages");
    let owner = "5gtango-ns-package-example.tgo";
    let id = report
        .package_of(owner)
        .context("the canonical example did not on-board")?;
    delete_and_check_gone(tp, id).await?;

    // Its identity is free now: the bad example on-boards when validation is skipped.
    let bad = std::fs::read(root.join("5gtango-ns-package-example-bad.tgo"))?;
    let skipped = [("skip_validation", "true")];
    let outcome = client::onboard(tp, bad, "5gtango-ns-package-example-bad.tgo", &skipped).await?;
    let bad_id = expect_success(&outcome, "bad example with skip_validation")?;
    delete_and_check_gone(tp, &bad_id).await?;

    for rel in [owner, "eu.5gtango.idempotency_test.0.1.tgo"] {
        if rel != owner {
            let id = report
                .package_of(rel)
                .context("idempotency package missing")?;
            delete_and_check_gone(tp, id).await?;
        }
        let bytes = std::fs::read(root.join(rel))?;
        let outcome = client::onboard(tp, bytes.clone(), rel, &[]).await?;
        let new_id = expect_success(&outcome, rel)?;
        anyhow::ensure!(
            client::download(tp, &new_id).await? == bytes,
            "{rel}: re-uploaded package downloads differently"
        );
    }
    Ok(())
}

async fn delete_and_check_gone(tp: &TestPlatform, id: &str) -> anyhow::Result<()> {
    let code = client::delete(tp, id).await?;
    anyhow::ensure!(code == StatusCode::NO_CONTENT, "DELETE {id}: {code}");
    let (code, _) = client::get(tp, &format!("/packages/{id}")).await?;
    anyhow::ensure!(code == StatusCode::NOT_FOUND, "GET deleted {id}: {code}");
    let (code, _) = client::get(tp, &format!("/packages/{id}/package-file")).await?;
    anyhow::ensure!(
        code == StatusCode::NOT_FOUND,
        "download of deleted {id}: {code}"
    );
    anyhow::ensure!(
        client::delete(tp, id).await? == StatusCode::NOT_FOUND,
        "second DELETE of {id} is not 404"
    );
    Ok(())
}

/// Packs the project's example SDK project with its own packer, on-boards it, and finds its
/// network service through the gatekeeper.
pub async fn example_project(tp: &TestPlatform) -> anyhow::Result<()> {
    let project = binaries::workspace_root().join("examples/hello-ns");
    let out = tp.dir.path().join("packed");
    std::fs::create_dir_all(&out)?;
    let packed = pack(&project, &out)?;
    let bytes = std::fs::read(&packed)?;
    let outcome = client::onboard(tp, bytes.clone(), "eu.sonata-nfv.hello-ns.0.1.tgo", &[]).await?;
    let id = expect_success(&outcome, "examples/hello-ns")?;
    anyhow::ensure!(
        client::download(tp, &id).await? == bytes,
        "example download differs"
    );
    let (code, body) = client::get(tp, "/services?name=hello-ns").await?;
    let services: Value = serde_json::from_slice(&body)?;
    anyhow::ensure!(
        code == StatusCode::OK
            && services
                .as_array()
                .is_some_and(|list| list.iter().any(|s| s["nsd"]["vendor"] == "eu.sonata-nfv")),
        "the example's NSD is not listed: {code} {services}"
    );
    Ok(())
}

/// `packager pack <project> --output <dir>`; the path it printed.
pub fn pack(project: &Path, out: &Path) -> anyhow::Result<std::path::PathBuf> {
    let output = std::process::Command::new(binaries::bin_dir().join("packager"))
        .arg("pack")
        .arg(project)
        .arg("--output")
        .arg(out)
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "packager pack failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(String::from_utf8(output.stdout)?.trim().into())
}

fn expect_success(outcome: &Outcome, what: &str) -> anyhow::Result<String> {
    anyhow::ensure!(
        outcome.status() == "success",
        "{what}: {} [{}] {}",
        outcome.status(),
        outcome.error_code(),
        outcome.error()
    );
    outcome
        .package_id()
        .map(str::to_owned)
        .with_context(|| format!("{what}: no package_id"))
}

pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
