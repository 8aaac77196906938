//! Network definitions: one JSON file per network (netavark's [`Network`]
//! shape, as Podman keeps them in /etc/containers/networks) in rpod's own
//! directory, plus the default network, which exists without a file unless
//! one overrides it (as in Podman).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::subnets;
use super::types::{Network, Subnet};
use crate::storage::atomic;

/// The default network's name (scripts and Podman's tests say `--network podman`).
pub const DEFAULT_NETWORK: &str = "podman";
/// Its bridge: rpod's own, never Podman's `podman0`.
pub const DEFAULT_BRIDGE: &str = "rpod0";

/// A failed store operation, in Podman's words where scripts match them.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unable to find network with name or ID {0}: network not found")]
    NotFound(String),
    #[error("network name {0} already used: network already exists")]
    Exists(String),
    #[error("more than one result for network ID {0}")]
    Ambiguous(String),
    #[error(
        "network name {0} invalid: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument"
    )]
    InvalidName(String),
    #[error("default network {0} cannot be removed")]
    DefaultNetwork(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error(transparent)]
    Write(#[from] crate::storage::StorageError),
    #[error(transparent)]
    Lock(#[from] crate::lock::LockError),
}

/// What the default network looks like on this engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefaultNetwork {
    pub name: String,
    pub bridge: String,
    pub subnet: ipnet::IpNet,
}

impl Default for DefaultNetwork {
    fn default() -> Self {
        DefaultNetwork {
            name: DEFAULT_NETWORK.to_owned(),
            bridge: DEFAULT_BRIDGE.to_owned(),
            subnet: subnets::DEFAULT_SUBNET
                .parse()
                .unwrap_or_else(|_| ipnet::IpNet::V4(ipnet::Ipv4Net::default())),
        }
    }
}

impl DefaultNetwork {
    /// Podman's default-network ID (the SHA-256 of the name) on rpod's own
    /// bridge; on another bridge (rpod.conf `default_interface`) an ID of
    /// its own, since netavark names firewall chains after the ID and two
    /// roots on one host must never share them.
    pub fn id(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.name.as_bytes());
        if self.bridge != DEFAULT_BRIDGE {
            h.update(b"\0");
            h.update(self.bridge.as_bytes());
        }
        hex::encode(h.finalize())
    }

    /// The definition: a bridge with DNS off (Podman's default network has
    /// none), its gateway the subnet's first address, its ID the SHA-256 of
    /// its name (Podman's default network ID), host-local IPAM, created now
    /// (Podman's default network is made afresh by every command).
    pub fn network(&self) -> Network {
        let gateway = self.subnet.hosts().next();
        Network {
            name: self.name.clone(),
            id: self.id(),
            driver: "bridge".to_owned(),
            network_interface: Some(self.bridge.clone()),
            created: Some(now_rfc3339()),
            subnets: Some(vec![Subnet {
                subnet: self.subnet,
                gateway,
                lease_range: None,
            }]),
            ipv6_enabled: matches!(self.subnet, ipnet::IpNet::V6(_)),
            ipam_options: Some(BTreeMap::from([(
                "driver".to_owned(),
                "host-local".to_owned(),
            )])),
            ..Network::default()
        }
    }
}

/// Now as Go writes a `time.Time` in JSON (RFC 3339, nanoseconds, the
/// local offset).
pub fn now_rfc3339() -> String {
    let nanos = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
    rpod_api::time::GoTime::from_unix_nanos(nanos).rfc3339()
}

/// The networks defined in one directory.
#[derive(Clone, Debug)]
pub struct NetworkStore {
    dir: PathBuf,
    default: DefaultNetwork,
}

/// Podman's rule for network names (the same as for containers).
pub fn is_valid_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphanumeric())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

impl NetworkStore {
    pub fn new(dir: PathBuf, default: DefaultNetwork) -> NetworkStore {
        NetworkStore { dir, default }
    }

    /// The default network's definition as this store has it.
    pub fn default_network(&self) -> &DefaultNetwork {
        &self.default
    }

    /// Serializes changes to the definitions across processes (two creates
    /// never take one name or subnet). The lock file sits beside the
    /// definitions, which every rpod using them shares; it is no `.json`.
    pub fn lock(&self) -> Result<crate::lock::LockGuard, StoreError> {
        Ok(crate::lock::lock_exclusive(&self.dir, ".networks")?)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    /// Every network, the default first (its file, if any, wins), then by name.
    pub fn list(&self) -> Result<Vec<Network>, StoreError> {
        let mut out = Vec::new();
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => Some(e),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => {
                return Err(StoreError::Io {
                    path: self.dir.clone(),
                    source,
                })
            }
        };
        for entry in entries.into_iter().flatten().flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            out.push(read(&path)?);
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        if !out.iter().any(|n| n.name == self.default.name) {
            out.insert(0, self.default.network());
        } else if let Some(pos) = out.iter().position(|n| n.name == self.default.name) {
            let d = out.remove(pos);
            out.insert(0, d);
        }
        Ok(out)
    }

