//! The local driver: which options it takes, and mounting a volume whose
//! options describe a filesystem (`type`, `device`, `o`) with mount(8),
//! as Podman's local driver does.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use super::{VolumeError, VolumeRecord, LOCAL_DRIVER};

/// Options that never make the volume a mount of its own.
pub(crate) const NON_MOUNT_OPTIONS: &[&str] = &["uid", "gid", "copy", "nocopy"];

/// Checks `driver` and its `options` for a new volume `name`.
pub fn check(
    name: &str,
    driver: &str,
    options: &BTreeMap<String, String>,
) -> Result<(), VolumeError> {
    if driver != LOCAL_DRIVER {
        return Err(VolumeError::Invalid(format!(
            "volume {name} uses volume plugin {driver} but it could not be retrieved: no volume plugin with name {driver} available: required plugin missing"
        )));
    }
    let is_bind = options
        .get("type")
        .is_some_and(|t| t.eq_ignore_ascii_case("bind"));
    for (key, value) in options {
        match key.to_ascii_lowercase().as_str() {
            "device" if is_bind => {
                if let Err(e) = std::fs::symlink_metadata(value) {
                    return Err(VolumeError::Invalid(format!(
                        "invalid volume option {key} for driver 'local': faccessat {value}: {}",
                        crate::error_chain::io_reason(&e)
                    )));
                }
            }
            "device" | "o" | "type" | "copy" | "nocopy" => {}
            "uid" | "gid" => {
                if value.parse::<u32>().is_err() {
                    return Err(VolumeError::Invalid(format!(
                        "cannot convert {key} {value} to integer: strconv.Atoi: parsing \"{value}\": invalid syntax"
                    )));
                }
            }
            "size" | "inodes" | "noquota" => {
                return Err(VolumeError::Invalid(format!(
                    "volume option {key} needs a quota on the volume's filesystem, which rpod does not set up (see docs/compatibility.md)"
                )))
            }
            _ => {
                return Err(VolumeError::Invalid(format!(
                    "invalid mount option {key} for driver 'local': invalid argument"
                )))
            }
        }
    }
    Ok(())
}

/// Mounts `v` at `target` with mount(8): `-o o`, `-o bind` or `-t type`,
/// then the device (the type when no device is given).
pub fn mount(v: &VolumeRecord, target: &Path) -> Result<(), VolumeError> {
    let typ = v.options.get("type").map(String::as_str).unwrap_or("");
    let device = match v.options.get("device").map(String::as_str) {
        Some(d) if !d.is_empty() => d,
        _ => typ,
    };
    let mut cmd = Command::new("mount");
    if let Some(o) = v.options.get("o").filter(|o| !o.is_empty()) {
        cmd.args(["-o", o]);
    }
    match typ {
        "" => {}
        "bind" => {
            cmd.args(["-o", "bind"]);
        }
        t => {
            cmd.args(["-t", t]);
        }
    }
    cmd.arg(device).arg(target);
    tracing::debug!(volume = %v.name, ?cmd, "mounting volume");
    let out = cmd.output().map_err(|e| VolumeError::Mount {
        name: v.name.clone(),
        message: format!("running mount: {e}"),
    })?;
    if !out.status.success() {
        return Err(VolumeError::Mount {
            name: v.name.clone(),
            message: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(())
}

/// Detaches the mount at `target` (nothing mounted there is fine).
pub fn unmount(name: &str, target: &Path) -> Result<(), VolumeError> {
    match rustix::mount::unmount(target, rustix::mount::UnmountFlags::DETACH) {
        Ok(()) | Err(rustix::io::Errno::INVAL) | Err(rustix::io::Errno::NOENT) => Ok(()),
        Err(e) => Err(VolumeError::Unmount {
            name: name.to_owned(),
            message: std::io::Error::from(e).to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn options_as_podman_checks_them() {
        assert!(check("v", "local", &opts(&[])).is_ok());
        assert!(check(
            "v",
            "local",
            &opts(&[("type", "tmpfs"), ("device", "tmpfs"), ("o", "size=2M")])
        )
        .is_ok());
        let e = check(
            "v",
            "local",
            &opts(&[("type", "bind"), ("device", "/bogus-rpod")]),
        );
        assert_eq!(
            e.unwrap_err().to_string(),
            "invalid volume option device for driver 'local': faccessat /bogus-rpod: no such file or directory"
        );
        let e = check("v", "local", &opts(&[("bogus", "1")]));
        assert_eq!(
            e.unwrap_err().to_string(),
            "invalid mount option bogus for driver 'local': invalid argument"
        );
        assert!(check("v", "nfs-plugin", &opts(&[])).is_err());
        assert!(check("v", "local", &opts(&[("uid", "x")])).is_err());
        assert!(check("v", "local", &opts(&[("size", "1M")])).is_err());
    }

    #[test]
    fn which_options_need_a_mount() {
        let rec = |kv: &[(&str, &str)]| VolumeRecord {
            options: opts(kv),
            ..Default::default()
        };
        assert!(!rec(&[]).needs_mount());
        assert!(!rec(&[("uid", "1"), ("nocopy", "")]).needs_mount());
        assert!(rec(&[("type", "tmpfs")]).needs_mount());
        assert!(rec(&[("o", "size=1m")]).needs_mount());
    }
}
