//! One test per rule: each hostile archive is rejected with its code, and nothing is written
//! outside the output directory.

use std::{collections::BTreeMap, fs, io::Write, path::Path};

use crate::{
    test_support::{rehash, sample_package_files, ZipBuilder},
    unpack, Limits, PackageError, UnpackOptions, Unpacked, ValidationLevel,
};

/// Unpack `bytes` (saved as `name`) into `<sandbox>/out` and check that the sandbox holds
/// nothing but the archive and `out/`. Unpacked a second time as the packager service does
/// (small files in memory, big stored ones left in the archive), the outcome must be the same.
fn unpack_in_sandbox(
    name: &str,
    bytes: &[u8],
    level: ValidationLevel,
) -> Result<Unpacked, PackageError> {
    let on_disk = unpack_placed(name, bytes, level, None, 0);
    let limits = Limits::for_testing();
    let placed = unpack_placed(
        name,
        bytes,
        level,
        Some(limits.max_descriptor_bytes),
        limits.max_total_bytes / 4,
    );
    assert_eq!(
        outcome(&placed),
        outcome(&on_disk),
        "{name}: placement changed the outcome"
    );
    on_disk
}

/// What must not depend on where the entries were placed.
fn outcome(result: &Result<Unpacked, PackageError>) -> Result<serde_json::Value, String> {
    match result {
        Ok(u) => Ok(serde_json::json!({
            "record": serde_json::to_value(&u.record).unwrap(),
            "descriptors": u.descriptors.iter().map(|d| &d.body).collect::<Vec<_>>(),
            "files": u.extracted.files,
        })),
        Err(e) => Err(format!("{}: {e}", e.code())),
    }
}

fn unpack_placed(
    name: &str,
    bytes: &[u8],
    level: ValidationLevel,
    keep_in_archive_above: Option<u64>,
    memory_budget: u64,
) -> Result<Unpacked, PackageError> {
    let sandbox = tempfile::tempdir().unwrap();
    let archive = sandbox.path().join(name);
    fs::write(&archive, bytes).unwrap();
    let out = sandbox.path().join("out");
    fs::create_dir(&out).unwrap();
    let options = UnpackOptions {
        limits: Limits::for_testing(),
        level,
        schema_dir: None,
        keep_in_archive_above,
        memory_budget,
    };
    let result = unpack(&archive, &out, &options);
    assert_sandbox_clean(sandbox.path(), name);
    result
}

fn assert_sandbox_clean(sandbox: &Path, archive_name: &str) {
    let mut names: Vec<String> = fs::read_dir(sandbox)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut want = vec![archive_name.to_owned(), "out".to_owned()];
    want.sort();
    assert_eq!(
        names, want,
        "something was written outside the output directory"
    );
}

fn code_of(bytes: &[u8]) -> &'static str {
    let error = unpack_in_sandbox("p.tgo", bytes, ValidationLevel::Topology).unwrap_err();
    error.code()
}

fn with_extra(builder_fn: impl FnOnce(ZipBuilder) -> ZipBuilder) -> Vec<u8> {
    let files = sample_package_files("eu.test", "pkg", "0.1");
    builder_fn(ZipBuilder::from_files(&files)).build()
}

#[test]
fn a_sample_package_is_valid() {
    let files = sample_package_files("eu.test", "pkg", "0.1");
    let unpacked = unpack_in_sandbox(
        "p.tgo",
        &ZipBuilder::from_files(&files).build(),
        ValidationLevel::Topology,
    )
    .unwrap();
    assert_eq!(unpacked.record.triple().as_deref(), Some("eu.test.pkg.0.1"));
    assert_eq!(unpacked.record.package_content.len(), 3);
    assert_eq!(unpacked.descriptors.len(), 2);
    assert!(unpacked.topology.outside.is_empty());
}

#[test]
fn parent_directory_entries_are_unsafe() {
    assert_eq!(
        code_of(&with_extra(|b| b.file("../evil.txt", b"x"))),
        "unsafe-path"
    );
    assert_eq!(
        code_of(&with_extra(|b| b.file("a/../../evil.txt", b"x"))),
        "unsafe-path"
    );
}

