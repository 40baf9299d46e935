//! The packager service (`packager serve`): `POST /api/v1/packages` accepts an upload at once
//! and a bounded pool of workers unpacks, checks and stores it, then calls back.

pub mod bundle;
pub mod catalogue_client;
pub mod config;
pub mod error;
pub mod registry;
pub mod routes;
pub mod service_token;
pub mod spool;
pub mod spool_files;
pub mod startup;
pub mod store;
pub mod upload;
pub mod worker;

pub use config::Config;
pub use startup::{build, Application};
