//! The catalogue service: descriptors, artifacts and package archives (API v2).
//!
//! Records live in PostgreSQL or SQLite (`storage`), bytes in a content-addressed blob store
//! (`blobstore`); the HTTP API is in `routes`, and `startup` wires it all together.

pub mod blobstore;
pub mod bundle;
pub mod cascade;
pub mod config;
pub mod counts;
pub mod error;
pub mod format;
pub mod identity;
pub mod indexer;
pub mod model;
pub mod query;
mod routes;
pub mod service_token;
pub mod startup;
pub mod storage;
pub mod sweep;
pub mod telemetry;

pub use config::Config;
pub use startup::{build, Application};