#[test]
fn backslash_traversal_is_unsafe() {
    assert_eq!(
        code_of(&with_extra(|b| b.file("..\\evil.txt", b"x"))),
        "unsafe-path"
    );
}

#[test]
fn absolute_and_drive_paths_are_unsafe() {
    assert_eq!(
        code_of(&with_extra(|b| b.file("/tmp/evil.txt", b"x"))),
        "unsafe-path"
    );
    assert_eq!(
        code_of(&with_extra(|b| b.file("C:/evil.txt", b"x"))),
        "unsafe-path"
    );
}

#[test]
fn symlinks_are_refused() {
    assert_eq!(
        code_of(&with_extra(|b| b.symlink("Docs/link", "/etc/passwd"))),
        "unsafe-entry"
    );
}

#[test]
fn devices_and_pipes_are_refused() {
    assert_eq!(
        code_of(&with_extra(|b| b.entry("Docs/fifo", b"", 0o010_644, false))),
        "unsafe-entry"
    );
}

#[test]
fn duplicate_names_are_refused() {
    assert_eq!(
        code_of(&with_extra(|b| b.file("Docs/README.txt", b"second"))),
        "duplicate-entry"
    );
}

#[test]
fn a_file_that_is_also_a_folder_is_refused() {
    assert_eq!(
        code_of(&with_extra(|b| b.file("Docs/README.txt/inner", b"x"))),
        "duplicate-entry"
    );
}

#[test]
fn encrypted_entries_are_refused() {
    assert_eq!(
        code_of(&with_extra(|b| b.encrypted_file("Docs/secret", b"x"))),
        "encrypted-entry"
    );
}

#[test]
fn too_many_entries_are_refused() {
    let many = with_extra(|b| (0..60).fold(b, |b, i| b.file(&format!("Docs/f{i}"), b"x")));
    assert_eq!(code_of(&many), "too-many-entries");
}

#[test]
fn more_bytes_than_the_limit_are_refused() {
    let big = vec![b'a'; 600 * 1024];
    let bytes = with_extra(|b| b.file("Docs/big1", &big).file("Docs/big2", &big));
    assert_eq!(code_of(&bytes), "archive-too-large");
}

#[test]
fn a_decompression_bomb_trips_the_ratio_limit() {
    let mut cursor = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut cursor);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("Docs/zeros", options).unwrap();
        zip.write_all(&vec![0u8; 512 * 1024]).unwrap();
        zip.finish().unwrap();
    }
    assert_eq!(code_of(&cursor.into_inner()), "compression-ratio");
}

#[test]
fn what_is_not_a_zip_is_refused() {
    assert_eq!(code_of(b"this is plain text, not a zip"), "not-a-zip");
}

#[test]
fn a_truncated_zip_is_refused() {
    let bytes = with_extra(|b| b);
    assert_eq!(code_of(&bytes[..bytes.len() - 40]), "not-a-zip");
}

#[test]
fn a_corrupt_entry_is_refused() {
    let mut bytes = with_extra(|b| b);
    let marker = b"an artifact";
    let pos = bytes
        .windows(marker.len())
        .position(|w| w == marker)
        .unwrap();
    bytes[pos] ^= 0xff;
    assert_eq!(code_of(&bytes), "corrupt-archive");
}

#[test]
fn son_packages_are_an_unsupported_format() {
    let son = ZipBuilder::new()
        .file("META-INF/MANIFEST.MF", b"package_name: x\n")
        .file("service_descriptors/nsd.yml", b"name: x\n")
        .build();
    assert_eq!(code_of(&son), "unsupported-format");
    let error = unpack_in_sandbox("old.son", &son, ValidationLevel::Topology).unwrap_err();
    assert_eq!(error.code(), "unsupported-format");
}

