//! Block I/O limits (`--blkio-weight`, `--blkio-weight-device`,
//! `--device-read-bps|iops`, `--device-write-bps|iops`): the devices must
//! be block devices; what the host's blkio controller cannot apply is
//! dropped with Podman's warning (for example a weight without the BFQ
//! scheduler's `blkio.weight` file).

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use oci_spec::runtime::{
    LinuxBlockIo, LinuxThrottleDevice, LinuxThrottleDeviceBuilder, LinuxWeightDeviceBuilder,
};
use rpod_api::container_run::{BlkioDevice, ResourceSpec};

use super::SpecError;
use crate::runtime::{cgroup_mode, CgroupMode};

/// Which limits the host's controller offers.
#[derive(Debug, Clone, Copy, Default)]
struct Support {
    weight: bool,
    weight_device: bool,
    read_bps: bool,
    write_bps: bool,
    read_iops: bool,
    write_iops: bool,
}

/// containers/common's blkio check: a v1 controller's files, or on v2 the
/// `io` controller's (`io.bfq.weight`/`io.weight` and `io.max`).
fn support() -> Support {
    if cgroup_mode() == CgroupMode::Unified {
        let controllers =
            std::fs::read_to_string("/sys/fs/cgroup/cgroup.subtree_control").unwrap_or_default();
        let io = controllers.split_whitespace().any(|c| c == "io");
        return Support {
            weight: io,
            weight_device: io,
            read_bps: io,
            write_bps: io,
            read_iops: io,
            write_iops: io,
        };
    }
    let has = |f: &str| Path::new("/sys/fs/cgroup/blkio").join(f).exists();
    Support {
        weight: has("blkio.weight"),
        weight_device: has("blkio.weight_device"),
        read_bps: has("blkio.throttle.read_bps_device"),
        write_bps: has("blkio.throttle.write_bps_device"),
        read_iops: has("blkio.throttle.read_iops_device"),
        write_iops: has("blkio.throttle.write_iops_device"),
    }
}

/// The major and minor numbers of the block device at `path` (Podman's
/// `statBlkDev` errors).
fn block_device(path: &str) -> Result<(i64, i64), SpecError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| SpecError::Blkio(format!("could not parse device {path}: {e}")))?;
    if !meta.file_type().is_block_device() {
        return Err(SpecError::Blkio(format!("{path}: not a block device")));
    }
    let rdev = meta.rdev();
    Ok((
        i64::from(nix::sys::stat::major(rdev) as u32),
        i64::from(nix::sys::stat::minor(rdev) as u32),
    ))
}

/// Checks the devices and the weight's range, before anything is created
/// or changed; returns Podman's warnings for what the host cannot apply.
pub fn check(r: &ResourceSpec) -> Result<Vec<&'static str>, SpecError> {
    for d in &r.blkio_weight_device {
        block_device(&d.path)
            .map_err(|e| SpecError::Blkio(format!("bad --blkio-weight-device: {e}")))?;
    }
    for d in r
        .device_read_bps
        .iter()
        .chain(&r.device_write_bps)
        .chain(&r.device_read_iops)
        .chain(&r.device_write_iops)
    {
        block_device(&d.path)?;
    }
    let s = support();
    let mut warnings = Vec::new();
    if r.blkio_weight.is_some() && !s.weight {
        warnings.push("Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.");
    } else if r.blkio_weight.is_some_and(|w| !(10..=1000).contains(&w)) {
        return Err(SpecError::Blkio(
            "range of blkio weight is from 10 to 1000".into(),
        ));
    }
    for (given, ok, warning) in [
        (!r.blkio_weight_device.is_empty(), s.weight_device, "Your kernel does not support Block I/O weight_device or the cgroup is not mounted. Weight-device discarded."),
        (!r.device_read_bps.is_empty(), s.read_bps, "Your kernel does not support BPS Block I/O read limit or the cgroup is not mounted. Block I/O BPS read limit discarded"),
        (!r.device_write_bps.is_empty(), s.write_bps, "Your kernel does not support BPS Block I/O write limit or the cgroup is not mounted. Block I/O BPS write limit discarded."),
        (!r.device_read_iops.is_empty(), s.read_iops, "Your kernel does not support IOPS Block read limit or the cgroup is not mounted. Block I/O IOPS read limit discarded."),
        (!r.device_write_iops.is_empty(), s.write_iops, "Your kernel does not support IOPS Block I/O write limit or the cgroup is not mounted. Block I/O IOPS write limit discarded."),
    ] {
        if given && !ok {
            warnings.push(warning);
        }
    }
    Ok(warnings)
}

