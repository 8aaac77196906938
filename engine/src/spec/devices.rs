//! `--device` (the node in the container and its cgroup rule) and
//! `--device-cgroup-rule`.

use std::fs::Metadata;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;

use oci_spec::runtime::{
    Linux, LinuxDevice, LinuxDeviceBuilder, LinuxDeviceCgroup, LinuxDeviceCgroupBuilder,
    LinuxDeviceType,
};
use rpod_api::container_run::{DeviceSpec, SecuritySpec};

use super::SpecError;

/// The host node of a `--device`, as a device of the container.
pub fn host_device(d: &DeviceSpec) -> Result<LinuxDevice, SpecError> {
    let meta = std::fs::metadata(&d.host).map_err(|e| SpecError::io("stat", &d.host, e))?;
    let Some(typ) = node_type(&meta) else {
        return Err(SpecError::InvalidDevice(format!(
            "{} is not a valid device",
            d.host
        )));
    };
    node_at(&d.container, typ, &meta)
}

/// The device type of a host node; `None` when it is no device.
pub(super) fn node_type(meta: &Metadata) -> Option<LinuxDeviceType> {
    let ft = meta.file_type();
    if ft.is_char_device() {
        Some(LinuxDeviceType::C)
    } else if ft.is_block_device() {
        Some(LinuxDeviceType::B)
    } else {
        None
    }
}

/// The host node `meta` (numbers, mode, owner) as the container's device
/// at `path`.
pub(super) fn node_at(
    path: impl AsRef<Path>,
    typ: LinuxDeviceType,
    meta: &Metadata,
) -> Result<LinuxDevice, SpecError> {
    let rdev = meta.rdev();
    Ok(LinuxDeviceBuilder::default()
        .path(path.as_ref())
        .typ(typ)
        .major(i64::from(nix::sys::stat::major(rdev) as u32))
        .minor(i64::from(nix::sys::stat::minor(rdev) as u32))
        .file_mode(meta.permissions().mode() & 0o7777)
        .uid(meta.uid())
        .gid(meta.gid())
        .build()?)
}

/// A `TYPE MAJOR[:MINOR] ACCESS` rule (checked by the CLI; a missing
/// minor is `*`) as an allow rule.
fn cgroup_rule(rule: &str) -> Result<LinuxDeviceCgroup, SpecError> {
    let bad = || SpecError::InvalidDevice(format!("invalid device cgroup rule {rule:?}"));
    let parts: Vec<&str> = rule.split_whitespace().collect();
    let [t, mm, access] = parts.as_slice() else {
        return Err(bad());
    };
    let (major, minor) = mm.split_once(':').unwrap_or((mm, "*"));
    let num = |s: &str| -> Result<Option<i64>, SpecError> {
        if s == "*" {
            Ok(None)
        } else {
            s.parse().map(Some).map_err(|_| bad())
        }
    };
    let typ = match *t {
        "a" => LinuxDeviceType::A,
        "b" => LinuxDeviceType::B,
        "c" => LinuxDeviceType::C,
        _ => return Err(bad()),
    };
    let mut r = LinuxDeviceCgroupBuilder::default()
        .allow(true)
        .typ(typ)
        .access(*access)
        .build()?;
    r.set_major(num(major)?);
    r.set_minor(num(minor)?);
    Ok(r)
}

/// Adds the `--device` nodes with their cgroup permissions and the
/// `--device-cgroup-rule`s to `linux`.
pub fn apply(linux: &mut Linux, sec: &SecuritySpec) -> Result<(), SpecError> {
    if sec.devices.is_empty() && sec.device_cgroup_rules.is_empty() {
        return Ok(());
    }
    let mut devices = linux.devices().clone().unwrap_or_default();
    let mut res = linux.resources().clone().unwrap_or_default();
    let mut rules = res.devices().clone().unwrap_or_default();
    for d in &sec.devices {
        let dev = host_device(d)?;
        let mut rule = LinuxDeviceCgroupBuilder::default()
            .allow(true)
            .typ(dev.typ())
            .access(d.permissions.clone())
            .build()?;
        rule.set_major(Some(dev.major()));
        rule.set_minor(Some(dev.minor()));
        rules.push(rule);
        devices.retain(|old| old.path() != dev.path());
        devices.push(dev);
    }
    for r in &sec.device_cgroup_rules {
        rules.push(cgroup_rule(r)?);
    }
    res.set_devices(Some(rules));
    linux.set_resources(Some(res));
    linux.set_devices(Some(devices));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_node_and_rules() {
        let sec = SecuritySpec {
            devices: vec![DeviceSpec {
                host: "/dev/null".into(),
                container: "/dev/mynull".into(),
                permissions: "rw".into(),
            }],
            device_cgroup_rules: vec!["c 42:* rmw".into()],
            ..Default::default()
        };
        let mut linux = Linux::default();
        apply(&mut linux, &sec).unwrap();
        let devs = linux.devices().clone().unwrap();
        assert_eq!(devs[0].path().to_str(), Some("/dev/mynull"));
        assert_eq!((devs[0].major(), devs[0].minor()), (1, 3));
        let rules = linux
            .resources()
            .clone()
            .unwrap()
            .devices()
            .clone()
            .unwrap();
        assert_eq!(rules[0].access().as_deref(), Some("rw"));
        assert_eq!((rules[1].major(), rules[1].minor()), (Some(42), None));
        let bad = DeviceSpec {
            host: "/etc/passwd".into(),
            ..Default::default()
        };
        assert!(host_device(&bad).is_err());
    }
}
