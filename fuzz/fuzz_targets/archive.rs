//! The whole unpack pipeline (zip hygiene, extraction, meta files, NAPD, checksums, descriptors,
//! topology) on arbitrary bytes written as a `.tgo` file. Any panic or abort is a finding; an
//! `Err` is the expected answer to garbage.
#![no_main]

use std::{fs, path::PathBuf};

use libfuzzer_sys::fuzz_target;
use package_format::{unpack, Limits, UnpackOptions, ValidationLevel};

/// Small limits so a zip bomb costs little; every rule still applies.
fn options() -> UnpackOptions {
    UnpackOptions {
        limits: Limits {
            max_entries: 200,
            max_total_bytes: 8 * 1024 * 1024,
            max_ratio: 200,
            ratio_exempt_bytes: 64 * 1024,
            max_descriptor_bytes: 1024 * 1024,
        },
        level: ValidationLevel::Topology,
        schema_dir: None,
        // As the packager service: stored entries too big to be text stay in the archive.
        keep_in_archive_above: Some(1024 * 1024),
        memory_budget: 1024 * 1024,
    }
}

/// A RAM-backed scratch folder when there is one: the target writes files on every run.
fn scratch_root() -> PathBuf {
    let shm = PathBuf::from("/dev/shm");
    if shm.is_dir() {
        shm
    } else {
        std::env::temp_dir()
    }
}

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir_in(scratch_root()).expect("scratch dir");
    let archive = dir.path().join("fuzz.tgo");
    fs::write(&archive, data).expect("write input");
    let out = dir.path().join("out");
    fs::create_dir(&out).expect("out dir");
    let result = unpack(&archive, &out, &options());
    if let Err(error) = &result {
        // Every error maps to a stable, non-empty kebab-case code and a message.
        let code = error.code();
        assert!(!code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'));
        assert!(!error.to_string().is_empty());
    }
    // Nothing may be written outside `out`.
    for entry in fs::read_dir(dir.path()).expect("list scratch") {
        let name = entry.expect("entry").file_name();
        assert!(
            name == "fuzz.tgo" || name == "out",
            "wrote {name:?} outside out/"
        );
    }
});
