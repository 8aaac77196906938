//! `GET /version` and `GET /info` in Docker's shapes, from the engine's
//! `Version` and `Info`.

use rpod_api::info::Info;
use rpod_api::version::Version;
use serde_json::{json, Value};

use crate::version::{DOCKER_API_VERSION, DOCKER_MIN_API_VERSION};

/// Docker's `types.Version`, with the engine as its one component.
pub fn version(v: &Version, kernel: &str) -> Value {
    let arch = v.os_arch.split('/').nth(1).unwrap_or_default();
    json!({
        "Platform": {"Name": format!("rpod {}", v.version)},
        "Components": [{
            "Name": "Podman Engine",
            "Version": v.version,
            "Details": {
                "APIVersion": v.api_version,
                "Arch": arch,
                "BuildTime": v.built_time,
                "Experimental": "false",
                "GitCommit": v.git_commit,
                "GoVersion": v.go_version,
                "KernelVersion": kernel,
                "MinAPIVersion": DOCKER_MIN_API_VERSION,
                "Os": v.os,
            },
        }],
        "Version": v.version,
        "ApiVersion": DOCKER_API_VERSION,
        "MinAPIVersion": DOCKER_MIN_API_VERSION,
        "GitCommit": v.git_commit,
        "GoVersion": v.go_version,
        "Os": v.os,
        "Arch": arch,
        "KernelVersion": kernel,
        "BuildTime": v.built_time,
    })
}

/// Docker's `system.Info` from the engine's `Info`.
pub fn info(i: &Info) -> Value {
    let h = &i.host;
    let s = &i.store;
    let runtime = &h.oci_runtime;
    json!({
        "ID": "",
        "Containers": s.container_store.number,
        "ContainersRunning": s.container_store.running,
        "ContainersPaused": s.container_store.paused,
        "ContainersStopped": s.container_store.stopped,
        "Images": s.image_store.number,
        "Driver": s.graph_driver_name,
        "DriverStatus": s.graph_status.iter().map(|(k, v)| [k, v]).collect::<Vec<_>>(),
        "Plugins": {
            "Volume": i.plugins.volume,
            "Network": i.plugins.network,
            "Log": i.plugins.log,
            "Authorization": i.plugins.authorization,
        },
        "MemoryLimit": true,
        "SwapLimit": true,
        "CpuCfsPeriod": true,
        "CpuCfsQuota": true,
        "CPUShares": true,
        "CPUSet": true,
        "PidsLimit": true,
        "IPv4Forwarding": true,
        "Debug": false,
        "NFd": 0,
        "OomKillDisable": true,
        "NGoroutines": 0,
        "SystemTime": chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, false),
        "LoggingDriver": h.log_driver,
        "CgroupDriver": h.cgroup_manager,
        "CgroupVersion": h.cgroups_version.trim_start_matches('v'),
        "NEventsListener": 0,
        "KernelVersion": h.kernel,
        "OperatingSystem": h.distribution.distribution,
        "OSVersion": h.distribution.version,
        "OSType": "linux",
        "Architecture": h.arch,
        "IndexServerAddress": "",
        "RegistryConfig": Value::Null,
        "NCPU": h.cpus,
        "MemTotal": h.mem_total,
        "GenericResources": Value::Null,
        "DockerRootDir": s.graph_root,
        "HttpProxy": std::env::var("HTTP_PROXY").unwrap_or_default(),
        "HttpsProxy": std::env::var("HTTPS_PROXY").unwrap_or_default(),
        "NoProxy": std::env::var("NO_PROXY").unwrap_or_default(),
        "Name": h.hostname,
        "Labels": [],
        "ExperimentalBuild": true,
        "ServerVersion": i.version.version,
        "Runtimes": {runtime.name.clone(): {"path": runtime.path}},
        "DefaultRuntime": runtime.name,
        "Swarm": {"LocalNodeState": "inactive", "ControlAvailable": false},
        "LiveRestoreEnabled": false,
        "Isolation": "",
        "InitBinary": "",
        "SecurityOptions": security_options(i),
        "Warnings": [],
    })
}

fn security_options(i: &Info) -> Vec<String> {
    let sec = &i.host.security;
    let mut out = Vec::new();
    if sec.seccomp_enabled {
        out.push("name=seccomp,profile=default".to_owned());
    }
    if sec.rootless {
        out.push("name=rootless".to_owned());
    }
    out
}

/// Docker's `/system/df` (its legacy `DiskUsage`, for API versions before
/// 1.52), from the engine's `system df` report, as Podman fills it.
pub fn disk_usage(df: &rpod_api::system::SystemDfReport) -> Value {
    let containers: Vec<Value> = df
        .containers
        .iter()
        .map(|c| {
            json!({
                "Id": c.container_id,
                "Names": [c.names],
                "Image": c.image,
                "ImageID": c.image,
                "Command": c.command.as_deref().unwrap_or_default().join(" "),
                "Created": c.created.unix(),
                "Ports": null,
                "SizeRw": c.rw_size,
                "SizeRootFs": c.size,
                "Labels": {},
                "State": c.status,
                "Status": c.status,
                "HostConfig": {},
                "NetworkSettings": null,
                "Mounts": null,
            })
        })
        .collect();
    let volumes: Vec<Value> = df
        .volumes
        .iter()
        .map(|v| {
            json!({
                "CreatedAt": "",
                "Driver": "",
                "Labels": {},
                "Mountpoint": "",
                "Name": v.volume_name,
                "Options": null,
                "Scope": "local",
                "UsageData": {"RefCount": v.links, "Size": v.size},
            })
        })
        .collect();
    let images: Vec<Value> = df
        .images
        .iter()
        .map(|i| {
            json!({
                "Containers": i.containers,
                "Created": i.created.unix(),
                "Id": i.image_id,
                "Labels": {},
                "ParentId": "",
                "RepoDigests": null,
                "RepoTags": [i.tag],
                "SharedSize": i.shared_size,
                "Size": i.size,
            })
        })
        .collect();
    json!({
        "LayersSize": df.images_size,
        "Images": images,
        "Containers": containers,
        "Volumes": volumes,
        "BuildCache": [],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_shape() {
        let v = Version {
            version: "0.1.0".into(),
            os_arch: "linux/amd64".into(),
            os: "linux".into(),
            ..Default::default()
        };
        let j = version(&v, "6.1");
        assert_eq!(j["ApiVersion"], "1.44");
        assert_eq!(j["MinAPIVersion"], "1.24");
        assert_eq!(j["Arch"], "amd64");
        assert_eq!(j["Components"][0]["Version"], "0.1.0");
    }

    #[test]
    fn info_counts() {
        let mut i = Info::default();
        i.store.container_store.number = 3;
        i.store.container_store.running = 1;
        i.store.image_store.number = 2;
        let j = info(&i);
        assert_eq!(j["Containers"], 3);
        assert_eq!(j["ContainersRunning"], 1);
        assert_eq!(j["Images"], 2);
        assert_eq!(j["OSType"], "linux");
    }
}
