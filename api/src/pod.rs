//! Pods: `pod ps` (entities/types.ListPodsReport) and `pod inspect`
//! (libpod/define.InspectPodData).

use crate::inspect::{
    is_zero, InspectBlkioThrottleDevice, InspectBlkioWeightDevice, InspectDevice, InspectHostPort,
    InspectMount,
};
use crate::time::GoTime;
use gotmpl::ToTemplate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One pod as `pod ps` lists it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[serde(rename_all = "PascalCase")]
#[go(type = "*entities.ListPodsReport")]
pub struct ListPodsReport {
    pub cgroup: String,
    pub containers: Option<Vec<ListPodContainer>>,
    pub created: GoTime,
    pub id: String,
    pub infra_id: String,
    pub name: String,
    pub namespace: String,
    pub networks: Option<Vec<String>>,
    pub status: String,
    pub labels: Option<BTreeMap<String, String>>,
}

/// A member of a listed pod.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[serde(rename_all = "PascalCase")]
#[go(type = "*entities.ListPodContainer")]
pub struct ListPodContainer {
    pub id: String,
    pub names: String,
    pub status: String,
    pub restart_count: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "*entities.PodInspectReport")]
pub struct InspectPodData {
    #[serde(rename = "Id")]
    #[go(name = "ID")]
    pub id: String,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(
        rename = "Namespace",
        skip_serializing_if = "String::is_empty",
        default
    )]
    pub namespace: String,
    #[serde(rename = "Created")]
    pub created: GoTime,
    #[serde(
        rename = "CreateCommand",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub create_command: Option<Vec<String>>,
    #[serde(
        rename = "ExitPolicy",
        skip_serializing_if = "String::is_empty",
        default
    )]
    pub exit_policy: String,
    #[serde(rename = "State")]
    pub state: String,
    #[serde(rename = "Hostname")]
    pub hostname: String,
    #[serde(rename = "Labels", skip_serializing_if = "Option::is_none", default)]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "CreateCgroup")]
    pub create_cgroup: bool,
    #[serde(
        rename = "CgroupParent",
        skip_serializing_if = "String::is_empty",
        default
    )]
    pub cgroup_parent: String,
    #[serde(
        rename = "CgroupPath",
        skip_serializing_if = "String::is_empty",
        default
    )]
    pub cgroup_path: String,
    #[serde(rename = "CreateInfra")]
    pub create_infra: bool,
    #[serde(
        rename = "InfraContainerID",
        skip_serializing_if = "String::is_empty",
        default
    )]
    #[go(name = "InfraContainerID")]
    pub infra_container_id: String,
    #[serde(
        rename = "InfraConfig",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub infra_config: Option<InspectPodInfraConfig>,
    #[serde(
        rename = "SharedNamespaces",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub shared_namespaces: Option<Vec<String>>,
    #[serde(rename = "NumContainers")]
    pub num_containers: u64,
    #[serde(
        rename = "Containers",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub containers: Option<Vec<InspectPodContainerInfo>>,
    #[serde(rename = "cpu_period", skip_serializing_if = "is_zero", default)]
    #[go(name = "CPUPeriod")]
    pub cpu_period: u64,
    #[serde(rename = "cpu_quota", skip_serializing_if = "is_zero", default)]
    #[go(name = "CPUQuota")]
    pub cpu_quota: i64,
    #[serde(rename = "cpu_shares", skip_serializing_if = "is_zero", default)]
    #[go(name = "CPUShares")]
    pub cpu_shares: u64,
    #[serde(
        rename = "cpuset_cpus",
        skip_serializing_if = "String::is_empty",
        default
    )]
    #[go(name = "CPUSetCPUs")]
    pub cpuset_cpus: String,
    #[serde(
        rename = "cpuset_mems",
        skip_serializing_if = "String::is_empty",
        default
    )]
    #[go(name = "CPUSetMems")]
    pub cpu_set_mems: String,
    #[serde(rename = "mounts", skip_serializing_if = "Option::is_none", default)]
    #[go(name = "Mounts")]
    pub mounts: Option<Vec<InspectMount>>,
    #[serde(rename = "devices", skip_serializing_if = "Option::is_none", default)]
    #[go(name = "Devices")]
    pub devices: Option<Vec<InspectDevice>>,
    #[serde(
        rename = "device_read_bps",
        skip_serializing_if = "Option::is_none",
        default
    )]
    #[go(name = "BlkioDeviceReadBps")]
    pub blkio_device_read_bps: Option<Vec<InspectBlkioThrottleDevice>>,
    #[serde(
        rename = "device_write_bps",
        skip_serializing_if = "Option::is_none",
        default
    )]
    #[go(name = "BlkioDeviceWriteBps")]
    pub blkio_device_write_bps: Option<Vec<InspectBlkioThrottleDevice>>,
    #[serde(
        rename = "volumes_from",
        skip_serializing_if = "Option::is_none",
        default
    )]
    #[go(name = "VolumesFrom")]
    pub volumes_from: Option<Vec<String>>,
    #[serde(
        rename = "security_opt",
        skip_serializing_if = "Option::is_none",
        default
    )]
    #[go(name = "SecurityOpts")]
    pub security_opts: Option<Vec<String>>,
    #[serde(rename = "memory_limit", skip_serializing_if = "is_zero", default)]
    #[go(name = "MemoryLimit")]
    pub memory_limit: u64,
    #[serde(rename = "memory_swap", skip_serializing_if = "is_zero", default)]
    #[go(name = "MemorySwap")]
    pub memory_swap: u64,
    #[serde(rename = "blkio_weight", skip_serializing_if = "is_zero", default)]
    #[go(name = "BlkioWeight")]
    pub blkio_weight: u64,
    #[serde(
        rename = "blkio_weight_device",
        skip_serializing_if = "Option::is_none",
        default
    )]
    #[go(name = "BlkioWeightDevice")]
    pub blkio_weight_device: Option<Vec<InspectBlkioWeightDevice>>,
    #[serde(
        rename = "RestartPolicy",
        skip_serializing_if = "String::is_empty",
        default
    )]
    pub restart_policy: String,
    #[serde(rename = "LockNumber")]
    pub lock_number: u32,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "*define.InspectPodInfraConfig")]
