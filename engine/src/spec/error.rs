//! Errors from OCI runtime spec generation.

use std::path::PathBuf;

/// Why a runtime spec (or the files it points to) could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// A user namespace rpod cannot set up (the reason).
    #[error("{0}")]
    UserNamespace(String),
    /// Neither the user nor the image gave anything to run (Podman's wording).
    #[error("no command or entrypoint provided, and no CMD or ENTRYPOINT from image")]
    NoCommand,
    /// `exec` without a command (Podman's wording).
    #[error("must provide a non-empty command to start an exec session")]
    EmptyExecCommand,
    /// The image configuration is not valid JSON or has a malformed field.
    #[error("invalid image config: {0}")]
    ImageConfig(String),
    /// A user name in `-u`/the image's `User` has no passwd entry.
    #[error("unable to find user {0}: no matching entries in passwd file")]
    UserNotFound(String),
    /// A group name in `-u user:group` has no group entry.
    #[error("unable to find group {0}: no matching entries in group file")]
    GroupNotFound(String),
    /// `-u` is malformed (e.g. a uid that does not fit in 32 bits).
    #[error("invalid user {0:?}")]
    InvalidUser(String),
    /// A bind mount's source does not exist (Podman's wording).
    #[error("statfs {}: no such file or directory", .0.display())]
    MountSourceMissing(PathBuf),
    /// Any other invalid `-v` mount (relative paths, duplicates).
    #[error("{0}")]
    InvalidMount(String),
    /// The working directory exists in the image but is not a directory.
    #[error("workdir {0:?} exists on container {1}, but is not a directory")]
    WorkdirNotDir(String, String),
    /// A `--workdir` the image does not have (Podman creates only the
    /// image's own working directory).
    #[error("workdir {0:?} does not exist on container {1}")]
    WorkdirMissing(String, String),
    /// A capability name oci-spec does not know.
    #[error("{0:?}: unknown capability")]
    UnknownCapability(String),
    /// A seccomp profile that cannot be used (Podman's wording).
    #[error("loading seccomp profile ({0}) failed: {1}")]
    Seccomp(String, String),
    /// A `--device` or `--device-cgroup-rule` that cannot be used.
    #[error("{0}")]
    InvalidDevice(String),
    /// A `--ulimit` that cannot be applied.
    #[error("{0}")]
    Ulimit(String),

    #[error("{0}")]
    Blkio(String),
    /// A resource the host refused (its cgroup files).
    #[error("{0}")]
    Resources(String),
    /// A `--sysctl` that cannot be applied.
    #[error("{0}")]
    Sysctl(String),
    /// `--init` without an init binary.
    #[error("{0}")]
    Init(String),
    /// A filesystem operation failed.
    #[error("{op} {}: {source}", .path.display())]
    Io {
        /// What was being done.
        op: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// oci-spec refused to build a structure.
    #[error("building OCI spec: {0}")]
    Oci(#[from] oci_spec::OciSpecError),
}

impl SpecError {
    /// Wraps an I/O error with what was being done and where.
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SpecError::Io {
            op,
            path: path.into(),
            source,
        }
    }
}
