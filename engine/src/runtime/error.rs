//! Errors from the OCI runtime wrapper.

use std::path::PathBuf;

/// Why a runtime operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The runtime does not know the container (callers usually treat it as
    /// already gone).
    #[error("{runtime}: container {id} does not exist: {stderr}")]
    NotFound {
        /// Runtime name.
        runtime: String,
        /// Container id.
        id: String,
        /// The runtime's exact stderr.
        stderr: String,
    },
    /// No usable binary for the requested runtime (Podman's wording).
    #[error("could not find a working binary (configured options: [{}])", .candidates.join(" "))]
    NoBinary {
        /// Requested name or path.
        name: String,
        /// Paths that were tried.
        candidates: Vec<String>,
    },
    /// The runtime could not be executed.
    #[error("executing {}: {source}", .path.display())]
    Spawn {
        /// The binary.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The runtime ran and failed.
    #[error("OCI runtime error: {runtime} {command}: {}", message(.stderr))]
    Failed {
        /// Runtime name.
        runtime: String,
        /// The subcommand (`start`, `kill`, ...).
        command: String,
        /// Exit status as text (`exit status: 1`, `signal: 9`).
        status: String,
        /// The runtime's exact stderr.
        stderr: String,
    },
    /// The runtime's output could not be understood.
    #[error("{runtime} {command}: unexpected output {output:?}: {reason}")]
    BadOutput {
        /// Runtime name.
        runtime: String,
        /// The subcommand.
        command: String,
        /// What it printed.
        output: String,
        /// Why it was rejected.
        reason: String,
    },
}

impl RuntimeError {
    /// The runtime's stderr, when the runtime ran and failed.
    pub fn stderr(&self) -> Option<&str> {
        match self {
            RuntimeError::NotFound { stderr, .. } | RuntimeError::Failed { stderr, .. } => {
                Some(stderr)
            }
            _ => None,
        }
    }
}

/// The human part of a runtime's stderr: runc logs logrus lines
/// (`time=... level=error msg="..."`), crun plain text. Falls back to the
/// whole (trimmed) stderr.
pub(crate) fn message(stderr: &str) -> String {
    let msgs: Vec<String> = stderr
        .lines()
        .filter_map(|l| {
            let start = l.find("msg=\"")? + 5;
            let rest = &l[start..];
            let mut out = String::new();
            let mut chars = rest.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => out.extend(chars.next()),
                    '"' => return Some(out),
                    c => out.push(c),
                }
            }
            Some(out)
        })
        .collect();
    if msgs.is_empty() {
        stderr.trim().to_owned()
    } else {
        msgs.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_from_runc_and_crun_stderr() {
        assert_eq!(
            message("time=\"2026-01-01T00:00:00Z\" level=error msg=\"container does not exist\"\n"),
            "container does not exist"
        );
        assert_eq!(
            message("time=\"x\" level=error msg=\"a \\\"quoted\\\" word\"\n"),
            "a \"quoted\" word"
        );
        assert_eq!(
            message("error opening file `/run/crun/x/status`: No such file or directory\n"),
            "error opening file `/run/crun/x/status`: No such file or directory"
        );
    }
}
