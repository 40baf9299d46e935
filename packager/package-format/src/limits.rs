//! Resource limits applied to every archive that is read.

/// Bounds on what one package may make the reader do. Every one is configurable by the services
/// (see docs/configuration.md); the defaults suit real packages with large VM images.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most entries (files and folders) an archive may hold.
    pub max_entries: usize,
    /// Most bytes all entries may expand to, counted while decompressing (declared sizes are
    /// never trusted).
    pub max_total_bytes: u64,
    /// Largest expansion of one entry relative to its compressed size.
    pub max_ratio: u64,
    /// Entries smaller than this are exempt from the ratio rule (tiny files compress absurdly).
    pub ratio_exempt_bytes: u64,
    /// Largest descriptor or meta file that is parsed into memory.
    pub max_descriptor_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_entries: 10_000,
            max_total_bytes: 8 * 1024 * 1024 * 1024,
            max_ratio: 200,
            ratio_exempt_bytes: 1024 * 1024,
            max_descriptor_bytes: 16 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// Small limits for tests, so hostile archives trip them with little data.
    pub fn for_testing() -> Self {
        Self {
            max_entries: 50,
            max_total_bytes: 1024 * 1024,
            max_ratio: 50,
            ratio_exempt_bytes: 4 * 1024,
            max_descriptor_bytes: 64 * 1024,
        }
    }
}
