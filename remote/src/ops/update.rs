//! `update` over `POST /libpod/containers/{id}/update`: the resources in
//! the runtime spec's form, the per-device limits by path, `Env`,
//! `UnsetEnv`, `r_limits` and the restart policy as query parameters, as
//! Podman's client sends them; to rpod's own service the whole request
//! also travels as `rpod_options` (health check changes included).

use hyper::Method;
use std::time::Duration;

use rpod_api::container_run::{
    BlkioDevice, HealthUpdate, ResourceSpec, RestartPolicyName, UpdateOptions,
};
use rpod_api::time::go_duration;
use rpod_api::Result;
use serde_json::{json, Map, Value};

use super::seg;
use crate::error::unsupported;
use crate::query::with_query;
use crate::transport::body;
use crate::RemoteEngine;

fn put<T: serde::Serialize>(m: &mut Map<String, Value>, key: &str, v: Option<T>) {
    if let Some(v) = v {
        m.insert(key.to_owned(), json!(v));
    }
}

fn device_list(key: &str, value_key: &str, list: &[BlkioDevice], g: &mut Map<String, Value>) {
    if !list.is_empty() {
        let v: Vec<Value> = list
            .iter()
            .map(|d| json!({"Path": d.path, value_key: d.value}))
            .collect();
        g.insert(key.to_owned(), Value::Array(v));
    }
}

/// Podman's `UpdateEntities` for `o`; what it cannot say is refused.
pub(crate) fn podman_body(o: &UpdateOptions) -> Result<Map<String, Value>> {
    let r = &o.resources;
    let mut g = Map::new();
    let mut mem = Map::new();
    put(&mut mem, "limit", r.memory);
    put(&mut mem, "reservation", r.memory_reservation);
    put(&mut mem, "swap", r.memory_swap);
    put(&mut mem, "swappiness", r.memory_swappiness);
    if !mem.is_empty() {
        g.insert("memory".into(), Value::Object(mem));
    }
    let mut cpu = Map::new();
    put(&mut cpu, "shares", r.cpu_shares);
    // `--cpus` as the period and quota Podman's client computes from it.
    let from_cpus = r.nano_cpus.map(ResourceSpec::cpus_period_quota);
    put(&mut cpu, "quota", r.cpu_quota.or(from_cpus.map(|(_, q)| q)));
    put(
        &mut cpu,
        "period",
        r.cpu_period.or(from_cpus.map(|(p, _)| p)),
    );
    put(&mut cpu, "realtimeRuntime", r.cpu_rt_runtime);
    put(&mut cpu, "realtimePeriod", r.cpu_rt_period);
    put(&mut cpu, "cpus", r.cpuset_cpus.clone());
    put(&mut cpu, "mems", r.cpuset_mems.clone());
    if !cpu.is_empty() {
        g.insert("cpu".into(), Value::Object(cpu));
    }
    if let Some(p) = r.pids_limit {
        g.insert("pids".into(), json!({"limit": p}));
    }
    if let Some(w) = r.blkio_weight {
        g.insert("blockIO".into(), json!({"weight": w}));
    }
    device_list(
        "BlkIOWeightDevice",
        "Weight",
        &r.blkio_weight_device,
        &mut g,
    );
    device_list("DeviceReadBPs", "Rate", &r.device_read_bps, &mut g);
    device_list("DeviceWriteBPs", "Rate", &r.device_write_bps, &mut g);
    device_list("DeviceReadIOPs", "Rate", &r.device_read_iops, &mut g);
    device_list("DeviceWriteIOPs", "Rate", &r.device_write_iops, &mut g);
    health_keys(&o.health, &mut g);
    if !o.env.is_empty() {
        g.insert("Env".into(), json!(o.env));
    }
    if !o.unset_env.is_empty() {
        g.insert("UnsetEnv".into(), json!(o.unset_env));
    }
    match &o.ulimits {
        None => {}
        Some(list) if list.is_empty() => {
            return Err(unsupported("update --ulimit host against this service"))
        }
        Some(list) => {
            let v: Vec<Value> = list
                .iter()
                .map(|u| {
                    let n = |x: i64| u64::try_from(x).unwrap_or(u64::MAX);
                    json!({"type": format!("RLIMIT_{}", u.name.to_ascii_uppercase()),
                           "soft": n(u.soft), "hard": n(u.hard)})
                })
                .collect();
            g.insert("r_limits".into(), Value::Array(v));
        }
    }
    Ok(g)
}

/// A health check's test as the `--health-cmd` text Podman's keys carry.
fn test_text(test: &[String]) -> String {
    match test {
        [none] if none == "NONE" => "none".to_owned(),
        [shell, cmd] if shell == "CMD-SHELL" => cmd.clone(),
        [cmd, args @ ..] if cmd == "CMD" => json!(args).to_string(),
        other => json!(other).to_string(),
    }
}

