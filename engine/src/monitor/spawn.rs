//! Starting a monitor: config file, sync socketpair, `Ready`, `Go`.

use std::fs;
use std::io::Read;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use rpod_proto::{read_frame, write_frame, FrameError, MonitorConfig, SyncMsg};

use super::error::MonitorError;

/// Descriptor number of the sync socket in the monitor.
const SYNC_FD: i32 = 3;
/// Where descriptors are copied before being placed on fds 3, 4, ...
const COPY_FLOOR: i32 = 1000;
/// How long the monitor may take to get its sockets ready.
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the runtime's create/exec may take.
const CREATE_TIMEOUT: Duration = Duration::from_secs(300);
/// How long a failed monitor may take to clean up and exit.
const FAIL_EXIT_TIMEOUT: Duration = Duration::from_secs(10);

/// A monitor that is ready (its sockets listen) but has not run the
/// runtime yet. Dropping it closes the start gate: the monitor removes its
/// sockets and exits.
#[derive(Debug)]
pub struct PendingMonitor {
    /// Pid of the (double-forked) monitor process.
    pub monitor_pid: i32,
    sync: UnixStream,
}

/// A monitor [`start`]ed but not yet known to be ready. Dropping it closes
/// the start gate and waits until the monitor has exited (it removes its
/// sockets), and reaps the direct child.
#[derive(Debug)]
pub struct StartingMonitor {
    child: Option<std::process::Child>,
    sync: Option<UnixStream>,
    binary: PathBuf,
}

