//! `info` and `version`: the host, the store and rpod's own build, as
//! libpod/define's `Info` and `Version`.

use rpod_api::info::{
    ConmonInfo, ContainerStore, CpuUsage, DistributionInfo, DnsNetworkInfo, HostInfo, ImageStore,
    Info, NetworkInfo, OciRuntimeInfo, Plugins, RemoteSocket, StoreInfo,
};
use rpod_api::version::{SystemVersionReport, Version};
use rpod_api::Result;

use crate::engine::Engine;
use crate::front_door::error;
use crate::image_ref::platform::host_arch;
use crate::state::ContainerState;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The API service's default socket for root (Podman: /run/podman/podman.sock).
const SERVICE_SOCKET: &str = "/run/rpod/rpod.sock";

/// rpod's own version in libpod's Version shape.
pub(crate) fn version() -> Version {
    Version {
        api_version: VERSION.to_owned(),
        version: VERSION.to_owned(),
        os_arch: format!("linux/{}", host_arch()),
        os: "linux".to_owned(),
        ..Version::default()
    }
}

/// `version` of the local engine: the client is the engine.
pub(crate) fn version_report() -> SystemVersionReport {
    SystemVersionReport {
        client: version(),
        server: None,
    }
}

/// A value of /etc/os-release (`ID`, `VERSION_ID`), unquoted.
fn os_release(key: &str) -> String {
    let text = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    os_release_value(&text, key)
}

fn os_release_value(text: &str, key: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
        .map(|v| v.trim_matches('"').to_owned())
        .unwrap_or_default()
}

/// A `/proc/meminfo` value in bytes.
fn meminfo(field: &str) -> i64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.strip_prefix(field).is_some_and(|r| r.starts_with(':')))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse::<i64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

/// Podman's uptime text: `1h 2m 3.45s (Approximately 0.04 days)`.
fn uptime() -> String {
    let secs: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    uptime_text(secs)
}

fn uptime_text(secs: f64) -> String {
    let whole = secs as u64;
    format!(
        "{}h {}m {:.2}s (Approximately {:.2} days)",
        whole / 3600,
        whole % 3600 / 60,
        secs % 60.0,
        secs / 86400.0
    )
}

