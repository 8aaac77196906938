//! Seccomp: containers/common's default profile (shipped in
//! `seccomp/seccomp.json`, Apache-2.0, see `seccomp/NOTICE`) or a profile
//! file given with `--security-opt seccomp=FILE`, converted into the
//! runtime spec's `linux.seccomp` for this host's architecture and the
//! container's bounding capabilities, as containers/common's
//! `setupSeccomp` converts it.

use std::path::Path;

use oci_spec::runtime::LinuxSeccomp;
use serde::Deserialize;
use serde_json::{json, Value};

use super::SpecError;

/// The default profile, as containers/common ships it.
pub const DEFAULT_PROFILE: &str = include_str!("seccomp/seccomp.json");

/// A profile in the Docker/containers format.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    #[serde(default)]
    default_action: String,
    #[serde(default)]
    default_errno: Option<String>,
    #[serde(default)]
    default_errno_ret: Option<u32>,
    #[serde(default)]
    architectures: Vec<String>,
    #[serde(default)]
    arch_map: Vec<ArchMap>,
    #[serde(default)]
    flags: Vec<String>,
    #[serde(default)]
    syscalls: Vec<Rule>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ArchMap {
    architecture: String,
    #[serde(default)]
    sub_architectures: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    #[serde(default)]
    name: String,
    #[serde(default)]
    names: Vec<String>,
    action: String,
    #[serde(default)]
    errno: Option<String>,
    #[serde(default)]
    errno_ret: Option<u32>,
    #[serde(default)]
    args: Option<Vec<Value>>,
    #[serde(default)]
    includes: Filter,
    #[serde(default)]
    excludes: Filter,
}

#[derive(Debug, Default, Deserialize)]
struct Filter {
    #[serde(default)]
    arches: Vec<String>,
    #[serde(default)]
    caps: Vec<String>,
}

/// libseccomp's name of this machine's architecture (Go's names) and the
/// seccomp architecture the profile's `archMap` uses for it.
fn native_arch() -> (&'static str, &'static str) {
    match std::env::consts::ARCH {
        "x86_64" => ("amd64", "SCMP_ARCH_X86_64"),
        "x86" => ("x86", "SCMP_ARCH_X86"),
        "aarch64" => ("arm64", "SCMP_ARCH_AARCH64"),
        "arm" => ("arm", "SCMP_ARCH_ARM"),
        "powerpc64" => ("ppc64le", "SCMP_ARCH_PPC64LE"),
        "s390x" => ("s390x", "SCMP_ARCH_S390X"),
        "riscv64" => ("riscv64", "SCMP_ARCH_RISCV64"),
        other => (other, ""),
    }
}

fn errno(name: Option<&str>, ret: Option<u32>) -> Result<Option<u32>, String> {
    let Some(name) = name.filter(|n| !n.is_empty()) else {
        return Ok(ret);
    };
    let n = match name {
        "EPERM" => libc::EPERM,
        "ENOENT" => libc::ENOENT,
        "EACCES" => libc::EACCES,
        "EINVAL" => libc::EINVAL,
        "ENOSYS" => libc::ENOSYS,
        "ENOTSUP" | "EOPNOTSUPP" => libc::EOPNOTSUPP,
        _ => return Err(format!("unknown errno {name:?}")),
    };
    Ok(Some(n as u32))
}

/// Converts `profile` (JSON text) for a container whose bounding set is
/// `bounding`.
fn convert(profile: &str, bounding: &[String]) -> Result<LinuxSeccomp, String> {
    let p: Profile = serde_json::from_str(profile).map_err(|e| e.to_string())?;
    if !p.architectures.is_empty() && !p.arch_map.is_empty() {
        return Err("'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'".into());
    }
    let (arch, seccomp_arch) = native_arch();
    let mut arches = p.architectures.clone();
    if let Some(m) = p.arch_map.iter().find(|m| m.architecture == seccomp_arch) {
        arches.push(m.architecture.clone());
        arches.extend(m.sub_architectures.iter().cloned());
    }
    let has = |c: &String| bounding.contains(c);
    let mut syscalls = Vec::new();
    for r in &p.syscalls {
        if r.excludes.arches.iter().any(|a| a == arch)
            || r.excludes.caps.iter().any(has)
            || (!r.includes.arches.is_empty() && !r.includes.arches.iter().any(|a| a == arch))
            || !r.includes.caps.iter().all(has)
        {
            continue;
        }
        if !r.name.is_empty() && !r.names.is_empty() {
            return Err("'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'".into());
        }
        let names = if r.name.is_empty() {
            r.names.clone()
        } else {
            vec![r.name.clone()]
        };
        if names.is_empty() {
            continue;
        }
        let mut call = json!({"names": names, "action": r.action});
        if let Some(e) = errno(r.errno.as_deref(), r.errno_ret)? {
            call["errnoRet"] = json!(e);
        }
        if let Some(args) = r.args.as_ref().filter(|a| !a.is_empty()) {
            call["args"] = json!(args);
        }
        syscalls.push(call);
    }
    let mut out = json!({"defaultAction": p.default_action, "syscalls": syscalls});
    if !arches.is_empty() {
        out["architectures"] = json!(arches);
    }
    if !p.flags.is_empty() {
        out["flags"] = json!(p.flags);
    }
    if let Some(e) = errno(p.default_errno.as_deref(), p.default_errno_ret)? {
        out["defaultErrnoRet"] = json!(e);
    }
    serde_json::from_value(out).map_err(|e| e.to_string())
}

