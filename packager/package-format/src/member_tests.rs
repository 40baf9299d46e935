//! Big stored entries left in the archive (`UnpackOptions::keep_in_archive_above`) and small
//! ones read into memory (`UnpackOptions::memory_budget`): the same outcome as extracting
//! them, without writing them to disk.

use std::{collections::BTreeMap, fs, io::Read, path::Path};

use crate::{
    member::FileBytes,
    test_support::{rehash, sample_package_files, ZipBuilder},
    unpack, Limits, PackageError, UnpackOptions, Unpacked, ValidationLevel,
};

const README: &str = "Docs/README.txt";
/// What the packager service keeps in the archive: files too big to be read as text.
const KEEP: Option<u64> = Some(64 * 1024);

/// Bigger than the testing limit for descriptors (64 KiB), smaller than the archive limit.
fn big_readme() -> Vec<u8> {
    (0..200 * 1024).map(|i| (i % 251) as u8).collect()
}

fn package(change: impl FnOnce(&mut BTreeMap<String, Vec<u8>>)) -> BTreeMap<String, Vec<u8>> {
    let mut files = sample_package_files("eu.test", "pkg", "0.1");
    files.insert(README.into(), big_readme());
    rehash(&mut files, "eu.test", "pkg", "0.1");
    change(&mut files);
    files
}

fn unpack_bytes(sandbox: &Path, bytes: &[u8], keep: Option<u64>) -> Result<Unpacked, PackageError> {
    unpack_with(sandbox, bytes, keep, 0)
}

fn unpack_with(
    sandbox: &Path,
    bytes: &[u8],
    keep: Option<u64>,
    memory_budget: u64,
) -> Result<Unpacked, PackageError> {
    let archive = sandbox.join("p.tgo");
    fs::write(&archive, bytes).unwrap();
    let out = sandbox.join("out");
    let _ = fs::remove_dir_all(&out);
    fs::create_dir(&out).unwrap();
    let limits = Limits::for_testing();
    let options = UnpackOptions {
        limits,
        level: ValidationLevel::Topology,
        schema_dir: None,
        keep_in_archive_above: keep,
        memory_budget,
    };
    unpack(&archive, &out, &options)
}

/// The archive with the first occurrence of `needle` in an entry's data changed (its declared
/// CRC-32 no longer matches).
fn corrupted(bytes: &[u8], needle: &[u8]) -> Vec<u8> {
    let mut bytes = bytes.to_vec();
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("needle in the archive");
    bytes[at] ^= 0xFF;
    bytes
}

#[test]
fn a_big_stored_file_stays_in_the_archive_and_reads_back_exactly() {
    let sandbox = tempfile::tempdir().unwrap();
    let bytes = ZipBuilder::from_files(&package(|_| {})).build();
    let unpacked = unpack_bytes(sandbox.path(), &bytes, KEEP).unwrap();
    assert!(
        !unpacked.extracted.root.join(README).exists(),
        "extracted anyway"
    );
    assert!(unpacked.extracted.contains(README));
    let FileBytes::Member(member) = unpacked.extracted.locate(README).unwrap() else {
        panic!("not a member");
    };
    let mut read = Vec::new();
    member.open().unwrap().read_to_end(&mut read).unwrap();
    assert_eq!(read, big_readme());
    assert!(unpacked
        .extracted
        .root
        .join("Definitions/nsd.yml")
        .is_file());
}

#[test]
fn without_the_option_everything_is_extracted() {
    let sandbox = tempfile::tempdir().unwrap();
    let bytes = ZipBuilder::from_files(&package(|_| {})).build();
    let unpacked = unpack_bytes(sandbox.path(), &bytes, None).unwrap();
    assert!(unpacked.extracted.members.is_empty());
    assert_eq!(
        fs::read(unpacked.extracted.root.join(README)).unwrap(),
        big_readme()
    );
}

#[test]
fn a_wrong_hash_of_a_member_is_a_checksum_mismatch() {
    let sandbox = tempfile::tempdir().unwrap();
    let files = package(|f| {
        f.insert(README.into(), b"changed after hashing".repeat(10_000));
    });
    let error = unpack_bytes(
        sandbox.path(),
        &ZipBuilder::from_files(&files).build(),
        KEEP,
    )
    .unwrap_err();
    assert_eq!(error.code(), "checksum-mismatch");
    assert!(error.to_string().contains(README), "{error}");
}

