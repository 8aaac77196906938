//! The CNI backend: the same network definitions turned into a CNI plugin
//! chain (bridge with host-local IPAM, portmap, firewall, tuning — the
//! containernetworking-plugins Podman 3 used), run for one container with the
//! CNI protocol (spec 1.0.0): each plugin gets the network's config with the
//! previous plugin's result on stdin and `CNI_*` variables; `DEL` runs the
//! chain backwards with the result `ADD` returned, which rpod keeps. host-local
//! keeps its allocations in rpod's run directory, never in /var/lib/cni.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ipnet::IpNet;
use serde_json::{json, Value};

use super::types::{NetAddress, NetInterface, Network, NetworkOptions, PortMapping, StatusBlock};

/// The CNI spec version rpod speaks (containernetworking-plugins 1.x).
const CNI_VERSION: &str = "1.0.0";

/// Where distributions install the plugins.
const PLUGIN_DIRS: [&str; 3] = ["/usr/local/libexec/cni", "/usr/libexec/cni", "/usr/lib/cni"];

/// A failed CNI operation.
#[derive(Debug, thiserror::Error)]
pub enum CniError {
    #[error("CNI plugin {0} not found in {dirs}", dirs = PLUGIN_DIRS.join(", "))]
    PluginNotFound(String),
    #[error("running CNI plugin {plugin}: {source}")]
    Spawn {
        plugin: String,
        source: std::io::Error,
    },
    /// The plugin's own error (`msg` and `details` of its CNI error object).
    #[error("plugin type={plugin:?} failed (add): {msg}")]
    AddFailed { plugin: String, msg: String },
    #[error("plugin type={plugin:?} failed (delete): {msg}")]
    DelFailed { plugin: String, msg: String },
    #[error("CNI plugin {plugin} printed an invalid result: {source}")]
    BadResult {
        plugin: String,
        source: serde_json::Error,
    },
    #[error("{path}: {source}")]
    Cache {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The plugins and rpod's CNI state directory (results, host-local leases).
#[derive(Clone, Debug)]
pub struct Cni {
    pub plugin_dirs: Vec<PathBuf>,
    pub state_dir: PathBuf,
}

/// Deletes the bridge of a removed `bridge` network (the CNI plugins leave
/// it behind, as containers/common removes it for Podman's CNI backend).
/// A bridge that is already gone is no error; a failure is logged.
pub fn remove_bridge(network: &Network) {
    let Some(iface) = network.network_interface.as_deref() else {
        return;
    };
    if network.driver != "bridge" || !Path::new("/sys/class/net").join(iface).exists() {
        return;
    }
    match Command::new("ip")
        .args(["link", "delete", "dev", iface])
        .stdin(Stdio::null())
        .output()
    {
        Ok(o) if o.status.success() => {}
        Ok(o) => tracing::warn!(
            "removing bridge {iface}: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        ),
        Err(e) => tracing::warn!("removing bridge {iface}: ip: {e}"),
    }
}

impl Cni {
    /// The distribution's plugin directories, state under `state_dir`.
    pub fn new(state_dir: PathBuf) -> Cni {
        Cni {
            plugin_dirs: PLUGIN_DIRS.iter().map(PathBuf::from).collect(),
            state_dir,
        }
    }

    /// The plugin chain for `network` (Podman's CNI config for a bridge).
    pub fn conflist(&self, network: &Network) -> Value {
        let ranges: Vec<Value> = network
            .subnets
            .iter()
            .flatten()
            .map(|s| {
                let mut r = json!({ "subnet": s.subnet.to_string() });
                if let Some(g) = s.gateway {
                    r["gateway"] = json!(g.to_string());
                }
                if let Some(l) = &s.lease_range {
                    if let Some(a) = l.start_ip {
                        r["rangeStart"] = json!(a.to_string());
                    }
                    if let Some(b) = l.end_ip {
                        r["rangeEnd"] = json!(b.to_string());
                    }
                }
                json!([r])
            })
            .collect();
        let routes: Vec<Value> = if network.internal {
            Vec::new()
        } else {
            network
                .subnets
                .iter()
                .flatten()
                .map(|s| match s.subnet {
                    IpNet::V4(_) => json!({ "dst": "0.0.0.0/0" }),
                    IpNet::V6(_) => json!({ "dst": "::/0" }),
                })
                .collect()
        };
        let bridge = network.network_interface.clone().unwrap_or_default();
        json!({
            "cniVersion": CNI_VERSION,
            "name": network.name,
            "plugins": [
                {
                    "type": "bridge",
                    "bridge": bridge,
                    "isGateway": !network.internal,
                    "ipMasq": !network.internal,
                    "hairpinMode": true,
                    "ipam": {
                        "type": "host-local",
                        "ranges": ranges,
                        "routes": routes,
                        "dataDir": self.state_dir.join("leases"),
                    }
                },
                { "type": "portmap", "capabilities": { "portMappings": true } },
                { "type": "firewall", "backend": "iptables" },
                { "type": "tuning" }
            ]
        })
    }

    fn plugin(&self, name: &str) -> Result<PathBuf, CniError> {
        self.plugin_dirs
            .iter()
            .map(|d| d.join(name))
            .find(|p| p.is_file())
            .ok_or_else(|| CniError::PluginNotFound(name.to_owned()))
    }

    fn result_path(&self, network: &str, container_id: &str, ifname: &str) -> PathBuf {
        self.state_dir
            .join("results")
            .join(format!("{network}-{container_id}-{ifname}.json"))
    }

    /// Runs `ADD` on every network of `options` in `netns`.
    pub fn setup(
        &self,
        netns: &Path,
        options: &NetworkOptions,
    ) -> Result<BTreeMap<String, StatusBlock>, CniError> {
        let mut out = BTreeMap::new();
        let mut done: Vec<String> = Vec::new();
        for (name, per) in &options.networks {
            let Some(network) = options.network_info.get(name) else {
                continue;
            };
            let list = self.conflist(network);
            let mut args = vec!["IgnoreUnknown=1".to_owned()];
            for ip in per.static_ips.iter().flatten() {
                args.push(format!("IP={ip}"));
            }
            let run = RunCtx {
                container_id: &options.container_id,
                netns,
                ifname: &per.interface_name,
                args: args.join(";"),
                ports: port_mappings(options.port_mappings.as_deref().unwrap_or_default()),
            };
            match self.add_chain(&list, &run) {
                Ok(result) => {
                    let path = self.result_path(name, &options.container_id, &per.interface_name);
                    write_cache(&path, &result)?;
                    out.insert(name.clone(), status_block(&result, &per.interface_name));
                    done.push(name.clone());
                }
                Err(e) => {
                    // Leave nothing of the networks already set up.
                    let mut partial = options.clone();
                    partial.networks.retain(|n, _| done.contains(n));
                    let _ = self.teardown(netns, &partial);
                    return Err(e);
                }
            }
        }
        Ok(out)
    }

    /// Runs `DEL` on every network of `options` (backwards through each chain,
    /// with the result `ADD` gave), then forgets the results. Every network is
    /// tried; the first error is returned.
    pub fn teardown(&self, netns: &Path, options: &NetworkOptions) -> Result<(), CniError> {
        let mut first = None;
        for (name, per) in &options.networks {
            let Some(network) = options.network_info.get(name) else {
                continue;
            };
            let path = self.result_path(name, &options.container_id, &per.interface_name);
            let prev = std::fs::read(&path)
                .ok()
                .and_then(|d| serde_json::from_slice::<Value>(&d).ok());
            let run = RunCtx {
                container_id: &options.container_id,
                netns,
                ifname: &per.interface_name,
                args: "IgnoreUnknown=1".to_owned(),
                ports: port_mappings(options.port_mappings.as_deref().unwrap_or_default()),
            };
            if let Err(e) = self.del_chain(&self.conflist(network), &run, prev) {
                first.get_or_insert(e);
            }
            let _ = std::fs::remove_file(&path);
        }
        first.map_or(Ok(()), Err)
    }

    fn add_chain(&self, list: &Value, run: &RunCtx) -> Result<Value, CniError> {
        let mut prev: Option<Value> = None;
        for conf in list["plugins"].as_array().into_iter().flatten() {
            let stdin = plugin_config(list, conf, prev.take(), run);
            let out = self.exec(conf, "ADD", &stdin, run)?;
            prev = Some(out);
        }
        Ok(prev.unwrap_or(Value::Null))
    }

    fn del_chain(&self, list: &Value, run: &RunCtx, prev: Option<Value>) -> Result<(), CniError> {
        let mut first = None;
        for conf in list["plugins"].as_array().into_iter().flatten().rev() {
            let stdin = plugin_config(list, conf, prev.clone(), run);
            if let Err(e) = self.exec(conf, "DEL", &stdin, run) {
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), Err)
    }

    fn exec(
        &self,
        conf: &Value,
        command: &str,
        stdin: &Value,
        run: &RunCtx,
    ) -> Result<Value, CniError> {
        let typ = conf["type"].as_str().unwrap_or_default().to_owned();
        let binary = self.plugin(&typ)?;
        let spawn = |source| CniError::Spawn {
            plugin: typ.clone(),
            source,
        };
        let path =
            std::env::join_paths(&self.plugin_dirs).map_err(|e| spawn(std::io::Error::other(e)))?;
        let mut child = Command::new(&binary)
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .env("CNI_COMMAND", command)
            .env("CNI_CONTAINERID", run.container_id)
            .env("CNI_NETNS", run.netns)
            .env("CNI_IFNAME", run.ifname)
            .env("CNI_ARGS", &run.args)
            .env("CNI_PATH", path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(spawn)?;
        if let Some(mut input) = child.stdin.take() {
            let data = serde_json::to_vec(stdin).map_err(|e| spawn(e.into()))?;
            // A plugin may fail before reading: its exit status says why.
            match input.write_all(&data) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(spawn(e)),
                _ => {}
            }
        }
        let out = child.wait_with_output().map_err(spawn)?;
        if !out.status.success() {
            let msg = plugin_error(&out.stdout, &out.stderr);
            return Err(match command {
                "ADD" => CniError::AddFailed { plugin: typ, msg },
                _ => CniError::DelFailed { plugin: typ, msg },
            });
        }
        if command != "ADD" {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&out.stdout).map_err(|source| CniError::BadResult {
            plugin: typ,
            source,
        })
    }
}

/// One container's side of a plugin call.
struct RunCtx<'a> {
    container_id: &'a str,
    netns: &'a Path,
    ifname: &'a str,
    args: String,
    /// CNI's `portMappings` capability (one entry per port: CNI has no ranges).
    ports: Vec<Value>,
}

/// A plugin's stdin: its own config, the list's name and version, the previous
/// result, and the runtime config for the capabilities it declares.
fn plugin_config(list: &Value, conf: &Value, prev: Option<Value>, run: &RunCtx) -> Value {
    let mut c = conf.clone();
    c["name"] = list["name"].clone();
    c["cniVersion"] = list["cniVersion"].clone();
    if let Some(p) = prev {
        c["prevResult"] = p;
    }
    if conf["capabilities"]["portMappings"] == json!(true) {
        c["runtimeConfig"] = json!({ "portMappings": run.ports });
    }
    c
}

fn port_mappings(ports: &[PortMapping]) -> Vec<Value> {
    let mut out = Vec::new();
    for p in ports {
        for i in 0..p.range.max(1) {
            for proto in p.protocol.split(',') {
                let mut m = json!({
                    "hostPort": p.host_port + i,
                    "containerPort": p.container_port + i,
                    "protocol": proto,
                });
                if !p.host_ip.is_empty() {
                    m["hostIP"] = json!(p.host_ip);
                }
                out.push(m);
            }
        }
    }
    out
}

/// A CNI error object (`{"code", "msg", "details"}`) or the plugin's stderr.
fn plugin_error(stdout: &[u8], stderr: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<Value>(stdout) {
        if let Some(msg) = v["msg"].as_str() {
            return match v["details"].as_str().filter(|d| !d.is_empty()) {
                Some(d) => format!("{msg}; {d}"),
                None => msg.to_owned(),
            };
        }
    }
    String::from_utf8_lossy(stderr).trim().to_owned()
}

fn write_cache(path: &Path, result: &Value) -> Result<(), CniError> {
    let fail = |source| CniError::Cache {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let data = serde_json::to_vec(result).map_err(|e| fail(e.into()))?;
    std::fs::write(path, data).map_err(fail)
}

/// The interface `ifname` of a CNI result, as netavark reports it.
fn status_block(result: &Value, ifname: &str) -> StatusBlock {
    let interfaces = result["interfaces"].as_array().cloned().unwrap_or_default();
    let index = interfaces
        .iter()
        .position(|i| i["name"] == json!(ifname) && i.get("sandbox").is_some());
    let mac = index
        .and_then(|i| interfaces[i]["mac"].as_str())
        .unwrap_or_default()
        .to_owned();
    let subnets: Vec<NetAddress> = result["ips"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|ip| index.is_none() || ip["interface"].as_u64().map(|i| i as usize) == index)
        .filter_map(|ip| {
            Some(NetAddress {
                ipnet: ip["address"].as_str()?.parse().ok()?,
                gateway: ip["gateway"]
                    .as_str()
                    .and_then(|g| g.parse::<IpAddr>().ok()),
            })
        })
        .collect();
    let dns: Vec<IpAddr> = result["dns"]["nameservers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_str()?.parse().ok())
        .collect();
    StatusBlock {
        dns_search_domains: None,
        dns_server_ips: (!dns.is_empty()).then_some(dns),
        interfaces: Some(BTreeMap::from([(
            ifname.to_owned(),
            NetInterface {
                mac_address: mac,
                subnets: Some(subnets),
            },
        )])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_become_status_blocks() {
        let r = json!({
            "cniVersion": "1.0.0",
            "interfaces": [
                {"name": "cni0", "mac": "aa:aa:aa:aa:aa:aa"},
                {"name": "veth1", "mac": "bb:bb:bb:bb:bb:bb"},
                {"name": "eth0", "mac": "cc:cc:cc:cc:cc:cc", "sandbox": "/run/netns/x"}
            ],
            "ips": [{"address": "10.78.0.5/24", "gateway": "10.78.0.1", "interface": 2}]
        });
        let s = status_block(&r, "eth0");
        let eth0 = &s.interfaces.as_ref().unwrap()["eth0"];
        assert_eq!(eth0.mac_address, "cc:cc:cc:cc:cc:cc");
        let a = &eth0.subnets.as_ref().unwrap()[0];
        assert_eq!(a.ipnet.to_string(), "10.78.0.5/24");
        assert_eq!(a.gateway, Some("10.78.0.1".parse().unwrap()));
    }

    #[test]
    fn ranges_expand_per_port_and_protocol() {
        let p = PortMapping {
            host_ip: "127.0.0.1".into(),
            container_port: 80,
            host_port: 8080,
            range: 2,
            protocol: "tcp,udp".into(),
        };
        let m = port_mappings(&[p]);
        assert_eq!(m.len(), 4);
        assert_eq!(
            m[3],
            json!({"hostPort": 8081, "containerPort": 81, "protocol": "udp", "hostIP": "127.0.0.1"})
        );
    }

    #[test]
    fn plugin_errors() {
        assert_eq!(
            plugin_error(
                br#"{"code":11,"msg":"failed to allocate","details":"range full"}"#,
                b""
            ),
            "failed to allocate; range full"
        );
        assert_eq!(plugin_error(b"", b"boom\n"), "boom");
    }
}
