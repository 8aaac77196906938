//! Choosing the runtime binary.

use std::path::{Path, PathBuf};

use rustix::fs::Access;

use super::{cgroup_mode, CgroupMode, OciRuntime, RuntimeError};

/// Where Podman looks for a runtime by name (containers.conf defaults).
const SEARCH_DIRS: [&str; 7] = [
    "/usr/bin",
    "/usr/sbin",
    "/usr/local/bin",
    "/usr/local/sbin",
    "/sbin",
    "/bin",
    "/run/current-system/sw/bin",
];

fn is_executable(path: &Path) -> bool {
    path.metadata().is_ok_and(|m| m.is_file()) && rustix::fs::access(path, Access::EXEC_OK).is_ok()
}

/// Candidate paths for runtime `name`: Podman's configured locations, then
/// `$PATH`.
fn candidates(name: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = SEARCH_DIRS
        .iter()
        .map(|d| Path::new(d).join(name))
        .collect();
    if name == "runc" {
        out.push(PathBuf::from("/usr/lib/cri-o-runc/sbin/runc"));
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path).filter(|d| d.is_absolute()) {
            let p = dir.join(name);
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

fn no_binary(name: &str, tried: &[PathBuf]) -> RuntimeError {
    RuntimeError::NoBinary {
        name: name.to_owned(),
        candidates: tried.iter().map(|p| p.display().to_string()).collect(),
    }
}

/// The runtime names to try, in order, when none is requested: crun first
/// on a unified cgroup v2 host, runc first on v1/hybrid (crun refuses
/// hybrid hosts).
pub(crate) fn preference(mode: CgroupMode) -> [&'static str; 2] {
    match mode {
        CgroupMode::Unified => ["crun", "runc"],
        CgroupMode::Hybrid | CgroupMode::Legacy => ["runc", "crun"],
    }
}

impl OciRuntime {
    /// Picks the runtime: `requested` is a name (`runc`, `crun`, ...) or an
    /// absolute path, `None` chooses per host ([`preference`]). `root` is
    /// the state directory passed as `--root`.
    pub fn select(requested: Option<&str>, root: Option<PathBuf>) -> Result<Self, RuntimeError> {
        let names: Vec<&str> = match requested {
            Some(r) if r.contains('/') => {
                let path = PathBuf::from(r);
                if !path.is_absolute() || !is_executable(&path) {
                    return Err(no_binary(r, &[path]));
                }
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| r.to_owned());
                return Ok(Self {
                    name,
                    path,
                    root,
                    flags: Vec::new(),
                });
            }
            Some(name) => vec![name],
            None => preference(cgroup_mode()).to_vec(),
        };
        let mut tried = Vec::new();
        for name in &names {
            for path in candidates(name) {
                if is_executable(&path) {
                    return Ok(Self {
                        name: (*name).to_owned(),
                        path,
                        root,
                        flags: Vec::new(),
                    });
                }
                tried.push(path);
            }
        }
        Err(no_binary(&names.join(","), &tried))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preference_per_cgroup_mode() {
        assert_eq!(preference(CgroupMode::Unified), ["crun", "runc"]);
        assert_eq!(preference(CgroupMode::Hybrid), ["runc", "crun"]);
        assert_eq!(preference(CgroupMode::Legacy), ["runc", "crun"]);
    }

    #[test]
    fn requested_path_must_be_executable() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("fake-runtime");
        std::fs::write(&f, "#!/bin/sh\n").unwrap();
        let err = OciRuntime::select(f.to_str(), None).unwrap_err();
        assert!(err
            .to_string()
            .starts_with("could not find a working binary (configured options: ["));
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o755)).unwrap();
        let rt = OciRuntime::select(f.to_str(), Some("/run/x".into())).unwrap();
        assert_eq!(rt.name, "fake-runtime");
        assert_eq!(rt.runtime_args(), vec!["--root", "/run/x"]);
        assert!(OciRuntime::select(Some("relative/runc"), None).is_err());
    }
}
