//! Command lines for the OCI runtime (runc/crun) and extraction of its
//! error message.

use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::Command;

use rpod_proto::{MonitorConfig, MonitorMode};

/// A runtime command with the global flags (`--root`, extra flags).
fn base(cfg: &MonitorConfig) -> Command {
    let mut cmd = Command::new(&cfg.runtime);
    if let Some(root) = &cfg.runtime_root {
        cmd.arg("--root").arg(root);
    }
    cmd.args(&cfg.runtime_flags);
    cmd
}

/// Where the runtime writes its JSON log for the create/exec call.
pub fn log_path(cfg: &MonitorConfig) -> PathBuf {
    let mut p = cfg.pid_file.clone().into_os_string();
    p.push(".runtime-log");
    PathBuf::from(p)
}

/// How a container's process is started by the runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invocation {
    /// `create`: a `start` follows.
    Create,
    /// `run --detach`: created and started in one invocation, which
    /// returns once the process runs.
    RunDetached,
    /// `run`: as [`Invocation::RunDetached`], but the runtime stays until
    /// the process exits, exits with its status, and has deleted the
    /// container's state (and cgroup) by then.
    RunForeground,
}

/// The container's `create`/`run` as `how` says, or `exec --detach` for an
/// exec session; `preserve_fds` descriptors from fd 3 up pass into the
/// container.
pub fn start_command(
    cfg: &MonitorConfig,
    log: &Path,
    console: Option<&Path>,
    preserve_fds: usize,
    how: Invocation,
) -> Command {
    let mut cmd = base(cfg);
    cmd.arg("--log").arg(log).args(["--log-format", "json"]);
    match &cfg.mode {
        MonitorMode::Create => {
            match how {
                Invocation::Create => cmd.arg("create"),
                Invocation::RunDetached => cmd.args(["run", "--detach"]),
                Invocation::RunForeground => cmd.arg("run"),
            };
            cmd.arg("--bundle").arg(&cfg.bundle);
        }
        MonitorMode::Exec { process, .. } => {
            cmd.args(["exec", "--detach", "--process"]).arg(process);
            if let Some(mask) = process_umask(process) {
                inherit_umask(&mut cmd, mask);
            }
        }
    }
    cmd.arg("--pid-file").arg(&cfg.pid_file);
    if let Some(sock) = console {
        cmd.arg("--console-socket").arg(sock);
    }
    if preserve_fds > 0 {
        cmd.arg("--preserve-fds").arg(preserve_fds.to_string());
    }
    cmd.arg(&cfg.id);
    cmd
}

/// `runc run` reports a failure as `runc run failed: ...`; the same failure
/// of the create/start split (and of Podman, which always creates first)
/// reads `runc create failed: ...`. The container's first run is one
/// invocation only to save a process: its errors keep the create wording.
pub fn as_create_error(message: String) -> String {
    match message.split_once(" run failed: ") {
        Some((name, rest)) if !name.is_empty() && !name.contains(char::is_whitespace) => {
            format!("{name} create failed: {rest}")
        }
        _ => message,
    }
}

