//! `info` (libpod/define.Info and its parts).

use crate::version::Version;
use gotmpl::ToTemplate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// libpod/define.Info: what `rpod info` reports.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "define.Info")]
pub struct Info {
    pub host: HostInfo,
    pub store: StoreInfo,
    pub registries: BTreeMap<String, serde_json::Value>,
    pub plugins: Plugins,
    pub version: Version,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[serde(rename_all = "camelCase")]
#[go(type = "*define.HostInfo")]
pub struct HostInfo {
    pub arch: String,
    pub buildah_version: String,
    pub cgroup_manager: String,
    #[serde(rename = "cgroupVersion")]
    #[go(name = "CgroupsVersion")]
    pub cgroups_version: String,
    pub cgroup_controllers: Vec<String>,
    pub conmon: ConmonInfo,
    #[go(name = "CPUs")]
    pub cpus: i64,
    #[go(name = "CPUUtilization")]
    pub cpu_utilization: CpuUsage,
    pub database_backend: String,
    pub distribution: DistributionInfo,
    pub event_logger: String,
    pub hostname: String,
    #[go(name = "IDMappings")]
    pub id_mappings: IdMappings,
    pub kernel: String,
    pub log_driver: String,
    pub mem_free: i64,
    pub mem_total: i64,
    pub network_backend: String,
    pub network_backend_info: NetworkInfo,
    #[go(name = "OCIRuntime")]
    pub oci_runtime: OciRuntimeInfo,
    #[serde(rename = "os")]
    #[go(name = "OS")]
    pub os: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub remote_socket: Option<RemoteSocket>,
    pub rootless_network_cmd: String,
    pub service_is_remote: bool,
    pub security: SecurityInfo,
    #[serde(rename = "slirp4netns")]
    #[go(name = "Slirp4NetNS")]
    pub slirp4netns: SlirpInfo,
    pub pasta: PastaInfo,
    pub swap_free: i64,
    pub swap_total: i64,
    pub uptime: String,
    pub variant: String,
    pub linkmode: String,
}

/// Where the API service listens (`unix://...`) and whether the socket exists.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "*define.RemoteSocket")]
pub struct RemoteSocket {
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub path: String,
    pub exists: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "*define.ConmonInfo")]
pub struct ConmonInfo {
    pub package: String,
    pub path: String,
    pub version: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[serde(rename_all = "camelCase")]
#[go(type = "*define.CPUUsage")]
pub struct CpuUsage {
    pub user_percent: f64,
    pub system_percent: f64,
    pub idle_percent: f64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "define.DistributionInfo")]
pub struct DistributionInfo {
    pub distribution: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub variant: String,
    pub version: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub codename: String,
}

/// One user-namespace mapping (idtools.IDMap).
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "idtools.IDMap")]
pub struct IdMap {
    #[go(name = "ContainerID")]
    pub container_id: i64,
    #[go(name = "HostID")]
    pub host_id: i64,
    pub size: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "define.IDMappings")]
pub struct IdMappings {
    #[serde(rename = "gidmap")]
    #[go(name = "GIDMap")]
    pub gid_map: Option<Vec<IdMap>>,
    #[serde(rename = "uidmap")]
    #[go(name = "UIDMap")]
    pub uid_map: Option<Vec<IdMap>>,
}

/// libnetwork types.NetworkInfo.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "types.NetworkInfo")]
pub struct NetworkInfo {
    pub backend: String,
    pub version: String,
    pub package: String,
    pub path: String,
    #[serde(skip_serializing_if = "DnsNetworkInfo::is_empty", default)]
    #[go(name = "DNS")]
    pub dns: DnsNetworkInfo,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "types.DNSNetworkInfo")]
pub struct DnsNetworkInfo {
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub version: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub package: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub path: String,
}

impl DnsNetworkInfo {
    pub fn is_empty(&self) -> bool {
        self.version.is_empty() && self.package.is_empty() && self.path.is_empty()
    }
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "*define.OCIRuntimeInfo")]
pub struct OciRuntimeInfo {
    pub name: String,
    pub package: String,
    pub path: String,
    pub version: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "define.SecurityInfo")]
