//! The four benchmarks. Each starts its own platform so peak-memory readings are its own.

mod p1;
mod p2;
mod p3;
mod p4;

use std::{path::PathBuf, time::Duration};

pub use p1::p1;
pub use p2::p2;
pub use p3::p3;
pub use p4::p4;

/// Knobs of every scenario (defaults are issue 7's figures).
#[derive(Debug, Clone)]
pub struct Options {
    pub example: PathBuf,
    pub p1_runs: usize,
    pub p2_clients: usize,
    pub p2_duration: Duration,
    pub p3_bytes: u64,
    pub p4_descriptors: usize,
    pub p4_samples: usize,
    pub poll: Duration,
    pub p2_poll: Duration,
    /// How long one status question waits for the finish; zero polls.
    pub status_wait: Duration,
}

/// A tag unique to this process and `n`, for distinct package names.
pub fn tag(prefix: &str, n: usize) -> String {
    format!("{prefix}-{}-{n}", std::process::id())
}
