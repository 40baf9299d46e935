//! Test helpers (feature `test-support`): a raw zip builder that can write what well-behaved
//! writers refuse (traversal names, symlinks, duplicates, encryption flags), and a generator of
//! small valid packages. No binary fixtures are needed.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

/// One raw, stored (uncompressed) entry.
#[derive(Debug, Clone)]
pub struct RawEntry {
    pub name: String,
    pub data: Vec<u8>,
    pub unix_mode: u32,
    pub encrypted: bool,
}

/// Builds a zip byte by byte.
#[derive(Debug, Clone, Default)]
pub struct ZipBuilder {
    entries: Vec<RawEntry>,
}

impl ZipBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every file of a map, in key order.
    pub fn from_files(files: &BTreeMap<String, Vec<u8>>) -> Self {
        files
            .iter()
            .fold(Self::new(), |b, (name, data)| b.file(name, data))
    }

    pub fn file(self, name: &str, data: &[u8]) -> Self {
        self.entry(name, data, 0o100_644, false)
    }

    pub fn dir(self, name: &str) -> Self {
        self.entry(
            &format!("{}/", name.trim_end_matches('/')),
            b"",
            0o040_755,
            false,
        )
    }

    pub fn symlink(self, name: &str, target: &str) -> Self {
        self.entry(name, target.as_bytes(), 0o120_777, false)
    }

    pub fn encrypted_file(self, name: &str, data: &[u8]) -> Self {
        self.entry(name, data, 0o100_644, true)
    }

    pub fn entry(mut self, name: &str, data: &[u8], unix_mode: u32, encrypted: bool) -> Self {
        self.entries.push(RawEntry {
            name: name.to_owned(),
            data: data.to_vec(),
            unix_mode,
            encrypted,
        });
        self
    }

    /// The archive: local headers, central directory, end record.
    pub fn build(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for entry in &self.entries {
            let offset = out.len() as u32;
            let crc = crc32(&entry.data);
            let flags: u16 = if entry.encrypted { 1 } else { 0 };
            let size = entry.data.len() as u32;
            let name = entry.name.as_bytes();
            // Local file header.
            put32(&mut out, 0x0403_4b50);
            for v in [20u16, flags, 0, 0, 0x21] {
                put16(&mut out, v);
            }
            for v in [crc, size, size] {
                put32(&mut out, v);
            }
            put16(&mut out, name.len() as u16);
            put16(&mut out, 0);
            out.extend_from_slice(name);
            out.extend_from_slice(&entry.data);
            // Central directory header (made by Unix, so the mode is in the external attributes).
            put32(&mut central, 0x0201_4b50);
            for v in [(3u16 << 8) | 20, 20, flags, 0, 0, 0x21] {
                put16(&mut central, v);
            }
            for v in [crc, size, size] {
                put32(&mut central, v);
            }
            for v in [name.len() as u16, 0, 0, 0, 0] {
                put16(&mut central, v);
            }
            put32(&mut central, entry.unix_mode << 16);
            put32(&mut central, offset);
            central.extend_from_slice(name);
        }
        let central_offset = out.len() as u32;
        let count = self.entries.len() as u16;
        out.extend_from_slice(&central);
        put32(&mut out, 0x0605_4b50);
        for v in [0u16, 0, count, count] {
            put16(&mut out, v);
        }
        put32(&mut out, central.len() as u32);
        put32(&mut out, central_offset);
        put16(&mut out, 0);
        out
    }
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for byte in data {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// sha256 hex of bytes.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The files of a small valid package `vendor.name.version`: TOSCA.meta, a NAPD listing a
/// 5GTANGO NSD and the VNFD it names (SHA-256 hashes), and a text artifact.
pub fn sample_package_files(vendor: &str, name: &str, version: &str) -> BTreeMap<String, Vec<u8>> {
    let vnfd = format!(
        "descriptor_schema: https://example.org/vnfd-schema.yml\nvendor: {vendor}\nname: {name}-vnf\nversion: '{version}'\nvirtual_deployment_units: []\n"
    );
    let nsd = format!(
        "descriptor_schema: https://example.org/nsd-schema.yml\nvendor: {vendor}\nname: {name}\nversion: '{version}'\nnetwork_functions:\n- vnf_id: vnf1\n  vnf_vendor: {vendor}\n  vnf_name: {name}-vnf\n  vnf_version: '{version}'\n"
    );
    let readme = b"an artifact\n".to_vec();
    let mut files = BTreeMap::new();
    files.insert("Definitions/vnfd.yml".to_owned(), vnfd.into_bytes());
    files.insert("Definitions/nsd.yml".to_owned(), nsd.into_bytes());
    files.insert("Docs/README.txt".to_owned(), readme);
    let napd = sample_napd(vendor, name, version, &files);
    files.insert("TOSCA-Metadata/NAPD.yaml".to_owned(), napd.into_bytes());
    files.insert(
        "TOSCA-Metadata/TOSCA.meta".to_owned(),
        b"TOSCA-Meta-Version: 1.0\nCSAR-Version: 1.0\nCreated-By: Test Suite\n\nName: TOSCA-Metadata/NAPD.yaml\nContent-Type: application/vnd.5gtango.napd\n\n"
            .to_vec(),
    );
    files
}

fn sample_napd(
    vendor: &str,
    name: &str,
    version: &str,
    files: &BTreeMap<String, Vec<u8>>,
) -> String {
    let mut napd = format!(
        "descriptor_schema: https://example.org/napd-schema.yml\nvendor: {vendor}\nname: {name}\nversion: '{version}'\npackage_type: application/vnd.5gtango.package.nsp\nmaintainer: Test Suite\nrelease_date_time: '2026-11-23T10:00:00Z'\npackage_content:\n"
    );
    for (path, content_type) in [
        ("Definitions/nsd.yml", "application/vnd.5gtango.nsd"),
        ("Definitions/vnfd.yml", "application/vnd.5gtango.vnfd"),
        ("Docs/README.txt", "text/plain"),
    ] {
        let hash = sha256_hex(&files[path]);
        napd.push_str(&format!(
            "- source: {path}\n  algorithm: SHA-256\n  hash: {hash}\n  content-type: {content_type}\n"
        ));
    }
    napd
}

/// Recompute the NAPD after a test changed files (keeps the hashes right).
pub fn rehash(files: &mut BTreeMap<String, Vec<u8>>, vendor: &str, name: &str, version: &str) {
    let napd = sample_napd(vendor, name, version, files);
    files.insert("TOSCA-Metadata/NAPD.yaml".to_owned(), napd.into_bytes());
}

/// A whole sample package as zip bytes.
pub fn sample_package(vendor: &str, name: &str, version: &str) -> Vec<u8> {
    ZipBuilder::from_files(&sample_package_files(vendor, name, version)).build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }
}
