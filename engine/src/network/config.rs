//! The `[network]` table of rpod.conf. rpod's networks are its own: the
//! definitions directory, the default network's bridge and subnet never come
//! from containers.conf, whose values are Podman's (`/etc/containers/networks`,
//! `podman0`, 10.88.0.0/16), so the two engines run side by side.

use std::path::PathBuf;

use serde::Deserialize;

use super::store::{DefaultNetwork, DEFAULT_BRIDGE, DEFAULT_NETWORK};
use super::subnets::DEFAULT_SUBNET;

/// Where network definitions live unless rpod.conf says otherwise.
pub const DEFAULT_NETWORK_CONFIG_DIR: &str = "/etc/rpod/networks";

/// The network backends rpod drives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    #[default]
    Netavark,
    Cni,
}

impl Backend {
    /// The name `info` reports as `host.networkBackend`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Netavark => "netavark",
            Backend::Cni => "cni",
        }
    }
}

/// `[network]` as written; every field optional.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkSection {
    pub network_backend: Option<Backend>,
    pub network_config_dir: Option<PathBuf>,
    pub default_network: Option<String>,
    pub default_subnet: Option<String>,
    /// The default network's bridge.
    pub default_interface: Option<String>,
    /// The mode of containers created without `--network` (Podman's
    /// containers.conf `netns`): `bridge` (the default, as rootful Podman),
    /// `none` or `host`.
    pub default_network_mode: Option<DefaultMode>,
}

/// What `--network` defaults to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DefaultMode {
    #[default]
    Bridge,
    None,
    Host,
}

/// `[network]` resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkConfig {
    pub backend: Backend,
    pub config_dir: PathBuf,
    pub default: DefaultNetwork,
    pub default_mode: DefaultMode,
}

/// A `[network]` value rpod cannot use.
#[derive(Debug, thiserror::Error)]
#[error("rpod.conf [network] default_subnet {0:?}: not a subnet in CIDR form")]
pub struct BadSubnet(String);

impl NetworkSection {
    pub fn resolve(&self) -> Result<NetworkConfig, BadSubnet> {
        let subnet_text = self.default_subnet.as_deref().unwrap_or(DEFAULT_SUBNET);
        let subnet = subnet_text
            .parse::<ipnet::IpNet>()
            .map_err(|_| BadSubnet(subnet_text.to_owned()))?
            .trunc();
        Ok(NetworkConfig {
            backend: self.network_backend.unwrap_or_default(),
            config_dir: self
                .network_config_dir
                .clone()
                .unwrap_or_else(|| PathBuf::from(DEFAULT_NETWORK_CONFIG_DIR)),
            default: DefaultNetwork {
                name: self
                    .default_network
                    .clone()
                    .unwrap_or_else(|| DEFAULT_NETWORK.to_owned()),
                bridge: self
                    .default_interface
                    .clone()
                    .unwrap_or_else(|| DEFAULT_BRIDGE.to_owned()),
                subnet,
            },
            default_mode: self.default_network_mode.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let d = NetworkSection::default().resolve().unwrap();
        assert_eq!(d.backend, Backend::Netavark);
        assert_eq!(d.config_dir, PathBuf::from("/etc/rpod/networks"));
        assert_eq!(d.default, DefaultNetwork::default());
        let s: NetworkSection = toml::from_str(
            "network_backend = \"cni\"\ndefault_subnet = \"10.70.1.7/24\"\ndefault_interface = \"rpt0\"\n",
        )
        .unwrap();
        let c = s.resolve().unwrap();
        assert_eq!(c.backend, Backend::Cni);
        assert_eq!(c.default.subnet.to_string(), "10.70.1.0/24");
        assert_eq!(c.default.bridge, "rpt0");
        let bad = NetworkSection {
            default_subnet: Some("nope".into()),
            ..Default::default()
        };
        assert!(bad.resolve().is_err());
        assert!(toml::from_str::<NetworkSection>("network_backend = \"slirp\"").is_err());
    }
}