#[test]
fn one_wrapping_folder_and_mac_junk_are_tolerated() {
    let files = sample_package_files("eu.test", "pkg", "0.1");
    let wrapped = files
        .iter()
        .fold(ZipBuilder::new().dir("top"), |b, (n, d)| {
            b.file(&format!("top/{n}"), d)
        })
        .file("__MACOSX/top/._nsd.yml", b"junk")
        .file("top/.DS_Store", b"junk")
        .build();
    let unpacked = unpack_in_sandbox("p.tgo", &wrapped, ValidationLevel::Topology).unwrap();
    assert!(unpacked.extracted.root.ends_with("top"));
    assert!(!unpacked
        .extracted
        .files
        .iter()
        .any(|f| f.contains("DS_Store")));
}

fn mutated(change: impl FnOnce(&mut BTreeMap<String, Vec<u8>>)) -> Vec<u8> {
    let mut files = sample_package_files("eu.test", "pkg", "0.1");
    change(&mut files);
    ZipBuilder::from_files(&files).build()
}

#[test]
fn a_wrong_hash_is_a_checksum_mismatch_naming_the_file() {
    let bytes = mutated(|f| {
        f.insert(
            "Docs/README.txt".into(),
            b"changed after hashing\n".to_vec(),
        );
    });
    let error = unpack_in_sandbox("p.tgo", &bytes, ValidationLevel::Topology).unwrap_err();
    assert_eq!(error.code(), "checksum-mismatch");
    assert!(error.to_string().contains("Docs/README.txt"));
}

