//! Container networking: network namespaces the engine owns, network
//! definitions, address allocation, and the backends that plumb them
//! (netavark, as Podman 4+ drives it).
//!
//! - [`mode`]: `--network` values (modes, networks and their options).
//! - [`netns`]: persistent namespaces bound to files under the run root.
//! - [`types`]: the JSON netavark reads and prints.
//! - [`netavark`]: `netavark setup|teardown` for one container.
//! - [`config`]: the `[network]` table of rpod.conf.
//! - [`cni`]: the CNI backend: the same definitions as a plugin chain.
//! - [`slirp`], [`pasta`]: user-mode networking helpers, run as
//!   processes by [`helper_proc`].
//! - [`ipam`]: address allocation within subnets.
//! - [`port_reserve`]: host ports bound before start, held by the monitor.
//! - [`ports`]: `-p`/`--expose` parsing with Podman's rules and messages.
//! - [`create`]: `network create` requests checked and completed.
//! - [`filter`]: `network ls`/`prune` filters.
//! - [`store`]: network definitions on disk and the default network.
//! - [`subnets`]: free subnets for new networks (rpod's pools, host routes).

pub mod cni;
pub mod config;
pub mod create;
pub mod filter;
pub mod helper_proc;
pub mod ipam;
pub mod mode;
pub mod netavark;
pub mod netns;
pub mod pasta;
pub mod port_reserve;
pub mod ports;
pub mod slirp;
pub mod store;
pub mod subnets;
pub mod types;

#[cfg(test)]
mod netavark_tests;

/// The network definitions `config` names, with its default network.
pub fn store_for(config: &config::NetworkConfig) -> store::NetworkStore {
    store::NetworkStore::new(config.config_dir.clone(), config.default.clone())
}

/// A failed networking step of a container's start or cleanup.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error(transparent)]
    Netns(#[from] netns::NetnsError),
    #[error(transparent)]
    Netavark(#[from] netavark::NetavarkError),
    #[error(transparent)]
    Cni(#[from] cni::CniError),
    #[error(transparent)]
    Ipam(#[from] ipam::IpamError),
    #[error(transparent)]
    Helper(#[from] helper_proc::HelperError),
    #[error(transparent)]
    PortInUse(#[from] port_reserve::PortInUse),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Lock(#[from] crate::lock::LockError),
    #[error("network {0} has no subnet")]
    NoSubnet(String),
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// A request Podman refuses, in its words.
    #[error("{0}")]
    Refused(String),
    #[error("container {0} has no network namespace to join: it is not running")]
    NoNamespace(String),
}
