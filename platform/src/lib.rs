//! Runs the SONATA on-boarding platform (gatekeeper, packager, catalogue, callback-mock) as
//! separate processes, in the topology of docker-compose.yml: used by the `sonata-platform`
//! launcher and by the end-to-end tests in `integration-tests/`.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use platform::{Platform, PlatformSpec, Ports};
//! let spec = PlatformSpec::embedded("/tmp/sonata-data", Ports::free()?);
//! let mut running = Platform::start(spec).await?;
//! // ... talk to running.spec().gatekeeper_api() ...
//! running.stop().await;
//! # Ok(()) }
//! ```

pub mod binaries;
pub mod database;
pub mod health;
mod platform;
mod ports;
pub mod process;
mod service;
mod spec;

pub use platform::{Platform, STOP_GRACE};
pub use ports::Ports;
pub use service::{Service, BUILD_COMMAND};
pub use spec::{Logs, PlatformSpec, Storage};

/// A variable's value, trimmed; unset and empty are the same (as in every service's config).
pub fn env_text(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}
