//! The four services of the platform: binary names, arguments, ports and the variables that
//! wire them together.

use std::fmt;

/// One of the platform's processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    Catalogue,
    CallbackMock,
    Packager,
    Gatekeeper,
}

impl Service {
    /// The order in which the launcher starts them: each one's upstreams come first.
    /// Stopping goes the other way round.
    pub const START_ORDER: [Service; 4] = [
        Service::Catalogue,
        Service::CallbackMock,
        Service::Packager,
        Service::Gatekeeper,
    ];

    /// Short name used as the log prefix.
    pub fn name(self) -> &'static str {
        match self {
            Service::Catalogue => "catalogue",
            Service::CallbackMock => "callback-mock",
            Service::Packager => "packager",
            Service::Gatekeeper => "gatekeeper",
        }
    }

    /// The cargo package that builds the binary (also the binary's name).
    pub fn binary(self) -> &'static str {
        match self {
            Service::Catalogue => "catalogue",
            Service::CallbackMock => "callback-mock",
            Service::Packager => "packager",
            Service::Gatekeeper => "gatekeeper-common",
        }
    }

    /// Command-line arguments: only the packager needs one (`serve`; without it, it is the CLI).
    pub fn args(self) -> &'static [&'static str] {
        match self {
            Service::Packager => &["serve"],
            _ => &[],
        }
    }

    /// The variable holding the service's listen address.
    pub fn bind_var(self) -> &'static str {
        match self {
            Service::Catalogue => "CATALOGUE_BIND",
            Service::CallbackMock => "CALLBACK_MOCK_BIND",
            Service::Packager => "PACKAGER_BIND",
            Service::Gatekeeper => "GATEKEEPER_BIND",
        }
    }

    /// The port of the contract (spec/README.md).
    pub fn default_port(self) -> u16 {
        match self {
            Service::Catalogue => 4011,
            Service::CallbackMock => 8000,
            Service::Packager => 5099,
            Service::Gatekeeper => 32002,
        }
    }

    /// The public API prefix, for the start-up summary.
    pub fn api_prefix(self) -> &'static str {
        match self {
            Service::Catalogue => "/api/catalogues/v2",
            Service::CallbackMock => "/api/v1",
            Service::Packager => "/api/v1",
            Service::Gatekeeper => "/api/v3",
        }
    }

    /// Every service answers this with 200 once it can take work.
    pub fn ready_path(self) -> &'static str {
        "/health/ready"
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The command that builds every binary the platform runs (printed when one is missing).
pub const BUILD_COMMAND: &str =
    "cargo build --bins -p catalogue -p packager -p gatekeeper-common -p callback-mock";
