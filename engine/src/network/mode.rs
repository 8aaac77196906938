//! `--network` values as Podman reads them: a mode (`bridge[:opts]`, `none`,
//! `host`, `private`, `ns:PATH`, `container:ID`, `slirp4netns[:opts]`,
//! `pasta[:opts]`) or network names (`NAME[:ip=,ip6=,mac=,alias=,interface_name=]`,
//! or `NAME1,NAME2`); more `--network` flags add networks to bridge mode only.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// The key of the default network in [`NetworkSelection::networks`] until the
/// engine resolves it (Podman's placeholder is the same).
pub const DEFAULT_KEY: &str = "default";

/// How the container gets its network namespace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode", content = "value")]
pub enum NetMode {
    /// Nothing given: the engine's default (bridge on the default network for root).
    #[default]
    Private,
    /// One or more networks.
    Bridge,
    /// A namespace with only loopback.
    None,
    /// The host's namespace.
    Host,
    /// An existing namespace by path (`ns:PATH`).
    Path(String),
    /// Another container's namespace (`container:ID`).
    Container(String),
    /// User-mode networking with its options.
    Slirp4netns(Vec<String>),
    Pasta(Vec<String>),
}

/// A container's options on one network.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkAttach {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub static_ips: Vec<IpAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub static_mac: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface_name: Option<String>,
    /// Driver options (`NAME:key=value`) passed to the backend.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

/// What `--network` asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkSelection {
    pub mode: NetMode,
    /// By network name ([`DEFAULT_KEY`] for the default network).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub networks: BTreeMap<String, NetworkAttach>,
}

/// A `--network` value Podman refuses, in its words.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ModeError(String);

const MODE_NAMES: [&str; 10] = [
    "bridge",
    "slirp4netns",
    "pasta",
    "pod",
    "none",
    "default",
    "private",
    "ns",
    "container",
    "host",
];

/// Parses every `--network` flag of one container (empty: the default mode).
pub fn parse(values: &[String]) -> Result<NetworkSelection, ModeError> {
    let mut sel = NetworkSelection::default();
    let Some(first) = values.first() else {
        return Ok(sel);
    };
    let (key, opts) = match first.split_once(':') {
        Some((k, o)) => (k, Some(o)),
        None => (first.as_str(), None),
    };
    sel.mode = match (key, opts) {
        ("" | "default" | "private", None) => NetMode::Private,
        ("bridge", _) => {
            let attach = opts.map(parse_attach).transpose()?.unwrap_or_default();
            sel.networks.insert(DEFAULT_KEY.to_owned(), attach);
            NetMode::Bridge
        }
        ("none", None) => NetMode::None,
        ("host", None) => NetMode::Host,
        ("ns", Some(path)) => NetMode::Path(path.to_owned()),
        ("container", Some(id)) => NetMode::Container(id.to_owned()),
        ("slirp4netns", _) => NetMode::Slirp4netns(split_opts(opts)),
        ("pasta", _) => NetMode::Pasta(split_opts(opts)),
        (name, Some(o)) => {
            if name.is_empty() {
                return Err(ModeError("network name cannot be empty".into()));
            }
            let attach = parse_attach(o)
                .map_err(|e| ModeError(format!("invalid option for network {name}: {e}")))?;
            sel.networks.insert(name.to_owned(), attach);
            NetMode::Bridge
        }
        (list, None) => {
            for name in list.split(',') {
                sel.networks
                    .insert(name.to_owned(), NetworkAttach::default());
            }
            NetMode::Bridge
        }
    };
    if values.len() > 1 {
        if sel.mode != NetMode::Bridge {
            return Err(ModeError(format!(
                "cannot set multiple networks without bridge network mode, selected mode {}: invalid argument",
                mode_name(&sel.mode)
            )));
        }
        for value in &values[1..] {
            let (name, opts) = match value.split_once(':') {
                Some((n, o)) => (n, Some(o)),
                None => (value.as_str(), None),
            };
            if name.is_empty() {
                return Err(ModeError(
                    "network name cannot be empty: invalid argument".into(),
                ));
            }
            if MODE_NAMES.contains(&name) {
                return Err(ModeError(format!(
                    "can only set extra network names, selected mode {name} conflicts with bridge: invalid argument"
                )));
            }
            let attach = match opts {
                Some(o) => parse_attach(o)
                    .map_err(|e| ModeError(format!("invalid option for network {name}: {e}")))?,
                None => NetworkAttach::default(),
            };
            sel.networks.insert(name.to_owned(), attach);
        }
    }
    Ok(sel)
}

/// The mode's name as Podman prints it.
pub fn mode_name(mode: &NetMode) -> &'static str {
    match mode {
        NetMode::Private => "private",
        NetMode::Bridge => "bridge",
        NetMode::None => "none",
        NetMode::Host => "host",
        NetMode::Path(_) => "ns",
        NetMode::Container(_) => "container",
        NetMode::Slirp4netns(_) => "slirp4netns",
        NetMode::Pasta(_) => "pasta",
    }
}

