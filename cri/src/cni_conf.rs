//! A kubelet-style CNI configuration directory (`/etc/cni/net.d`): the
//! first configuration file by name (as libcni's `ConfFiles` and CRI-O pick
//! it) becomes the rpod network sandboxes join. rpod runs its own CNI chain
//! for a network (bridge with host-local IPAM, portmap, firewall, tuning),
//! so only configurations of that shape are taken; any other plugin is
//! refused rather than left out.

use std::path::{Path, PathBuf};

use rpod_api::network::NetworkCreateOptions;
use rpod_api::{Error, FrontDoor};
use serde_json::Value;

/// The plugins of rpod's own chain; `bridge` must be one of them.
const KNOWN_PLUGINS: [&str; 4] = ["bridge", "portmap", "firewall", "tuning"];

/// A configuration rpod cannot take.
#[derive(Debug, thiserror::Error)]
pub enum CniConfError {
    #[error("reading the CNI configuration directory {dir}: {source}")]
    ReadDir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("no CNI configuration (*.conflist, *.conf, *.json) in {0}")]
    Empty(PathBuf),
    #[error("{file}: {msg}")]
    Invalid { file: PathBuf, msg: String },
}

/// The network a configuration file describes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CniNetwork {
    pub file: PathBuf,
    pub name: String,
    pub bridge: String,
    pub subnets: Vec<String>,
    pub gateways: Vec<String>,
    pub internal: bool,
}

impl CniNetwork {
    /// The `network create` request for it.
    pub fn create_options(&self) -> NetworkCreateOptions {
        NetworkCreateOptions {
            name: Some(self.name.clone()),
            driver: Some("bridge".to_owned()),
            subnets: self.subnets.clone(),
            gateways: self.gateways.clone(),
            ipv6: self.subnets.iter().any(|s| s.contains(':')),
            internal: self.internal,
            disable_dns: true,
            interface_name: Some(self.bridge.clone()),
            ..NetworkCreateOptions::default()
        }
    }
}

/// Creates the network `net` describes, or checks that the existing one of
/// that name has its bridge and subnets.
pub async fn ensure(engine: &dyn FrontDoor, net: &CniNetwork) -> Result<(), Error> {
    let (found, _) = engine
        .network_inspect(std::slice::from_ref(&net.name))
        .await?;
    let Some(existing) = found.into_iter().next().map(|r| r.network) else {
        return engine
            .network_create(net.create_options())
            .await
            .map(|_| ());
    };
    let subnets: Vec<String> = existing.subnets.iter().map(|s| s.subnet.clone()).collect();
    if existing.network_interface != net.bridge || subnets != net.subnets {
        return Err(Error::invalid(format!(
            "{}: network {} already exists with bridge {} and subnets {}, not as configured",
            net.file.display(),
            net.name,
            existing.network_interface,
            subnets.join(", ")
        )));
    }
    Ok(())
}

/// The network of the first configuration file in `dir`.
pub fn load(dir: &Path) -> Result<CniNetwork, CniConfError> {
    let entries = std::fs::read_dir(dir).map_err(|source| CniConfError::ReadDir {
        dir: dir.to_owned(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_file()
                && matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("conflist" | "conf" | "json")
                )
        })
        .collect();
    files.sort();
    let file = files
        .into_iter()
        .next()
        .ok_or_else(|| CniConfError::Empty(dir.to_owned()))?;
    let invalid = |msg: String| CniConfError::Invalid {
        file: file.clone(),
        msg,
    };
    let text = std::fs::read_to_string(&file).map_err(|e| invalid(e.to_string()))?;
    parse(&text).map_err(invalid).map(|mut n| {
        n.file = file.clone();
        n
    })
}