    /// A network by name, full ID or unique ID prefix.
    pub fn get(&self, name_or_id: &str) -> Result<Network, StoreError> {
        let all = self.list()?;
        if let Some(n) = all
            .iter()
            .find(|n| n.name == name_or_id || n.id == name_or_id)
        {
            return Ok(n.clone());
        }
        let mut by_prefix = all.iter().filter(|n| n.id.starts_with(name_or_id));
        match (by_prefix.next(), by_prefix.next()) {
            (Some(n), None) if !name_or_id.is_empty() => Ok(n.clone()),
            (Some(_), Some(_)) => Err(StoreError::Ambiguous(name_or_id.to_owned())),
            _ => Err(StoreError::NotFound(name_or_id.to_owned())),
        }
    }

    /// Stores a new network; its name must be free and valid.
    pub fn create(&self, network: &Network) -> Result<(), StoreError> {
        if !is_valid_name(&network.name) {
            return Err(StoreError::InvalidName(network.name.clone()));
        }
        if self.list()?.iter().any(|n| n.name == network.name) {
            return Err(StoreError::Exists(network.name.clone()));
        }
        std::fs::create_dir_all(&self.dir).map_err(|source| StoreError::Io {
            path: self.dir.clone(),
            source,
        })?;
        atomic::write_json(&self.file(&network.name), network)?;
        Ok(())
    }

    /// Writes a changed definition of an existing network (the default
    /// network gets a file of its name, which overrides the built-in one).
    pub fn replace(&self, network: &Network) -> Result<(), StoreError> {
        std::fs::create_dir_all(&self.dir).map_err(|source| StoreError::Io {
            path: self.dir.clone(),
            source,
        })?;
        atomic::write_json(&self.file(&network.name), network)?;
        Ok(())
    }

    /// Deletes a network's file; the default network cannot be removed.
    pub fn remove(&self, name: &str) -> Result<(), StoreError> {
        if name == self.default.name {
            return Err(StoreError::DefaultNetwork(name.to_owned()));
        }
        let path = self.file(name);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(StoreError::NotFound(name.to_owned()))
            }
            Err(source) => Err(StoreError::Io { path, source }),
        }
    }
}

fn read(path: &Path) -> Result<Network, StoreError> {
    let data = std::fs::read(path).map_err(|source| StoreError::Io {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_slice(&data).map_err(|source| StoreError::Json {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(name: &str, id: &str) -> Network {
        Network {
            name: name.into(),
            id: id.into(),
            ..DefaultNetwork::default().network()
        }
    }

    #[test]
    fn default_network_is_podmans_name_and_id_on_rpods_bridge() {
        let d = DefaultNetwork::default().network();
        assert_eq!(d.name, "podman");
        assert_eq!(
            d.id,
            "2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9"
        );
        assert_eq!(d.network_interface.as_deref(), Some("rpod0"));
        let s = &d.subnets.as_ref().unwrap()[0];
        assert_eq!(s.gateway, Some("10.79.0.1".parse().unwrap()));
    }

    #[test]
    fn create_get_list_remove() {
        let dir = tempfile::tempdir().unwrap();
        let store = NetworkStore::new(dir.path().join("networks"), DefaultNetwork::default());
        assert_eq!(store.list().unwrap().len(), 1);
        store.create(&net("b", &"b".repeat(64))).unwrap();
        store.create(&net("a", &"ab".repeat(32))).unwrap();
        let names: Vec<String> = store.list().unwrap().into_iter().map(|n| n.name).collect();
        assert_eq!(names, ["podman", "a", "b"]);
        assert_eq!(store.get("abab").unwrap().name, "a");
        assert!(matches!(store.get("a").unwrap().name.as_str(), "a"));
        assert!(matches!(store.get("zz"), Err(StoreError::NotFound(_))));
        let dup = store.create(&net("a", &"c".repeat(64))).unwrap_err();
        assert_eq!(
            dup.to_string(),
            "network name a already used: network already exists"
        );
        assert!(matches!(
            store.create(&net("-x", "1")),
            Err(StoreError::InvalidName(_))
        ));
        assert!(matches!(
            store.remove("podman"),
            Err(StoreError::DefaultNetwork(_))
        ));
        store.remove("a").unwrap();
        assert_eq!(
            store.get("a").unwrap_err().to_string(),
            "unable to find network with name or ID a: network not found"
        );
    }
}
