//! How a client asks for an engine: Podman's global flags, as values.

use std::path::PathBuf;

/// The global options of every command (`--root`, `--runroot`, `--runtime`, ...).
/// `None` means "as configured" (rpod.conf, containers.conf, storage.conf, then
/// built-in defaults).
#[derive(Clone, Debug, Default)]
pub struct EngineOptions {
    pub root: Option<PathBuf>,
    pub runroot: Option<PathBuf>,
    /// rpod.conf to read instead of the default.
    pub config: Option<PathBuf>,
    pub runtime: Option<String>,
    pub storage_driver: Option<String>,
    /// `--events-backend` (`file`, `journald`, `none`).
    pub events_backend: Option<String>,
    pub tmp_dir: Option<PathBuf>,
    pub runtime_flags: Vec<String>,
    /// `--network-config-dir`: where network definitions live.
    pub network_config_dir: Option<PathBuf>,
    /// `--hooks-dir` (repeatable): the OCI hook directories, replacing
    /// containers.conf's `hooks_dir`.
    pub hooks_dirs: Vec<PathBuf>,
    /// `--default-mounts-file`: the mounts.conf read instead of the
    /// system ones.
    pub default_mounts_file: Option<PathBuf>,
    /// `--volumepath`: where named volumes live (default `<root>/volumes`).
    pub volume_path: Option<PathBuf>,
    /// `--cgroup-manager` (`cgroupfs` or `systemd`).
    pub cgroup_manager: Option<String>,
}