pub struct SecurityInfo {
    #[serde(rename = "apparmorEnabled")]
    #[go(name = "AppArmorEnabled")]
    pub apparmor_enabled: bool,
    #[serde(rename = "capabilities")]
    #[go(name = "DefaultCapabilities")]
    pub default_capabilities: String,
    #[serde(rename = "rootless")]
    pub rootless: bool,
    #[serde(rename = "seccompEnabled")]
    #[go(name = "SECCOMPEnabled")]
    pub seccomp_enabled: bool,
    #[serde(rename = "seccompProfilePath")]
    #[go(name = "SECCOMPProfilePath")]
    pub seccomp_profile_path: String,
    #[serde(rename = "selinuxEnabled")]
    #[go(name = "SELinuxEnabled")]
    pub selinux_enabled: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "define.SlirpInfo")]
pub struct SlirpInfo {
    pub executable: String,
    pub package: String,
    pub version: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "define.PastaInfo")]
pub struct PastaInfo {
    pub executable: String,
    pub package: String,
    pub version: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[serde(rename_all = "camelCase")]
#[go(type = "*define.StoreInfo")]
pub struct StoreInfo {
    pub config_file: String,
    pub container_store: ContainerStore,
    pub graph_driver_name: String,
    pub graph_options: BTreeMap<String, serde_json::Value>,
    pub graph_root: String,
    pub graph_root_allocated: u64,
    pub graph_root_used: u64,
    pub graph_status: BTreeMap<String, String>,
    pub image_copy_tmp_dir: String,
    pub image_store: ImageStore,
    pub run_root: String,
    pub volume_path: String,
    pub transient_store: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "define.ContainerStore")]
pub struct ContainerStore {
    pub number: i64,
    pub paused: i64,
    pub running: i64,
    pub stopped: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "define.ImageStore")]
pub struct ImageStore {
    pub number: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "define.Plugins")]
pub struct Plugins {
    pub volume: Vec<String>,
    pub network: Vec<String>,
    pub log: Vec<String>,
    #[serde(default)]
    pub authorization: Option<Vec<String>>,
}

/// What `rpod info` prints: the engine's Info plus, for remote clients, the client's
/// version (Podman's `infoReport`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "system.infoReport")]
pub struct InfoReport {
    #[serde(flatten)]
    #[go(embed)]
    pub info: Info,
    #[serde(rename = "Client", skip_serializing_if = "Option::is_none", default)]
    pub client: Option<Version>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> InfoReport {
        let mut info = Info::default();
        info.host.oci_runtime.name = "runc".into();
        info.host.cgroups_version = "v1".into();
        info.store.graph_driver_name = "overlay".into();
        info.store.container_store.number = 2;
        InfoReport { info, client: None }
    }

    #[test]
    fn json_keys() {
        let j = serde_json::to_value(sample()).unwrap();
        assert_eq!(j["host"]["ociRuntime"]["name"], "runc");
        assert_eq!(j["host"]["cgroupVersion"], "v1");
        assert_eq!(j["host"]["os"], "");
        assert_eq!(j["store"]["graphDriverName"], "overlay");
        assert_eq!(j["store"]["containerStore"]["number"], 2);
        assert_eq!(j["host"]["security"]["apparmorEnabled"], false);
        assert!(j["host"]["idMappings"]["uidmap"].is_null());
        assert!(j.get("Client").is_none());
        let keys: Vec<&String> = j.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["host", "store", "registries", "plugins", "version"]);
    }

    #[test]
    fn go_names() {
        let r = sample().to_template();
        let out = gotmpl::render_value(
            "{{.Host.OCIRuntime.Name}} {{.Store.GraphDriverName}} {{.Host.CgroupsVersion}} {{.Store.ContainerStore.Number}}",
            &r,
            "info",
        )
        .unwrap();
        assert_eq!(out, "runc overlay v1 2\n");
        let err = gotmpl::render_value("{{.Host.Nope}}", &r, "info").unwrap_err();
        assert!(
            err.to_string()
                .contains("can't evaluate field Nope in type *define.HostInfo"),
            "{err}"
        );
        let out = gotmpl::render_value("{{json .Host.OCIRuntime}}", &r, "info").unwrap();
        assert_eq!(
            out,
            "{\"name\":\"runc\",\"package\":\"\",\"path\":\"\",\"version\":\"\"}\n"
        );
    }
}
