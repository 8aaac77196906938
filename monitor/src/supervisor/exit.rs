//! The end of the container process: signals and stop requests, the
//! exit record (status decoding, OOM detection through the memory cgroup,
//! the atomic exit file), its publication to subscribers, and the cleanup
//! commands run after it.

use std::collections::VecDeque;
use std::fs;
use std::io;
use std::os::fd::{AsFd, AsRawFd};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::wait::{waitid, Id, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use rpod_proto::ExitRecord;

use super::{Phase, Supervisor, DRAIN_TIMEOUT};
use crate::clock::now_nanos;
use crate::diag;
use crate::events::emit;
use crate::fdio::atomic_write_volatile;
use crate::runtime;

/// Shell-convention exit code and signal of a terminated process; `None`
/// for statuses that are not terminations.
pub fn code_of(status: WaitStatus) -> Option<(i32, Option<i32>)> {
    match status {
        WaitStatus::Exited(_, code) => Some((code, None)),
        WaitStatus::Signaled(_, sig, _) => Some((128 + sig as i32, Some(sig as i32))),
        _ => None,
    }
}

/// Commands run one at a time once the exit is published: the runtime's
/// `delete`, then the engine's cleanup command.
#[derive(Default)]
pub(super) struct Cleanup {
    queue: VecDeque<Command>,
    /// The command running now.
    pid: Option<i32>,
    /// The commands wait for a client that removes the container itself
    /// (`HoldCleanup`) to hang up, at the latest until then.
    held_until: Option<Instant>,
}

impl Cleanup {
    /// Whether `pid` is the running cleanup command.
    pub(super) fn is(&self, pid: i32) -> bool {
        self.pid == Some(pid)
    }

    /// Until when the commands wait for a holding client, if they do.
    pub(super) fn held_until(&self) -> Option<Instant> {
        self.held_until
    }
}

/// How long a client holding the cleanup (`HoldCleanup`) may keep it back
/// after the exit: past that, the cleanup runs even though it is still
/// connected (it may be stuck; the cleanup is idempotent).
const HOLD_LIMIT: Duration = Duration::from_secs(30);

/// Writes the record to `path` atomically (temp file, rename), without
/// forcing it to disk: the file lives in the run root, which is volatile
/// by design (a tmpfs by default, where a sync does nothing). It has to
/// outlive the monitor, not the machine; after a crash of the machine the
/// process is gone anyway and the engine records an unknown exit. The
/// sync cost a millisecond on every exit of a run root on disk.
pub fn write_exit_file(path: &Path, rec: &ExitRecord) -> std::io::Result<()> {
    let data = serde_json::to_vec(rec).map_err(std::io::Error::other)?;
    atomic_write_volatile(path, &data)
}

/// The memory cgroup counter file holding `oom_kill`, with the value seen
/// when the process started so earlier kills (of other exec sessions) do
/// not count.
pub struct OomWatch {
    file: Option<PathBuf>,
    baseline: u64,
}

const CGROUP_ROOT: &str = "/sys/fs/cgroup";

impl OomWatch {
    /// Locates the counter for `pid` (from /proc/PID/cgroup while it runs),
    /// falling back to the configured cgroup path.
    pub fn new(pid: i32, cgroup_path: Option<&str>) -> OomWatch {
        let proc_cgroup = fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
        let file =
            counter_file(&proc_cgroup).or_else(|| cgroup_path.and_then(configured_counter_file));
        let baseline = file.as_deref().and_then(read_oom_kill).unwrap_or(0);
        OomWatch { file, baseline }
    }

    /// Whether an OOM kill happened since the watch was created.
    pub fn oom_killed(&self) -> bool {
        self.file
            .as_deref()
            .and_then(read_oom_kill)
            .is_some_and(|n| n > self.baseline)
    }
}

/// Candidate counter files from the contents of /proc/PID/cgroup: the v1
/// memory controller's `memory.oom_control`, else the v2 `memory.events`.
fn counter_file(proc_cgroup: &str) -> Option<PathBuf> {
    let mut v2 = None;
    for line in proc_cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(ctrls), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let rel = path.trim_start_matches('/');
        if ctrls.split(',').any(|c| c == "memory") {
            let f = Path::new(CGROUP_ROOT)
                .join("memory")
                .join(rel)
                .join("memory.oom_control");
            if f.exists() {
                return Some(f);
            }
        } else if ctrls.is_empty() {
            v2 = [
                Path::new(CGROUP_ROOT).join(rel),
                Path::new(CGROUP_ROOT).join("unified").join(rel),
            ]
            .into_iter()
            .map(|d| d.join("memory.events"))
            .find(|f| f.exists());
        }
    }
    v2
}

