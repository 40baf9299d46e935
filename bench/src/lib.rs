//! Benchmarks P1–P4 of issue 7 against the real release binaries, run as separate processes
//! (see docs/benchmarks.md). Every figure is measured and printed; nothing here asserts a time.

pub mod client;
pub mod package;
pub mod platform;
pub mod report;
pub mod scenarios;
pub mod stats;