/// The network of one configuration (a list, or a single plugin's `.conf`).
fn parse(text: &str) -> Result<CniNetwork, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let name = v["name"]
        .as_str()
        .filter(|n| !n.is_empty())
        .ok_or("no network name")?
        .to_owned();
    let plugins: Vec<&Value> = match v["plugins"].as_array() {
        Some(list) => list.iter().collect(),
        None => vec![&v],
    };
    let mut bridge = None;
    for p in &plugins {
        let kind = p["type"].as_str().unwrap_or_default();
        if !KNOWN_PLUGINS.contains(&kind) {
            return Err(format!(
                "CNI plugin type {kind:?} is not supported: rpod runs bridge networks (bridge with host-local IPAM, portmap, firewall, tuning)"
            ));
        }
        if kind == "bridge" {
            if bridge.is_some() {
                return Err("more than one bridge plugin".to_owned());
            }
            bridge = Some(*p);
        }
    }
    let bridge = bridge.ok_or("no bridge plugin: rpod runs bridge networks only")?;
    let is_gateway = bridge["isGateway"].as_bool().unwrap_or(false);
    let ip_masq = bridge["ipMasq"].as_bool().unwrap_or(false);
    if is_gateway != ip_masq {
        return Err(
            "isGateway and ipMasq differ: rpod's bridge networks have both (or neither, internal)"
                .to_owned(),
        );
    }
    let ipam = &bridge["ipam"];
    if ipam["type"].as_str() != Some("host-local") {
        return Err("the bridge's IPAM must be host-local".to_owned());
    }
    let mut ranges: Vec<&Value> = Vec::new();
    if let Some(sets) = ipam["ranges"].as_array() {
        for set in sets {
            let first = set
                .as_array()
                .and_then(|r| r.first())
                .ok_or("an empty IPAM range set")?;
            if set.as_array().is_some_and(|r| r.len() > 1) {
                return Err("more than one range in a range set is not supported".to_owned());
            }
            ranges.push(first);
        }
    } else if ipam["subnet"].is_string() {
        ranges.push(ipam);
    }
    if ranges.is_empty() {
        return Err("the IPAM configuration names no subnet".to_owned());
    }
    let mut subnets = Vec::new();
    let mut gateways = Vec::new();
    for r in &ranges {
        if r.get("rangeStart").is_some() || r.get("rangeEnd").is_some() {
            return Err("rangeStart/rangeEnd are not supported".to_owned());
        }
        subnets.push(
            r["subnet"]
                .as_str()
                .ok_or("a range without subnet")?
                .to_owned(),
        );
        if let Some(g) = r["gateway"].as_str() {
            gateways.push(g.to_owned());
        }
    }
    if !gateways.is_empty() && gateways.len() != subnets.len() {
        return Err("either every range or none names its gateway".to_owned());
    }
    Ok(CniNetwork {
        file: PathBuf::new(),
        name,
        bridge: bridge["bridge"].as_str().unwrap_or("cni0").to_owned(),
        subnets,
        gateways,
        internal: !is_gateway,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: &str = r#"{"cniVersion":"1.0.0","name":"k8s","plugins":[
        {"type":"bridge","bridge":"cri7","isGateway":true,"ipMasq":true,
         "ipam":{"type":"host-local","ranges":[[{"subnet":"10.81.7.0/24","gateway":"10.81.7.1"}]]}},
        {"type":"portmap","capabilities":{"portMappings":true}}]}"#;

    #[test]
    fn conflist_becomes_a_network() {
        let n = parse(LIST).unwrap();
        assert_eq!(n.name, "k8s");
        assert_eq!(n.bridge, "cri7");
        assert_eq!(n.subnets, vec!["10.81.7.0/24"]);
        assert_eq!(n.gateways, vec!["10.81.7.1"]);
        assert!(!n.internal);
        let o = n.create_options();
        assert_eq!(o.interface_name.as_deref(), Some("cri7"));
        assert!(!o.ipv6);
    }

    #[test]
    fn single_conf_and_refusals() {
        let conf = r#"{"cniVersion":"0.4.0","name":"n","type":"bridge",
            "ipam":{"type":"host-local","subnet":"10.81.8.0/24"}}"#;
        let n = parse(conf).unwrap();
        assert_eq!(n.bridge, "cni0");
        assert!(n.internal);
        assert!(n.gateways.is_empty());
        let flannel = r#"{"name":"f","plugins":[{"type":"flannel"}]}"#;
        assert!(parse(flannel)
            .unwrap_err()
            .contains("\"flannel\" is not supported"));
        let dhcp = r#"{"name":"d","type":"bridge","ipam":{"type":"dhcp"}}"#;
        assert!(parse(dhcp).unwrap_err().contains("host-local"));
        assert!(parse("{").unwrap_err().starts_with("not JSON"));
    }

    #[test]
    fn first_file_by_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("20-other.conflist"), "{").unwrap();
        std::fs::write(dir.path().join("10-k8s.conflist"), LIST).unwrap();
        std::fs::write(dir.path().join("00-readme.txt"), "x").unwrap();
        let n = load(dir.path()).unwrap();
        assert_eq!(n.file, dir.path().join("10-k8s.conflist"));
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(load(empty.path()), Err(CniConfError::Empty(_))));
    }
}
