//! The security and resource flags of `create`/`run` (`--cap-add`,
//! `--privileged`, `--security-opt`, `--memory`, `--cpus`, `--pids-limit`,
//! ...), parsed with Podman's rules and errors into the front door's
//! [`SecuritySpec`] and [`ResourceSpec`].

use clap::Args;
use rpod_api::container_run::{
    normalize_capabilities, BlkioDevice, DeviceSpec, ResourceSpec, SecuritySpec, Ulimit,
};

use crate::cli_error::{CliError, CliResult};

/// The resource flags of `create`/`run`, `update` and `pod create`.
#[derive(Debug, Args, Default, Clone)]
pub struct ResourceFlags {
    /// Memory limit (format: <number>[<unit>], where unit = b (bytes), k (kibibytes), m (mebibytes), or g (gibibytes))
    #[arg(short = 'm', long)]
    pub(crate) memory: Option<String>,
    /// Swap limit equal to memory plus swap: '-1' to enable unlimited swap
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) memory_swap: Option<String>,
    /// Number of CPUs. The default is 0.000 which means no limit
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) cpus: Option<f64>,
    /// CPU shares (relative weight)
    #[arg(short = 'c', long)]
    pub(crate) cpu_shares: Option<u64>,
    /// CPUs in which to allow execution (0-3, 0,1)
    #[arg(long)]
    pub(crate) cpuset_cpus: Option<String>,
    /// Memory nodes (MEMs) in which to allow execution (0-3, 0,1). Only effective on NUMA systems.
    #[arg(long)]
    pub(crate) cpuset_mems: Option<String>,
    /// Block IO weight (relative weight) accepts a weight value between 10 and 1000.
    #[arg(long)]
    pub(crate) blkio_weight: Option<String>,
    /// Block IO weight (relative device weight, format: DEVICE_NAME:WEIGHT)
    #[arg(long)]
    pub(crate) blkio_weight_device: Vec<String>,
    /// Limit read rate (bytes per second) from a device (e.g. --device-read-bps=/dev/sda:1mb)
    #[arg(long)]
    pub(crate) device_read_bps: Vec<String>,
    /// Limit write rate (bytes per second) to a device (e.g. --device-write-bps=/dev/sda:1mb)
    #[arg(long)]
    pub(crate) device_write_bps: Vec<String>,
}

