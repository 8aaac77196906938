//! Docker's `container.UpdateConfig` (the `Resources` keys and
//! `RestartPolicy`) as the front door's update request. Podman's compat
//! handler reads the CPU, memory, pids, block I/O weight, restart policy
//! and ulimit keys; rpod also takes `NanoCpus`, `MemorySwappiness` and the
//! per-device block I/O lists (its `update` has them). Any other key with
//! a non-zero value is refused (501), never dropped.

use rpod_api::container_run::{BlkioDevice, RestartPolicy, Ulimit, UpdateOptions};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::create::refuse_unsupported;
use crate::error::{ApiError, ApiResult};

/// `{"Path", "Rate"}` or `{"Path", "Weight"}` (Docker's and libpod's
/// update bodies alike).
#[derive(Deserialize)]
pub(crate) struct Device {
    #[serde(rename = "Path")]
    path: String,
    #[serde(rename = "Rate", alias = "Weight", default)]
    value: u64,
}

#[derive(Deserialize, Default)]
struct Restart {
    #[serde(rename = "Name", default)]
    name: String,
    #[serde(rename = "MaximumRetryCount", default)]
    max: u32,
}

#[derive(Deserialize)]
struct DockerUlimit {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Soft")]
    soft: i64,
    #[serde(rename = "Hard")]
    hard: i64,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct UpdateBody {
    #[serde(default)]
    cpu_shares: i64,
    #[serde(default)]
    cpu_period: i64,
    #[serde(default)]
    cpu_quota: i64,
    #[serde(default)]
    cpu_realtime_period: i64,
    #[serde(default)]
    cpu_realtime_runtime: i64,
    #[serde(default)]
    cpuset_cpus: String,
    #[serde(default)]
    cpuset_mems: String,
    #[serde(default)]
    nano_cpus: i64,
    #[serde(default)]
    memory: i64,
    #[serde(default)]
    memory_swap: i64,
    #[serde(default)]
    memory_reservation: i64,
    #[serde(default)]
    memory_swappiness: Option<i64>,
    #[serde(default)]
    pids_limit: Option<i64>,
    #[serde(default)]
    blkio_weight: u16,
    #[serde(default)]
    blkio_weight_device: Option<Vec<Device>>,
    #[serde(default)]
    blkio_device_read_bps: Option<Vec<Device>>,
    #[serde(default)]
    blkio_device_write_bps: Option<Vec<Device>>,
    #[serde(default, rename = "BlkioDeviceReadIOps")]
    blkio_device_read_iops: Option<Vec<Device>>,
    #[serde(default, rename = "BlkioDeviceWriteIOps")]
    blkio_device_write_iops: Option<Vec<Device>>,
    #[serde(default)]
    ulimits: Option<Vec<DockerUlimit>>,
    #[serde(default)]
    restart_policy: Option<Restart>,
    #[serde(flatten)]
    other: Map<String, Value>,
}

fn nonzero<T: PartialEq + Default>(v: T) -> Option<T> {
    (v != T::default()).then_some(v)
}

/// The devices of one blkio limit as rpod's.
pub(crate) fn devices(list: Option<Vec<Device>>) -> Vec<BlkioDevice> {
    list.unwrap_or_default()
        .into_iter()
        .map(|d| BlkioDevice {
            path: d.path,
            value: d.value,
        })
        .collect()
}

/// The restart policy Docker's `{"Name", "MaximumRetryCount"}` names;
/// an empty name leaves the container's alone (as Docker's daemon).
pub fn restart_policy(name: &str, max: u32) -> ApiResult<Option<RestartPolicy>> {
    if name.is_empty() {
        if max != 0 {
            return Err(ApiError::bad_request(
                "cannot set restart retries unless restart policy is set",
            ));
        }
        return Ok(None);
    }
    let text = if max > 0 {
        format!("{name}:{max}")
    } else {
        name.to_owned()
    };
    RestartPolicy::parse(&text)
        .map(Some)
        .map_err(ApiError::bad_request)
}

/// The update request for container `name_or_id` from a Docker body.
pub fn update_options(name_or_id: &str, body: &[u8]) -> ApiResult<UpdateOptions> {
    let b: UpdateBody = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("decode(): {e}")))?;
    refuse_unsupported("", &b.other, &[])?;
    let mut o = UpdateOptions {
        name_or_id: name_or_id.to_owned(),
        ..UpdateOptions::default()
    };
    let r = &mut o.resources;
    r.cpu_shares = nonzero(b.cpu_shares).map(i64::unsigned_abs);
    r.cpu_period = nonzero(b.cpu_period).map(i64::unsigned_abs);
    r.cpu_quota = nonzero(b.cpu_quota);
    r.cpu_rt_period = nonzero(b.cpu_realtime_period).map(i64::unsigned_abs);
    r.cpu_rt_runtime = nonzero(b.cpu_realtime_runtime);
    r.cpuset_cpus = nonzero(b.cpuset_cpus);
    r.cpuset_mems = nonzero(b.cpuset_mems);
    r.nano_cpus = nonzero(b.nano_cpus);
    r.memory = nonzero(b.memory);
    r.memory_swap = nonzero(b.memory_swap);
    r.memory_reservation = nonzero(b.memory_reservation);
    // Docker's "unset" swappiness is -1.
    r.memory_swappiness = b
        .memory_swappiness
        .filter(|s| *s >= 0)
        .map(i64::unsigned_abs);
    r.pids_limit = b.pids_limit.filter(|p| *p != 0);
    r.blkio_weight = nonzero(b.blkio_weight);
    r.blkio_weight_device = devices(b.blkio_weight_device);
    r.device_read_bps = devices(b.blkio_device_read_bps);
    r.device_write_bps = devices(b.blkio_device_write_bps);
    r.device_read_iops = devices(b.blkio_device_read_iops);
    r.device_write_iops = devices(b.blkio_device_write_iops);
    o.ulimits = b.ulimits.filter(|u| !u.is_empty()).map(|list| {
        list.into_iter()
            .map(|u| Ulimit {
                name: u.name,
                soft: u.soft,
                hard: u.hard,
            })
            .collect()
    });
    let restart = b.restart_policy.unwrap_or_default();
    o.restart = restart_policy(&restart.name, restart.max)?;
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rpod_api::container_run::RestartPolicyName;

    #[test]
    fn docker_cli_body() {
        // What `docker update --memory 64m --restart always` sends.
        let body = br#"{"BlkioWeight":0,"CpuShares":0,"Memory":67108864,"MemorySwap":0,
            "NanoCpus":0,"PidsLimit":null,"MemorySwappiness":null,"Devices":null,
            "KernelMemory":0,"RestartPolicy":{"Name":"always","MaximumRetryCount":0}}"#;
        let o = update_options("c", body).unwrap();
        assert_eq!(o.name_or_id, "c");
        assert_eq!(o.resources.memory, Some(64 << 20));
        assert_eq!(o.resources.memory_swap, None);
        assert_eq!(o.resources.pids_limit, None);
        assert_eq!(o.restart.unwrap().name, RestartPolicyName::Always);
        assert!(o.ulimits.is_none());
    }

    #[test]
    fn empty_restart_keeps_the_policy() {
        let o = update_options("c", br#"{"RestartPolicy":{"Name":""},"CpuShares":512}"#).unwrap();
        assert!(o.restart.is_none());
        assert_eq!(o.resources.cpu_shares, Some(512));
        let o = update_options(
            "c",
            br#"{"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":3}}"#,
        )
        .unwrap();
        assert_eq!(o.restart.unwrap().max_retries, 3);
    }

    #[test]
    fn unknown_keys_refused_bad_values_rejected() {
        let e = update_options("c", br#"{"CgroupParent":"x"}"#).unwrap_err();
        assert_eq!(e.status.as_u16(), 501);
        assert!(e.message.contains("CgroupParent"), "{}", e.message);
        let e = update_options("c", br#"{"RestartPolicy":{"Name":"sometimes"}}"#).unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
        let e = update_options("c", b"{").unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
    }
}
