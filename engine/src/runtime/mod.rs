//! The OCI runtime (runc/crun): choosing one for this host and driving its
//! lifecycle commands.
//!
//! - [`OciRuntime::select`] picks the binary ([`select`]).
//! - [`cgroup_mode`] tells unified, hybrid and legacy cgroup hosts apart.
//! - Lifecycle commands (`start`, `kill`, `delete`, `state`, `pause`,
//!   `resume`, `version`) are async and return the runtime's exact stderr on
//!   failure; "container does not exist" is [`RuntimeError::NotFound`].

mod cgroup;
mod commands;
mod error;
mod select;
#[cfg(test)]
mod tests;

use std::path::PathBuf;

pub use cgroup::{cgroup_mode, CgroupMode};
pub use error::RuntimeError;

/// A runtime binary and the state directory it keeps containers in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OciRuntime {
    /// Short name (`runc`, `crun`, or the file name of a path).
    pub name: String,
    /// Absolute path of the executable.
    pub path: PathBuf,
    /// State directory passed as `--root` (runtime default when `None`).
    pub root: Option<PathBuf>,
    /// Extra global flags (`--runtime-flag`, containers.conf
    /// `[engine.runtimes_flags]`), after `--root`.
    pub flags: Vec<String>,
}

impl OciRuntime {
    /// Global arguments that go before every subcommand (e.g. `--root R`),
    /// for building runtime command lines elsewhere (the monitor config).
    pub fn runtime_args(&self) -> Vec<String> {
        let mut args = match &self.root {
            Some(r) => vec!["--root".to_string(), r.to_string_lossy().into_owned()],
            None => Vec::new(),
        };
        args.extend(self.flags.iter().cloned());
        args
    }
}