#[derive(Debug, Args, Default)]
pub struct LimitFlags {
    /// The resource flags `update` and `pod create` share.
    #[command(flatten)]
    pub(crate) common: ResourceFlags,
    /// Add capabilities to the container
    #[arg(long, value_delimiter = ',')]
    pub(crate) cap_add: Vec<String>,
    /// Drop capabilities from the container
    #[arg(long, value_delimiter = ',')]
    pub(crate) cap_drop: Vec<String>,
    /// Give extended privileges to container
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub(crate) privileged: Option<bool>,
    /// Security Options (seccomp=FILE|unconfined, no-new-privileges, mask=, unmask=, label=)
    #[arg(long)]
    pub(crate) security_opt: Vec<String>,
    /// Memory soft limit (format: <number>[<unit>])
    #[arg(long)]
    pub(crate) memory_reservation: Option<String>,
    /// Tune container memory swappiness (0 to 100, or -1 for system default)
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) memory_swappiness: Option<i64>,
    /// Disable OOM Killer
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub(crate) oom_kill_disable: Option<bool>,
    /// Tune the host's OOM preferences (-1000 to 1000)
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) oom_score_adj: Option<i32>,
    /// Limit the CPU CFS (Completely Fair Scheduler) period
    #[arg(long)]
    pub(crate) cpu_period: Option<u64>,
    /// Limit the CPU CFS (Completely Fair Scheduler) quota
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) cpu_quota: Option<i64>,
    /// Limit the CPU real-time period in microseconds
    #[arg(long)]
    pub(crate) cpu_rt_period: Option<u64>,
    /// Limit the CPU real-time runtime in microseconds
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) cpu_rt_runtime: Option<i64>,
    /// Tune container pids limit (set -1 for unlimited)
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) pids_limit: Option<i64>,
    /// Limit read rate (IO per second) from a device (e.g. --device-read-iops=/dev/sda:1000)
    #[arg(long)]
    pub(crate) device_read_iops: Vec<String>,
    /// Limit write rate (IO per second) to a device (e.g. --device-write-iops=/dev/sda:1000)
    #[arg(long)]
    pub(crate) device_write_iops: Vec<String>,
    /// Size of /dev/shm (format: <number>[<unit>], where unit = b (bytes), k (kibibytes), m (mebibytes), or g (gibibytes))
    #[arg(long)]
    pub(crate) shm_size: Option<String>,
    /// Ulimit options (TYPE=SOFT[:HARD])
    #[arg(long)]
    pub(crate) ulimit: Vec<String>,
    /// Sysctl options (namespaced ones: net.*, fs.mqueue.*, kernel.msg*/sem/shm*)
    #[arg(long)]
    pub(crate) sysctl: Vec<String>,
    /// Add a host device to the container (HOST[:CONTAINER[:PERMISSIONS]])
    #[arg(long)]
    pub(crate) device: Vec<String>,
    /// Add a rule to the cgroup allowed devices list ("TYPE MAJOR:MINOR ACCESS")
    #[arg(long)]
    pub(crate) device_cgroup_rule: Vec<String>,
    /// Run an init inside the container that forwards signals and reaps processes
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub(crate) init: Option<bool>,
    /// Path to the container-init binary
    #[arg(long)]
    pub(crate) init_path: Option<String>,
}

/// A `--memory`-style size (go-units `RAMInBytes`), Podman's error.
fn memory_size(v: &str, what: &str) -> CliResult<i64> {
    rpod_api::units::ram_in_bytes(v)
        .map_err(|e| CliError::usage(format!("invalid value for {what}: {e}")))
}

impl LimitFlags {
    /// `--privileged`, the capabilities and the `--security-opt`s.
    pub fn security(&self) -> CliResult<SecuritySpec> {
        let caps = |v: &[String]| normalize_capabilities(v).map_err(CliError::usage);
        let mut s = SecuritySpec {
            privileged: self.privileged == Some(true),
            cap_add: caps(&self.cap_add)?,
            cap_drop: caps(&self.cap_drop)?,
            ..SecuritySpec::default()
        };
        if s.cap_add.iter().any(|c| c == "ALL") && s.cap_drop.iter().any(|c| c == "ALL") {
            return Err(CliError::usage(
                "adding all caps and removing all caps not allowed",
            ));
        }
        if let Some(c) = s.cap_add.iter().find(|c| s.cap_drop.contains(c)) {
            return Err(CliError::usage(format!(
                "capability {c:?} cannot be dropped and added"
            )));
        }
        for opt in &self.security_opt {
            parse_security_opt(&mut s, opt)?;
        }
        s.sysctls = self
            .sysctl
            .iter()
            .map(|v| parse_sysctl(v))
            .collect::<CliResult<_>>()?;
        s.devices = self
            .device
            .iter()
            .map(|v| parse_device(v))
            .collect::<CliResult<_>>()?;
        for rule in &self.device_cgroup_rule {
            check_cgroup_rule(rule)?;
        }
        s.device_cgroup_rules = self.device_cgroup_rule.clone();
        s.init = self.init == Some(true);
        if self.init_path.is_some() && !s.init {
            return Err(CliError::usage("--init-path requires --init"));
        }
        s.init_path = self.init_path.clone();
        Ok(s)
    }