/// Counter file for an OCI `cgroupsPath` of the cgroupfs form (`/a/b`).
fn configured_counter_file(path: &str) -> Option<PathBuf> {
    if !path.starts_with('/') {
        return None;
    }
    let rel = path.trim_start_matches('/');
    [
        Path::new(CGROUP_ROOT)
            .join("memory")
            .join(rel)
            .join("memory.oom_control"),
        Path::new(CGROUP_ROOT).join(rel).join("memory.events"),
    ]
    .into_iter()
    .find(|f| f.exists())
}

/// Reads the `oom_kill N` line of a counter file.
fn read_oom_kill(file: &Path) -> Option<u64> {
    parse_oom_kill(&fs::read_to_string(file).ok()?)
}

fn parse_oom_kill(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix("oom_kill "))
        .and_then(|n| n.trim().parse().ok())
}

impl Supervisor {
    /// Sends `sig` to the container process while it runs.
    pub(super) fn signal_process(&self, sig: i32) -> io::Result<()> {
        if self.phase != Phase::Running || self.pid <= 0 {
            return Err(io::Error::other("the container process is not running"));
        }
        let sent = match &self.pidfd {
            // A foreground runtime's child: signalled through its pidfd,
            // which names that process even once the runtime has reaped it.
            // SAFETY: pidfd_send_signal(2) with a pidfd we own, a plain
            // signal number, no siginfo (NULL) and no flags.
            Some(fd) => unsafe {
                libc::syscall(
                    libc::SYS_pidfd_send_signal,
                    fd.as_raw_fd(),
                    sig,
                    std::ptr::null::<libc::siginfo_t>(),
                    0,
                )
            },
            // SAFETY: plain kill(2). The pid is our child (reparented to us
            // as subreaper) and not yet reaped, so it cannot have been
            // reused.
            None => i64::from(unsafe { libc::kill(self.pid, sig) }),
        };
        if sent == -1 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::ESRCH) {
                return Err(e);
            }
        }
        Ok(())
    }

    /// `stop`: `signal` now, SIGKILL after `timeout_secs` (at once for 0).
    /// Ends the restart policy; a process already gone is not an error.
    pub(super) fn stop(&mut self, signal: i32, timeout_secs: u64) -> io::Result<()> {
        self.restarts.disabled = true;
        if self.phase == Phase::Restarting {
            self.give_up(String::new());
        }
        if self.phase >= Phase::Draining
            || (self.phase == Phase::Creating && self.restarts.in_restart)
        {
            return Ok(());
        }
        self.signal_then_kill_after(signal, timeout_secs)
    }

    /// Stops the running process: `signal` now, SIGKILL after
    /// `timeout_secs` (at once for 0). From here on the container is
    /// stopping (see [`Supervisor::health_done`]).
    pub(super) fn signal_then_kill_after(
        &mut self,
        signal: i32,
        timeout_secs: u64,
    ) -> io::Result<()> {
        self.stop_requested = true;
        self.signal_process(signal)?;
        if timeout_secs == 0 {
            let _ = self.signal_process(libc::SIGKILL);
        } else if let Some(deadline) = Instant::now().checked_add(Duration::from_secs(timeout_secs))
        {
            // A deadline past what the clock can express is no deadline:
            // `stop -t -1` waits without limit.
            self.stop_deadline = Some(self.stop_deadline.map_or(deadline, |d| d.min(deadline)));
        }
        Ok(())
    }

    /// Whether the container process has exited, though its exit may not
    /// have been reaped yet (without reaping it).
    pub(super) fn process_gone(&self) -> bool {
        if let Some(fd) = &self.pidfd {
            // A pidfd reads as ready once its process has exited.
            let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
            return poll(&mut fds, PollTimeout::ZERO).is_ok_and(|n| n > 0);
        }
        if self.pid <= 0 {
            return true;
        }
        let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOHANG | WaitPidFlag::WNOWAIT;
        match waitid(Id::Pid(Pid::from_raw(self.pid)), flags) {
            Ok(WaitStatus::StillAlive) => false,
            Ok(_) => true,
            // Not this monitor's child (any more): reaped already.
            Err(_) => true,
        }
    }

    /// The container process died: record its exit, drain its output.
    pub(super) fn process_exited(&mut self, st: WaitStatus) {
        let Some((mut code, signal)) = code_of(st) else {
            return;
        };
        if std::mem::take(&mut self.timed_out) {
            // conmon: a process killed at its `--timeout` exits -1.
            code = -1;
        }
        let oom = self.oom.as_ref().is_some_and(|w| w.oom_killed());
        self.pending_exit = Some(ExitRecord {
            code,
            signal,
            finished_at: now_nanos(),
            oom,
        });
        self.stop_deadline = None;
        self.run_deadline = None;
        self.phase = Phase::Draining;
        self.drain_deadline = Some(Instant::now() + DRAIN_TIMEOUT);
        if let Some(h) = &mut self.health {
            h.run_ended();
        }
        // `oom` and `died` go out once the output is drained (see
        // `finish_exit`), so a reader of a journald log sees every line
        // before the `died` that ends its `--follow`.
        self.died_pending = self.cfg.mode == rpod_proto::MonitorMode::Create;
        if std::mem::take(&mut self.delete_at_exit)
            && self.controls.cleanup_held()
            && !self.restarts.wants(code)
        {
            self.start_early_delete();
        }
    }

    /// `run --rm` in the foreground: the runtime's state is deleted from
    /// the exit on, while the output drains and the client removes the
    /// rest of the container. The marker beside the exit file tells that
    /// removal to wait for this delete instead of running its own.
    fn start_early_delete(&mut self) {
        let marker = deleting_marker(&self.cfg.exit_file);
        if let Err(e) = fs::write(&marker, b"") {
            // Without the marker the engine deletes it, as without the hold.
            diag::warn(&format!("{}: {e}", marker.display()));
            return;
        }
        match runtime::delete_command(&self.cfg)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(child) => self.early_delete = Some(child.id() as i32),
            Err(e) => {
                let _ = fs::remove_file(&marker);
                diag::warn(&format!("runtime delete: {e}"));
            }
        }
    }

    /// The early `delete` ended: its marker goes (a failure leaves the
    /// state, which the engine's removal then deletes), and a monitor with
    /// nothing else left to do is done.
    pub(super) fn early_delete_done(&mut self, pid: i32) -> bool {
        if self.early_delete != Some(pid) {
            return false;
        }
        self.early_delete = None;
        let _ = fs::remove_file(deleting_marker(&self.cfg.exit_file));
        if self.phase == Phase::Cleanup
            && self.cleanup.pid.is_none()
            && self.cleanup.held_until.is_none()
        {
            self.next_cleanup();
        }
        true
    }

    /// The output is drained: restart, or publish the exit (exit file,
    /// subscribers) and run the cleanup commands.
    pub(super) fn finish_exit(&mut self) {
        if std::mem::take(&mut self.died_pending) {
            if let Some(rec) = &self.pending_exit {
                // Podman: an `oom` event, then `died`.
                if rec.oom {
                    emit(&self.cfg, "oom", None, "");
                }
                emit(&self.cfg, "died", Some(rec.code), "");
            }
        }
        if self.pending_exit.is_some() && self.begin_restart() {
            return;
        }
        let Some(rec) = self.pending_exit.take() else {
            return;
        };
        // Free before the exit is published: whoever sees the exit may
        // start the container again on the same ports.
        self.held_ports.clear();
        if let Err(e) = write_exit_file(&self.cfg.exit_file, &rec) {
            diag::log(
                diag::Level::Error,
                &format!("write exit file {}: {e}", self.cfg.exit_file.display()),
            );
        }
        self.release_io();
        self.attaches.close_all();
        self.controls.exited(&rec);
        self.release_health_reply();
        self.exit = Some(rec);
        self.phase = Phase::Cleanup;
        if self.cfg.delete_on_exit {
            self.cleanup
                .queue
                .push_back(runtime::delete_command(&self.cfg));
        }
        if let Some((prog, args)) = self.cfg.cleanup_command.split_first() {
            let mut cmd = Command::new(prog);
            cmd.args(args);
            self.cleanup.queue.push_back(cmd);
        }
        if self.controls.cleanup_held() && !self.cleanup.queue.is_empty() {
            // `run --rm` in the foreground removes the container now; the
            // cleanup would only compete with it for the lock and the CPU.
            self.cleanup.held_until = Some(Instant::now() + HOLD_LIMIT);
            return;
        }
        self.next_cleanup();
    }

    /// The holder removed the container: the held cleanup commands are
    /// dropped (before the exit nothing is queued yet, and nothing is
    /// dropped).
    pub(super) fn skip_cleanup(&mut self) {
        if self.cleanup.held_until.take().is_some() {
            self.cleanup.queue.clear();
            self.next_cleanup();
        }
    }

    /// Runs the held cleanup once its holder hung up (or waited too long).
    pub(super) fn release_held_cleanup(&mut self, now: Instant) {
        let Some(limit) = self.cleanup.held_until else {
            return;
        };
        if self.controls.cleanup_held() && now < limit {
            return;
        }
        self.cleanup.held_until = None;
        self.next_cleanup();
    }

    /// Starts the next cleanup command (the previous one ended); the
    /// monitor is done after the last.
    pub(super) fn next_cleanup(&mut self) {
        self.cleanup.pid = None;
        while let Some(mut cmd) = self.cleanup.queue.pop_front() {
            cmd.stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            match cmd.spawn() {
                Ok(child) => {
                    self.cleanup.pid = Some(child.id() as i32);
                    return;
                }
                Err(e) => diag::warn(&format!("cleanup command {cmd:?}: {e}")),
            }
        }
        if self.phase == Phase::Cleanup && self.early_delete.is_none() {
            self.phase = Phase::Done;
        }
    }
}

/// The marker present while the monitor deletes the runtime's state.
fn deleting_marker(exit_file: &Path) -> PathBuf {
    exit_file.with_file_name(rpod_proto::RUNTIME_DELETING_FILE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::signal::Signal;
    use nix::unistd::Pid;

    #[test]
    fn codes() {
        let p = Pid::from_raw(1);
        assert_eq!(code_of(WaitStatus::Exited(p, 42)), Some((42, None)));
        assert_eq!(
            code_of(WaitStatus::Signaled(p, Signal::SIGKILL, false)),
            Some((137, Some(9)))
        );
    }

    #[test]
    fn parses_both_counter_formats() {
        assert_eq!(
            parse_oom_kill("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"),
            Some(3)
        );
        assert_eq!(
            parse_oom_kill("low 0\nhigh 0\nmax 1\noom 1\noom_kill 1\n"),
            Some(1)
        );
        assert_eq!(parse_oom_kill("low 0\n"), None);
    }
}
