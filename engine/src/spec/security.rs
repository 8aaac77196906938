//! Capabilities, `--privileged` and the masked paths, as Podman computes
//! them (containers/common `MergeCapabilities`, libpod's security
//! generator): the default set with `--cap-add`/`--cap-drop` applied, never
//! beyond the host's bounding set.

use std::collections::HashSet;
use std::path::Path;

use oci_spec::runtime::{
    Capability, Linux, LinuxCapabilities, LinuxCapabilitiesBuilder, LinuxDevice,
    LinuxDeviceCgroupBuilder,
};
use rpod_api::container_run::{SecuritySpec, KNOWN_CAPABILITIES};

use super::process::DEFAULT_CAPABILITIES;
use super::SpecError;

/// A container's capability sets as Podman's names (`CAP_...`, sorted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapSets {
    /// The bounding set (also effective and permitted for root).
    pub bounding: Vec<String>,
    /// Effective, permitted (and for a non-root user also inheritable and
    /// ambient): the bounding set for root, only `--cap-add` otherwise.
    pub effective: Vec<String>,
}

/// The host's bounding set (`CapBnd` of /proc/self/status), by name.
pub fn host_bounding_set() -> Vec<String> {
    let mask = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("CapBnd:"))
                .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        })
        .unwrap_or(u64::MAX);
    KNOWN_CAPABILITIES
        .iter()
        .enumerate()
        .filter(|(bit, _)| mask & (1u64 << bit) != 0)
        .map(|(_, n)| (*n).to_owned())
        .collect()
}

/// The set `--cap-add`/`--cap-drop` apply to: the container's
/// containers.conf `default_capabilities`, else Podman's default set.
fn default_names(sec: &SecuritySpec) -> Vec<String> {
    match &sec.default_capabilities {
        Some(caps) => caps.clone(),
        None => DEFAULT_CAPABILITIES
            .iter()
            .map(|c| format!("CAP_{c}"))
            .collect(),
    }
}

/// `MergeCapabilities(base, adds, drops)` (names already normalized):
/// `ALL` in the drops leaves only the adds, `ALL` in the adds the host's
/// bounding set.
fn merge(base: &[String], add: &[String], drop: &[String], host: &[String]) -> Vec<String> {
    let all = |v: &[String]| v.iter().any(|c| c == "ALL");
    let mut caps: Vec<String> = if all(drop) {
        add.to_vec()
    } else {
        let base = if all(add) { host } else { base };
        base.iter()
            .filter(|c| !drop.contains(c))
            .chain(add.iter().filter(|c| *c != "ALL"))
            .cloned()
            .collect()
    };
    caps.retain(|c| c != "ALL");
    caps.sort();
    caps.dedup();
    caps
}

/// The capability sets of a container whose process runs as root (`root`)
/// or as another user.
pub fn capability_sets(sec: &SecuritySpec, root: bool) -> CapSets {
    let host = host_bounding_set();
    let in_host =
        |v: Vec<String>| -> Vec<String> { v.into_iter().filter(|c| host.contains(c)).collect() };
    let bounding = if sec.privileged {
        host.clone()
    } else {
        in_host(merge(
            &default_names(sec),
            &sec.cap_add,
            &sec.cap_drop,
            &host,
        ))
    };
    let effective = if root {
        bounding.clone()
    } else {
        in_host(merge(&[], &sec.cap_add, &[], &host))
    };
    CapSets {
        bounding,
        effective,
    }
}

fn to_set(names: &[String]) -> Result<HashSet<Capability>, SpecError> {
    names
        .iter()
        .map(|n| {
            serde_json::from_value(serde_json::Value::String(n.clone()))
                .map_err(|_| SpecError::UnknownCapability(n.clone()))
        })
        .collect()
}

/// The OCI `process.capabilities` for `sets` (Podman: inheritable and
/// ambient empty for root, the added capabilities for another user).
pub fn oci_capabilities(sets: &CapSets, root: bool) -> Result<LinuxCapabilities, SpecError> {
    let bounding = to_set(&sets.bounding)?;
    let effective = to_set(&sets.effective)?;
    let extra = if root {
        HashSet::new()
    } else {
        effective.clone()
    };
    Ok(LinuxCapabilitiesBuilder::default()
        .bounding(bounding)
        .effective(effective.clone())
        .permitted(effective)
        .inheritable(extra.clone())
        .ambient(extra)
        .build()?)
}