    /// The resource limits, Podman's parsing and errors.
    pub fn resources(&self) -> CliResult<ResourceSpec> {
        if self.common.cpus.is_some() {
            for (given, name) in [
                (self.cpu_period.is_some(), "--cpu-period"),
                (self.cpu_quota.is_some(), "--cpu-quota"),
            ] {
                if given {
                    return Err(CliError::usage(format!(
                        "{name} and --cpus cannot be set together"
                    )));
                }
            }
        }
        let nano_cpus = match self.common.cpus {
            None => None,
            Some(c) if !(0.0..=f64::from(u32::MAX)).contains(&c) || c.is_nan() => {
                let n = std::thread::available_parallelism().map_or(1, |n| n.get());
                return Err(CliError::usage(format!(
                    "range of CPUs is from 0.01 to {n}.00, as there are only {n} CPUs available"
                )));
            }
            Some(c) => Some((c * 1e9).round() as i64).filter(|&n| n > 0),
        };
        let memory_swap = match self.common.memory_swap.as_deref() {
            None => None,
            Some("-1") => Some(-1),
            Some(v) => Some(memory_size(v, "memory")?),
        };
        let memory = self
            .common
            .memory
            .as_deref()
            .map(|v| memory_size(v, "memory"))
            .transpose()?
            .filter(|&m| m > 0);
        if let (Some(m), Some(sw)) = (memory, memory_swap) {
            if sw != -1 && sw < m {
                return Err(CliError::usage(
                    "minimum memoryswap limit should be larger than memory limit, see usage",
                ));
            }
        }
        if memory_swap.is_some_and(|sw| sw != -1) && memory.is_none() {
            return Err(CliError::usage(
                "you should always set a memory limit when using a memoryswap limit, see usage",
            ));
        }
        let swappiness = match self.memory_swappiness {
            None | Some(-1) => None,
            Some(v @ 0..=100) => Some(v as u64),
            Some(v) => {
                return Err(CliError::usage(format!(
                    "invalid value: {v}, valid memory swappiness range is 0-100"
                )))
            }
        };
        if let Some(adj) = self.oom_score_adj {
            if !(-1000..=1000).contains(&adj) {
                return Err(CliError::usage(format!(
                    "oom_score_adj should be between -1000 and 1000, got {adj}"
                )));
            }
        }
        Ok(ResourceSpec {
            memory,
            // Podman: with --memory and no --memory-swap, swap doubles it.
            memory_swap: memory_swap.or(memory.map(|m| m.saturating_mul(2))),
            memory_reservation: self
                .memory_reservation
                .as_deref()
                .map(|v| memory_size(v, "memory"))
                .transpose()?,
            memory_swappiness: swappiness,
            oom_kill_disable: self.oom_kill_disable == Some(true),
            oom_score_adj: self.oom_score_adj,
            nano_cpus,
            cpu_shares: self.common.cpu_shares.filter(|&s| s > 0),
            cpu_period: self.cpu_period.filter(|&p| p > 0),
            cpu_quota: self.cpu_quota.filter(|&q| q > 0),
            // Podman: only positive values are set.
            cpu_rt_period: self.cpu_rt_period.filter(|&p| p > 0),
            cpu_rt_runtime: self.cpu_rt_runtime.filter(|&r| r > 0),
            cpuset_cpus: self.common.cpuset_cpus.clone().filter(|c| !c.is_empty()),
            cpuset_mems: self.common.cpuset_mems.clone().filter(|c| !c.is_empty()),
            pids_limit: self.pids_limit,
            ulimit_host: parse_ulimits(&self.ulimit)?.is_none(),
            ulimits: parse_ulimits(&self.ulimit)?.unwrap_or_default(),
            blkio_weight: self
                .common
                .blkio_weight
                .as_deref()
                .map(parse_blkio_weight)
                .transpose()?,
            blkio_weight_device: parse_devices(&self.common.blkio_weight_device, weight_value)?,
            device_read_bps: parse_devices(&self.common.device_read_bps, bps_value)?,
            device_write_bps: parse_devices(&self.common.device_write_bps, bps_value)?,
            device_read_iops: parse_devices(&self.device_read_iops, iops_value)?,
            device_write_iops: parse_devices(&self.device_write_iops, iops_value)?,
            shm_size: self
                .shm_size
                .as_deref()
                .map(|v| {
                    rpod_api::units::ram_in_bytes(v).map_err(|e| {
                        CliError::usage(format!("unable to translate --shm-size: {e}"))
                    })
                })
                .transpose()?,
        })
    }
}

