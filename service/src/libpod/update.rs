//! libpod's update body (Podman's `handlers.UpdateEntities`: the runtime
//! spec's `LinuxResources`, the per-device block I/O limits by path,
//! `Env`, `UnsetEnv`, `r_limits`, and the `health_*` changes) as the
//! front door's update request. rpod's remote client also sends its whole
//! request as `rpod_options` (Podman's service does not know the key),
//! which then replaces the rest. Any other key with a non-zero value is
//! refused (501).

use rpod_api::container_run::{ResourceSpec, Ulimit, UpdateOptions};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::health::HealthWire;
use crate::docker::create::refuse_unsupported;
use crate::docker::update::{devices, Device};
use crate::error::{ApiError, ApiResult};

#[derive(Deserialize, Default)]
struct Memory {
    limit: Option<i64>,
    reservation: Option<i64>,
    swap: Option<i64>,
    swappiness: Option<u64>,
    #[serde(flatten)]
    other: Map<String, Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Cpu {
    shares: Option<u64>,
    quota: Option<i64>,
    period: Option<u64>,
    realtime_runtime: Option<i64>,
    realtime_period: Option<u64>,
    cpus: Option<String>,
    mems: Option<String>,
    #[serde(flatten)]
    other: Map<String, Value>,
}

#[derive(Deserialize, Default)]
struct Pids {
    limit: Option<i64>,
}

#[derive(Deserialize, Default)]
struct BlockIo {
    weight: Option<u16>,
    #[serde(flatten)]
    other: Map<String, Value>,
}

/// `specs.POSIXRlimit`.
#[derive(Deserialize)]
struct Rlimit {
    #[serde(rename = "type")]
    kind: String,
    hard: u64,
    soft: u64,
}

#[derive(Deserialize, Default)]
struct UpdateBody {
    #[serde(default)]
    memory: Option<Memory>,
    #[serde(default)]
    cpu: Option<Cpu>,
    #[serde(default)]
    pids: Option<Pids>,
    #[serde(default, rename = "blockIO")]
    block_io: Option<BlockIo>,
    #[serde(default, rename = "BlkIOWeightDevice")]
    weight_device: Option<Vec<Device>>,
    #[serde(default, rename = "DeviceReadBPs")]
    read_bps: Option<Vec<Device>>,
    #[serde(default, rename = "DeviceWriteBPs")]
    write_bps: Option<Vec<Device>>,
    #[serde(default, rename = "DeviceReadIOPs")]
    read_iops: Option<Vec<Device>>,
    #[serde(default, rename = "DeviceWriteIOPs")]
    write_iops: Option<Vec<Device>>,
    #[serde(default, rename = "Env")]
    env: Option<Vec<String>>,
    #[serde(default, rename = "UnsetEnv")]
    unset_env: Option<Vec<String>>,
    #[serde(default)]
    r_limits: Option<Vec<Rlimit>>,
    #[serde(default)]
    rpod_options: Option<Box<UpdateOptions>>,
    #[serde(flatten)]
    health: HealthWire,
    #[serde(flatten)]
    other: Map<String, Value>,
}

/// An rlimit's value as rpod keeps it (`-1`: unlimited).
fn rlimit_value(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(-1)
}

fn resources(b: &mut UpdateBody) -> ApiResult<ResourceSpec> {
    let mut r = ResourceSpec::default();
    if let Some(m) = b.memory.take() {
        refuse_unsupported("memory.", &m.other, &[])?;
        r.memory = m.limit;
        r.memory_reservation = m.reservation;
        r.memory_swap = m.swap;
        r.memory_swappiness = m.swappiness;
    }
    if let Some(c) = b.cpu.take() {
        refuse_unsupported("cpu.", &c.other, &[])?;
        r.cpu_shares = c.shares;
        r.cpu_quota = c.quota;
        r.cpu_period = c.period;
        r.cpu_rt_runtime = c.realtime_runtime;
        r.cpu_rt_period = c.realtime_period;
        r.cpuset_cpus = c.cpus.filter(|s| !s.is_empty());
        r.cpuset_mems = c.mems.filter(|s| !s.is_empty());
    }
    r.pids_limit = b.pids.take().and_then(|p| p.limit);
    if let Some(io) = b.block_io.take() {
        refuse_unsupported("blockIO.", &io.other, &[])?;
        r.blkio_weight = io.weight;
    }
    r.blkio_weight_device = devices(b.weight_device.take());
    r.device_read_bps = devices(b.read_bps.take());
    r.device_write_bps = devices(b.write_bps.take());
    r.device_read_iops = devices(b.read_iops.take());
    r.device_write_iops = devices(b.write_iops.take());
    Ok(r)
}

/// The update request for `name_or_id` from a libpod body and the
/// `restartPolicy`/`restartRetries` query parameters.
pub fn update_options(
    name_or_id: &str,
    body: &[u8],
    restart_policy: Option<&str>,
    restart_retries: Option<u32>,
) -> ApiResult<UpdateOptions> {
    let mut b: UpdateBody = if body.iter().all(u8::is_ascii_whitespace) {
        UpdateBody::default()
    } else {
        serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("decode(): {e}")))?
    };
    if let Some(options) = b.rpod_options.take() {
        return Ok(UpdateOptions {
            name_or_id: name_or_id.to_owned(),
            ..*options
        });
    }
    refuse_unsupported("", &b.other, &[])?;
    let mut o = UpdateOptions {
        name_or_id: name_or_id.to_owned(),
        resources: resources(&mut b)?,
        env: b.env.take().unwrap_or_default(),
        unset_env: b.unset_env.take().unwrap_or_default(),
        health: std::mem::take(&mut b.health).update()?,
        ..UpdateOptions::default()
    };
    o.ulimits = b.r_limits.take().map(|list| {
        list.into_iter()
            .map(|l| Ulimit {
                name: l
                    .kind
                    .to_ascii_lowercase()
                    .trim_start_matches("rlimit_")
                    .to_owned(),
                soft: rlimit_value(l.soft),
                hard: rlimit_value(l.hard),
            })
            .collect()
    });
    o.restart = match (restart_policy.filter(|p| !p.is_empty()), restart_retries) {
        (None, Some(n)) if n != 0 => {
            return Err(ApiError::bad_request(
                "cannot set restart retries unless restart policy is set",
            ))
        }
        (None, _) => None,
        (Some(p), n) => {
            let n = n.unwrap_or(0);
            if n != 0 && p != "on-failure" {
                return Err(ApiError::bad_request(
                    "cannot set restart retries unless restart policy is on-failure",
                ));
            }
            crate::docker::update::restart_policy(p, n)?
        }
    };
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rpod_api::container_run::RestartPolicyName;

    #[test]
    fn podman_body() {
        let body = br#"{"memory":{"limit":33554432},"cpu":{"shares":256,"cpus":""},
            "pids":{"limit":50},"DeviceReadBPs":[{"Path":"/dev/sda","Rate":1048576}],
            "Env":["A=1"],"UnsetEnv":["B"],
            "r_limits":[{"type":"RLIMIT_NOFILE","hard":2048,"soft":1024}]}"#;
        let o = update_options("c", body, Some("on-failure"), Some(2)).unwrap();
        assert_eq!(o.resources.memory, Some(32 << 20));
        assert_eq!(o.resources.cpu_shares, Some(256));
        assert_eq!(o.resources.cpuset_cpus, None);
        assert_eq!(o.resources.pids_limit, Some(50));
        assert_eq!(o.resources.device_read_bps[0].path, "/dev/sda");
        assert_eq!(o.env, ["A=1"]);
        assert_eq!(o.unset_env, ["B"]);
        let u = &o.ulimits.unwrap()[0];
        assert_eq!((u.name.as_str(), u.soft, u.hard), ("nofile", 1024, 2048));
        let r = o.restart.unwrap();
        assert_eq!((r.name, r.max_retries), (RestartPolicyName::OnFailure, 2));
    }

    #[test]
    fn rpod_options_win_and_podman_health_keys_are_read() {
        let all = UpdateOptions {
            name_or_id: "ignored".into(),
            env: vec!["X=y".into()],
            ..UpdateOptions::default()
        };
        let body = serde_json::json!({"rpod_options": all, "memory": {"limit": 1}});
        let o = update_options("c", body.to_string().as_bytes(), None, None).unwrap();
        assert_eq!(o.name_or_id, "c");
        assert_eq!(o.env, ["X=y"]);
        assert_eq!(o.resources.memory, None);
        let o = update_options(
            "c",
            br#"{"health_cmd":"true","health_retries":2}"#,
            None,
            None,
        )
        .unwrap();
        assert_eq!(o.health.test.unwrap(), ["CMD-SHELL", "true"]);
        assert_eq!(o.health.retries, Some(2));
        let e = update_options(
            "c",
            br#"{"hugepageLimits":[{"pageSize":"2MB","limit":1}]}"#,
            None,
            None,
        )
        .unwrap_err();
        assert_eq!(e.status.as_u16(), 501);
        let e = update_options("c", b"{}", Some("always"), Some(3)).unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
        let e = update_options("c", b"{}", None, Some(3)).unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
        assert!(update_options("c", b"", None, None)
            .unwrap()
            .restart
            .is_none());
    }
}
