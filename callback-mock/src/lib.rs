//! A callback receiver for demos and tests.
//!
//! It accepts POSTed callbacks at `/api/v1/packages/on-change` and under `/callbacks/`, keeps the
//! latest ones in memory, and offers read-back (`/api/v1/received`), long-polling
//! (`/api/v1/received/wait`) and failure injection (`/api/v1/failures`).

pub mod config;
pub mod error;
pub mod failures;
mod json_errors;
mod routes;
pub mod startup;
pub mod store;
pub mod telemetry;

pub use config::Config;
pub use startup::{build, Application};