/// `--blkio-weight` (Podman parses a uint16; the range is checked with
/// the host's support).
fn parse_blkio_weight(v: &str) -> CliResult<u16> {
    v.parse::<u16>().map_err(|_| {
        CliError::usage(format!(
            "invalid value for blkio-weight: strconv.ParseUint: parsing {v:?}: invalid syntax"
        ))
    })
}

/// `--blkio-weight-device`'s weight: 0, or 10..=1000.
fn weight_value(dev: &str, v: &str) -> CliResult<u64> {
    match v.parse::<u64>() {
        Ok(w) if w == 0 || (10..=1000).contains(&w) => Ok(w),
        _ => Err(CliError::usage(format!("invalid weight for device: {dev}"))),
    }
}

/// `--device-read-bps`' rate: a size (`10mb`).
fn bps_value(dev: &str, v: &str) -> CliResult<u64> {
    rpod_api::units::ram_in_bytes(v)
        .ok()
        .and_then(|n| u64::try_from(n).ok())
        .ok_or_else(|| CliError::usage(format!("invalid rate for device: {dev}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb")))
}

/// `--device-read-iops`' rate: a number.
fn iops_value(dev: &str, v: &str) -> CliResult<u64> {
    v.parse::<u64>().map_err(|_| {
        CliError::usage(format!("invalid rate for device: {dev}. The correct format is <device-path>:<number>. Number must be a positive integer"))
    })
}

/// `PATH:VALUE` entries (Podman's formats and errors); the path must be
/// under /dev (that it is a block device is checked by the engine).
fn parse_devices(
    values: &[String],
    value: fn(&str, &str) -> CliResult<u64>,
) -> CliResult<Vec<BlkioDevice>> {
    values
        .iter()
        .map(|dev| {
            let (path, v) = dev
                .split_once(':')
                .ok_or_else(|| CliError::usage(format!("bad format: {dev}")))?;
            if !path.starts_with("/dev/") {
                return Err(CliError::usage(format!(
                    "bad format for device path: {dev}"
                )));
            }
            Ok(BlkioDevice {
                path: path.to_owned(),
                value: value(dev, v)?,
            })
        })
        .collect()
}

/// The `--ulimit`s given: `None` for `host` (anywhere in the list: the
/// host's limits, which are also rpod's default), else each parsed.
pub(crate) fn parse_ulimits(values: &[String]) -> CliResult<Option<Vec<Ulimit>>> {
    if values.iter().any(|v| v == "host") {
        return Ok(None);
    }
    values
        .iter()
        .map(|u| parse_ulimit(u))
        .collect::<CliResult<_>>()
        .map(Some)
}

/// `--ulimit TYPE=SOFT[:HARD]` (go-units `ParseUlimit`, its errors).
fn parse_ulimit(v: &str) -> CliResult<Ulimit> {
    v.parse().map_err(CliError::usage)
}

/// `--sysctl KEY=VALUE`, Podman's `ValidateSysctls`.
fn parse_sysctl(v: &str) -> CliResult<(String, String)> {
    let Some((k, val)) = v.split_once('=') else {
        return Err(CliError::usage(format!(
            "{v} is invalid, sysctl values must be in the form of KEY=VALUE"
        )));
    };
    if k.trim() != k || val.trim() != val {
        return Err(CliError::usage(format!(
            "'{v}' is invalid, extra spaces found"
        )));
    }
    const EXACT: [&str; 8] = [
        "kernel.msgmax",
        "kernel.msgmnb",
        "kernel.msgmni",
        "kernel.sem",
        "kernel.shmall",
        "kernel.shmmax",
        "kernel.shmmni",
        "kernel.shm_rmid_forced",
    ];
    if !EXACT.contains(&k) && !k.starts_with("net.") && !k.starts_with("fs.mqueue.") {
        return Err(CliError::usage(format!("sysctl '{k}' is not allowed")));
    }
    Ok((k.to_owned(), val.to_owned()))
}

