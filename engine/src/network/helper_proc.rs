//! The user-mode network helpers (slirp4netns, pasta) as processes: found
//! on PATH, started detached with their output in a log file, recorded by
//! pid and namespace path, and stopped again by whichever rpod process tears
//! the container down (the pid is checked against the namespace path in its
//! command line, so a reused pid is never signalled).

use std::fs::File;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

/// A helper that could not be started or used.
#[derive(Debug, thiserror::Error)]
pub enum HelperError {
    #[error("could not find {0} on $PATH: install it to use --network {0}")]
    NotFound(&'static str),
    #[error("{name} failed to start: {log}")]
    Failed { name: &'static str, log: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Refused(String),
}

impl HelperError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        HelperError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// `name`'s path on $PATH.
pub fn find(name: &'static str) -> Result<PathBuf, HelperError> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or(HelperError::NotFound(name))
}

/// A close-on-exec pipe (read end, write end).
pub(crate) fn pipe() -> Result<(OwnedFd, OwnedFd), HelperError> {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(|e| HelperError::io(Path::new("pipe"), e.into()))
}

/// The helper's log file, created (truncated) in its directory.
pub(crate) fn log_file(path: &Path) -> Result<File, HelperError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| HelperError::io(dir, e))?;
    }
    File::create(path).map_err(|e| HelperError::io(path, e))
}

/// The line of the helper's log that says why it failed: the first
/// `what: reason` line, else the last line (banners, warnings and Debian's
/// pasta's notes about syslog left out).
pub(crate) fn read_log(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty()
                && !l.contains("to syslog")
                && !l.starts_with("* ")
                && !l.starts_with("WARNING")
                && !l.starts_with("seccomp:")
        })
        .collect();
    lines
        .iter()
        .find(|l| l.contains(": "))
        .or(lines.last())
        .map_or_else(
            || "it exited without a message".to_owned(),
            |l| (*l).to_owned(),
        )
}

/// Waits for `child` on a thread of its own (no zombie while this process
/// lives on, as the API service does); returns its pid.
pub(crate) fn reap_in_background(mut child: std::process::Child) -> i32 {
    let pid = i32::try_from(child.id()).unwrap_or(0);
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    pid
}

/// Stops the helper `pid` when it still serves `netns` (its command line
/// names the path); a pid that now belongs to another process is left alone.
pub fn stop(pid: i32, netns: &Path) {
    if pid <= 0 || !serves(pid, netns) {
        return;
    }
    if let Err(e) = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    ) {
        tracing::debug!("stopping network helper {pid}: {e}");
    }
}

/// Whether process `pid`'s command line names `netns`.
pub fn serves(pid: i32, netns: &Path) -> bool {
    let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let want = netns.as_os_str().as_encoded_bytes();
    cmdline
        .split(|b| *b == 0)
        .any(|arg| arg == want || arg.ends_with(want))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_checks_the_command_line() {
        let me = i32::try_from(std::process::id()).unwrap();
        let argv0 = std::env::args().next().unwrap();
        assert!(serves(me, Path::new(&argv0)));
        assert!(!serves(me, Path::new("/nonexistent/netns/x")));
        // A pid serving another namespace is left alone: this test lives on.
        stop(me, Path::new("/nonexistent/netns/x"));
        assert!(!serves(-1, Path::new(&argv0)));
    }
}
