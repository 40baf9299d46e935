//! Black-box tests of the gatekeeper over HTTP, each on SQLite and on PostgreSQL.
//!
//! Test bodies are plain async fns run by `both_backends!`, so clippy does not see them as
//! tests: allow what tests may do.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::needless_pass_by_value,
    clippy::large_futures
)]

mod helpers;

mod auth;
mod binary;
mod on_change;
mod outbox;
mod reads;
mod reconcile;
mod replicas;
mod restart;
mod service_shape;
mod service_token;
mod status;
mod status_wait;
mod timeout;
mod upload;