fn split_opts(opts: Option<&str>) -> Vec<String> {
    opts.map(|o| o.split(',').map(str::to_owned).collect())
        .unwrap_or_default()
}

fn parse_attach(opts: &str) -> Result<NetworkAttach, ModeError> {
    let mut a = NetworkAttach::default();
    for opt in opts.split(',').filter(|o| !o.is_empty()) {
        let (name, value) = opt.split_once('=').unwrap_or((opt, ""));
        match name {
            "ip" | "ip6" => a.static_ips.push(
                value
                    .parse()
                    .map_err(|_| ModeError(format!("invalid ip address {value:?}")))?,
            ),
            "mac" => a.static_mac = Some(parse_mac(value)?),
            "alias" if value.is_empty() => return Err(ModeError("alias cannot be empty".into())),
            "alias" => a.aliases.push(value.to_owned()),
            "interface_name" if value.is_empty() => {
                return Err(ModeError("interface_name cannot be empty".into()))
            }
            "interface_name" => a.interface_name = Some(value.to_owned()),
            _ => {
                a.options.insert(name.to_owned(), value.to_owned());
            }
        }
    }
    Ok(a)
}

/// A 6-byte MAC address in `:` or `-` form, lower-cased; Go's message otherwise.
pub fn parse_mac(value: &str) -> Result<String, ModeError> {
    let parts: Vec<&str> = value.split([':', '-']).collect();
    let ok = parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()));
    if !ok {
        return Err(ModeError(format!("address {value}: invalid MAC address")));
    }
    Ok(parts.join(":").to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: &[&str]) -> Result<NetworkSelection, String> {
        parse(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>()).map_err(|e| e.to_string())
    }

    #[test]
    fn modes() {
        assert_eq!(p(&[]).unwrap().mode, NetMode::Private);
        assert_eq!(p(&["none"]).unwrap().mode, NetMode::None);
        assert_eq!(p(&["host"]).unwrap().mode, NetMode::Host);
        assert_eq!(
            p(&["ns:/run/netns/x"]).unwrap().mode,
            NetMode::Path("/run/netns/x".into())
        );
        assert_eq!(
            p(&["container:abc"]).unwrap().mode,
            NetMode::Container("abc".into())
        );
        assert_eq!(
            p(&["slirp4netns:cidr=10.0.0.0/24,mtu=1500"]).unwrap().mode,
            NetMode::Slirp4netns(vec!["cidr=10.0.0.0/24".into(), "mtu=1500".into()])
        );
        let b = p(&["bridge:ip=10.79.0.9,alias=web"]).unwrap();
        assert_eq!(b.mode, NetMode::Bridge);
        let d = &b.networks[DEFAULT_KEY];
        assert_eq!(d.static_ips, vec!["10.79.0.9".parse::<IpAddr>().unwrap()]);
        assert_eq!(d.aliases, vec!["web".to_string()]);
    }

    #[test]
    fn names_options_and_lists() {
        let s = p(&["a,b"]).unwrap();
        assert_eq!(s.networks.keys().collect::<Vec<_>>(), ["a", "b"]);
        let s = p(&[
            "a:mac=AA-bb-cc-dd-ee-ff,interface_name=e1,mtu=9000",
            "c:alias=x",
        ])
        .unwrap();
        assert_eq!(
            s.networks["a"].static_mac.as_deref(),
            Some("aa:bb:cc:dd:ee:ff")
        );
        assert_eq!(s.networks["a"].interface_name.as_deref(), Some("e1"));
        assert_eq!(s.networks["a"].options["mtu"], "9000");
        assert_eq!(s.networks["c"].aliases, vec!["x".to_string()]);
    }

    #[test]
    fn errors_in_podmans_words() {
        assert_eq!(
            p(&["host", "a"]).unwrap_err(),
            "cannot set multiple networks without bridge network mode, selected mode host: invalid argument"
        );
        assert_eq!(
            p(&["a", "host"]).unwrap_err(),
            "can only set extra network names, selected mode host conflicts with bridge: invalid argument"
        );
        assert_eq!(
            p(&[":ip=1.2.3.4"]).unwrap_err(),
            "network name cannot be empty"
        );
        assert_eq!(
            p(&["a:ip=nope"]).unwrap_err(),
            "invalid option for network a: invalid ip address \"nope\""
        );
        assert_eq!(
            p(&["a:mac=zz"]).unwrap_err(),
            "invalid option for network a: address zz: invalid MAC address"
        );
        assert_eq!(
            p(&["a:alias="]).unwrap_err(),
            "invalid option for network a: alias cannot be empty"
        );
        assert_eq!(
            p(&["a", ":x"]).unwrap_err(),
            "network name cannot be empty: invalid argument"
        );
    }
}
