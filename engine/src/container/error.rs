//! Errors of container operations, with Podman's wording where users and
//! scripts rely on it.

use crate::{lock::LockError, state::StateError, storage::StorageError};
use crate::{monitor::MonitorError, runtime::RuntimeError, spec::SpecError};

#[derive(Debug, thiserror::Error)]
pub enum ContainerError {
    #[error("no container with name or ID \"{0}\" found: no such container")]
    NotFound(String),
    #[error("{0}: image not known")]
    ImageNotFound(String),
    #[error("names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument")]
    InvalidName(String),
    /// An operation not allowed in the container's current state.
    #[error("{0}: container state improper")]
    StateImproper(String),
    /// The OCI runtime refused to create or exec the process; the text is
    /// the runtime's own.
    #[error("{0}")]
    RuntimeFailed(String),
    #[error("creating {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("removing {path}: {source}")]
    Remove {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Spec(#[from] SpecError),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    #[error(transparent)]
    Monitor(#[from] MonitorError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Network(#[from] crate::network::NetworkError),
    #[error(transparent)]
    PinnedNamespace(#[from] super::pinned_ns::PinError),
    #[error(transparent)]
    Volume(#[from] crate::volume::VolumeError),
    #[error(transparent)]
    Secret(#[from] crate::secret::SecretError),
    #[error(transparent)]
    Hook(#[from] crate::hooks::HookError),
    #[error(transparent)]
    Idmap(#[from] crate::idmap::IdmapError),
    /// The root filesystem could not be id-shifted for a user namespace.
    #[error("{0}")]
    IdShift(String),
    /// `rm` without force of a container that others `--requires`.
    #[error("container {id} has dependent containers which must be removed before it: {dependents}: container already exists")]
    HasDependents { id: String, dependents: String },
    /// `wait --condition` with a name Podman does not know.
    #[error("unknown container state: {0}: invalid argument")]
    InvalidWaitCondition(String),
    /// `stop` of a live container whose monitor had died (Podman's words,
    /// which scripts match: its monitor is conmon).
    #[error("container {0} conmon exited prematurely, exit code could not be retrieved: conmon process killed")]
    MonitorDied(String),
    /// A request Podman refuses as invalid input (its words).
    #[error("{0}")]
    InvalidArgument(String),
    #[error("the container's actor stopped before answering")]
    ActorGone,
    /// What the container needs first (its pod's infra container, the
    /// containers it `--requires`) could not be started; the cause is kept
    /// as its own type (a pod error), never turned into text.
    #[error("{0}: container state improper")]
    Dependency(Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl ContainerError {
    /// Podman's exit code for a process the runtime could not start
    /// (`run`, `exec`): see [`start_failure_code`]; 125 for anything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            ContainerError::RuntimeFailed(msg) => start_failure_code(msg),
            _ => 125,
        }
    }
}

use rpod_api::error::start_failure_code;

/// Podman's `getOCIRuntimeError`: what the runtime (`runtime`, its name)
/// said when it could not create or exec the process, as
/// `RUNTIME: MESSAGE: CLASS`. A permission problem and a missing command
/// keep only the line that says so (Podman prints the whole output only at
/// debug level); anything else keeps the whole message.
pub(crate) fn oci_runtime_error(runtime: &str, message: &str) -> String {
    let lines = || message.lines().map(str::trim_end);
    let find = |words: &[&str]| {
        lines().find(|l| {
            let l = l.to_ascii_lowercase();
            words.iter().any(|w| l.contains(w))
        })
    };
    if let Some(line) = find(&["permission denied", "operation not permitted"]) {
        return format!("{runtime}: {line}: OCI permission denied");
    }
    if let Some(line) = find(&[
        "executable file not found in",
        "no such file or directory",
        "open executable",
    ]) {
        return format!(
            "{runtime}: {line}: OCI runtime attempted to invoke a command that was not found"
        );
    }
    format!(
        "{runtime}: {}: OCI runtime error",
        message.trim_matches('\n')
    )
}

/// The name Podman gives the runtime at `path` in its errors.
pub(crate) fn runtime_name(path: &str) -> &str {
    std::path::Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(path)
}

pub(crate) fn io_err(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> ContainerError + '_ {
    move |source| ContainerError::Io {
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_podman() {
        let nf = ContainerError::RuntimeFailed(
            "runc create failed: exec: \"nope\": executable file not found in $PATH".into(),
        );
        assert_eq!(nf.exit_code(), 127);
        let perm = ContainerError::RuntimeFailed("exec /etc: permission denied".into());
        assert_eq!(perm.exit_code(), 126);
        let flag = ContainerError::RuntimeFailed(
            "level=error msg=\"flag provided but not defined: -bogus\"".into(),
        );
        assert_eq!(flag.exit_code(), 126);
        assert_eq!(ContainerError::NotFound("x".into()).exit_code(), 125);
    }

    #[test]
    fn runtime_errors_are_classified_as_podmans() {
        let nf = oci_runtime_error(
            "runc",
            "runc create failed: unable to start container process: exec: \"\": executable file not found in $PATH\n",
        );
        assert_eq!(
            nf,
            "runc: runc create failed: unable to start container process: exec: \"\": executable file not found in $PATH: OCI runtime attempted to invoke a command that was not found"
        );
        assert_eq!(ContainerError::RuntimeFailed(nf).exit_code(), 127);
        let perm = oci_runtime_error("runc", "time=x level=warning\nexec /etc: Permission denied");
        assert_eq!(
            perm,
            "runc: exec /etc: Permission denied: OCI permission denied"
        );
        assert_eq!(ContainerError::RuntimeFailed(perm).exit_code(), 126);
        let other = oci_runtime_error("runc", "unknown flag: --bogus\n");
        assert_eq!(other, "runc: unknown flag: --bogus: OCI runtime error");
        assert_eq!(runtime_name("/usr/sbin/runc"), "runc");
        assert_eq!(runtime_name("runc"), "runc");
    }
}