/// The masked and read-only paths: none with `--privileged` or
/// `unmask=ALL`, otherwise `defaults` without the `unmask`ed paths; plus
/// `mask=` paths, and the extra read-only paths unless privileged.
pub fn masked_paths(
    sec: &SecuritySpec,
    masked: &[String],
    readonly: &[String],
) -> (Vec<String>, Vec<String>) {
    let extra_readonly = |mut r: Vec<String>| {
        if !sec.privileged {
            for p in &sec.readonly {
                if !r.contains(p) {
                    r.push(p.clone());
                }
            }
        }
        r
    };
    if sec.privileged || sec.unmask.iter().any(|u| u.eq_ignore_ascii_case("all")) {
        return (sec.mask.clone(), extra_readonly(Vec::new()));
    }
    let keep = |p: &&String| !sec.unmask.contains(p);
    let mut m: Vec<String> = masked.iter().filter(keep).cloned().collect();
    for p in &sec.mask {
        if !m.contains(p) {
            m.push(p.clone());
        }
    }
    let r = extra_readonly(readonly.iter().filter(keep).cloned().collect());
    (m, r)
}

/// The host's device nodes under `/dev`, for a privileged container
/// (runc's `HostDevices` walk: pseudo-terminal, shm, mqueue and fd
/// directories and the console are left out).
fn host_devices(dir: &Path, out: &mut Vec<LinuxDevice>) -> Result<(), SpecError> {
    let entries = std::fs::read_dir(dir).map_err(|e| SpecError::io("read", dir, e))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let name = entry.file_name();
        let ft = meta.file_type();
        if ft.is_dir() {
            let skip = ["pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"];
            if !skip.iter().any(|s| name == *s) {
                host_devices(&path, out)?;
            }
            continue;
        }
        let Some(typ) = super::devices::node_type(&meta) else {
            continue;
        };
        if name == "console" {
            continue;
        }
        out.push(super::devices::node_at(&path, typ, &meta)?);
    }
    Ok(())
}

/// The security settings of the `linux` section: masked and read-only
/// paths, the seccomp filter for the container's bounding set, and for a
/// privileged container the host's devices with every device allowed.
pub fn apply_linux(
    linux: &mut Linux,
    sec: &SecuritySpec,
    bounding: &[String],
) -> Result<(), SpecError> {
    let masked = linux.masked_paths().clone().unwrap_or_default();
    let readonly = linux.readonly_paths().clone().unwrap_or_default();
    let (m, r) = masked_paths(sec, &masked, &readonly);
    linux.set_masked_paths(Some(m));
    linux.set_readonly_paths(Some(r));
    linux.set_seccomp(super::seccomp::build(
        sec.seccomp_profile.as_deref(),
        sec.privileged,
        bounding,
    )?);
    if sec.privileged {
        let mut devices = Vec::new();
        host_devices(Path::new("/dev"), &mut devices)?;
        linux.set_devices(Some(devices));
        let mut res = linux.resources().clone().unwrap_or_default();
        res.set_devices(Some(vec![LinuxDeviceCgroupBuilder::default()
            .allow(true)
            .access("rwm")
            .build()?]));
        linux.set_resources(Some(res));
    }
    Ok(())
}

/// What `inspect` shows in `HostConfig.SecurityOpt` (libpod's
/// `GetSecurityOptions`).
pub fn inspect_security_opts(sec: &SecuritySpec) -> Vec<String> {
    let mut out = Vec::new();
    if sec.no_new_privileges {
        out.push("no-new-privileges".to_owned());
    }
    if !sec.label.is_empty() {
        out.push(format!("label={}", sec.label.join(",label=")));
    }
    if let Some(p) = &sec.seccomp_profile {
        out.push(format!("seccomp={p}"));
    }
    if sec.privileged || sec.unmask.iter().any(|u| u.eq_ignore_ascii_case("all")) {
        out.push("unmask=all".to_owned());
    }
    out
}

