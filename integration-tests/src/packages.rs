//! Test packages made from the canonical example: distinct variants (a new NAPD name each, so no
//! upload is a duplicate) and a variant carrying one big artifact. Shared by the fault and load
//! tests here and by the benchmarks (`bench`).

use std::{
    fs::File,
    io::{BufWriter, Cursor, Read, Write},
    path::Path,
};

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};
use zip::{write::SimpleFileOptions, CompressionMethod, ZipArchive, ZipWriter};

const NAPD: &str = "TOSCA-Metadata/NAPD.yaml";
const NAME_LINE: &str = "name: 5gtango-project-sample\n";

/// The canonical example package of the shared fixtures.
pub fn canonical_example() -> std::path::PathBuf {
    crate::corpus::fixtures_dir().join("packages/5gtango-ns-package-example.tgo")
}

/// The entries of the canonical example package, in archive order.
pub struct Example {
    entries: Vec<(String, Vec<u8>)>,
}

impl Example {
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let mut zip = ZipArchive::new(Cursor::new(bytes))?;
        let mut entries = Vec::new();
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i)?;
            let mut data = Vec::new();
            entry.read_to_end(&mut data)?;
            entries.push((entry.name().to_owned(), data));
        }
        let napd = entries
            .iter()
            .find(|(n, _)| n == NAPD)
            .context("example has no NAPD")?;
        if !String::from_utf8_lossy(&napd.1).contains(NAME_LINE) {
            bail!("the example's NAPD does not hold {NAME_LINE:?}");
        }
        Ok(Self { entries })
    }

    /// The NAPD with a new name and extra `package_content` items appended.
    fn napd(&self, tag: &str, extra_content: &str) -> Vec<u8> {
        let (_, napd) = self
            .entries
            .iter()
            .find(|(n, _)| n == NAPD)
            .expect("checked in load");
        let text = String::from_utf8_lossy(napd)
            .replace(NAME_LINE, &format!("name: 5gtango-project-sample-{tag}\n"))
            .replace(
                "package_content:\n",
                &format!("package_content:\n{extra_content}"),
            );
        text.into_bytes()
    }

    fn write_entries<W: Write + std::io::Seek>(
        &self,
        zip: &mut ZipWriter<W>,
        napd: &[u8],
    ) -> Result<()> {
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        for (name, data) in &self.entries {
            zip.start_file(name.as_str(), options)?;
            zip.write_all(if name == NAPD { napd } else { data })?;
        }
        Ok(())
    }

    /// A package that differs from every other variant by `tag` (lower-case, `[a-z0-9-]`).
    pub fn variant(&self, tag: &str) -> Result<Vec<u8>> {
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        self.write_entries(&mut zip, &self.napd(tag, ""))?;
        Ok(zip.finish()?.into_inner())
    }

    /// Write a variant with a `size`-byte artifact (stored, pseudo-random bytes) to `out`.
    pub fn write_big(&self, tag: &str, size: u64, out: &Path) -> Result<()> {
        const ARTIFACT: &str = "Artifacts/big-image.bin";
        let mut zip = ZipWriter::new(BufWriter::new(File::create(out)?));
        let stored = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .large_file(size >= u64::from(u32::MAX));
        zip.start_file(ARTIFACT, stored)?;
        let mut hasher = Sha256::new();
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let mut chunk = vec![0u8; 1 << 20];
        let mut left = size;
        while left > 0 {
            let n = usize::try_from(left.min(chunk.len() as u64))?;
            rng.fill(&mut chunk[..n]);
            hasher.update(&chunk[..n]);
            zip.write_all(&chunk[..n])?;
            left -= n as u64;
        }
        let hash = hex::encode(hasher.finalize());
        let item = format!(
            "- source: {ARTIFACT}\n  algorithm: SHA-256\n  hash: {hash}\n  content-type: application/octet-stream\n"
        );
        self.write_entries(&mut zip, &self.napd(tag, &item))?;
        zip.finish()?.flush()?;
        Ok(())
    }
}

/// Fast incompressible filler (the ratio rule and deflate never see zeros).
struct XorShift(u64);

impl XorShift {
    fn fill(&mut self, out: &mut [u8]) {
        for word in out.chunks_mut(8) {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            word.copy_from_slice(&x.to_le_bytes()[..word.len()]);
        }
    }
}
