//! `POST /containers/create`: Docker's JSON body (container config, host
//! config, networking config) as the front door's [`CreateSpec`]. Fields
//! rpod cannot honour yet are refused (501) when set to anything but their
//! zero value, never dropped.

use std::collections::BTreeMap;

use rpod_api::container_run::{
    normalize_capabilities, BindMount, ContainerSpec, CreateSpec, HealthCheck, HealthOnFailure,
    NamedVolume, PullPolicy, RestartPolicy, RestartPolicyName, TmpfsMount, Ulimit,
};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::signal::parse_signal;
use crate::error::{ApiError, ApiResult};

/// A string or a list of strings (`Cmd`, `Entrypoint`).
#[derive(Deserialize, Debug, Clone)]
#[serde(untagged)]
pub enum Strings {
    One(String),
    Many(Vec<String>),
}

impl Strings {
    fn into_vec(self) -> Vec<String> {
        match self {
            Strings::One(s) if s.is_empty() => Vec::new(),
            Strings::One(s) => vec![s],
            Strings::Many(v) => v,
        }
    }
}

/// Docker's `container.Config` plus `HostConfig` and `NetworkingConfig`.
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct CreateBody {
    pub image: Option<String>,
    pub cmd: Option<Strings>,
    pub entrypoint: Option<Strings>,
    pub env: Option<Vec<String>>,
    pub labels: Option<BTreeMap<String, String>>,
    pub working_dir: Option<String>,
    pub user: Option<String>,
    pub tty: bool,
    pub open_stdin: bool,
    pub hostname: Option<String>,
    pub stop_signal: Option<String>,
    pub stop_timeout: Option<i64>,
    pub exposed_ports: Option<BTreeMap<String, Value>>,
    pub volumes: Option<BTreeMap<String, Value>>,
    pub healthcheck: Option<Healthcheck>,
    pub host_config: Option<HostConfig>,
    pub networking_config: Option<NetworkingConfig>,
    /// Keys handled by the attach and exec endpoints (or Docker-only
    /// bookkeeping); the rest is checked by [`refuse_unsupported`].
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct Healthcheck {
    pub test: Option<Vec<String>>,
    pub interval: i64,
    pub timeout: i64,
    pub start_period: i64,
    pub retries: i64,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct RestartPolicyBody {
    pub name: String,
    pub maximum_retry_count: i64,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct PortBinding {
    pub host_ip: String,
    pub host_port: String,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct UlimitBody {
    pub name: String,
    pub soft: i64,
    pub hard: i64,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct LogConfig {
    #[serde(rename = "Type")]
    pub kind: String,
    pub config: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct HostConfig {
    pub binds: Option<Vec<String>>,
    pub auto_remove: bool,
    pub restart_policy: Option<RestartPolicyBody>,
    pub network_mode: Option<String>,
    pub port_bindings: Option<BTreeMap<String, Option<Vec<PortBinding>>>>,
    pub publish_all_ports: bool,
    pub privileged: bool,
    pub cap_add: Option<Vec<String>>,
    pub cap_drop: Option<Vec<String>>,
    pub readonly_rootfs: bool,
    pub init: Option<bool>,
    pub dns: Option<Vec<String>>,
    pub dns_search: Option<Vec<String>>,
    pub dns_options: Option<Vec<String>>,
    pub extra_hosts: Option<Vec<String>>,
    pub tmpfs: Option<BTreeMap<String, String>>,
    pub volumes_from: Option<Vec<String>>,
    pub group_add: Option<Vec<String>>,
    pub security_opt: Option<Vec<String>>,
    pub log_config: Option<LogConfig>,
    pub memory: i64,
    pub memory_swap: i64,
    pub memory_reservation: i64,
    pub memory_swappiness: Option<i64>,
    pub nano_cpus: i64,
    pub cpu_shares: i64,
    pub cpu_period: i64,
    pub cpu_quota: i64,
    pub cpuset_cpus: String,
    pub cpuset_mems: String,
    pub pids_limit: Option<i64>,
    pub oom_kill_disable: Option<bool>,
    pub oom_score_adj: i64,
    pub ulimits: Option<Vec<UlimitBody>>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct EndpointConfig {
    pub aliases: Option<Vec<String>>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkingConfig {
    pub endpoints_config: Option<BTreeMap<String, Option<EndpointConfig>>>,
}

/// Top-level keys that configure attaching (the attach endpoint's
/// business) or that Docker itself ignores on create.
const CONFIG_IGNORED: [&str; 8] = [
    "AttachStdin",
    "AttachStdout",
    "AttachStderr",
    "StdinOnce",
    "ArgsEscaped",
    "OnBuild",
    // Docker fills these from the image; a client echoing them is harmless.
    "Shell",
    "Platform",
];

/// HostConfig keys whose zero value is all rpod supports; the CLI's
/// defaults are zero (`ConsoleSize` is the attach's size).
const HOST_IGNORED: [&str; 1] = ["ConsoleSize"];

/// Whether a JSON value is its type's zero (`null`, `false`, `0`, `""`,
/// empty list or map).
pub(crate) fn is_zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.iter().all(is_zero) || a.is_empty(),
        Value::Object(o) => o.values().all(is_zero),
    }
}

pub(crate) fn refuse_unsupported(
    section: &str,
    other: &Map<String, Value>,
    ignored: &[&str],
) -> ApiResult<()> {
    for (key, value) in other {
        if ignored.contains(&key.as_str()) || is_zero(value) {
            continue;
        }
        return Err(ApiError::not_implemented(format!(
            "{section}{key} is not supported by rpod yet (see docs/compatibility.md)"
        )));
    }
    Ok(())
}

/// Parses the body (400 with serde's message when it is no valid JSON).
pub fn parse_body(bytes: &[u8]) -> ApiResult<CreateBody> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad_request(format!("decode(): {e}")))
}

/// The create request for `body` named `name`. The image is never pulled
/// here (Docker's clients pull on a 404 and retry).
pub fn create_spec(body: CreateBody, name: Option<String>) -> ApiResult<CreateSpec> {
    refuse_unsupported("", &body.other, &CONFIG_IGNORED)?;
    let image = body
        .image
        .filter(|i| !i.is_empty())
        .ok_or_else(|| ApiError::bad_request("no image was specified: Config.Image is empty"))?;
    let mut spec = CreateSpec {
        name: name.filter(|n| !n.is_empty()),
        pull: PullPolicy::Never,
        quiet: true,
        ..CreateSpec::default()
    };
    let o = &mut spec.options;
    o.image = image;
    o.command = body.cmd.map(Strings::into_vec).unwrap_or_default();
    o.entrypoint = body.entrypoint.map(Strings::into_vec);
    o.env = body.env.unwrap_or_default();
    o.labels = body.labels.unwrap_or_default().into_iter().collect();
    o.workdir = body.working_dir.filter(|w| !w.is_empty());
    o.user = body.user.filter(|u| !u.is_empty());
    o.tty = body.tty;
    o.interactive = body.open_stdin;
    o.hostname = body.hostname.filter(|h| !h.is_empty());
    if let Some(sig) = body.stop_signal.filter(|s| !s.is_empty()) {
        o.stop_signal = Some(parse_signal(&sig)?);
    }
    o.stop_timeout = body.stop_timeout.and_then(|t| u64::try_from(t).ok());
    o.network.expose = body.exposed_ports.unwrap_or_default().into_keys().collect();
    for dest in body.volumes.unwrap_or_default().into_keys() {
        o.volumes.push(NamedVolume {
            name: String::new(),
            destination: dest,
            options: Vec::new(),
        });
    }
    if let Some(hc) = body.healthcheck {
        o.healthcheck = healthcheck(hc)?;
    }
    if let Some(hc) = body.host_config {
        host_config(&mut spec, hc)?;
    }
    if let Some(nc) = body.networking_config {
        networking(&mut spec, nc)?;
    }
    drop_shadowed_anonymous_volumes(&mut spec.options);
    Ok(spec)
}

/// `Volumes` entries (anonymous volumes) at a destination a bind, named
/// volume or tmpfs also mounts are left out, as Docker does (docker-py
/// sends each `-v` both as a bind and as a `Volumes` entry).
fn drop_shadowed_anonymous_volumes(o: &mut ContainerSpec) {
    let taken: Vec<String> = o
        .mounts
        .iter()
        .map(|m| m.destination.clone())
        .chain(o.tmpfs.iter().map(|t| t.destination.clone()))
        .chain(
            o.volumes
                .iter()
                .filter(|v| !v.name.is_empty())
                .map(|v| v.destination.clone()),
        )
        .map(|d| d.trim_end_matches('/').to_owned())
        .collect();
    o.volumes.retain(|v| {
        !v.name.is_empty() || !taken.contains(&v.destination.trim_end_matches('/').to_owned())
    });
}

fn healthcheck(hc: Healthcheck) -> ApiResult<Option<HealthCheck>> {
    let Some(test) = hc.test.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if test[0] == "NONE" {
        return Err(ApiError::not_implemented(
            "Healthcheck.Test [\"NONE\"] (disabling the image's health check) is not supported by rpod yet",
        ));
    }
    let ms = |ns: i64| u64::try_from(ns / 1_000_000).unwrap_or(0);
    Ok(Some(HealthCheck {
        test,
        interval_ms: if hc.interval == 0 {
            30_000
        } else {
            ms(hc.interval)
        },
        timeout_ms: if hc.timeout == 0 {
            30_000
        } else {
            ms(hc.timeout)
        },
        start_period_ms: ms(hc.start_period),
        retries: if hc.retries == 0 {
            3
        } else {
            u32::try_from(hc.retries).unwrap_or(3)
        },
        on_failure: HealthOnFailure::None,
    }))
}

fn host_config(spec: &mut CreateSpec, hc: HostConfig) -> ApiResult<()> {
    refuse_unsupported("HostConfig.", &hc.other, &HOST_IGNORED)?;
    let o = &mut spec.options;
    o.remove = hc.auto_remove;
    for b in hc.binds.unwrap_or_default() {
        bind(spec_mounts(o), &b)?;
    }
    if let Some(rp) = hc.restart_policy.filter(|r| !r.name.is_empty()) {
        let name = match rp.name.as_str() {
            "no" => RestartPolicyName::No,
            "on-failure" => RestartPolicyName::OnFailure,
            "always" => RestartPolicyName::Always,
            "unless-stopped" => RestartPolicyName::UnlessStopped,
            other => {
                return Err(ApiError::bad_request(format!(
                    "invalid restart policy: {other}"
                )))
            }
        };
        o.restart = Some(RestartPolicy {
            name,
            max_retries: u32::try_from(rp.maximum_retry_count).unwrap_or(0),
        });
    }
    match hc.network_mode.as_deref() {
        None | Some("") | Some("default") => {}
        Some(mode) => o.network.modes.push(mode.to_owned()),
    }
    for (ctr_port, bindings) in hc.port_bindings.unwrap_or_default() {
        let bindings = bindings.unwrap_or_default();
        if bindings.is_empty() {
            o.network.publish.push(ctr_port.clone());
        }
        for b in bindings {
            o.network
                .publish
                .push(match (b.host_ip.as_str(), b.host_port.as_str()) {
                    ("", "") => ctr_port.clone(),
                    ("", hp) => format!("{hp}:{ctr_port}"),
                    (ip, hp) => format!("{ip}:{hp}:{ctr_port}"),
                });
        }
    }
    o.network.publish_all = hc.publish_all_ports;
    o.network.dns = hc.dns.unwrap_or_default();
    o.network.dns_search = hc.dns_search.unwrap_or_default();
    o.network.dns_options = hc.dns_options.unwrap_or_default();
    o.network.add_hosts = hc.extra_hosts.unwrap_or_default();
    o.security.privileged = hc.privileged;
    o.security.cap_add =
        normalize_capabilities(&hc.cap_add.unwrap_or_default()).map_err(ApiError::bad_request)?;
    o.security.cap_drop =
        normalize_capabilities(&hc.cap_drop.unwrap_or_default()).map_err(ApiError::bad_request)?;
    for opt in hc.security_opt.unwrap_or_default() {
        let (key, value) = opt
            .split_once(['=', ':'])
            .map_or((opt.as_str(), ""), |(k, v)| (k, v));
        match key {
            "no-new-privileges" => o.security.no_new_privileges = value != "false",
            "seccomp" => o.security.seccomp_profile = Some(value.to_owned()),
            "label" => o.security.label.push(value.to_owned()),
            _ => {
                return Err(ApiError::not_implemented(format!(
                    "HostConfig.SecurityOpt {opt:?} is not supported by rpod yet"
                )))
            }
        }
    }
    if hc.readonly_rootfs {
        o.read_only = Some(true);
    }
    o.security.init = hc.init.unwrap_or(false);
    for (dest, opts) in hc.tmpfs.unwrap_or_default() {
        o.tmpfs.push(TmpfsMount {
            destination: dest,
            options: opts
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        });
    }
    o.volumes_from = hc.volumes_from.unwrap_or_default();
    o.group_add = hc.group_add.unwrap_or_default();
    if let Some(lc) = hc.log_config {
        if !lc.kind.is_empty() {
            o.log_driver = Some(lc.kind);
        }
        for (k, v) in lc.config.unwrap_or_default() {
            match k.as_str() {
                "max-size" => {
                    o.log_max_size =
                        Some(rpod_api::units::from_human_size(&v).ok_or_else(|| {
                            ApiError::bad_request(format!("invalid max-size {v:?}"))
                        })?)
                }
                "max-file" => {
                    o.log_max_files =
                        Some(v.parse().map_err(|_| {
                            ApiError::bad_request(format!("invalid max-file {v:?}"))
                        })?)
                }
                _ => {
                    return Err(ApiError::not_implemented(format!(
                        "HostConfig.LogConfig.Config {k:?} is not supported by rpod yet"
                    )))
                }
            }
        }
    }
    let r = &mut o.resources;
    let positive = |v: i64| (v > 0).then_some(v);
    r.memory = positive(hc.memory);
    r.memory_swap = (hc.memory_swap != 0).then_some(hc.memory_swap);
    r.memory_reservation = positive(hc.memory_reservation);
    r.memory_swappiness = hc.memory_swappiness.filter(|s| *s >= 0).map(|s| s as u64);
    r.nano_cpus = positive(hc.nano_cpus);
    r.cpu_shares = positive(hc.cpu_shares).map(|v| v as u64);
    r.cpu_period = positive(hc.cpu_period).map(|v| v as u64);
    r.cpu_quota = positive(hc.cpu_quota);
    r.cpuset_cpus = Some(hc.cpuset_cpus).filter(|s| !s.is_empty());
    r.cpuset_mems = Some(hc.cpuset_mems).filter(|s| !s.is_empty());
    r.pids_limit = hc.pids_limit.filter(|p| *p != 0);
    r.oom_kill_disable = hc.oom_kill_disable.unwrap_or(false);
    r.oom_score_adj = (hc.oom_score_adj != 0).then_some(hc.oom_score_adj as i32);
    r.ulimits = hc
        .ulimits
        .unwrap_or_default()
        .into_iter()
        .map(|u| Ulimit {
            name: u.name,
            soft: u.soft,
            hard: u.hard,
        })
        .collect();
    Ok(())
}

/// The bind mounts and volumes of the spec, for [`bind`].
fn spec_mounts(
    o: &mut rpod_api::container_run::ContainerSpec,
) -> (&mut Vec<BindMount>, &mut Vec<NamedVolume>) {
    (&mut o.mounts, &mut o.volumes)
}

/// One `HostConfig.Binds` entry: `SRC:DST[:OPTIONS]` (a host path) or
/// `NAME:DST[:OPTIONS]` (a named volume).
fn bind((mounts, volumes): (&mut Vec<BindMount>, &mut Vec<NamedVolume>), b: &str) -> ApiResult<()> {
    let parts: Vec<&str> = b.split(':').collect();
    let (source, destination, opts) = match parts.as_slice() {
        [s, d] => (*s, *d, ""),
        [s, d, o] => (*s, *d, *o),
        _ => {
            return Err(ApiError::bad_request(format!(
                "{b}: incorrect volume format, should be [host-dir:]ctr-dir[:option]"
            )))
        }
    };
    if source.is_empty() || !destination.starts_with('/') {
        return Err(ApiError::bad_request(format!(
            "{b}: incorrect volume format, should be [host-dir:]ctr-dir[:option]"
        )));
    }
    let options: Vec<String> = opts
        .split(',')
        .filter(|o| !o.is_empty())
        .map(str::to_owned)
        .collect();
    if source.starts_with('/') {
        if let Err(e) = std::fs::metadata(source) {
            return Err(ApiError::bad_request(format!(
                "statfs {source}: {}",
                rpod_api::error_chain::io_reason(&e)
            )));
        }
        mounts.push(BindMount {
            source: source.to_owned(),
            destination: destination.to_owned(),
            readonly: options.iter().any(|o| o == "ro"),
            options: options
                .into_iter()
                .filter(|o| !matches!(o.as_str(), "ro" | "rw" | "z" | "Z"))
                .collect(),
        });
    } else {
        volumes.push(NamedVolume {
            name: source.to_owned(),
            destination: destination.to_owned(),
            options,
        });
    }
    Ok(())
}

fn networking(spec: &mut CreateSpec, nc: NetworkingConfig) -> ApiResult<()> {
    let net = &mut spec.options.network;
    for (name, endpoint) in nc.endpoints_config.unwrap_or_default() {
        if !net.modes.contains(&name) {
            net.modes.push(name.clone());
        }
        if let Some(e) = endpoint {
            refuse_unsupported(
                &format!("NetworkingConfig.EndpointsConfig.{name}."),
                &e.other,
                &[],
            )?;
            net.aliases.extend(e.aliases.unwrap_or_default());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> ApiResult<CreateSpec> {
        create_spec(parse_body(json.as_bytes())?, Some("c1".into()))
    }

    #[test]
    fn docker_cli_body() {
        let s = spec(
            r#"{"Image":"busybox","Cmd":["echo","hi"],"Env":["A=1"],"Labels":{"k":"v"},
            "Tty":false,"OpenStdin":true,"AttachStdout":true,"WorkingDir":"/tmp","User":"1:1",
            "StopSignal":"SIGINT","Volumes":{"/data":{}},
            "HostConfig":{"AutoRemove":true,"NetworkMode":"default","ConsoleSize":[24,80],
              "RestartPolicy":{"Name":"on-failure","MaximumRetryCount":2},
              "PortBindings":{"80/tcp":[{"HostIp":"","HostPort":"8080"}]},
              "Binds":["vol1:/v:ro"],"Memory":0,"CapAdd":["net_admin"],"LogConfig":{"Type":"","Config":{}}},
            "NetworkingConfig":{"EndpointsConfig":{}}}"#,
        )
        .unwrap();
        let o = &s.options;
        assert_eq!(s.name.as_deref(), Some("c1"));
        assert_eq!(s.pull, PullPolicy::Never);
        assert_eq!(o.image, "busybox");
        assert_eq!(o.command, ["echo", "hi"]);
        assert_eq!(o.entrypoint, None);
        assert_eq!(o.labels, [("k".to_string(), "v".to_string())]);
        assert!(o.interactive && !o.tty && o.remove);
        assert_eq!(o.workdir.as_deref(), Some("/tmp"));
        assert_eq!(o.stop_signal, Some(2));
        assert_eq!(o.network.publish, ["8080:80/tcp"]);
        assert!(o.network.modes.is_empty());
        assert_eq!(o.volumes.len(), 2);
        assert_eq!(o.volumes[1].name, "vol1");
        assert_eq!(o.security.cap_add, ["CAP_NET_ADMIN"]);
        assert_eq!(o.restart.unwrap().max_retries, 2);
        assert_eq!(o.resources.memory, None);
        let s = spec(r#"{"Image":"i","Volumes":{"/data":{},"/other":{}},"HostConfig":{"Binds":["v:/data:rw"]}}"#).unwrap();
        let dests: Vec<(&str, &str)> = s
            .options
            .volumes
            .iter()
            .map(|v| (v.name.as_str(), v.destination.as_str()))
            .collect();
        assert_eq!(dests, [("", "/other"), ("v", "/data")]);
    }

    #[test]
    fn entrypoint_forms() {
        let s = spec(r#"{"Image":"i","Entrypoint":"sh","Cmd":"-c"}"#).unwrap();
        assert_eq!(s.options.entrypoint, Some(vec!["sh".to_string()]));
        assert_eq!(s.options.command, ["-c"]);
        let s = spec(r#"{"Image":"i","Entrypoint":[]}"#).unwrap();
        assert_eq!(s.options.entrypoint, Some(vec![]));
    }

    #[test]
    fn bad_and_unsupported_bodies() {
        let e = spec("{not json").unwrap_err();
        assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST);
        let e = spec(r#"{"Cmd":["x"]}"#).unwrap_err();
        assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST);
        let e = spec(r#"{"Image":"i","HostConfig":{"Devices":[{"PathOnHost":"/dev/null"}]}}"#)
            .unwrap_err();
        assert_eq!(e.status, axum::http::StatusCode::NOT_IMPLEMENTED);
        assert!(e.message.contains("HostConfig.Devices"), "{}", e.message);
        // Zero values of unsupported keys are what clients send by default.
        assert!(spec(r#"{"Image":"i","HostConfig":{"Devices":[],"IpcMode":""}}"#).is_ok());
        let e = spec(r#"{"Image":"i","HostConfig":{"RestartPolicy":{"Name":"sometimes"}}}"#)
            .unwrap_err();
        assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST);
    }
}