/// `linux.seccomp` for `profile` (`None`: the default profile; a path;
/// `unconfined`: no filter), or `None` for no filter. A privileged
/// container without a named profile runs unconfined (Podman).
pub fn build(
    profile: Option<&str>,
    privileged: bool,
    bounding: &[String],
) -> Result<Option<LinuxSeccomp>, SpecError> {
    let text = match profile {
        Some("unconfined") => return Ok(None),
        None if privileged => return Ok(None),
        None => DEFAULT_PROFILE.to_owned(),
        Some(path) => read_profile(path)?,
    };
    let name = profile.unwrap_or("default");
    convert(&text, bounding)
        .map(Some)
        .map_err(|e| SpecError::Seccomp(name.to_owned(), e))
}

/// Reads a `seccomp=FILE` profile (Podman's error when it cannot).
pub fn read_profile(path: &str) -> Result<String, SpecError> {
    std::fs::read_to_string(Path::new(path)).map_err(|e| {
        SpecError::Seccomp(
            path.to_owned(),
            format!("opening seccomp profile failed: {e}"),
        )
    })
}

/// Checks that a `seccomp=` value can be used, before the container is
/// created.
pub fn validate(profile: Option<&str>) -> Result<(), SpecError> {
    match profile {
        None | Some("unconfined") => Ok(()),
        Some(path) => convert(&read_profile(path)?, &[])
            .map(drop)
            .map_err(|e| SpecError::Seccomp(path.to_owned(), e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names_of(s: &LinuxSeccomp, action: &str) -> Vec<String> {
        let v = serde_json::to_value(s).unwrap();
        v["syscalls"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["action"] == action)
            .flat_map(|c| c["names"].as_array().unwrap().clone())
            .map(|n| n.as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn default_profile_follows_caps_and_arch() {
        let plain = convert(DEFAULT_PROFILE, &["CAP_CHOWN".into()]).unwrap();
        let v = serde_json::to_value(&plain).unwrap();
        assert_eq!(v["defaultAction"], "SCMP_ACT_ERRNO");
        assert_eq!(v["defaultErrnoRet"], 38);
        let allowed = names_of(&plain, "SCMP_ACT_ALLOW");
        assert!(allowed.iter().any(|n| n == "read"));
        assert!(!allowed.iter().any(|n| n == "sethostname"));
        assert!(names_of(&plain, "SCMP_ACT_ERRNO")
            .iter()
            .any(|n| n == "kexec_load"));
        if std::env::consts::ARCH == "x86_64" {
            assert!(allowed.iter().any(|n| n == "arch_prctl"));
            assert!(!allowed.iter().any(|n| n == "sync_file_range2"));
            assert_eq!(v["architectures"][0], "SCMP_ARCH_X86_64");
        }
        let admin = convert(DEFAULT_PROFILE, &["CAP_SYS_ADMIN".into()]).unwrap();
        assert!(names_of(&admin, "SCMP_ACT_ALLOW")
            .iter()
            .any(|n| n == "sethostname"));
        assert!(!names_of(&admin, "SCMP_ACT_ERRNO")
            .iter()
            .any(|n| n == "sethostname"));
    }

    #[test]
    fn unconfined_privileged_and_bad_files() {
        assert!(build(Some("unconfined"), false, &[]).unwrap().is_none());
        assert!(build(None, true, &[]).unwrap().is_none());
        assert!(build(None, false, &[]).unwrap().is_some());
        let e = validate(Some("/nonexistent/profile.json")).unwrap_err();
        assert!(
            e.to_string().contains("opening seccomp profile failed"),
            "{e}"
        );
    }
}
