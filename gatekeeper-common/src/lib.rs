//! `gatekeeper-common`: the public packages, services and functions API (`/api/v3`).
//!
//! Uploads are recorded as processes (PostgreSQL or SQLite) and streamed on to the packager;
//! the packager's on-change callback finishes them and fills a persisted outbox that delivers
//! the caller's callback and the subscribers with retries. Reads go to the catalogue.

pub mod auth;
pub mod callback_url;
pub mod compat;
pub mod config;
pub mod db;
pub mod error;
pub mod headers;
mod json_errors;
pub mod outcome;
pub mod routes;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod upload_form;
pub mod upstream;
pub mod workers;

pub use config::Config;
pub use startup::{build, AppStopper, Application};

/// Where the public API lives.
pub const API_PREFIX: &str = "/api/v3";
