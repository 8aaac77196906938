//! The per-user roots of a rootless rpod: the graph root under the XDG
//! data home, the run root under `$XDG_RUNTIME_DIR` (or `/tmp/rpod-UID`),
//! `rpod.conf` and the containers files under the XDG config home.

use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::RootlessError;

/// `$HOME`, else the passwd entry's home of `uid`.
pub fn home(uid: u32) -> PathBuf {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
                .ok()
                .flatten()
                .map(|u| u.dir)
        })
        .unwrap_or_else(|| PathBuf::from("/"))
}

fn xdg(var: &str, uid: u32, default: &str) -> PathBuf {
    std::env::var_os(var)
        .filter(|v| Path::new(v).is_absolute())
        .map(PathBuf::from)
        .unwrap_or_else(|| home(uid).join(default))
}

/// `$XDG_DATA_HOME/rpod` (`~/.local/share/rpod`): the graph root.
pub fn graph_root(uid: u32) -> PathBuf {
    xdg("XDG_DATA_HOME", uid, ".local/share").join("rpod")
}

/// `$XDG_CONFIG_HOME` (`~/.config`).
pub fn config_home(uid: u32) -> PathBuf {
    xdg("XDG_CONFIG_HOME", uid, ".config")
}

/// `~/.config/rpod/rpod.conf`.
pub fn config_file(uid: u32) -> PathBuf {
    config_home(uid).join("rpod/rpod.conf")
}

/// `~/.config/containers`: registries.conf, policy.json, containers.conf.
pub fn containers_config_dir(uid: u32) -> PathBuf {
    config_home(uid).join("containers")
}

/// The user's runtime directory: `$XDG_RUNTIME_DIR` when it is set and is
/// a directory of the user's, else `/tmp/rpod-UID` (created 0700, with a
/// warning, as Podman falls back to a directory under /tmp).
pub fn runtime_dir(uid: u32) -> Result<PathBuf, RootlessError> {
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        match std::fs::metadata(&dir) {
            Ok(m) if m.is_dir() && owned_by(&m, uid) => return Ok(dir),
            _ => tracing::warn!(
                "XDG_RUNTIME_DIR {} is not a directory owned by the current user: using /tmp/rpod-{uid}",
                dir.display()
            ),
        }
    } else {
        tracing::warn!("XDG_RUNTIME_DIR is not set: using /tmp/rpod-{uid} as the run directory");
    }
    own_tmp_dir(PathBuf::from(format!("/tmp/rpod-{uid}")), 0o700, uid)
}

/// Where the root filesystem of a container whose root is not the user
/// (`--uidmap`, `--userns=auto|nomap`) is bound for the runtime, which
/// mounts it from inside the container's namespace: its root cannot pass
/// the user's private directories, so it gets `/tmp/rpod-UID-roots`
/// (0711, the user's), whose parents anyone may traverse.
pub fn reachable_roots_dir() -> Result<PathBuf, RootlessError> {
    let uid = super::host_uid();
    own_tmp_dir(PathBuf::from(format!("/tmp/rpod-{uid}-roots")), 0o711, uid)
}

/// A directory under /tmp of the user's own: created with `mode`, or
/// found a directory (not a link) owned by the user that nobody else may
/// write (and, for a 0700 one, read).
fn own_tmp_dir(dir: PathBuf, mode: u32, uid: u32) -> Result<PathBuf, RootlessError> {
    match std::fs::DirBuilder::new().mode(mode).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(RootlessError::io(format!("creating {}", dir.display()))(e)),
    }
    let m = std::fs::symlink_metadata(&dir)
        .map_err(RootlessError::io(format!("checking {}", dir.display())))?;
    let foreign = m.permissions().mode() & !mode & 0o077;
    if !m.is_dir() || !owned_by(&m, uid) || foreign != 0 {
        return Err(RootlessError::Io {
            what: format!("using {}", dir.display()),
            source: std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                "not a private directory of the current user",
            ),
        });
    }
    // The umask may have narrowed the mode asked for.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode))
        .map_err(RootlessError::io(format!("chmod {}", dir.display())))?;
    Ok(dir)
}

/// Inside the namespace the user's files read as root's (uid 0); outside
/// as the user's.
fn owned_by(m: &std::fs::Metadata, uid: u32) -> bool {
    m.uid() == uid || (m.uid() == 0 && super::is_rootless())
}

/// `RUNTIME_DIR/rpod`: the run root and the pause process's pid file.
pub fn run_root(uid: u32) -> Result<PathBuf, RootlessError> {
    Ok(runtime_dir(uid)?.join("rpod"))
}

/// The default root, run root and rpod.conf: root's, or the user's when
/// rootless.
pub struct Defaults {
    pub root: PathBuf,
    pub runroot: PathBuf,
    pub config: PathBuf,
}

impl Defaults {
    pub fn get() -> Defaults {
        use crate::config::{DEFAULT_CONFIG, DEFAULT_ROOT, DEFAULT_RUNROOT};
        if !super::is_rootless() {
            return Defaults {
                root: DEFAULT_ROOT.into(),
                runroot: DEFAULT_RUNROOT.into(),
                config: DEFAULT_CONFIG.into(),
            };
        }
        let uid = super::host_uid();
        let runroot = run_root(uid).unwrap_or_else(|e| {
            tracing::warn!("{e}");
            PathBuf::from(format!("/tmp/rpod-{uid}/rpod"))
        });
        Defaults {
            root: graph_root(uid),
            runroot,
            config: config_file(uid),
        }
    }
}

/// `~/.config/containers/NAME` when rootless and the file exists (Podman
/// reads the user's registries.conf and policy.json instead of the
/// system's, and the user's containers.conf after the system's).
pub fn user_containers_file(name: &str) -> Option<PathBuf> {
    if !super::is_rootless() {
        return None;
    }
    let p = containers_config_dir(super::host_uid()).join(name);
    p.exists().then_some(p)
}
