//! `inspect` output in Podman's shape (libpod's InspectContainerData):
//! the same keys in the same order, so `--format '{{.State.Pid}}'` and
//! scripts reading the JSON work unchanged.

use serde_json::{json, Value};

use super::paths::ContainerPaths;
use super::SIGTERM;
use crate::engine::EngineCtx;
use crate::state::{ContainerRecord, ContainerState};

/// Go's zero time as Podman prints it for "never".
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// RFC 3339 with nanoseconds in local time, as Go prints time.Time.
pub fn format_time(nanos: i64) -> String {
    use chrono::TimeZone;
    chrono::Local
        .timestamp_nanos(nanos)
        .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

fn opt_time(nanos: Option<i64>) -> String {
    nanos
        .map(format_time)
        .unwrap_or_else(|| ZERO_TIME.to_owned())
}

pub fn inspect_container(ctx: &EngineCtx, rec: &ContainerRecord) -> Value {
    let paths = ContainerPaths::new(&ctx.config, &rec.id);
    let o = &rec.options;
    let mounted = rec.state.has_monitor();
    let storage = ctx.store.container_storage_paths(&rec.id);
    let merged = if mounted {
        storage.merged.display().to_string()
    } else {
        String::new()
    };
    let (path, args) = match rec.command.split_first() {
        Some((p, a)) => (p.clone(), a.to_vec()),
        None => (String::new(), Vec::new()),
    };
    let hostname = crate::spec::hostname_for(&rec.id, o);
    let binds: Vec<String> = o
        .mounts
        .iter()
        .map(|m| {
            format!(
                "{}:{}:{}",
                m.source,
                m.destination,
                if m.readonly { "ro" } else { "rw" }
            )
        })
        .collect();
    let mounts: Vec<Value> = o
        .mounts
        .iter()
        .map(|m| {
            json!({
                "Type": "bind",
                "Source": m.source,
                "Destination": m.destination,
                "Driver": "",
                "Mode": "",
                "Options": ["rbind"],
                "RW": !m.readonly,
                "Propagation": "rprivate",
            })
        })
        .collect();
    let labels: serde_json::Map<String, Value> = o
        .labels
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let network_mode = match o.network {
        super::NetworkMode::None => "none",
        super::NetworkMode::Host => "host",
    };
    let restart = super::restart::state(&ctx.config, rec).unwrap_or_default();
    let restarting = rec.state.has_monitor() && restart.restarting;
    let restart_policy = o.restart.map_or_else(
        || json!({ "Name": "no", "MaximumRetryCount": 0 }),
        |r| json!({ "Name": r.policy.as_str(), "MaximumRetryCount": r.max_retries }),
    );
    let health = super::health::state(&ctx.config, rec);
    let healthcheck = o.healthcheck.as_ref().map(|h| {
        json!({
            "Test": h.test,
            "StartPeriod": h.start_period_ms * 1_000_000,
            "Interval": h.interval_ms * 1_000_000,
            "Timeout": h.timeout_ms * 1_000_000,
            "Retries": h.retries,
        })
    });
    let log_size = o
        .log_max_size
        .map(|s| s.to_string())
        .unwrap_or_else(|| "0B".into());
    json!({
        "Id": rec.id,
        "Created": format_time(rec.created_at),
        "Path": path,
        "Args": args,
        "State": {
            "OciVersion": "1.2.0",
            "Status": rec.state.as_str(),
            "Running": rec.state == ContainerState::Running,
            "Paused": rec.state == ContainerState::Paused,
            "Restarting": restarting,
            "OOMKilled": rec.oom_killed,
            "StoppedByUser": ContainerPaths::new(&ctx.config, &rec.id).stopped_by_user.exists(),
            "Dead": false,
            "Pid": rec.pid,
            "ConmonPid": if mounted { rec.monitor_pid } else { 0 },
            "ExitCode": rec.exit_code.unwrap_or(0),
            "Error": rec.error,
            "StartedAt": opt_time(rec.started_at),
            "FinishedAt": opt_time(rec.finished_at),
            "Health": health,
            "CheckpointedAt": ZERO_TIME,
            "RestoredAt": ZERO_TIME,
        },
        "Image": rec.image_id,
        "ImageDigest": ctx.store.lookup_image(&rec.image_id).ok().flatten().map(|i| i.digest).unwrap_or_default(),
        "ImageName": rec.image_name,
        "Rootfs": "",
        "Pod": o.pod.as_ref().map(|m| m.pod_id.as_str()).unwrap_or(""),
        "IsInfra": o.pod.as_ref().is_some_and(|m| m.infra),
        "Dependencies": o.requires,
        "ResolvConfPath": paths.data_dir.join("resolv.conf"),
        "HostnamePath": paths.data_dir.join("hostname"),
        "HostsPath": paths.data_dir.join("hosts"),
        "StaticDir": paths.data_dir,
        "OCIConfigPath": paths.config_json,
        "OCIRuntime": std::path::Path::new(&rec.runtime).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        "ConmonPidFile": paths.monitor.monitor_pid_file,
        "PidFile": paths.monitor.pid_file,
        "Name": rec.name,
        "RestartCount": restart.count,
        "Driver": ctx.store.graph_driver_name(),
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "",
        "ExecIDs": [],
        "GraphDriver": {
            "Name": ctx.store.graph_driver_name(),
            "Data": {
                "MergedDir": storage.merged,
                "UpperDir": storage.upper,
                "WorkDir": storage.work,
            }
        },
        "Mounts": mounts,
        "Dependencies": [],
        "NetworkSettings": {
            "EndpointID": "",
            "Gateway": "",
            "IPAddress": "",
            "IPPrefixLen": 0,
            "MacAddress": "",
            "Bridge": "",
            "SandboxID": "",
            "Ports": {},
            "SandboxKey": "",
        },
        "Namespace": "",
        "IsInfra": false,
        "IsService": false,
        "Mountpoint": merged,
        "Config": {
            "Hostname": hostname,
            "Domainname": "",
            "User": o.user.clone().unwrap_or_default(),
            "AttachStdin": false,
            "AttachStdout": false,
            "AttachStderr": false,
            "Tty": o.tty,
            "OpenStdin": o.interactive,
            "StdinOnce": false,
            "Env": o.env,
            "Cmd": if o.command.is_empty() { Value::Null } else { json!(o.command) },
            "Image": rec.image_name,
            "Volumes": Value::Null,
            "WorkingDir": o.workdir.clone().unwrap_or_else(|| "/".into()),
            "Entrypoint": o.entrypoint.clone().map(|e| json!(e)).unwrap_or(Value::Null),
            "OnBuild": Value::Null,
            "Labels": labels,
            "Annotations": {},
            "StopSignal": o.stop_signal.unwrap_or(SIGTERM),
            "StopTimeout": o.stop_timeout.unwrap_or(super::DEFAULT_STOP_TIMEOUT),
            "CreateCommand": [],
            "Healthcheck": healthcheck,
            "HealthcheckOnFailureAction": o.healthcheck.as_ref().map_or("none", |h| h.on_failure.as_str()),
        },
        "HostConfig": {
            "Binds": binds,
            "CgroupParent": "",
            "CgroupsPath": crate::pod::cgroups_path(rec),
            "LogConfig": {
                "Type": "k8s-file",
                "Config": Value::Null,
                "Path": paths.log,
                "Tag": "",
                "Size": log_size,
            },
            "NetworkMode": network_mode,
            "PortBindings": {},
            "RestartPolicy": restart_policy,
            "AutoRemove": o.remove,
            "ReadonlyRootfs": o.read_only,
            "Runtime": "oci",
            "OciRuntime": rec.runtime,
        },
    })
}
