//! Checksums of `package_content` entries, computed while streaming each file once.

use std::{collections::HashSet, fs::File, io::Read, path::Path};

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use shared_models::ContentEntry;

use crate::{
    archive::Extracted,
    error::{PackageError, Result},
    member::{FileBytes, Member},
};

/// The algorithms a package may name, spelled exactly as the format does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Sha256,
    Sha1,
    Md5,
}

impl Algorithm {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "SHA-256" => Some(Self::Sha256),
            "SHA-1" => Some(Self::Sha1),
            "MD5" => Some(Self::Md5),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "SHA-256",
            Self::Sha1 => "SHA-1",
            Self::Md5 => "MD5",
        }
    }
}

/// Lower-case hex digest of a file, read in 64 KiB chunks.
pub fn digest_file(path: &Path, algorithm: Algorithm) -> std::io::Result<String> {
    match algorithm {
        Algorithm::Sha256 => digest_with::<Sha256>(path),
        Algorithm::Sha1 => digest_with::<Sha1>(path),
        Algorithm::Md5 => digest_with::<Md5>(path),
    }
}

fn digest_with<D: Digest>(path: &Path) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = D::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hex::encode(hasher.finalize()));
        }
        hasher.update(&buf[..n]);
    }
}

/// Lower-case hex digest of bytes in memory.
pub fn digest_bytes(bytes: &[u8], algorithm: Algorithm) -> String {
    match algorithm {
        Algorithm::Sha256 => hex::encode(Sha256::digest(bytes)),
        Algorithm::Sha1 => hex::encode(Sha1::digest(bytes)),
        Algorithm::Md5 => hex::encode(Md5::digest(bytes)),
    }
}

/// Lower-case hex digest of a member left in the archive; its CRC-32 is checked on the same
/// pass (`name` is its path, for the error).
pub fn digest_member(member: &Member, name: &str, algorithm: Algorithm) -> Result<String> {
    fn with<D: Digest>(member: &Member, name: &str) -> Result<String> {
        let mut hasher = D::new();
        member.scan(name, |bytes| hasher.update(bytes))?;
        Ok(hex::encode(hasher.finalize()))
    }
    match algorithm {
        Algorithm::Sha256 => with::<Sha256>(member, name),
        Algorithm::Sha1 => with::<Sha1>(member, name),
        Algorithm::Md5 => with::<Md5>(member, name),
    }
}

/// Check every entry in order; the first failure is returned. A listed file that is missing is
/// always an error; an entry with no algorithm (ETSI-only) is only checked for presence. Then
/// the CRC-32 of every member left in the archive that no checksum read is checked, as
/// extraction would have.
pub fn verify_all(extracted: &Extracted, content: &[ContentEntry]) -> Result<()> {
    let mut read = HashSet::new();
    for entry in content {
        if let Some(member) = verify(extracted, entry)? {
            read.insert(member);
        }
    }
    for (name, member) in &extracted.members {
        if !read.contains(member) {
            member.scan(name, |_| {})?;
        }
    }
    Ok(())
}

/// Checks one entry; the member it read, if it was one.
fn verify(extracted: &Extracted, entry: &ContentEntry) -> Result<Option<Member>> {
    let source = &entry.source;
    let bytes = extracted.locate(source)?;
    if !bytes.exists() {
        return Err(PackageError::MissingFile {
            path: source.clone(),
        });
    }
    let Some(algorithm_name) = entry.algorithm.as_deref() else {
        tracing::warn!(
            source,
            "content entry without algorithm: checksum not verified"
        );
        return Ok(None);
    };
    let expected = match entry.hash.as_deref() {
        Some(hash) if !hash.is_empty() => hash,
        _ => {
            return Err(PackageError::ChecksumMissing {
                file: source.clone(),
            })
        }
    };
    let algorithm =
        Algorithm::parse(algorithm_name).ok_or_else(|| PackageError::UnsupportedAlgorithm {
            file: source.clone(),
            algorithm: algorithm_name.to_owned(),
        })?;
    let (computed, member) = match bytes {
        FileBytes::Path(path) => (
            digest_file(&path, algorithm).map_err(PackageError::io(&path))?,
            None,
        ),
        FileBytes::Member(member) => (digest_member(&member, source, algorithm)?, Some(member)),
        FileBytes::Memory(bytes) => (digest_bytes(&bytes, algorithm), None),
    };
    if !computed.eq_ignore_ascii_case(expected) {
        return Err(PackageError::ChecksumMismatch {
            file: source.clone(),
            computed,
            expected: expected.to_owned(),
        });
    }
    Ok(member)
}
