//! The ports the four services listen on.

use std::net::{SocketAddr, TcpListener};

use anyhow::Context;

use crate::Service;

/// One port per service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ports {
    pub catalogue: u16,
    pub callback_mock: u16,
    pub packager: u16,
    pub gatekeeper: u16,
}

impl Default for Ports {
    /// The contract's ports: 4011, 8000, 5099, 32002.
    fn default() -> Self {
        Self {
            catalogue: Service::Catalogue.default_port(),
            callback_mock: Service::CallbackMock.default_port(),
            packager: Service::Packager.default_port(),
            gatekeeper: Service::Gatekeeper.default_port(),
        }
    }
}

impl Ports {
    pub fn of(&self, service: Service) -> u16 {
        match service {
            Service::Catalogue => self.catalogue,
            Service::CallbackMock => self.callback_mock,
            Service::Packager => self.packager,
            Service::Gatekeeper => self.gatekeeper,
        }
    }

    /// Four distinct free ports on 127.0.0.1 (all four listeners are held until each is known,
    /// then released for the services to bind).
    pub fn free() -> std::io::Result<Self> {
        let listeners = (0..4)
            .map(|_| TcpListener::bind(("127.0.0.1", 0)))
            .collect::<std::io::Result<Vec<_>>>()?;
        let ports = listeners
            .iter()
            .map(|l| l.local_addr().map(|a| a.port()))
            .collect::<std::io::Result<Vec<_>>>()?;
        Ok(Self {
            catalogue: ports[0],
            callback_mock: ports[1],
            packager: ports[2],
            gatekeeper: ports[3],
        })
    }

    /// The defaults, except where a service's own `*_BIND` variable names another port.
    pub fn from_env() -> anyhow::Result<Self> {
        let mut ports = Self::default();
        for service in Service::START_ORDER {
            let Some(raw) = crate::env_text(service.bind_var()) else {
                continue;
            };
            let addr: SocketAddr = raw
                .parse()
                .with_context(|| format!("{}={raw:?} must be host:port", service.bind_var()))?;
            anyhow::ensure!(
                addr.port() != 0,
                "{} must name a fixed port for the launcher (got port 0)",
                service.bind_var()
            );
            match service {
                Service::Catalogue => ports.catalogue = addr.port(),
                Service::CallbackMock => ports.callback_mock = addr.port(),
                Service::Packager => ports.packager = addr.port(),
                Service::Gatekeeper => ports.gatekeeper = addr.port(),
            }
        }
        Ok(ports)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_ports_are_distinct_and_non_zero() {
        let ports = Ports::free().unwrap();
        let mut all: Vec<u16> = Service::START_ORDER.iter().map(|s| ports.of(*s)).collect();
        assert!(all.iter().all(|p| *p != 0));
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 4);
    }

    #[test]
    fn defaults_are_the_contract_ports() {
        let ports = Ports::default();
        assert_eq!(
            (
                ports.gatekeeper,
                ports.packager,
                ports.catalogue,
                ports.callback_mock
            ),
            (32002, 5099, 4011, 8000)
        );
    }
}