/// `HostConfig.CapAdd`/`CapDrop` as libpod derives them: the bounding set
/// compared with the default set (every capability for a privileged
/// container).
pub fn inspect_cap_add_drop(sec: &SecuritySpec, bounding: &[String]) -> (Vec<String>, Vec<String>) {
    let base: Vec<String> = if sec.privileged {
        KNOWN_CAPABILITIES.iter().map(|c| (*c).to_owned()).collect()
    } else {
        default_names(sec)
    };
    let add = bounding
        .iter()
        .filter(|c| !base.contains(c))
        .cloned()
        .collect();
    let mut drop: Vec<String> = base.into_iter().filter(|c| !bounding.contains(c)).collect();
    drop.sort();
    (add, drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn add_drop_and_all_as_podman() {
        let host = s(&KNOWN_CAPABILITIES);
        let base = default_names(&SecuritySpec::default());
        let m = merge(&base, &s(&["CAP_NET_ADMIN"]), &s(&["CAP_CHOWN"]), &host);
        assert!(m.contains(&"CAP_NET_ADMIN".to_owned()));
        assert!(!m.contains(&"CAP_CHOWN".to_owned()));
        assert_eq!(m.len(), base.len());
        assert_eq!(
            merge(&base, &s(&["CAP_KILL"]), &s(&["ALL"]), &host),
            ["CAP_KILL"]
        );
        assert_eq!(merge(&base, &s(&["ALL"]), &[], &host).len(), host.len());
        let sec = SecuritySpec {
            cap_drop: s(&["ALL"]),
            ..Default::default()
        };
        let sets = capability_sets(&sec, true);
        assert!(sets.bounding.is_empty() && sets.effective.is_empty());
        let sec = SecuritySpec {
            cap_add: s(&["CAP_NET_ADMIN"]),
            ..Default::default()
        };
        let user = capability_sets(&sec, false);
        assert_eq!(user.effective, ["CAP_NET_ADMIN"]);
        let caps = oci_capabilities(&user, false).unwrap();
        assert_eq!(caps.ambient().as_ref().unwrap().len(), 1);
    }

    #[test]
    fn containers_conf_default_capabilities_replace_the_default_set() {
        let sec = SecuritySpec {
            default_capabilities: Some(s(&["CAP_CHOWN", "CAP_NET_RAW"])),
            cap_add: s(&["CAP_KILL"]),
            cap_drop: s(&["CAP_NET_RAW"]),
            ..Default::default()
        };
        let sets = capability_sets(&sec, true);
        assert_eq!(sets.bounding, ["CAP_CHOWN", "CAP_KILL"]);
        let (add, drop) = inspect_cap_add_drop(&sec, &sets.bounding);
        assert_eq!(add, ["CAP_KILL"]);
        assert_eq!(drop, ["CAP_NET_RAW"]);
    }

    #[test]
    fn inspect_fields() {
        let sec = SecuritySpec {
            cap_add: s(&["CAP_NET_ADMIN"]),
            cap_drop: s(&["CAP_CHOWN"]),
            ..Default::default()
        };
        let sets = capability_sets(&sec, true);
        let (add, drop) = inspect_cap_add_drop(&sec, &sets.bounding);
        assert_eq!(add, ["CAP_NET_ADMIN"]);
        assert_eq!(drop, ["CAP_CHOWN"]);
        let sec = SecuritySpec {
            seccomp_profile: Some("unconfined".into()),
            no_new_privileges: true,
            label: s(&["disable"]),
            ..Default::default()
        };
        assert_eq!(
            inspect_security_opts(&sec),
            ["no-new-privileges", "label=disable", "seccomp=unconfined"]
        );
    }

    #[test]
    fn unmask_and_privileged_paths() {
        let sec = SecuritySpec {
            unmask: s(&["/proc/kcore"]),
            mask: s(&["/etc/shadow"]),
            ..Default::default()
        };
        let (m, r) = masked_paths(&sec, &s(&["/proc/kcore", "/proc/keys"]), &s(&["/proc/sys"]));
        assert_eq!(m, ["/proc/keys", "/etc/shadow"]);
        assert_eq!(r, ["/proc/sys"]);
        let priv_ = SecuritySpec {
            privileged: true,
            ..Default::default()
        };
        let (m, r) = masked_paths(&priv_, &s(&["/proc/kcore"]), &s(&["/proc/sys"]));
        assert!(m.is_empty() && r.is_empty());
        // Extra read-only paths (CRI's), not for a privileged container.
        let ro = SecuritySpec {
            readonly: s(&["/tmp", "/proc/sys"]),
            ..Default::default()
        };
        let (_, r) = masked_paths(&ro, &s(&["/proc/kcore"]), &s(&["/proc/sys"]));
        assert_eq!(r, ["/proc/sys", "/tmp"]);
        let priv_ro = SecuritySpec {
            privileged: true,
            ..ro
        };
        let (_, r) = masked_paths(&priv_ro, &s(&["/proc/kcore"]), &s(&["/proc/sys"]));
        assert!(r.is_empty());
    }
}
