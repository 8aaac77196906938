//! `info` and `version`.

use clap::Args;
use rpod_api::info::{
    ConmonInfo, ContainerStore, CpuUsage, DistributionInfo, HostInfo, ImageStore, Info, InfoReport,
    OciRuntimeInfo, Plugins, RemoteSocket, SecurityInfo, StoreInfo,
};
use rpod_api::version::{SystemVersionReport, Version};
use rpod_engine::registry::platform::host_arch;
use rpod_engine::state::ContainerState;

use super::common::{engine_config, open_engine, Globals};
use crate::cli_error::{CliError, CliResult};
use crate::format::{self, ToTemplate};
use crate::yaml::to_yaml;

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Change the output format to JSON or a Go template
    #[arg(short = 'f', long, overrides_with = "format")]
    format: Option<String>,
}

#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Change the output format to JSON or a Go template
    #[arg(short = 'f', long, overrides_with = "format")]
    format: Option<String>,
}

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The API service's default socket for root (Podman: /run/podman/podman.sock).
const SERVICE_SOCKET: &str = "/run/rpod/rpod.sock";

/// rpod's own version in libpod's Version shape.
fn client_version() -> Version {
    Version {
        api_version: VERSION.to_owned(),
        version: VERSION.to_owned(),
        os_arch: format!("linux/{}", host_arch()),
        os: "linux".to_owned(),
        ..Version::default()
    }
}

pub async fn version(_g: &Globals, a: VersionArgs) -> CliResult {
    let report = SystemVersionReport {
        client: client_version(),
        server: None,
    };
    match a.format.as_deref() {
        Some(f) if format::is_json(f) => {
            let v = serde_json::to_value(&report).map_err(anyhow::Error::from)?;
            println!("{}", format::typed_json(&v, "    ", true));
        }
        Some(f) => {
            // Podman falls back to the client alone for templates written for older
            // versions (`{{.Version}}`).
            let out = format::render_value(f, &report.to_template(), "version")
                .or_else(|_| format::render_value(f, &report.client.to_template(), "version"));
            print!("{}", out.map_err(|e| CliError::usage(e.to_string()))?);
        }
        None => {
            println!("Client:       rpod");
            println!("Version:      {VERSION}");
            println!("API Version:  {VERSION}");
            println!("OS/Arch:      linux/{}", host_arch());
        }
    }
    Ok(0)
}

/// A value of /etc/os-release (`ID`, `VERSION_ID`), unquoted.
fn os_release(key: &str) -> String {
    let text = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
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

pub async fn info(g: &Globals, a: InfoArgs) -> CliResult {
    let config = engine_config(g)?;
    let engine = open_engine(g)?;
    let containers = engine.containers()?;
    let in_state =
        |s: &[ContainerState]| count(containers.iter().filter(|c| s.contains(&c.state)).count());
    let images = engine.store().images().map_err(anyhow::Error::from)?;
    let runtime = rpod_engine::engine::select_runtime(&config, None);
    let oci_runtime = match &runtime {
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
    let monitor = rpod_engine::monitor::find_monitor_binary();
    let uname = nix::sys::utsname::uname().ok();
    let host = HostInfo {
        arch: host_arch().to_owned(),
        cgroup_manager: "cgroupfs".to_owned(),
        cgroups_version: cgroup_version().to_owned(),
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
        event_logger: "file".to_owned(),
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
        security: SecurityInfo {
            rootless: !nix::unistd::Uid::effective().is_root(),
            ..SecurityInfo::default()
        },
        ..HostInfo::default()
    };
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
        volume_path: config.root.join("volumes").display().to_string(),
        ..StoreInfo::default()
    };
    let report = InfoReport {
        info: Info {
            host,
            store,
            registries: Default::default(),
            plugins: Plugins {
                log: vec!["k8s-file".to_owned()],
                ..Plugins::default()
            },
            version: client_version(),
        },
        client: None,
    };
    let json = serde_json::to_value(&report).map_err(anyhow::Error::from)?;
    match a.format.as_deref() {
        None | Some("yaml") => print!("{}", to_yaml(&json)),
        Some(f) if format::is_json(f) => println!("{}", format::typed_json(&json, "  ", true)),
        Some(f) => {
            let out = format::render_value(f, &report.to_template(), "info")
                .map_err(|e| CliError::usage(e.to_string()))?;
            print!("{out}");
        }
    }
    Ok(0)
}