/// `--device HOST[:CONTAINER[:PERMISSIONS]]` (Podman's `ParseDevice`).
fn parse_device(v: &str) -> CliResult<DeviceSpec> {
    let valid_perms =
        |p: &str| !p.is_empty() && p.len() <= 3 && p.chars().all(|c| "rwm".contains(c));
    let parts: Vec<&str> = v.split(':').collect();
    let (host, ctr, perms) = match parts.as_slice() {
        [h] => (*h, *h, "rwm"),
        [h, p] if valid_perms(p) => (*h, *h, *p),
        [h, c] => (*h, *c, "rwm"),
        [h, c, p] => {
            if !valid_perms(p) {
                return Err(CliError::usage(format!("invalid device mode: {p}")));
            }
            (*h, *c, *p)
        }
        _ => {
            return Err(CliError::usage(format!(
                "invalid device specification: {v}"
            )))
        }
    };
    if !ctr.starts_with('/') {
        return Err(CliError::usage(format!("invalid device mode: {ctr}")));
    }
    Ok(DeviceSpec {
        host: host.to_owned(),
        container: ctr.to_owned(),
        permissions: perms.to_owned(),
    })
}

/// `--device-cgroup-rule`: `TYPE MAJOR[:MINOR] ACCESS` with `a|b|c`,
/// numbers or `*`, and `rwm` (Podman's errors).
fn check_cgroup_rule(rule: &str) -> CliResult<()> {
    let fields: Vec<&str> = rule.split_whitespace().collect();
    let [t, mm, access] = fields.as_slice() else {
        return Err(CliError::usage(format!(
            "invalid device cgroup rule requires type, major:Minor, and access rules: {rule:?}"
        )));
    };
    if !["a", "b", "c"].contains(t) {
        return Err(CliError::usage(format!(
            "invalid device type in device-access-add: {t}"
        )));
    }
    for n in mm.split(':').filter(|n| *n != "*") {
        if n.parse::<u64>().is_err() {
            return Err(CliError::usage(format!(
                "strconv.ParseUint: parsing {n:?}: invalid syntax"
            )));
        }
    }
    if let Some(c) = access.chars().find(|c| !"rwm".contains(*c)) {
        return Err(CliError::usage(format!(
            "invalid device access in device-access-add: {c}"
        )));
    }
    Ok(())
}