fn throttle(devs: &[BlkioDevice]) -> Result<Option<Vec<LinuxThrottleDevice>>, SpecError> {
    if devs.is_empty() {
        return Ok(None);
    }
    devs.iter()
        .map(|d| {
            let (major, minor) = block_device(&d.path)?;
            Ok(LinuxThrottleDeviceBuilder::default()
                .major(major)
                .minor(minor)
                .rate(d.value)
                .build()?)
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The `blockIO` section of what the host supports, `None` when empty.
pub fn block_io(r: &ResourceSpec) -> Result<Option<LinuxBlockIo>, SpecError> {
    let s = support();
    let mut b = LinuxBlockIo::default();
    if s.weight {
        b.set_weight(r.blkio_weight);
    }
    if s.weight_device && !r.blkio_weight_device.is_empty() {
        let devs = r
            .blkio_weight_device
            .iter()
            .map(|d| {
                let (major, minor) = block_device(&d.path)?;
                let w = LinuxWeightDeviceBuilder::default()
                    .major(major)
                    .minor(minor)
                    .weight(u16::try_from(d.value).unwrap_or(u16::MAX));
                Ok(w.build()?)
            })
            .collect::<Result<Vec<_>, SpecError>>()?;
        b.set_weight_device(Some(devs));
    }
    if s.read_bps {
        b.set_throttle_read_bps_device(throttle(&r.device_read_bps)?);
    }
    if s.write_bps {
        b.set_throttle_write_bps_device(throttle(&r.device_write_bps)?);
    }
    if s.read_iops {
        b.set_throttle_read_iops_device(throttle(&r.device_read_iops)?);
    }
    if s.write_iops {
        b.set_throttle_write_iops_device(throttle(&r.device_write_iops)?);
    }
    Ok((b != LinuxBlockIo::default()).then_some(b))
}

/// Writes the throttles of `r` into the live cgroup at `cgroups_path`
/// (`runc update` leaves them alone): v1's `blkio.throttle.*` files, or
/// v2's `io.max`. Limits the host does not offer are skipped (warned
/// about by [`check`]).
pub fn write_throttles(cgroups_path: &str, r: &ResourceSpec) -> Result<(), SpecError> {
    let rel = cgroups_path.trim_start_matches('/');
    let s = support();
    let write = |path: std::path::PathBuf, line: String| {
        std::fs::write(&path, line).map_err(|e| SpecError::io("write", &path, e))
    };
    let lists: [(&[BlkioDevice], bool, &str, &str); 4] = [
        (
            &r.device_read_bps,
            s.read_bps,
            "blkio.throttle.read_bps_device",
            "rbps",
        ),
        (
            &r.device_write_bps,
            s.write_bps,
            "blkio.throttle.write_bps_device",
            "wbps",
        ),
        (
            &r.device_read_iops,
            s.read_iops,
            "blkio.throttle.read_iops_device",
            "riops",
        ),
        (
            &r.device_write_iops,
            s.write_iops,
            "blkio.throttle.write_iops_device",
            "wiops",
        ),
    ];
    for (devs, supported, v1_file, v2_key) in lists {
        for d in devs.iter().filter(|_| supported) {
            let (major, minor) = block_device(&d.path)?;
            if cgroup_mode() == CgroupMode::Unified {
                let path = Path::new("/sys/fs/cgroup").join(rel).join("io.max");
                write(path, format!("{major}:{minor} {v2_key}={}", d.value))?;
            } else {
                let path = Path::new("/sys/fs/cgroup/blkio").join(rel).join(v1_file);
                write(path, format!("{major}:{minor} {}", d.value))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(path: &str) -> BlkioDevice {
        BlkioDevice {
            path: path.into(),
            value: 1000,
        }
    }

    #[test]
    fn only_block_devices() {
        let r = ResourceSpec {
            device_read_bps: vec![dev("/dev/zero")],
            ..Default::default()
        };
        assert_eq!(
            check(&r).unwrap_err().to_string(),
            "/dev/zero: not a block device"
        );
        let r = ResourceSpec {
            blkio_weight_device: vec![dev("/dev/nonexistent-rpod")],
            ..Default::default()
        };
        assert!(check(&r).unwrap_err().to_string().starts_with(
            "bad --blkio-weight-device: could not parse device /dev/nonexistent-rpod"
        ));
    }
}