pub struct InspectPodInfraConfig {
    #[serde(rename = "PortBindings")]
    pub port_bindings: Option<BTreeMap<String, Option<Vec<InspectHostPort>>>>,
    #[serde(rename = "HostNetwork")]
    pub host_network: bool,
    #[serde(rename = "StaticIP")]
    #[go(name = "StaticIP")]
    pub static_ip: String,
    #[serde(rename = "StaticMAC")]
    #[go(name = "StaticMAC")]
    pub static_mac: String,
    #[serde(rename = "NoManageResolvConf")]
    pub no_manage_resolv_conf: bool,
    #[serde(rename = "DNSServer")]
    #[go(name = "DNSServer")]
    pub dns_server: Option<Vec<String>>,
    #[serde(rename = "DNSSearch")]
    #[go(name = "DNSSearch")]
    pub dns_search: Option<Vec<String>>,
    #[serde(rename = "DNSOption")]
    #[go(name = "DNSOption")]
    pub dns_option: Option<Vec<String>>,
    #[serde(rename = "NoManageHostname")]
    pub no_manage_hostname: bool,
    #[serde(rename = "NoManageHosts")]
    pub no_manage_hosts: bool,
    #[serde(rename = "HostAdd")]
    pub host_add: Option<Vec<String>>,
    #[serde(rename = "HostsFile")]
    pub hosts_file: String,
    #[serde(rename = "Networks")]
    pub networks: Option<Vec<String>>,
    #[serde(rename = "NetworkOptions")]
    pub network_options: Option<BTreeMap<String, Option<Vec<String>>>>,
    #[serde(rename = "cpu_period", skip_serializing_if = "is_zero", default)]
    #[go(name = "CPUPeriod")]
    pub cpu_period: u64,
    #[serde(rename = "cpu_quota", skip_serializing_if = "is_zero", default)]
    #[go(name = "CPUQuota")]
    pub cpu_quota: i64,
    #[serde(
        rename = "cpuset_cpus",
        skip_serializing_if = "String::is_empty",
        default
    )]
    #[go(name = "CPUSetCPUs")]
    pub cpuset_cpus: String,
    #[serde(rename = "pid_ns", skip_serializing_if = "String::is_empty", default)]
    #[go(name = "PidNS")]
    pub pid_ns: String,
    #[serde(rename = "userns", skip_serializing_if = "String::is_empty", default)]
    #[go(name = "UserNS")]
    pub user_ns: String,
    #[serde(rename = "uts_ns", skip_serializing_if = "String::is_empty", default)]
    #[go(name = "UtsNS")]
    pub uts_ns: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "define.InspectPodContainerInfo")]
