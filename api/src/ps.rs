//! `ps` (pkg/domain/entities/types.ListContainer).

use crate::time::GoTime;
use gotmpl::ToTemplate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One container as `ps` lists it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[serde(rename_all = "PascalCase")]
#[go(type = "entities.ListContainer", lazy)]
pub struct ListContainer {
    pub auto_remove: bool,
    pub command: Option<Vec<String>>,
    pub created: GoTime,
    pub created_at: String,
    #[serde(rename = "CIDFile")]
    #[go(name = "CIDFile")]
    pub cid_file: String,
    pub exited: bool,
    pub exited_at: i64,
    pub exit_code: i32,
    /// Exposed ports without a host mapping, by port number.
    pub exposed_ports: Option<BTreeMap<u16, Vec<String>>>,
    #[serde(rename = "Id")]
    #[go(name = "ID")]
    pub id: String,
    pub image: String,
    #[serde(rename = "ImageID")]
    #[go(name = "ImageID")]
    pub image_id: String,
    pub is_infra: bool,
    pub labels: Option<BTreeMap<String, String>>,
    pub mounts: Option<Vec<String>>,
    pub names: Vec<String>,
    pub namespaces: ListContainerNamespaces,
    pub networks: Option<Vec<String>>,
    pub pid: i64,
    pub pod: String,
    pub pod_name: String,
    pub ports: Option<Vec<PortMapping>>,
    pub restarts: u64,
    pub size: Option<ContainerSize>,
    pub started_at: i64,
    pub state: String,
    /// The health status (`healthy`, `unhealthy`, `starting`) or empty.
    pub status: String,
}

/// The namespaces of a running container (`ps --ns`), as `/proc/PID/ns` links.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "entities.ListContainerNamespaces")]
pub struct ListContainerNamespaces {
    #[serde(rename = "Mnt", skip_serializing_if = "String::is_empty", default)]
    #[go(name = "MNT")]
    pub mnt: String,
    #[serde(rename = "Cgroup", skip_serializing_if = "String::is_empty", default)]
    pub cgroup: String,
    #[serde(rename = "Ipc", skip_serializing_if = "String::is_empty", default)]
    #[go(name = "IPC")]
    pub ipc: String,
    #[serde(rename = "Net", skip_serializing_if = "String::is_empty", default)]
    #[go(name = "NET")]
    pub net: String,
    #[serde(rename = "Pidns", skip_serializing_if = "String::is_empty", default)]
    #[go(name = "PIDNS")]
    pub pidns: String,
    #[serde(rename = "Uts", skip_serializing_if = "String::is_empty", default)]
    #[go(name = "UTS")]
    pub uts: String,
    #[serde(rename = "User", skip_serializing_if = "String::is_empty", default)]
    pub user: String,
}

/// libpod/define.ContainerSize (`ps --size`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "*define.ContainerSize")]
pub struct ContainerSize {
    #[serde(rename = "rootFsSize")]
    #[go(name = "RootFsSize")]
    pub root_fs_size: i64,
    #[serde(rename = "rwSize")]
    #[go(name = "RwSize")]
    pub rw_size: i64,
}

/// libnetwork types.PortMapping.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "types.PortMapping")]
pub struct PortMapping {
    #[go(name = "HostIP")]
    pub host_ip: String,
    pub container_port: u16,
    pub host_port: u16,
    pub range: u16,
    pub protocol: String,
}

/// `ps`'s PORTS: `0.0.0.0:8080->80/tcp, ...` (Podman's `portsToString`).
pub fn ports_text(mappings: &[PortMapping]) -> String {
    let mut out = Vec::new();
    for m in mappings {
        let host_ip = if m.host_ip.is_empty() {
            "0.0.0.0"
        } else {
            &m.host_ip
        };
        for proto in m.protocol.split(',') {
            if m.range > 1 {
                out.push(format!(
                    "{host_ip}:{}-{}->{}-{}/{proto}",
                    m.host_port,
                    m.host_port + m.range - 1,
                    m.container_port,
                    m.container_port + m.range - 1
                ));
            } else {
                out.push(format!(
                    "{host_ip}:{}->{}/{proto}",
                    m.host_port, m.container_port
                ));
            }
        }
    }
    out.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_as_ps_prints_them() {
        let m = |ip: &str, host, ctr, range, proto: &str| PortMapping {
            host_ip: ip.into(),
            container_port: ctr,
            host_port: host,
            range,
            protocol: proto.into(),
        };
        assert_eq!(
            ports_text(&[
                m("", 8080, 80, 1, "tcp"),
                m("127.0.0.1", 9000, 90, 2, "tcp,udp")
            ]),
            "0.0.0.0:8080->80/tcp, 127.0.0.1:9000-9001->90-91/tcp, 127.0.0.1:9000-9001->90-91/udp"
        );
    }

    #[test]
    fn json_keys_and_go_names() {
        let c = ListContainer {
            id: "abc".into(),
            names: vec!["web".into()],
            labels: Some([("k".to_string(), "v".to_string())].into()),
            state: "running".into(),
            ..ListContainer::default()
        };
        let j = serde_json::to_value(&c).unwrap();
        assert_eq!(j["Id"], "abc");
        assert_eq!(j["ImageID"], "");
        assert_eq!(j["CIDFile"], "");
        assert_eq!(j["Labels"]["k"], "v");
        assert_eq!(j["Created"], "0001-01-01T00:00:00Z");
        assert!(j["Ports"].is_null());
        assert_eq!(j["Namespaces"], serde_json::json!({}));
        let out = gotmpl::render_value(
            "{{.ID}} {{index .Names 0}} {{.Labels.k}} {{.State}} {{.Created.Unix}}",
            &c.to_template(),
            "ps",
        )
        .unwrap();
        assert_eq!(out, "abc web v running -62135596800\n");
    }
}