/// CPU time shares since boot from `/proc/stat`, in percent with two decimals.
fn cpu_utilization() -> CpuUsage {
    let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: Vec<f64> = text
        .lines()
        .next()
        .map(|l| {
            l.split_whitespace()
                .skip(1)
                .filter_map(|n| n.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let total: f64 = ticks.iter().sum();
    let pct = |i: usize| {
        if total > 0.0 {
            (ticks.get(i).copied().unwrap_or(0.0) / total * 10_000.0).round() / 100.0
        } else {
            0.0
        }
    };
    CpuUsage {
        user_percent: pct(0),
        system_percent: pct(2),
        idle_percent: pct(3),
    }
}

fn cgroup_version() -> &'static str {
    match nix::sys::statfs::statfs("/sys/fs/cgroup") {
        Ok(s) if s.filesystem_type() == nix::sys::statfs::CGROUP2_SUPER_MAGIC => "v2",
        _ => "v1",
    }
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The network backend's binary (netavark, or the CNI plugins' directory)
/// and version, with aardvark-dns for netavark.
async fn network_backend_info(backend: crate::network::config::Backend) -> NetworkInfo {
    use crate::network::config::Backend;
    async fn version(path: &std::path::Path) -> String {
        match tokio::process::Command::new(path)
            .arg("--version")
            .output()
            .await
        {
            Ok(o) => String::from_utf8_lossy(&o.stdout).trim().to_owned(),
            Err(_) => String::new(),
        }
    }
    let find = crate::network::netavark::find_helper;
    match backend {
        Backend::Netavark => {
            let path = find("netavark");
            let dns = find("aardvark-dns");
            NetworkInfo {
                backend: backend.name().to_owned(),
                version: match &path {
                    Some(p) => version(p).await,
                    None => String::new(),
                },
                package: String::new(),
                path: path.map(|p| p.display().to_string()).unwrap_or_default(),
                dns: DnsNetworkInfo {
                    version: match &dns {
                        Some(p) => version(p).await,
                        None => String::new(),
                    },
                    package: String::new(),
                    path: dns.map(|p| p.display().to_string()).unwrap_or_default(),
                },
            }
        }
        Backend::Cni => NetworkInfo {
            backend: backend.name().to_owned(),
            path: crate::network::cni::Cni::new(std::path::PathBuf::new())
                .plugin_dirs
                .iter()
                .find(|d| d.join("bridge").exists())
                .map(|d| d.display().to_string())
                .unwrap_or_default(),
            ..NetworkInfo::default()
        },
    }
}

/// A user-mode network helper's path and `--version` (empty when it is
/// not installed).
async fn helper_info(name: &'static str) -> (String, String) {
    let Ok(path) = crate::network::helper_proc::find(name) else {
        return (String::new(), String::new());
    };
    let version = match tokio::process::Command::new(&path)
        .arg("--version")
        .output()
        .await
    {
        Ok(o) => String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| !l.contains("to syslog"))
            .collect::<Vec<_>>()
            .join("\n"),
        Err(_) => String::new(),
    };
    (path.display().to_string(), version)
}

/// `info` of the local engine.
pub(crate) async fn info(engine: &Engine) -> Result<Info> {
    let config = engine.config();
    let containers = engine.containers()?;
    let in_state =
        |s: &[ContainerState]| count(containers.iter().filter(|c| s.contains(&c.state)).count());
    let images = engine.store().images().map_err(|e| error::other(&e))?;
    let oci_runtime = match crate::engine::select_runtime(config, None) {
        Ok(r) => OciRuntimeInfo {
            name: r.name.clone(),
            package: String::new(),
            path: r.path.display().to_string(),
            version: r.version().await.unwrap_or_default(),
        },
        Err(e) => OciRuntimeInfo {
            version: e.to_string(),
            ..OciRuntimeInfo::default()
        },
    };
    let monitor = crate::monitor::find_monitor_binary();
    let (slirp_path, slirp_version) = helper_info("slirp4netns").await;
    let (pasta_path, pasta_version) = helper_info("pasta").await;
    let uname = nix::sys::utsname::uname().ok();
    let buildah_version = tokio::task::spawn_blocking(crate::build::version)
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    let mut host = HostInfo {
        arch: host_arch().to_owned(),
        buildah_version,
        cgroup_manager: config.cgroup_manager.name().to_owned(),
        cgroups_version: cgroup_version().to_owned(),
        cgroup_controllers: super::host_security::cgroup_controllers(cgroup_version() == "v2"),
        conmon: ConmonInfo {
            package: "rpod".to_owned(),
            path: monitor.map(|p| p.display().to_string()).unwrap_or_default(),
            version: format!("pod-monitor version {VERSION}"),
        },
        cpus: std::thread::available_parallelism()
            .map(|n| count(n.get()))
            .unwrap_or(1),
        cpu_utilization: cpu_utilization(),
        database_backend: "sqlite".to_owned(),
        distribution: DistributionInfo {
            distribution: os_release("ID"),
            version: os_release("VERSION_ID"),
            codename: os_release("VERSION_CODENAME"),
            ..DistributionInfo::default()
        },
        event_logger: config.events_logger.name().to_owned(),
        hostname: uname
            .as_ref()
            .map(|u| u.nodename().to_string_lossy().into_owned())
            .unwrap_or_default(),
        kernel: uname
            .as_ref()
            .map(|u| u.release().to_string_lossy().into_owned())
            .unwrap_or_default(),
        log_driver: "k8s-file".to_owned(),
        mem_free: meminfo("MemFree"),
        mem_total: meminfo("MemTotal"),
        oci_runtime,
        os: "linux".to_owned(),
        remote_socket: Some(RemoteSocket {
            path: format!("unix://{SERVICE_SOCKET}"),
            exists: std::path::Path::new(SERVICE_SOCKET).exists(),
        }),
        swap_free: meminfo("SwapFree"),
        swap_total: meminfo("SwapTotal"),
        uptime: uptime(),
        linkmode: "dynamic".to_owned(),
        security: super::host_security::security_info(),
        network_backend: config.network.backend.name().to_owned(),
        network_backend_info: network_backend_info(config.network.backend).await,
        slirp4netns: rpod_api::info::SlirpInfo {
            executable: slirp_path,
            package: String::new(),
            version: slirp_version,
        },
        pasta: rpod_api::info::PastaInfo {
            executable: pasta_path,
            package: String::new(),
            version: pasta_version,
        },
        ..HostInfo::default()
    };
    crate::rootless::info::fill_host(&mut host);
    let store = StoreInfo {
        config_file: config.config_path.display().to_string(),
        container_store: ContainerStore {
            number: count(containers.len()),
            paused: in_state(&[ContainerState::Paused]),
            running: in_state(&[ContainerState::Running, ContainerState::Stopping]),
            stopped: in_state(&[
                ContainerState::Created,
                ContainerState::Initialized,
                ContainerState::Exited,
            ]),
        },
        graph_driver_name: engine.store().graph_driver_name().to_owned(),
        graph_root: config.root.join("storage").display().to_string(),
        image_store: ImageStore {
            number: count(images.len()),
        },
        run_root: config.runroot.display().to_string(),
        volume_path: config.volume_path().display().to_string(),
        ..StoreInfo::default()
    };
    Ok(Info {
        host,
        store,
        registries: Default::default(),
        plugins: Plugins {
            log: vec!["k8s-file".to_owned()],
            // The drivers of rpod's networks (ipvlan needs netavark 1.5).
            network: vec!["bridge".to_owned(), "macvlan".to_owned()],
            ..Plugins::default()
        },
        version: version(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_texts() {
        let text = "NAME=\"Debian\"\nID=debian\nVERSION_ID=\"12\"\n";
        assert_eq!(os_release_value(text, "ID"), "debian");
        assert_eq!(os_release_value(text, "VERSION_ID"), "12");
        assert_eq!(os_release_value(text, "VERSION_CODENAME"), "");
        assert_eq!(uptime_text(3723.5), "1h 2m 3.50s (Approximately 0.04 days)");
    }

    #[test]
    fn version_is_rpods() {
        let v = version_report();
        assert_eq!(v.client.version, VERSION);
        assert_eq!(v.client.os, "linux");
        assert!(v.client.os_arch.starts_with("linux/"));
        assert!(v.server.is_none());
    }
}
