//! Making sure the binaries the tests start exist and are current.
//!
//! `cargo nextest run --workspace` builds them already: cargo builds a package's binaries
//! whenever one of its integration tests is built, and each of the five packages has some.
//! When only this crate's tests are built (`-p integration-tests`), a binary can be missing or
//! older than its sources; then the tests build them once with [`BUILD`], under cargo's own
//! lock. Outside nextest (where cargo may hold the build lock while tests run) they fail with
//! the command to run instead. `SONATA_TEST_USE_BUILT=1` takes the binaries as they are
//! (for working while a neighbouring crate does not compile).

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
    time::SystemTime,
};

/// The packages whose binaries the tests run.
pub const PACKAGES: [&str; 5] = [
    "catalogue",
    "packager",
    "gatekeeper-common",
    "callback-mock",
    "platform",
];

/// The command that builds them.
pub const BUILD: &str =
    "cargo build --bins -p catalogue -p packager -p gatekeeper-common -p callback-mock -p platform";

/// The workspace root (this crate's parent folder).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("integration-tests sits in the workspace")
        .to_path_buf()
}

/// `target/<profile>/`: where cargo put this test executable's sibling binaries.
pub fn bin_dir() -> PathBuf {
    platform::binaries::default_bin_dir()
}

/// Builds the binaries if any is missing or stale; once per test process.
pub fn ensure_built() -> &'static PathBuf {
    static DONE: OnceLock<PathBuf> = OnceLock::new();
    DONE.get_or_init(|| {
        let dir = bin_dir();
        let stale: Vec<String> = binaries()
            .into_iter()
            .filter(|(name, sources)| is_stale(&dir.join(name), sources))
            .map(|(name, _)| name.to_owned())
            .collect();
        if !stale.is_empty() && std::env::var_os("SONATA_TEST_USE_BUILT").is_none() {
            build(&stale);
        }
        dir
    })
}

fn build(stale: &[String]) {
    assert!(
        std::env::var_os("NEXTEST_RUN_ID").is_some(),
        "missing or outdated binaries {stale:?} in {}: run `{BUILD}` first \
         (or run the tests with cargo nextest, which builds them)",
        bin_dir().display()
    );
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = Command::new(cargo);
    command
        .current_dir(workspace_root())
        .args(["build", "--bins"]);
    // Into the target directory this test runs from (`target/<profile>/..`), whatever
    // `--target-dir` the test build was given.
    let dir = bin_dir();
    if let Some(target) = dir.parent() {
        command.arg("--target-dir").arg(target);
    }
    if dir.file_name().is_some_and(|n| n == "release") {
        command.arg("--release");
    }
    for package in PACKAGES {
        command.args(["-p", package]);
    }
    let output = command.output().expect("running cargo build");
    assert!(
        output.status.success(),
        "`{BUILD}` failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Each binary and the workspace folders its sources live in.
fn binaries() -> Vec<(&'static str, Vec<&'static str>)> {
    let models = "shared-models";
    vec![
        ("catalogue", vec!["catalogue", models]),
        (
            "packager",
            vec!["packager", "packager/package-format", models],
        ),
        ("gatekeeper-common", vec!["gatekeeper-common", models]),
        ("callback-mock", vec!["callback-mock", models]),
        ("sonata-platform", vec!["platform"]),
    ]
}

/// Missing, or older than a file of `src/`, `migrations/` or `Cargo.toml` of its crates.
fn is_stale(binary: &Path, crates: &[&str]) -> bool {
    let Some(built) = modified(binary) else {
        return true;
    };
    let root = workspace_root();
    crates.iter().any(|krate| {
        let dir = root.join(krate);
        let mut files = vec![dir.join("Cargo.toml")];
        for sub in ["src", "migrations"] {
            collect_files(&dir.join(sub), &mut files);
        }
        files
            .iter()
            .any(|f| modified(f).is_some_and(|time| time > built))
    })
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Every file below `dir` (nothing when it does not exist).
pub fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, out);
        } else {
            out.push(path);
        }
    }
}