/// One `--security-opt` (Podman's keys; `key:value` is Docker's old
/// spelling).
fn parse_security_opt(s: &mut SecuritySpec, opt: &str) -> CliResult<()> {
    let (key, val) = match opt.split_once('=').or_else(|| opt.split_once(':')) {
        Some((k, v)) => (k, Some(v)),
        None => (opt, None),
    };
    let bad = |n: u8| CliError::usage(format!("invalid --security-opt {n}: {opt:?}"));
    if val.is_none() && key != "no-new-privileges" {
        return Err(bad(1));
    }
    let val = val.unwrap_or_default();
    let split = |v: &str| v.split(':').map(str::to_owned).collect::<Vec<_>>();
    match key {
        "no-new-privileges" => {
            s.no_new_privileges = match val {
                "" if !opt.contains(['=', ':']) => true,
                "1" | "t" | "T" | "true" | "TRUE" | "True" => true,
                "0" | "f" | "F" | "false" | "FALSE" | "False" => false,
                _ => return Err(bad(2)),
            }
        }
        "seccomp" => s.seccomp_profile = Some(val.to_owned()),
        "mask" => s.mask.extend(split(val)),
        "unmask" => s.unmask.extend(split(val)),
        "systempaths" if val == "unconfined" => s.unmask.push("ALL".into()),
        "systempaths" => {
            return Err(CliError::usage(format!(
                "invalid systempaths option {val:?}, only `unconfined` is supported"
            )))
        }
        "label" => s.label.push(val.to_owned()),
        // AppArmor is not enabled on the hosts rpod supports: unconfined is
        // what every container gets; a profile cannot be applied.
        "apparmor" if val == "unconfined" => {}
        "apparmor" => {
            return Err(CliError::usage(format!(
                "apparmor profile {val:?} specified, but Apparmor is not enabled on this system"
            )))
        }
        "proc-opts" => {
            return Err(CliError::usage(
                "--security-opt proc-opts is not supported yet (security, issue 14)",
            ))
        }
        _ => return Err(bad(2)),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(f: impl FnOnce(&mut LimitFlags)) -> LimitFlags {
        let mut l = LimitFlags::default();
        f(&mut l);
        l
    }

    #[test]
    fn memory_parsing_and_errors_as_podman() {
        let r = flags(|l| l.common.memory = Some("32m".into()))
            .resources()
            .unwrap();
        assert_eq!(r.memory, Some(32 << 20));
        assert_eq!(r.memory_swap, Some(64 << 20));
        let e = flags(|l| l.common.memory = Some("abc".into()))
            .resources()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid value for memory: invalid size: 'abc'"
        );
        let e = flags(|l| l.common.cpus = Some(-1.0))
            .resources()
            .unwrap_err();
        assert!(
            e.to_string().starts_with("range of CPUs is from 0.01"),
            "{e}"
        );
        let r = flags(|l| l.common.cpus = Some(0.5)).resources().unwrap();
        assert_eq!(r.nano_cpus, Some(500_000_000));
        let e = flags(|l| {
            l.common.cpus = Some(1.0);
            l.cpu_period = Some(1);
        })
        .resources()
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "--cpu-period and --cpus cannot be set together"
        );
    }

    #[test]
    fn security_opts_as_podman() {
        let s = flags(|l| {
            l.security_opt = vec![
                "no-new-privileges".into(),
                "seccomp=unconfined".into(),
                "mask=/a:/b".into(),
                "label=disable".into(),
            ];
            l.cap_drop = vec!["all".into()];
        })
        .security()
        .unwrap();
        assert!(s.no_new_privileges);
        assert_eq!(s.seccomp_profile.as_deref(), Some("unconfined"));
        assert_eq!(s.mask, ["/a", "/b"]);
        assert_eq!(s.label, ["disable"]);
        assert_eq!(s.cap_drop, ["ALL"]);
        let e = flags(|l| l.security_opt = vec!["bogus".into()])
            .security()
            .unwrap_err();
        assert_eq!(e.to_string(), "invalid --security-opt 1: \"bogus\"");
        let e = flags(|l| l.cap_add = vec!["foo".into()])
            .security()
            .unwrap_err();
        assert_eq!(e.to_string(), "\"CAP_FOO\": unknown capability");
    }

    #[test]
    fn cgroup_rules_and_ulimits_as_podman() {
        for ok in ["b 7:* rmw", "a 7 rmw", "c 1:3 r"] {
            check_cgroup_rule(ok).unwrap();
        }
        for (bad, want) in [
            ("b 7:* rmX", "invalid device access in device-access-add: X"),
            ("x 7:* rmw", "invalid device type in device-access-add: x"),
            (
                "a a:* rmw",
                "strconv.ParseUint: parsing \"a\": invalid syntax",
            ),
        ] {
            assert_eq!(check_cgroup_rule(bad).unwrap_err().to_string(), want);
        }
        assert_eq!(
            parse_ulimit("core=-1:1000").unwrap_err().to_string(),
            "ulimit option \"core=-1:1000\" requires name=SOFT:HARD, failed to be parsed: ulimit soft limit must be less than or equal to hard limit: soft: -1 (unlimited), hard: 1000"
        );
        let u = parse_ulimit("nofile=100:-1").unwrap();
        assert_eq!((u.soft, u.hard), (100, -1));
    }
}
