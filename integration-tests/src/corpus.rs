//! The shared fixtures' packages and the on-boarding outcome /work/shared/fixtures/README.md
//! states for each, duplicates included.
//!
//! Several packages share a vendor/name/version (the README's note on reference-packed/): on
//! one platform only the first upload of an identity on-boards, every later one fails with
//! `duplicate-package`. The plan therefore groups packages by identity (read with the
//! project's own `packager validate --json --level skip`), uploads each group in a fixed
//! order, and expects the first package that would on-board to claim the identity.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::Context;

/// Packages that fail, with their error code (fixtures/README.md; every other one on-boards).
pub const FAILURES: [(&str, &str); 4] = [
    ("5gtango-ns-package-example-bad.tgo", "descriptor-invalid"),
    (
        "5gtango-ns-package-example-bad-checksum.tgo",
        "checksum-mismatch",
    ),
    ("5gtango-ns-package-example-malformed.tgo", "napd-invalid"),
    (
        "reference-packed/eu.5gtango.comm-pilot-test-headless-browser.0.1.tgo",
        "descriptor-invalid",
    ),
];

/// Words the failure message must contain (it names the file at fault).
pub const MESSAGE_NAMES: [(&str, &str); 2] = [
    (
        "5gtango-ns-package-example-bad-checksum.tgo",
        "Definitions/myvnfd.yaml",
    ),
    (
        "reference-packed/eu.5gtango.comm-pilot-test-headless-browser.0.1.tgo",
        "test-descriptor.yml",
    ),
];

/// The outcome a package must have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    Success,
    Failure(&'static str),
}

/// One fixture package.
#[derive(Debug, Clone)]
pub struct Case {
    /// Path below `packages/`, e.g. `reference-packed/eu.5gtango.x.0.1.tgo`.
    pub rel: String,
    pub path: PathBuf,
    /// `vendor.name.version` when the archive's metadata can be read.
    pub identity: Option<String>,
    pub expected: Expected,
}

impl Case {
    pub fn file_name(&self) -> &str {
        self.rel.rsplit('/').next().unwrap_or(&self.rel)
    }

    /// The word the failure message must contain, if any.
    pub fn message_must_name(&self) -> Option<&'static str> {
        MESSAGE_NAMES
            .iter()
            .find(|(rel, _)| *rel == self.rel)
            .map(|(_, word)| *word)
    }
}

/// `../shared/fixtures` beside the workspace (or `FIXTURES_DIR`).
pub fn fixtures_dir() -> PathBuf {
    std::env::var_os("FIXTURES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::binaries::workspace_root().join("../shared/fixtures"))
}

/// Every `.tgo` below `packages/`, top level first, then by folder and name.
pub fn package_files() -> anyhow::Result<Vec<String>> {
    let root = fixtures_dir().join("packages");
    let mut files = Vec::new();
    crate::binaries::collect_files(&root, &mut files);
    let mut rel: Vec<String> = files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "tgo"))
        .filter_map(|p| p.strip_prefix(&root).ok())
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .collect();
    anyhow::ensure!(
        !rel.is_empty(),
        "no packages found in {} (the fixtures must be beside the workspace)",
        root.display()
    );
    rel.sort_by_key(|r| (r.contains('/'), r.clone()));
    Ok(rel)
}

/// The cases, grouped by identity; within a group, the order of upload. Expected duplicates
/// are already marked.
pub fn plan(packager: &Path) -> anyhow::Result<Vec<Vec<Case>>> {
    let root = fixtures_dir().join("packages");
    let mut groups: BTreeMap<String, Vec<Case>> = BTreeMap::new();
    for rel in package_files()? {
        let path = root.join(&rel);
        let identity = identity(packager, &path)?;
        let expected = FAILURES
            .iter()
            .find(|(r, _)| *r == rel)
            .map_or(Expected::Success, |(_, code)| Expected::Failure(code));
        let key = identity
            .clone()
            .unwrap_or_else(|| format!("unreadable {rel}"));
        groups.entry(key).or_default().push(Case {
            rel,
            path,
            identity,
            expected,
        });
    }
    Ok(groups.into_values().map(mark_duplicates).collect())
}

/// The first case of a group that on-boards claims the identity; later ones are duplicates.
fn mark_duplicates(mut group: Vec<Case>) -> Vec<Case> {
    let mut claimed = false;
    for case in &mut group {
        if case.expected == Expected::Success {
            if claimed {
                case.expected = Expected::Failure("duplicate-package");
            }
            claimed = true;
        }
    }
    group
}

/// `vendor.name.version` from the package's metadata, or None when it cannot be read.
fn identity(packager: &Path, package: &Path) -> anyhow::Result<Option<String>> {
    let output = Command::new(packager)
        .args(["validate", "--json", "--level", "skip"])
        .arg(package)
        .output()
        .with_context(|| format!("running {}", packager.display()))?;
    let record: serde_json::Value = serde_json::from_slice(&output.stdout)
        .with_context(|| format!("packager validate of {}: no JSON", package.display()))?;
    let part = |key: &str| record[key].as_str().map(str::to_owned);
    Ok(match (part("vendor"), part("name"), part("version")) {
        (Some(v), Some(n), Some(ver)) => Some(format!("{v}.{n}.{ver}")),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(rel: &str, expected: Expected) -> Case {
        Case {
            rel: rel.into(),
            path: rel.into(),
            identity: Some("x".into()),
            expected,
        }
    }

    #[test]
    fn a_failing_package_does_not_claim_its_identity() {
        let group = mark_duplicates(vec![
            case("bad.tgo", Expected::Failure("descriptor-invalid")),
            case("good.tgo", Expected::Success),
            case("reference-packed/good.tgo", Expected::Success),
        ]);
        let expected: Vec<_> = group.iter().map(|c| c.expected.clone()).collect();
        assert_eq!(
            expected,
            vec![
                Expected::Failure("descriptor-invalid"),
                Expected::Success,
                Expected::Failure("duplicate-package")
            ]
        );
    }
}