/// Writes `config` to `config_path` and starts `monitor_bin` on it, handing
/// it `held` on fds 4, 5, ... (the published ports it holds, then the
/// descriptors it passes into the container: `config` says how many of
/// each). Returns at once: the monitor starts (and double-forks) while the
/// caller goes on; [`StartingMonitor::ready`] waits until it is ready (the
/// direct child reaped; the monitor itself is not our child).
pub fn start(
    monitor_bin: &Path,
    config: &MonitorConfig,
    config_path: &Path,
    held: &[BorrowedFd<'_>],
) -> Result<StartingMonitor, MonitorError> {
    let json = serde_json::to_vec_pretty(config).map_err(|e| MonitorError::Config {
        path: config_path.to_path_buf(),
        source: e.into(),
    })?;
    fs::write(config_path, json).map_err(|source| MonitorError::Config {
        path: config_path.to_path_buf(),
        source,
    })?;
    // Both ends are close-on-exec; only the child's dup onto fd 3 survives
    // its exec.
    let (ours, theirs) =
        UnixStream::pair().map_err(|e| MonitorError::io("create sync socketpair", e))?;
    let theirs_fd = theirs.as_raw_fd();
    let mut cmd = Command::new(monitor_bin);
    cmd.arg("--config")
        .arg(config_path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        // A fault injected into this command must not fire again in the
        // monitor's cleanup command.
        .env_remove(crate::fault::FAULT_ENV)
        // The runtime must not take systemd's socket (see --sdnotify).
        .env_remove("NOTIFY_SOCKET");
    let held_raw: Vec<i32> = held.iter().map(AsRawFd::as_raw_fd).collect();
    // Filled in by the child (its own copy of the buffer): allocated here,
    // never between fork and exec.
    let mut copies = vec![0i32; held_raw.len()];
    let floor = COPY_FLOOR.max(rpod_proto::HELD_FDS_START + held_raw.len() as i32);
    // SAFETY: the closure runs between fork and exec and calls only
    // async-signal-safe functions (fcntl, dup2) on descriptors that stay
    // open in the parent until spawn returns; it allocates nothing (the
    // vectors were sized before the fork; it only reads `held_raw` and
    // writes into `copies`' existing slots). Every descriptor is first
    // copied above any target number (close-on-exec copies, gone at exec),
    // and only then placed — the sync socket on fd 3, the held ones on fds
    // 4.. — so no placement overwrites a source not yet copied (a held
    // descriptor may itself be fd 3 or 4: `--preserve-fds` passes the
    // caller's own).
    unsafe {
        cmd.pre_exec(move || {
            let high = |fd: i32| {
                let copy = libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, floor);
                if copy == -1 {
                    Err(std::io::Error::last_os_error())
                } else {
                    Ok(copy)
                }
            };
            let sync_copy = high(theirs_fd)?;
            for (slot, fd) in copies.iter_mut().zip(held_raw.iter()) {
                *slot = high(*fd)?;
            }
            if libc::dup2(sync_copy, SYNC_FD) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            for (i, copy) in copies.iter().enumerate() {
                if libc::dup2(*copy, rpod_proto::HELD_FDS_START + i as i32) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    let child = cmd.spawn().map_err(|source| MonitorError::Spawn {
        binary: monitor_bin.to_path_buf(),
        source,
    })?;
    drop(theirs);
    Ok(StartingMonitor {
        child: Some(child),
        sync: Some(ours),
        binary: monitor_bin.to_path_buf(),
    })
}

impl StartingMonitor {
    /// Waits until the monitor is ready: its direct child has exited (and
    /// is reaped) and the monitor said `Ready`.
    pub fn ready(mut self) -> Result<PendingMonitor, MonitorError> {
        let (Some(mut child), Some(mut ours)) = (self.child.take(), self.sync.take()) else {
            return Err(MonitorError::Startup(format!(
                "{}: already waited for",
                self.binary.display()
            )));
        };
        let status = child
            .wait()
            .map_err(|e| MonitorError::io("wait for pod-monitor", e))?;
        if !status.success() {
            let mut stderr = String::new();
            if let Some(mut s) = child.stderr.take() {
                let _ = s.read_to_string(&mut stderr);
            }
            return Err(MonitorError::Startup(format!(
                "{status}: {}",
                stderr.trim()
            )));
        }
        drop(child);
        ours.set_read_timeout(Some(READY_TIMEOUT))
            .map_err(|e| MonitorError::io("set sync socket timeout", e))?;
        match read_frame::<_, SyncMsg>(&mut ours) {
            Ok(SyncMsg::Ready { monitor_pid }) => Ok(PendingMonitor {
                monitor_pid,
                sync: ours,
            }),
            Ok(SyncMsg::Failed { message }) => Err(MonitorError::Startup(message)),
            Ok(other) => Err(MonitorError::Startup(format!(
                "unexpected message {other:?}"
            ))),
            Err(FrameError::Closed) => Err(MonitorError::Startup(
                "the monitor exited before it was ready".into(),
            )),
            Err(e) => Err(MonitorError::protocol("waiting for Ready", e)),
        }
    }
}

impl Drop for StartingMonitor {
    fn drop(&mut self) {
        if let Some(mut sync) = self.sync.take() {
            // The gate closes: the monitor goes once it is up. Its end
            // closes when it has exited (having removed its sockets), so
            // the caller can clear the run directory after this.
            let _ = sync.shutdown(std::net::Shutdown::Write);
            let _ = sync.set_read_timeout(Some(FAIL_EXIT_TIMEOUT));
            let mut sink = [0u8; 256];
            while matches!(sync.read(&mut sink), Ok(n) if n > 0) {}
        }
        if let Some(mut child) = self.child.take() {
            // The direct child exits as soon as it has forked the monitor.
            let _ = child.wait();
        }
    }
}

impl PendingMonitor {
    /// Opens the start gate: the monitor runs the runtime's create (or
    /// exec). Returns the container (or exec) process id, or the runtime's
    /// own error message as [`MonitorError::Runtime`]; in that case the
    /// monitor has finished and exited by the time this returns.
    pub fn go(self) -> Result<i32, MonitorError> {
        self.open_gate(SyncMsg::Go)
    }

    /// As [`PendingMonitor::go`], but the monitor creates and starts the
    /// container in one runtime invocation (`runtime run --detach`): the
    /// process runs (or has run) when this returns, and no `runtime start`
    /// follows.
    pub fn run(self) -> Result<i32, MonitorError> {
        self.open_gate(SyncMsg::Run)
    }

    fn open_gate(mut self, msg: SyncMsg) -> Result<i32, MonitorError> {
        write_frame(&mut self.sync, &msg).map_err(|e| MonitorError::protocol("sending Go", e))?;
        self.sync
            .set_read_timeout(Some(CREATE_TIMEOUT))
            .map_err(|e| MonitorError::io("set sync socket timeout", e))?;
        match read_frame::<_, SyncMsg>(&mut self.sync) {
            Ok(SyncMsg::Created { pid }) => Ok(pid),
            Ok(SyncMsg::Failed { message }) => {
                // The monitor closes its end when it exits: wait for that so
                // no monitor outlives a failed start.
                let _ = self.sync.set_read_timeout(Some(FAIL_EXIT_TIMEOUT));
                let mut sink = [0u8; 256];
                while matches!(self.sync.read(&mut sink), Ok(n) if n > 0) {}
                Err(MonitorError::Runtime(message))
            }
            Ok(other) => Err(MonitorError::Startup(format!(
                "unexpected message {other:?}"
            ))),
            Err(FrameError::Closed) => Err(MonitorError::Startup(
                "the monitor exited without reporting the runtime's result".into(),
            )),
            Err(e) => Err(MonitorError::protocol("waiting for Created", e)),
        }
    }
}

/// Locates the pod-monitor binary: `$RPOD_MONITOR`, next to the running
/// executable, in `$PATH`, then `/usr/libexec/rpod/pod-monitor`.
pub fn find_monitor_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("RPOD_MONITOR").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("pod-monitor")));
    let in_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("pod-monitor"));
    beside
        .into_iter()
        .chain(in_path)
        .chain(std::iter::once(PathBuf::from(
            "/usr/libexec/rpod/pod-monitor",
        )))
        .find(|p| p.is_file())
}
