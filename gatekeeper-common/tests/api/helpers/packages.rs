//! Packages for the tests: small valid ones built with the package-format test support, broken
//! variants, and the shared fixtures (read in place, never copied).

use std::path::PathBuf;

use package_format::test_support::{sample_package, sample_package_files, ZipBuilder};

pub const VENDOR: &str = "eu.gk-test";

/// A small valid package `eu.gk-test.<name>.0.1` (an NSD, the VNFD it names, a text file).
pub fn sample(name: &str) -> Vec<u8> {
    sample_package(VENDOR, name, "0.1")
}

/// A package whose artifact does not match the hash its NAPD lists.
pub fn bad_checksum(name: &str) -> Vec<u8> {
    let mut files = sample_package_files(VENDOR, name, "0.1");
    files.insert("Docs/README.txt".into(), b"tampered\n".to_vec());
    ZipBuilder::from_files(&files).build()
}

/// A package whose NSD names a VNF that is neither in it nor in the catalogue.
pub fn vnf_missing(name: &str) -> Vec<u8> {
    let mut files = sample_package_files(VENDOR, name, "0.1");
    files.remove("Definitions/vnfd.yml");
    let napd = String::from_utf8(files["TOSCA-Metadata/NAPD.yaml"].clone()).expect("utf-8");
    let (head, tail) = napd
        .split_once("- source: Definitions/vnfd.yml")
        .expect("the vnfd entry");
    let tail = tail
        .split_once("- source: Docs/README.txt")
        .map(|(_, rest)| format!("- source: Docs/README.txt{rest}"))
        .expect("the readme entry");
    files.insert(
        "TOSCA-Metadata/NAPD.yaml".into(),
        format!("{head}{tail}").into_bytes(),
    );
    ZipBuilder::from_files(&files).build()
}

/// `../shared/fixtures/packages/<relative>` beside the checkout.
pub fn fixture(relative: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/packages")
        .join(relative);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// The bytes of member `source` of a zip archive (also under one wrapping top folder).
pub fn member(archive: &[u8], source: &str) -> Vec<u8> {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive)).expect("a zip");
    let suffix = format!("/{source}");
    let name = zip
        .file_names()
        .filter(|n| !n.starts_with("__MACOSX/"))
        .find(|n| *n == source || n.ends_with(&suffix))
        .unwrap_or_else(|| panic!("{source} is not in the archive"))
        .to_owned();
    let mut file = zip.by_name(&name).expect("member");
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).expect("read member");
    bytes
}
