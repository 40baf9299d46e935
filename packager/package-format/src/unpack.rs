//! The unpack pipeline (packager.md §2.1 with decision 10): hygiene, metadata, usable check,
//! checksums, descriptors, cross-references. The first failure ends it.

use std::path::{Path, PathBuf};

use shared_models::NapdRecord;

use crate::{
    archive::{self, Extracted},
    checksum,
    descriptor::{self, Descriptor},
    error::{PackageError, Result},
    level::ValidationLevel,
    limits::Limits,
    record, schema,
    topology::{self, TopologyReport},
};

/// How to unpack.
#[derive(Debug, Clone, Default)]
pub struct UnpackOptions {
    pub limits: Limits,
    pub level: ValidationLevel,
    /// A folder of official JSON schemas (tng-schema layout) for full descriptor validation.
    pub schema_dir: Option<PathBuf>,
    /// Leave stored entries bigger than this in the archive instead of extracting them
    /// ([`crate::member`]); `None` extracts everything.
    pub keep_in_archive_above: Option<u64>,
    /// Bytes of small files read into memory instead of being written to `out` (see
    /// [`archive::Placement`]); 0 writes every file.
    pub memory_budget: u64,
}

/// A package that passed every check of its level.
#[derive(Debug)]
pub struct Unpacked {
    pub record: NapdRecord,
    pub extracted: Extracted,
    pub descriptors: Vec<Descriptor>,
    pub topology: TopologyReport,
}

impl Unpacked {
    /// Warnings of every step, for the report.
    pub fn warnings(&self) -> &[String] {
        &self.topology.warnings
    }
}

/// Unpack `archive` into the empty directory `out` (created when a file has to be written
/// there) and check it.
pub fn unpack(archive: &Path, out: &Path, options: &UnpackOptions) -> Result<Unpacked> {
    reject_son_by_name(archive)?;
    let placement = archive::Placement {
        keep_in_archive_above: options.keep_in_archive_above,
        memory_budget: options.memory_budget,
    };
    let extracted = archive::extract_placed(archive, out, &options.limits, placement)?;
    reject_son_by_layout(&extracted)?;
    let mut record = record::collect(&extracted, &options.limits)?;
    record::assert_usable(&record)?;
    checksum::verify_all(&extracted, &record.package_content)?;
    let check_syntax = options.level >= ValidationLevel::Syntax;
    let descriptors = descriptor::load_all(
        &extracted,
        &record.package_content,
        &options.limits,
        check_syntax,
    )?;
    if let (true, Some(dir)) = (check_syntax, &options.schema_dir) {
        schema::validate_all(dir, &descriptors)?;
    }
    let topology = if options.level >= ValidationLevel::Integrity {
        topology::check(&descriptors, options.level >= ValidationLevel::Topology)
    } else {
        TopologyReport::default()
    };
    if !topology.warnings.is_empty() {
        record.warning = Some(topology.warnings.join("; "));
    }
    Ok(Unpacked {
        record,
        extracted,
        descriptors,
        topology,
    })
}

const SON_MESSAGE: &str =
    "SONATA 1 (.son) packages are not supported; repackage the service as a 5GTANGO .tgo";

fn reject_son_by_name(archive: &Path) -> Result<()> {
    match archive.extension().and_then(|e| e.to_str()) {
        Some(ext) if ext.eq_ignore_ascii_case("son") => {
            Err(PackageError::UnsupportedFormat(SON_MESSAGE.into()))
        }
        _ => Ok(()),
    }
}

/// A `.son` carries `META-INF/MANIFEST.MF` and no `TOSCA-Metadata/`.
fn reject_son_by_layout(extracted: &Extracted) -> Result<()> {
    if !extracted.has_tosca_dir
        && extracted
            .files
            .iter()
            .any(|f| f.ends_with("META-INF/MANIFEST.MF"))
    {
        return Err(PackageError::UnsupportedFormat(SON_MESSAGE.into()));
    }
    Ok(())
}
