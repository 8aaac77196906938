//! OCI hooks (oci-hooks(5), containers/common `pkg/hooks`): JSON files in
//! hooks directories, schema 1.0.0, each naming a program, the conditions
//! it applies under (`when`) and the stages it runs at.
//!
//! - [`config`]: reading and checking the hook files of the directories.
//! - [`apply`]: the matching hooks written into a container's spec (the
//!   runtime runs them, `poststop` at `runtime delete`, which the
//!   container's cleanup does even with no rpod alive), and Podman's
//!   `precreate` stage run here, the spec on stdin, its stdout the new spec.

pub(crate) mod apply;
pub(crate) mod config;

use std::path::PathBuf;

/// Podman's system hook directory.
pub const DEFAULT_DIR: &str = "/usr/share/containers/oci/hooks.d";
/// Its override directory: a file here replaces one of the same name there.
pub const OVERRIDE_DIR: &str = "/etc/containers/oci/hooks.d";

#[derive(Debug, thiserror::Error)]
pub enum HookError {
    #[error("parsing hook {path:?}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("reading hooks directory {}: {source}", path.display())]
    ReadDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("precreate hook {index}: {message}")]
    Precreate { index: usize, message: String },
}

/// The hook directories in effect: `--hooks-dir` or containers.conf's
/// `hooks_dir` when given, else the system directory and its override.
pub fn dirs(config: &crate::config::EngineConfig) -> Vec<PathBuf> {
    match &config.containers_conf.engine.hooks_dir {
        Some(d) if !d.is_empty() => d.iter().map(PathBuf::from).collect(),
        _ => vec![PathBuf::from(DEFAULT_DIR), PathBuf::from(OVERRIDE_DIR)],
    }
}
