//! The `packager` command line as other tools use it: exit codes, `--json` on stdout, one
//! error line on stderr, and nothing written outside `--output`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use std::{path::Path, process::Command};

use package_format::test_support::{sample_package, ZipBuilder};
use serde_json::Value;

fn packager(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_packager"))
        .args(args)
        .output()
        .expect("the binary runs");
    (
        out.status.code().expect("an exit code"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_string_lossy().into_owned()
}

fn fixture(relative: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures")
        .join(relative)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn validate_exits_0_for_a_valid_package_and_prints_its_record_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "p.tgo", &sample_package("eu.cli", "ok", "0.1"));
    let (code, stdout, _) = packager(&["validate", &file]);
    assert_eq!(code, 0);
    assert!(stdout.contains("eu.cli.ok.0.1"), "{stdout}");
    let (code, stdout, _) = packager(&["validate", "--json", &file]);
    assert_eq!(code, 0);
    let record: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(record["name"], "ok");
    assert_eq!(record["package_content"].as_array().unwrap().len(), 3);
}

#[test]
fn validate_exits_1_with_one_error_line_and_the_json_error_body() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "p.tgo", b"not a zip");
    let (code, stdout, stderr) = packager(&["validate", "--json", &file]);
    assert_eq!(code, 1);
    let body: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(body["code"], "not-a-zip");
    assert!(body["error"].is_string());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error [not-a-zip]"), "{stderr}");
}

#[test]
fn the_level_chooses_how_deeply_descriptors_are_checked() {
    let bad = fixture("packages/5gtango-ns-package-example-bad.tgo");
    let (code, _, stderr) = packager(&["validate", &bad]);
    assert_eq!(code, 1);
    assert!(stderr.contains("[descriptor-invalid]"), "{stderr}");
    let (code, _, _) = packager(&["validate", "--level", "skip", &bad]);
    assert_eq!(code, 0);
}

#[test]
fn unpack_writes_nothing_outside_the_output_directory() {
    let sandbox = tempfile::tempdir().unwrap();
    let evil = ZipBuilder::new()
        .file("TOSCA-Metadata/TOSCA.meta", b"Created-By: x\n\n")
        .file("../escaped.txt", b"out")
        .build();
    let file = write(sandbox.path(), "evil.tgo", &evil);
    let out = sandbox.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let (code, _, stderr) = packager(&["unpack", &file, "--output", out.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stderr.contains("[unsafe-path]"), "{stderr}");
    let mut names: Vec<_> = std::fs::read_dir(sandbox.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["evil.tgo", "out"]);
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 0);

    let good = write(
        sandbox.path(),
        "good.tgo",
        &sample_package("eu.cli", "u", "0.1"),
    );
    let (code, stdout, _) = packager(&["unpack", &good, "--output", out.to_str().unwrap()]);
    assert_eq!(code, 0);
    let project = Path::new(stdout.trim());
    assert!(project.starts_with(&out), "{stdout}");
    assert!(project.join("project.yml").is_file());
}

#[test]
fn pack_prints_the_package_path_or_fails_with_missing_file_and_writes_nothing() {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().to_str().unwrap();
    let project = fixture("projects/5gtango_ns_project_example1");
    let (code, stdout, _) = packager(&["pack", &project, "--output", target]);
    assert_eq!(code, 0);
    let packed = Path::new(stdout.trim());
    assert_eq!(
        packed.file_name().unwrap(),
        "eu.5gtango.5gtango-project-sample.0.1.tgo"
    );
    assert!(packed.is_file());

    let empty = tempfile::tempdir().unwrap();
    let missing = fixture("projects/schema-examples/5gtango-test-project-example");
    let (code, _, stderr) =
        packager(&["pack", &missing, "--output", empty.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stderr.contains("[missing-file]"), "{stderr}");
    assert!(stderr.contains("Tests/HTTPmsgTest"), "{stderr}");
    assert_eq!(std::fs::read_dir(empty.path()).unwrap().count(), 0);
}

#[test]
fn pack_creates_a_missing_output_folder_or_writes_the_named_tgo_file() {
    let root = tempfile::tempdir().unwrap();
    let project = fixture("projects/5gtango_ns_project_example1");
    let folder = root.path().join("not/yet/there/");
    let (code, stdout, stderr) =
        packager(&["pack", &project, "--output", folder.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let packed = Path::new(stdout.trim());
    assert_eq!(packed.parent().unwrap(), folder.as_path());
    assert!(packed.is_file());

    let named = root.path().join("chosen.tgo");
    let (code, stdout, stderr) = packager(&["pack", &project, "--output", named.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(Path::new(stdout.trim()), named.as_path());
    assert!(named.is_file());
}