fn duration_text(ms: u64, zero_is_disable: bool) -> String {
    if ms == 0 && zero_is_disable {
        "disable".to_owned()
    } else {
        go_duration(Duration::from_millis(ms))
    }
}

/// The health check changes as Podman's `health_*` keys (the flags' text).
fn health_keys(h: &HealthUpdate, g: &mut Map<String, Value>) {
    put(g, "health_cmd", h.test.as_deref().map(test_text));
    put(
        g,
        "health_interval",
        h.interval_ms.map(|m| duration_text(m, true)),
    );
    put(
        g,
        "health_timeout",
        h.timeout_ms.map(|m| duration_text(m, false)),
    );
    put(
        g,
        "health_start_period",
        h.start_period_ms.map(|m| duration_text(m, false)),
    );
    put(g, "health_retries", h.retries);
    put(
        g,
        "health_on_failure",
        h.on_failure.and_then(|f| serde_json::to_value(f).ok()),
    );
    if h.disable {
        g.insert("no_healthcheck".into(), json!(true));
    }
    put(
        g,
        "health_startup_cmd",
        h.startup_test.as_deref().map(test_text),
    );
    put(
        g,
        "health_startup_interval",
        h.startup_interval_ms.map(|m| duration_text(m, true)),
    );
    put(
        g,
        "health_startup_timeout",
        h.startup_timeout_ms.map(|m| duration_text(m, false)),
    );
    put(g, "health_startup_retries", h.startup_retries);
    put(g, "health_startup_success", h.startup_successes);
    put(g, "health_log_destination", h.log_destination.clone());
    put(g, "health_max_log_count", h.max_log_count);
    put(g, "health_max_log_size", h.max_log_size);
}

/// The restart policy as `restartPolicy`/`restartRetries`.
pub(crate) fn restart_query(o: &UpdateOptions) -> Vec<(&'static str, String)> {
    let Some(p) = o.restart else {
        return Vec::new();
    };
    let name = match p.name {
        RestartPolicyName::No => "no",
        RestartPolicyName::OnFailure => "on-failure",
        RestartPolicyName::Always => "always",
        RestartPolicyName::UnlessStopped => "unless-stopped",
    };
    let mut q = vec![("restartPolicy", name.to_owned())];
    if p.name == RestartPolicyName::OnFailure {
        q.push(("restartRetries", p.max_retries.to_string()));
    }
    q
}

impl RemoteEngine {
    pub(crate) async fn update(&self, o: &UpdateOptions) -> Result<String> {
        let mut g = if self.is_rpod_service().await {
            let mut g = podman_body(o).unwrap_or_default();
            g.insert("rpod_options".into(), json!(o));
            g
        } else {
            podman_body(o)?
        };
        g.retain(|_, v| !v.is_null());
        let path = with_query(
            &format!("/containers/{}/update", seg(&o.name_or_id)),
            &restart_query(o),
        );
        self.transport
            .json(Method::POST, &path, body(&Value::Object(g))?)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rpod_api::container_run::{RestartPolicy, Ulimit};

    #[test]
    fn podman_shapes() {
        let mut o = UpdateOptions {
            name_or_id: "c".into(),
            restart: Some(RestartPolicy {
                name: RestartPolicyName::OnFailure,
                max_retries: 4,
            }),
            ulimits: Some(vec![Ulimit {
                name: "nofile".into(),
                soft: 10,
                hard: 20,
            }]),
            ..UpdateOptions::default()
        };
        o.resources.memory = Some(1 << 20);
        o.resources.cpu_shares = Some(100);
        o.resources.device_read_bps = vec![BlkioDevice {
            path: "/dev/sda".into(),
            value: 5,
        }];
        let g = podman_body(&o).unwrap();
        assert_eq!(g["memory"], json!({"limit": 1 << 20}));
        assert_eq!(g["cpu"], json!({"shares": 100}));
        assert_eq!(g["DeviceReadBPs"], json!([{"Path": "/dev/sda", "Rate": 5}]));
        assert_eq!(g["r_limits"][0]["type"], "RLIMIT_NOFILE");
        assert_eq!(
            restart_query(&o),
            [
                ("restartPolicy", "on-failure".to_owned()),
                ("restartRetries", "4".to_owned())
            ]
        );
        o.resources.nano_cpus = Some(1_500_000_000);
        let g = podman_body(&o).unwrap();
        assert_eq!(g["cpu"]["quota"], 150_000);
        assert_eq!(g["cpu"]["period"], 100_000);
        o.health.retries = Some(3);
        o.health.test = Some(vec!["CMD".into(), "true".into(), "x".into()]);
        o.health.interval_ms = Some(0);
        o.health.timeout_ms = Some(90_000);
        let g = podman_body(&o).unwrap();
        assert_eq!(g["health_retries"], 3);
        assert_eq!(g["health_cmd"], r#"["true","x"]"#);
        assert_eq!(g["health_interval"], "disable");
        assert_eq!(g["health_timeout"], "1m30s");
    }
}