pub struct InspectPodContainerInfo {
    #[serde(rename = "Id")]
    #[go(name = "ID")]
    pub id: String,
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "State")]
    pub state: String,
}

/// What `pod inspect` prints for one pod (Podman's entities.PodInspectReport) plus rpod's
/// `Transition`: the start, stop or removal a killed command left unfinished (empty when
/// none), which the next command on the pod completes.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "*entities.PodInspectReport")]
pub struct PodInspectReport {
    #[serde(flatten)]
    #[go(embed)]
    pub data: InspectPodData,
    #[serde(rename = "Transition")]
    pub transition: String,
}

/// `pod ps --sort`: newest first (`created`, the default), or by `id`,
/// `name`, number of containers or status.
pub fn sort_pods(reports: &mut [ListPodsReport], by: &str) -> crate::Result<()> {
    match by {
        "" | "created" => reports.sort_by_key(|r| std::cmp::Reverse(r.created)),
        "id" => reports.sort_by(|x, y| x.id.cmp(&y.id)),
        "name" => reports.sort_by(|x, y| x.name.cmp(&y.name)),
        "number" => reports.sort_by_key(|r| r.containers.as_ref().map_or(0, Vec::len)),
        "status" => reports.sort_by(|x, y| x.status.cmp(&y.status)),
        _ => {
            return Err(crate::Error::invalid(
                "invalid option for --sort, options are: created, id, name, number, or status",
            ))
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_ps_and_inspect_json_keys_and_go_names() {
        let p = ListPodsReport {
            id: "pid".into(),
            name: "p".into(),
            status: "Running".into(),
            containers: Some(vec![ListPodContainer {
                id: "cid".into(),
                names: "c".into(),
                status: "running".into(),
                restart_count: 0,
            }]),
            ..ListPodsReport::default()
        };
        let j = serde_json::to_value(&p).unwrap();
        assert_eq!(j["Id"], "pid");
        assert_eq!(j["InfraId"], "");
        assert_eq!(j["Containers"][0]["Names"], "c");
        assert_eq!(j["Containers"][0]["RestartCount"], 0);
        let out = gotmpl::render_value(
            "{{.Id}} {{.Name}} {{range .Containers}}{{.Names}}{{end}}",
            &p.to_template(),
            "pod ps",
        )
        .unwrap();
        assert_eq!(out, "pid p c\n");

        let d = InspectPodData {
            id: "pid".into(),
            state: "Running".into(),
            num_containers: 1,
            ..InspectPodData::default()
        };
        let j = serde_json::to_value(&d).unwrap();
        assert_eq!(j["Id"], "pid");
        assert_eq!(j["NumContainers"], 1);
        assert!(j.get("InfraConfig").is_none());
        let out = gotmpl::render_value("{{.ID}} {{.State}}", &d.to_template(), "inspect").unwrap();
        assert_eq!(out, "pid Running\n");
    }
}
