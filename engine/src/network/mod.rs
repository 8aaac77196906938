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
pub mod ipam;
pub mod mode;
pub mod netavark;
pub mod netns;
pub mod port_reserve;
pub mod ports;
pub mod store;
pub mod subnets;
pub mod types;

#[cfg(test)]
mod netavark_tests;
