//! Every way a package can be rejected, each with a stable kebab-case code and a message that
//! names the offending file.

use std::path::PathBuf;

/// Why a package (or a project) was rejected.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("not a zip archive (or truncated before its central directory): {0}")]
    NotAZip(String),
    #[error("corrupt archive entry {path}: {reason}")]
    CorruptArchive { path: String, reason: String },
    #[error("unsupported package format: {0}")]
    UnsupportedFormat(String),
    #[error("unsafe path in archive: {path:?} ({reason})")]
    UnsafePath { path: String, reason: &'static str },
    #[error("archive entry {path} is not a regular file or directory ({kind})")]
    NotRegularFile { path: String, kind: &'static str },
    #[error("duplicate archive entry {path}")]
    DuplicateEntry { path: String },
    #[error("archive entry {path} is encrypted")]
    EncryptedEntry { path: String },
    #[error("archive has more than {limit} entries")]
    TooManyEntries { limit: usize },
    #[error("archive expands to more than {limit} bytes (while extracting {path})")]
    ArchiveTooLarge { path: String, limit: u64 },
    #[error("archive entry {path} expands more than {limit}:1 (a decompression bomb?)")]
    CompressionRatio { path: String, limit: u64 },
    #[error("Validation of {path} failed: {}", reasons.join("; "))]
    NapdInvalid { path: String, reasons: Vec<String> },
    #[error("Package metadata validation failed. Package unusable: {0}")]
    MetadataInvalid(String),
    #[error("Checksum mismatch! {file}({computed}) != napdr({expected})")]
    ChecksumMismatch {
        file: String,
        computed: String,
        expected: String,
    },
    #[error("Checksum missing for {file}")]
    ChecksumMissing { file: String },
    #[error("Unsupported algorithm {algorithm} for {file} (SHA-256, SHA-1 or MD5)")]
    UnsupportedAlgorithm { file: String, algorithm: String },
    #[error("File not found: {path}")]
    MissingFile { path: String },
    #[error("descriptor {path} is invalid: {reason}")]
    DescriptorInvalid { path: String, reason: String },
    #[error("topology of {path} is invalid: {reason}")]
    TopologyInvalid { path: String, reason: String },
    #[error("project is invalid: {0}")]
    ProjectInvalid(String),
    #[error("could not detect package type! No NSD, VNFD or TSTD found")]
    UnknownPackageType,
    #[error("I/O error on {path}: {source}", path = path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl PackageError {
    /// The stable, machine-readable code of this failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotAZip(_) => "not-a-zip",
            Self::CorruptArchive { .. } => "corrupt-archive",
            Self::UnsupportedFormat(_) => "unsupported-format",
            Self::UnsafePath { .. } => "unsafe-path",
            Self::NotRegularFile { .. } => "unsafe-entry",
            Self::DuplicateEntry { .. } => "duplicate-entry",
            Self::EncryptedEntry { .. } => "encrypted-entry",
            Self::TooManyEntries { .. } => "too-many-entries",
            Self::ArchiveTooLarge { .. } => "archive-too-large",
            Self::CompressionRatio { .. } => "compression-ratio",
            Self::NapdInvalid { .. } => "napd-invalid",
            Self::MetadataInvalid(_) => "metadata-invalid",
            Self::ChecksumMismatch { .. } => "checksum-mismatch",
            Self::ChecksumMissing { .. } => "checksum-missing",
            Self::UnsupportedAlgorithm { .. } => "unsupported-algorithm",
            Self::MissingFile { .. } => "missing-file",
            Self::DescriptorInvalid { .. } => "descriptor-invalid",
            Self::TopologyInvalid { .. } => "topology-invalid",
            Self::ProjectInvalid(_) => "project-invalid",
            Self::UnknownPackageType => "unknown-package-type",
            Self::Io { .. } => "io-error",
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }

    /// Whether the fault is the package's (a 4xx) rather than the machine's (a 5xx).
    pub fn is_input_error(&self) -> bool {
        !matches!(self, Self::Io { .. })
    }
}

pub type Result<T, E = PackageError> = std::result::Result<T, E>;
