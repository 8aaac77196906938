//! `info` and `version`.

use clap::Args;
use rpod_engine::registry::platform::host_arch;
use rpod_engine::state::ContainerState;
use serde_json::{json, Value};

use super::common::{engine_config, open_engine, print_formatted, Globals};
use crate::cli_error::CliResult;
use crate::format::{self, HeaderMap};
use crate::yaml::to_yaml;

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Change the output format to JSON or a Go template
    #[arg(short = 'f', long)]
    format: Option<String>,
}

#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Change the output format to JSON or a Go template
    #[arg(short = 'f', long)]
    format: Option<String>,
}

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn version_value() -> Value {
    json!({
        "Client": {
            "APIVersion": VERSION,
            "Version": VERSION,
            "GoVersion": "",
            "GitCommit": "",
            "BuiltTime": "",
            "Built": 0,
            "OsArch": format!("linux/{}", host_arch()),
            "Os": "linux",
        }
    })
}

pub async fn version(_g: &Globals, a: VersionArgs) -> CliResult {
    let v = version_value();
    match a.format.as_deref() {
        Some("json") => println!("{}", format::json_pretty(&v)),
        Some(f) => print_formatted(f, &[v], &HeaderMap::new("version"))?,
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

fn mem_total() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

fn cgroup_version() -> &'static str {
    match nix::sys::statfs::statfs("/sys/fs/cgroup") {
        Ok(s) if s.filesystem_type() == nix::sys::statfs::CGROUP2_SUPER_MAGIC => "v2",
        _ => "v1",
    }
}

pub async fn info(g: &Globals, a: InfoArgs) -> CliResult {
    let config = engine_config(g)?;
    let engine = open_engine(g)?;
    let containers = engine.containers()?;
    let count = |s: &[ContainerState]| containers.iter().filter(|c| s.contains(&c.state)).count();
    let images = engine.store().images().map_err(anyhow::Error::from)?;
    let runtime = rpod_engine::engine::select_runtime(&config, None);
    let (rt_name, rt_path, rt_version) = match &runtime {
        Ok(r) => (
            r.name.clone(),
            r.path.display().to_string(),
            r.version().await.unwrap_or_default(),
        ),
        Err(e) => (String::new(), String::new(), e.to_string()),
    };
    let monitor = rpod_engine::monitor::find_monitor_binary();
    let uname = nix::sys::utsname::uname().ok();
    let info = json!({
        "host": {
            "arch": host_arch(),
            "cgroupManager": "cgroupfs",
            "cgroupVersion": cgroup_version(),
            "conmon": {
                "package": "rpod",
                "path": monitor.map(|p| p.display().to_string()).unwrap_or_default(),
                "version": format!("pod-monitor version {VERSION}"),
            },
            "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            "hostname": uname.as_ref().map(|u| u.nodename().to_string_lossy().into_owned()).unwrap_or_default(),
            "kernel": uname.as_ref().map(|u| u.release().to_string_lossy().into_owned()).unwrap_or_default(),
            "memTotal": mem_total(),
            "ociRuntime": { "name": rt_name, "package": "", "path": rt_path, "version": rt_version },
            "os": "linux",
            "distribution": { "distribution": os_release("ID"), "version": os_release("VERSION_ID") },
        },
        "store": {
            "configFile": config.config_path,
            "containerStore": {
                "number": containers.len(),
                "paused": count(&[ContainerState::Paused]),
                "running": count(&[ContainerState::Running, ContainerState::Stopping]),
                "stopped": count(&[ContainerState::Created, ContainerState::Initialized, ContainerState::Exited]),
            },
            "graphDriverName": engine.store().graph_driver_name(),
            "graphRoot": config.root.join("storage"),
            "imageStore": { "number": images.len() },
            "runRoot": config.runroot,
        },
        "version": version_value()["Client"].clone(),
    });
    match a.format.as_deref() {
        None | Some("yaml") => print!("{}", to_yaml(&info)),
        Some("json") => println!("{}", format::json_pretty(&info)),
        Some(f) => print_formatted(f, &[info], &HeaderMap::new("info"))?,
    }
    Ok(0)
}
