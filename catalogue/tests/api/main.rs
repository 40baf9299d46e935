//! Black-box tests over HTTP against `catalogue::build` on port 0, every case run on both
//! backends: SQLite in a temp dir, and PostgreSQL (a fresh database per test, from
//! `TEST_DATABASE_URL`; the test fails when the server cannot be reached).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

mod helpers;
mod moto;

mod bad_input;
mod blobs;
mod bundle;
mod descriptors;
mod field_index;
mod packages;
mod queries;
mod service_token;
mod slices;
mod sweep;
mod upkeep;
