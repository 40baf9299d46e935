//! The packager service end to end: the real catalogue in-process (every backend-dependent case
//! on the embedded SQLite backend and on PostgreSQL), the callback-mock as the callback
//! receiver, and the packager from its app factory, all on port 0.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

mod helpers;

mod api;
mod big_files;
mod concurrency;
mod events;
mod fixtures;
mod on_boarding;
mod service_token;
mod spool;
