//! TOSCA.meta -> ETSI manifest -> NAPD collection and merge (`record::collect`) and the
//! usable-package check, on three arbitrary files. The input is split at `0xFF` bytes (never
//! valid UTF-8, so never inside a real meta file): TOSCA.meta, the manifest, the NAPD.
#![no_main]

use std::{collections::BTreeSet, fs};

use libfuzzer_sys::fuzz_target;
use package_format::{archive::Extracted, record, Limits};

const TOSCA: &str = "TOSCA-Metadata/TOSCA.meta";
const MANIFEST: &str = "etsi_manifest.mf";
const NAPD: &str = "TOSCA-Metadata/NAPD.yaml";

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |b| *b == 0xFF);
    let files = [
        (TOSCA, parts.next()),
        (MANIFEST, parts.next()),
        (NAPD, parts.next()),
    ];
    let dir = tempfile::tempdir_in("/dev/shm")
        .or_else(|_| tempfile::tempdir())
        .expect("scratch dir");
    fs::create_dir(dir.path().join("TOSCA-Metadata")).expect("meta dir");
    let mut written = BTreeSet::new();
    for (path, bytes) in files {
        if let Some(bytes) = bytes {
            fs::write(dir.path().join(path), bytes).expect("write part");
            written.insert(path.to_owned());
        }
    }
    let extracted = Extracted {
        dir: dir.path().to_owned(),
        root: dir.path().to_owned(),
        files: written,
        has_tosca_dir: true,
    };
    let limits = Limits {
        max_descriptor_bytes: 1024 * 1024,
        ..Limits::default()
    };
    if let Ok(napd) = record::collect(&extracted, &limits) {
        let _ = record::assert_usable(&napd);
    }
});