/// Places `fds` on descriptors 3, 4, ... of the runtime's process (for
/// `--preserve-fds`), where the runtime passes them into the container.
pub fn place_fds(cmd: &mut Command, fds: &[OwnedFd]) {
    use std::os::unix::process::CommandExt;
    if fds.is_empty() {
        return;
    }
    let raw: Vec<i32> = fds.iter().map(AsRawFd::as_raw_fd).collect();
    let floor = FIRST_PASSED_FD.saturating_add(i32::try_from(raw.len()).unwrap_or(i32::MAX));
    // SAFETY: the closure runs in the forked child before exec and calls only
    // fcntl(2) and dup2(2), which are async-signal-safe; it allocates nothing
    // (it reads `raw`, built before the fork, into a fixed-size loop) and the
    // descriptors stay open in the parent until the spawn returns. Every
    // source is first copied above the targets (close-on-exec copies, gone at
    // exec), so no dup2 overwrites a source not yet placed; the dup2'ed
    // targets are not close-on-exec and so reach the runtime.
    unsafe {
        cmd.pre_exec(move || {
            let mut copies = [0i32; MAX_PASSED_FDS];
            if raw.len() > MAX_PASSED_FDS {
                return Err(std::io::Error::from_raw_os_error(libc::EMFILE));
            }
            for (slot, fd) in copies.iter_mut().zip(raw.iter()) {
                let copy = libc::fcntl(*fd, libc::F_DUPFD_CLOEXEC, floor);
                if copy == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                *slot = copy;
            }
            for (i, copy) in copies.iter().take(raw.len()).enumerate() {
                let target = FIRST_PASSED_FD + i as i32;
                if libc::dup2(*copy, target) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
}

/// Where passed descriptors start in the container (after stdio).
const FIRST_PASSED_FD: i32 = 3;
/// At most this many descriptors pass (a fixed array: nothing is allocated
/// between fork and exec).
pub const MAX_PASSED_FDS: usize = 1024;

/// The `user.umask` of an exec session's process.json, if it sets one.
fn process_umask(process: &Path) -> Option<u32> {
    let data = std::fs::read(process).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&data).ok()?;
    v.get("user")?
        .get("umask")?
        .as_u64()
        .and_then(|m| u32::try_from(m).ok())
}

/// runc (1.1) applies `user.umask` when it creates a container but not for
/// `exec`, whose process inherits the caller's umask: give `runc exec` the
/// session's umask.
fn inherit_umask(cmd: &mut Command, mask: u32) {
    use std::os::unix::process::CommandExt;
    let mask = mask as libc::mode_t;
    // SAFETY: the closure runs in the forked child before exec and calls only
    // umask(2), which is async-signal-safe; it touches no memory of the parent.
    unsafe {
        cmd.pre_exec(move || {
            libc::umask(mask);
            Ok(())
        });
    }
}

/// `delete --force ID`.
pub fn delete_command(cfg: &MonitorConfig) -> Command {
    let mut cmd = base(cfg);
    cmd.args(["delete", "--force"]).arg(&cfg.id);
    cmd
}

/// `start ID`: runs a created container (after a restart).
pub fn run_command(cfg: &MonitorConfig) -> Command {
    let mut cmd = base(cfg);
    cmd.arg("start").arg(&cfg.id);
    cmd
}

/// `exec ID ARGV...` in the foreground (health checks).
pub fn exec_command(cfg: &MonitorConfig, argv: &[String]) -> Command {
    let mut cmd = base(cfg);
    cmd.arg("exec").arg(&cfg.id).args(argv);
    cmd
}

/// The runtime's own error text: the last `error`/`fatal` entry of its JSON
/// log, else its stderr, else a generic note with the exit status.
pub fn error_message(json_log: &[u8], stderr: &[u8], status: &str) -> String {
    let mut found: Option<String> = None;
    for line in json_log.split(|&b| b == b'\n') {
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(line) else {
            continue;
        };
        let level = v.get("level").and_then(|l| l.as_str()).unwrap_or("");
        if matches!(level, "error" | "fatal" | "panic") {
            if let Some(msg) = v.get("msg").and_then(|m| m.as_str()) {
                found = Some(msg.to_string());
            }
        }
    }
    if let Some(msg) = found {
        return msg;
    }
    let text = String::from_utf8_lossy(stderr);
    let text = text.trim();
    if !text.is_empty() {
        return text.to_string();
    }
    format!("OCI runtime failed: {status}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_last_error_from_json_log() {
        let log = br#"{"level":"warning","msg":"w","time":"t"}
{"level":"error","msg":"first","time":"t"}
{"level":"error","msg":"runc create failed: boom","time":"t"}
"#;
        assert_eq!(
            error_message(log, b"ignored", "exit 1"),
            "runc create failed: boom"
        );
    }

    #[test]
    fn run_errors_keep_the_create_wording() {
        assert_eq!(
            as_create_error("runc run failed: unable to start container process: x".into()),
            "runc create failed: unable to start container process: x"
        );
        assert_eq!(
            as_create_error("exec failed: a run failed: b".into()),
            "exec failed: a run failed: b"
        );
        assert_eq!(as_create_error("crun: boom".into()), "crun: boom");
    }

    #[test]
    fn falls_back_to_stderr_then_status() {
        assert_eq!(
            error_message(b"garbage\n", b"  bad thing\n", "exit 1"),
            "bad thing"
        );
        assert_eq!(
            error_message(b"", b"", "exit status 2"),
            "OCI runtime failed: exit status 2"
        );
    }
}