#[test]
fn upper_case_hex_hashes_are_accepted() {
    let bytes = mutated(|f| {
        let napd = String::from_utf8(f["TOSCA-Metadata/NAPD.yaml"].clone()).unwrap();
        let upper = napd
            .lines()
            .map(|l| match l.strip_prefix("  hash: ") {
                Some(h) => format!("  hash: {}", h.to_uppercase()),
                None => l.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        f.insert("TOSCA-Metadata/NAPD.yaml".into(), upper.into_bytes());
    });
    assert!(unpack_in_sandbox("p.tgo", &bytes, ValidationLevel::Topology).is_ok());
}

/// The sample package with the README's NAPD entry using `algorithm` and `hash`.
fn readme_checked_with(algorithm: &str, hash: &str) -> Vec<u8> {
    mutated(|f| {
        let napd = String::from_utf8(f["TOSCA-Metadata/NAPD.yaml"].clone()).unwrap();
        let readme_hash = crate::test_support::sha256_hex(&f["Docs/README.txt"]);
        let napd = napd.replace(
            &format!("- source: Docs/README.txt\n  algorithm: SHA-256\n  hash: {readme_hash}"),
            &format!("- source: Docs/README.txt\n  algorithm: {algorithm}\n  hash: {hash}"),
        );
        assert!(napd.contains(hash), "the NAPD entry was rewritten");
        f.insert("TOSCA-Metadata/NAPD.yaml".into(), napd.into_bytes());
    })
}

#[test]
fn sha1_and_md5_checksums_are_verified() {
    use sha1::Digest as _;
    // The sample README is "an artifact\n".
    let sha1 = hex::encode(sha1::Sha1::digest(b"an artifact\n"));
    let md5 = hex::encode(md5::Md5::digest(b"an artifact\n"));
    for (algorithm, hash) in [("SHA-1", &sha1), ("MD5", &md5)] {
        let good = readme_checked_with(algorithm, hash);
        assert!(
            unpack_in_sandbox("p.tgo", &good, ValidationLevel::Topology).is_ok(),
            "{algorithm}"
        );
        let wrong = readme_checked_with(algorithm, &"a".repeat(hash.len()));
        let error = unpack_in_sandbox("p.tgo", &wrong, ValidationLevel::Topology).unwrap_err();
        assert_eq!(error.code(), "checksum-mismatch", "{algorithm}");
        assert!(error.to_string().contains("Docs/README.txt"), "{error}");
    }
}

#[test]
fn an_unknown_algorithm_is_refused_naming_the_file() {
    let bytes = readme_checked_with("SHA-512", "abc123");
    let error = unpack_in_sandbox("p.tgo", &bytes, ValidationLevel::Topology).unwrap_err();
    assert_eq!(error.code(), "unsupported-algorithm");
    assert!(error.to_string().contains("Docs/README.txt"), "{error}");
}

#[test]
fn a_listed_file_that_is_missing_is_an_error() {
    let bytes = mutated(|f| {
        f.remove("Docs/README.txt");
    });
    let error = unpack_in_sandbox("p.tgo", &bytes, ValidationLevel::Topology).unwrap_err();
    assert_eq!(error.code(), "missing-file");
    assert!(error.to_string().contains("Docs/README.txt"));
}

#[test]
fn a_napd_with_an_unknown_key_is_invalid() {
    let bytes = mutated(|f| {
        let mut napd = f["TOSCA-Metadata/NAPD.yaml"].clone();
        napd.extend_from_slice(b"surprise: 1\n");
        f.insert("TOSCA-Metadata/NAPD.yaml".into(), napd);
    });
    let error = unpack_in_sandbox("p.tgo", &bytes, ValidationLevel::Topology).unwrap_err();
    assert_eq!(error.code(), "napd-invalid");
    assert!(error.to_string().contains("TOSCA-Metadata/NAPD.yaml"));
}

#[test]
fn a_descriptor_that_is_not_yaml_is_invalid_unless_skipped() {
    let bytes = mutated(|f| {
        f.insert(
            "Definitions/vnfd.yml".into(),
            b"vendor: x\n\tname: y\n".to_vec(),
        );
        rehash(f, "eu.test", "pkg", "0.1");
    });
    let error = unpack_in_sandbox("p.tgo", &bytes, ValidationLevel::Syntax).unwrap_err();
    assert_eq!(error.code(), "descriptor-invalid");
    assert!(error.to_string().contains("Definitions/vnfd.yml"));
    assert!(unpack_in_sandbox("p.tgo", &bytes, ValidationLevel::Skip).is_ok());
}

#[test]
fn a_vnf_named_by_the_nsd_but_not_shipped_is_an_outside_reference() {
    let bytes = mutated(|f| {
        f.insert(
            "Definitions/vnfd.yml".into(),
            b"descriptor_schema: x\nvendor: eu.test\nname: other-vnf\nversion: '0.1'\n".to_vec(),
        );
        rehash(f, "eu.test", "pkg", "0.1");
    });
    let unpacked = unpack_in_sandbox("p.tgo", &bytes, ValidationLevel::Topology).unwrap();
    assert_eq!(unpacked.topology.outside.len(), 1);
    assert_eq!(unpacked.topology.outside[0].vnf.name, "pkg-vnf");
    let syntax_only = unpack_in_sandbox("p.tgo", &bytes, ValidationLevel::Syntax).unwrap();
    assert!(syntax_only.topology.outside.is_empty());
}

#[test]
fn a_bad_release_time_is_a_clean_metadata_failure() {
    let bytes = mutated(|f| {
        let napd = String::from_utf8(f["TOSCA-Metadata/NAPD.yaml"].clone()).unwrap();
        let napd = napd.replace("'2026-11-23T10:00:00Z'", "2018.01.01T10:00+03:00");
        f.insert("TOSCA-Metadata/NAPD.yaml".into(), napd.into_bytes());
    });
    assert_eq!(code_of(&bytes), "metadata-invalid");
}

#[test]
fn a_dangling_virtual_link_is_a_warning_at_the_topology_level_only() {
    let bytes = mutated(|f| {
        let mut nsd = String::from_utf8(f["Definitions/nsd.yml"].clone()).unwrap();
        nsd.push_str("virtual_links:\n- id: mgmt\n  connection_points_reference: ['vnf1:mgmt', 'vnf2:mgmt']\n");
        f.insert("Definitions/nsd.yml".into(), nsd.into_bytes());
        rehash(f, "eu.test", "pkg", "0.1");
    });
    let topology = unpack_in_sandbox("p.tgo", &bytes, ValidationLevel::Topology).unwrap();
    let warning = topology.record.warning.expect("a warning in the report");
    assert!(warning.contains("vnf2:mgmt"), "{warning}");
    assert!(!warning.contains("vnf1:mgmt"), "{warning}");
    let integrity = unpack_in_sandbox("p.tgo", &bytes, ValidationLevel::Integrity).unwrap();
    assert!(integrity.record.warning.is_none());
}