#[test]
fn a_corrupt_member_is_a_corrupt_archive_listed_or_not() {
    let sandbox = tempfile::tempdir().unwrap();
    let listed = ZipBuilder::from_files(&package(|_| {})).build();
    let needle = &big_readme()[1000..1064];
    let error = unpack_bytes(sandbox.path(), &corrupted(&listed, needle), KEEP).unwrap_err();
    assert_eq!(error.code(), "corrupt-archive", "{error}");
    let unlisted = ZipBuilder::from_files(&package(|f| {
        f.insert(
            "Docs/extra.bin".into(),
            big_readme().into_iter().rev().collect(),
        );
    }))
    .build();
    let needle: Vec<u8> = big_readme().into_iter().rev().skip(500).take(64).collect();
    let error = unpack_bytes(sandbox.path(), &corrupted(&unlisted, &needle), KEEP).unwrap_err();
    assert_eq!(error.code(), "corrupt-archive", "{error}");
    assert!(error.to_string().contains("Docs/extra.bin"), "{error}");
}

#[test]
fn a_descriptor_too_big_to_read_is_refused_as_before() {
    let sandbox = tempfile::tempdir().unwrap();
    let padded = |f: &mut BTreeMap<String, Vec<u8>>| {
        let mut nsd = f["Definitions/nsd.yml"].clone();
        nsd.extend(b"# padding\n".repeat(10_000));
        f.insert("Definitions/nsd.yml".into(), nsd);
        rehash(f, "eu.test", "pkg", "0.1");
    };
    let bytes = ZipBuilder::from_files(&package(padded)).build();
    let kept = unpack_bytes(sandbox.path(), &bytes, KEEP).unwrap_err();
    let extracted = unpack_bytes(sandbox.path(), &bytes, None).unwrap_err();
    assert_eq!(kept.code(), "descriptor-invalid");
    assert_eq!(kept.to_string(), extracted.to_string());
}

#[test]
fn a_member_is_written_back_into_a_project() {
    let sandbox = tempfile::tempdir().unwrap();
    let bytes = ZipBuilder::from_files(&package(|_| {})).build();
    let unpacked = unpack_bytes(sandbox.path(), &bytes, KEEP).unwrap();
    let project = sandbox.path().join("project");
    crate::write_project(&unpacked, &project, &Limits::for_testing()).unwrap();
    assert_eq!(fs::read(project.join(README)).unwrap(), big_readme());
}

/// Every file under `dir` (none when it does not exist).
fn files_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(files_under(&path));
            } else {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

#[test]
fn small_files_stay_in_memory_and_nothing_is_written() {
    let sandbox = tempfile::tempdir().unwrap();
    let files = sample_package_files("eu.test", "pkg", "0.1");
    let bytes = ZipBuilder::from_files(&files).build();
    let unpacked = unpack_with(sandbox.path(), &bytes, KEEP, 1024 * 1024).unwrap();
    assert_eq!(
        files_under(&sandbox.path().join("out")),
        Vec::<String>::new()
    );
    for (name, data) in &files {
        let FileBytes::Memory(held) = unpacked.extracted.locate(name).unwrap() else {
            panic!("{name} is not in memory");
        };
        assert_eq!(&held[..], &data[..], "{name}");
    }
}

#[test]
fn what_does_not_fit_the_memory_budget_goes_to_disk() {
    let sandbox = tempfile::tempdir().unwrap();
    let files = sample_package_files("eu.test", "pkg", "0.1");
    let bytes = ZipBuilder::from_files(&files).build();
    let unpacked = unpack_with(sandbox.path(), &bytes, KEEP, 300).unwrap();
    let extracted = &unpacked.extracted;
    assert!(!extracted.memory.is_empty(), "something fits in 300 bytes");
    assert!(extracted.memory.values().map(|b| b.len()).sum::<usize>() <= 300);
    for (name, data) in &files {
        let held = match extracted.locate(name).unwrap() {
            FileBytes::Memory(held) => held.to_vec(),
            FileBytes::Path(path) => fs::read(path).unwrap(),
            FileBytes::Member(_) => panic!("{name} is small"),
        };
        assert_eq!(&held, data, "{name}");
    }
}
