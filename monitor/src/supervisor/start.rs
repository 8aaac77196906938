//! Starting the process: the start gate on the sync socket (`Ready`, `Go`,
//! `Created`/`Failed`), the runtime's create/exec with the run's stdio,
//! and what its exit means (a running process, or an error to report).

use std::fs;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

use nix::sys::wait::WaitStatus;
use rpod_proto::frame::{decode, encode};
use rpod_proto::{MonitorMode, SyncMsg};

use super::exit::{code_of, OomWatch};
use super::io::ContainerIo;
use super::{Phase, Supervisor};
use crate::diag;
use crate::log_sink::{JournalLog, LogSink};
use crate::logfile::LogFile;
use crate::pid_file::{self, PidFileWatch};
use crate::runtime::{self, Invocation};

/// Largest frame accepted on the sync socket.
const MAX_SYNC_FRAME: usize = 4096;

/// The engine's end of the start gate (fd 3): `Ready` and `Go` before the
/// run, `Created` or `Failed` after the runtime. Closed once the process
/// runs (after a failure it stays open until the monitor exits, so the
/// engine can wait for that).
pub(super) struct SyncGate {
    stream: Option<UnixStream>,
    inbuf: Vec<u8>,
}

/// What the engine sent on the start gate.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum GateInput {
    /// Nothing complete yet (or a message the gate ignores).
    Nothing,
    Go,
    /// `Go`, creating and starting the process in one runtime invocation.
    Run,
    /// The engine closed its end: it is gone.
    Closed,
    /// A read error or an oversized frame.
    Broken(String),
}

impl SyncGate {
    pub(super) fn new(stream: UnixStream) -> SyncGate {
        SyncGate {
            stream: Some(stream),
            inbuf: Vec::new(),
        }
    }

    pub(super) fn fd(&self) -> Option<BorrowedFd<'_>> {
        self.stream.as_ref().map(|s| s.as_fd())
    }

    pub(super) fn send(&mut self, msg: &SyncMsg) -> io::Result<()> {
        let sync = self
            .stream
            .as_mut()
            .ok_or_else(|| io::Error::other("sync socket closed"))?;
        let frame = encode(msg).map_err(io::Error::other)?;
        sync.write_all(&frame)
    }

    /// The process runs: the gate has done its job.
    pub(super) fn close(&mut self) {
        self.stream = None;
        self.inbuf = Vec::new();
    }

    /// Reads what is available.
    pub(super) fn read(&mut self) -> GateInput {
        let mut buf = [0u8; 512];
        let Some(sync) = self.stream.as_mut() else {
            return GateInput::Nothing;
        };
        match sync.read(&mut buf) {
            Ok(0) => GateInput::Closed,
            Ok(n) => {
                self.inbuf.extend_from_slice(&buf[..n]);
                GateInput::Nothing
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => GateInput::Nothing,
            Err(e) => GateInput::Broken(e.to_string()),
        }
    }

    /// The next complete message read, `Nothing` when there is none.
    pub(super) fn next(&mut self) -> GateInput {
        while self.inbuf.len() >= 4 {
            let len =
                u32::from_le_bytes([self.inbuf[0], self.inbuf[1], self.inbuf[2], self.inbuf[3]])
                    as usize;
            if len > MAX_SYNC_FRAME {
                return GateInput::Broken(format!("sync frame of {len} bytes"));
            }
            if self.inbuf.len() < 4 + len {
                break;
            }
            let msg = decode::<SyncMsg>(&self.inbuf[4..4 + len]);
            self.inbuf.drain(..4 + len);
            match msg {
                Ok(SyncMsg::Go) => return GateInput::Go,
                Ok(SyncMsg::Run) => return GateInput::Run,
                _ => {}
            }
        }
        GateInput::Nothing
    }
}

impl Supervisor {
    pub(super) fn send_sync(&mut self, msg: &SyncMsg) -> io::Result<()> {
        self.sync.send(msg)
    }

    /// Input on the sync socket: `Go` runs the runtime; EOF before it
    /// means the engine went away.
    pub(super) fn on_sync(&mut self) {
        match self.sync.read() {
            GateInput::Closed => {
                diag::debug("sync socket closed before Go");
                self.shutdown(0);
                return;
            }
            GateInput::Broken(e) => {
                diag::warn(&format!("sync socket: {e}"));
                self.shutdown(1);
                return;
            }
            GateInput::Nothing | GateInput::Go | GateInput::Run => {}
        }
        while self.phase == Phase::Waiting {
            let go = self.sync.next();
            if matches!(go, GateInput::Go | GateInput::Run) {
                // Only a container's first run starts in the same
                // invocation; a restart creates, then starts.
                self.run_at_once = go == GateInput::Run && self.cfg.mode == MonitorMode::Create;
                // Only for a client that removes the container itself
                // after the exit (`run --rm` attached): the runtime then
                // deletes the state as it exits, and stays no longer
                // than that client waits anyway.
                self.foreground =
                    self.run_at_once && self.cfg.foreground_run && self.controls.cleanup_held();
                let started = self.start_runtime();
                self.run_at_once_started = self.run_at_once;
                self.run_at_once = false;
                if let Err(message) = started {
                    self.fail(message);
                }
                continue;
            }
            match go {
                GateInput::Broken(e) => {
                    diag::warn(&format!("sync socket: {e}"));
                    self.shutdown(1);
                }
                GateInput::Nothing | GateInput::Closed | GateInput::Go | GateInput::Run => return,
            }
        }
    }

    /// Before `Go` the engine went away (or asked us to stop): remove the
    /// sockets and exit.
    pub(super) fn shutdown(&mut self, code: i32) {
        self.exit_code = code;
        self.phase = Phase::Done;
    }

    /// Opens the log (once) and the run's stdio, and spawns the runtime's
    /// create/exec.
    pub(super) fn start_runtime(&mut self) -> Result<(), String> {
        let cfg = &self.cfg;
        if self.log.is_none() {
            if let Some(j) = &cfg.journald {
                let log = JournalLog::connect(&cfg.id, j).map_err(|e| {
                    format!(
                        "journald log driver: connecting to {}: {e}",
                        rpod_proto::journal::SOCKET
                    )
                })?;
                self.log = Some(LogSink::Journal(log));
            } else if let Some(path) = &cfg.log_path {
                let log = LogFile::open(path, cfg.log_max_size, cfg.log_max_files)
                    .map_err(|e| format!("open log file {}: {e}", path.display()))?;
                self.log = Some(LogSink::File(log));
            }
        }
        let (io, child_stdio) = ContainerIo::open(cfg, self.monitor_pid)?;
        self.io = io;
        let log = runtime::log_path(cfg);
        let _ = fs::remove_file(&log);
        if self.foreground {
            // Watched before the runtime starts, so its write is seen.
            let _ = fs::remove_file(&cfg.pid_file);
            match PidFileWatch::new(&cfg.pid_file) {
                Ok(w) => self.pid_watch = Some(w),
                Err(e) => {
                    diag::debug(&format!("no pid file watch ({e}): the runtime detaches"));
                    self.foreground = false;
                }
            }
        }
        let how = match (self.foreground, self.run_at_once) {
            (true, _) => Invocation::RunForeground,
            (false, true) => Invocation::RunDetached,
            (false, false) => Invocation::Create,
        };
        let mut cmd = runtime::start_command(
            cfg,
            &log,
            child_stdio.console.as_deref(),
            self.preserved.len(),
            how,
        );
        cmd.stdin(child_stdio.stdin)
            .stdout(child_stdio.stdout)
            .stderr(child_stdio.stderr);
        runtime::place_fds(&mut cmd, &self.preserved);
        let child = cmd
            .spawn()
            .map_err(|e| format!("exec {}: {e}", self.cfg.runtime.display()))?;
        // The runtime has its copies: ours close, and a restart passes none.
        self.preserved.clear();
        self.runtime_pid = Some(child.id() as i32);
        // The child is reaped by the loop's waitpid(-1); dropping the handle
        // neither waits nor kills.
        drop(child);
        self.phase = Phase::Creating;
        Ok(())
    }

    /// The pid file watch woke: a foreground runtime has started the
    /// process once the file holds its pid.
    pub(super) fn on_pid_file(&mut self) {
        // The runtime's exit, handled earlier in the same poll round, may
        // have found the pid file and ended the run already: the watch's
        // readiness is stale then.
        if !(self.foreground && self.phase == Phase::Creating) {
            return;
        }
        let Some(pid) = self.pid_watch.as_ref().and_then(PidFileWatch::ready) else {
            return;
        };
        self.foreground_started(pid);
    }

    /// A foreground runtime started the process `pid`.
    fn foreground_started(&mut self, pid: i32) {
        // The watch stays open (unpolled) until the monitor exits: closing
        // an inotify instance waits for an RCU grace period, milliseconds
        // the start would otherwise wait for.

        // A failure from here on is no failed create.
        self.run_at_once_started = false;
        self.pidfd = open_pidfd(pid);
        self.process_running(pid);
    }

    /// A foreground runtime exited with `st`: before the process was seen
    /// (it failed to start it, or the process ran and exited meanwhile),
    /// or with the process's own status.
    fn foreground_runtime_exited(&mut self, st: WaitStatus) {
        if self.phase == Phase::Creating {
            match pid_file::read(&self.cfg.pid_file) {
                Some(pid) => self.foreground_started(pid),
                None => {
                    // Never started: reported as a detached run's failure.
                    self.foreground = false;
                    self.runtime_exited(st);
                    return;
                }
            }
        }
        let _ = fs::remove_file(runtime::log_path(&self.cfg));
        self.foreground = false;
        self.pidfd = None;
        if self.phase != Phase::Running {
            return;
        }
        if matches!(st, WaitStatus::Signaled(..)) {
            // The runtime itself was killed, so the state is left, and the
            // process, now this subreaper's child, may still run: its own
            // exit (reaped here) ends the run then.
            self.delete_at_exit = true;
            // SAFETY: kill(2) with signal 0 only checks that the pid
            // exists; a zombie reparented here counts, and is reaped next.
            if unsafe { libc::kill(self.pid, 0) } == 0 {
                return;
            }
        }
        // runc and crun exit with the process's code (128 + N after a
        // signal N).
        self.process_exited(st);
    }

    /// The runtime's create/exec ended with `st`: the process runs, or
    /// the start failed.
    pub(super) fn runtime_exited(&mut self, st: WaitStatus) {
        if self.foreground {
            self.foreground_runtime_exited(st);
            return;
        }
        // The runtime may have connected just before it exited.
        self.io.accept_console();
        let log_path = runtime::log_path(&self.cfg);
        let ok = matches!(st, WaitStatus::Exited(_, 0));
        if !ok {
            let json = fs::read(&log_path).unwrap_or_default();
            let stderr = self.io.runtime_stderr();
            let status = match code_of(st) {
                Some((code, None)) => format!("exit status {code}"),
                Some((_, Some(sig))) => format!("killed by signal {sig}"),
                None => "unknown status".to_string(),
            };
            let _ = fs::remove_file(&log_path);
            let mut message = runtime::error_message(&json, &stderr, &status);
            if std::mem::take(&mut self.run_at_once_started) {
                message = runtime::as_create_error(message);
            }
            self.fail(message);
            return;
        }
        let _ = fs::remove_file(&log_path);
        self.delete_at_exit = std::mem::take(&mut self.run_at_once_started);
        let pid = pid_file::read(&self.cfg.pid_file);
        let problem = match pid {
            None => Some(format!(
                "OCI runtime did not write a valid pid file {}",
                self.cfg.pid_file.display()
            )),
            Some(_) if self.io.terminal_missing() => {
                Some("OCI runtime did not send the terminal on the console socket".to_string())
            }
            Some(_) => None,
        };
        if let Some(message) = problem {
            if let Some(p) = pid {
                // SAFETY: plain kill(2) of the process the runtime just
                // created; it is our unreaped child, so the pid is not reused.
                unsafe { libc::kill(p, libc::SIGKILL) };
            }
            if self.cfg.mode == MonitorMode::Create {
                let _ = runtime::delete_command(&self.cfg)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
            self.fail(message);
            return;
        }
        self.process_running(pid.unwrap_or_default());
    }

    /// The runtime reported the process `pid`: it runs.
    fn process_running(&mut self, pid: i32) {
        self.pid = pid;
        self.oom = Some(OomWatch::new(pid, self.cfg.cgroup_path.as_deref()));
        self.io.runtime_done();
        self.phase = Phase::Running;
        self.run_deadline = self
            .cfg
            .timeout_secs
            .filter(|&s| s > 0)
            .and_then(|s| Instant::now().checked_add(Duration::from_secs(s)));
        // A new run's health state (`starting`, no failing streak) is
        // written before the run is published: whoever sees the restarted
        // container running sees its fresh state.
        self.stop_requested = false;
        if let Some(h) = &mut self.health {
            h.run_started();
        }
        if self.restarts.in_restart {
            if let Err(message) = self.run_restarted(pid) {
                self.phase = Phase::Creating;
                self.pid = 0;
                self.give_up(message);
                return;
            }
        } else if let Err(e) = self.send_sync(&SyncMsg::Created { pid }) {
            diag::warn(&format!("cannot send Created: {e}"));
        }
        self.sync.close();
        // A restart by `--health-on-failure=restart` is published.
        self.release_health_reply();
        let early = std::mem::take(&mut self.early);
        if let Some(&(_, st)) = early.iter().find(|(p, _)| *p == pid) {
            self.process_exited(st);
        }
        // Attach clients that connected before the process existed get its
        // first bytes: accept them before any output is read.
        self.accept_attaches();
    }

    /// Reports `message` on the sync socket and ends the monitor.
    pub(super) fn fail(&mut self, message: String) {
        if self.restarts.in_restart {
            // No engine is waiting: the last run's exit is the final one.
            self.give_up(message);
            return;
        }
        diag::warn(&format!("start failed: {message}"));
        // Sockets go first: the engine may look as soon as it reads Failed.
        // The sync socket stays open until the process exits, so the
        // engine can wait for that.
        self.remove_sockets();
        let _ = self.send_sync(&SyncMsg::Failed { message });
        self.release_io();
        self.shutdown(1);
    }

    /// Unlinks every socket file this monitor bound.
    pub(super) fn remove_sockets(&mut self) {
        self.io.remove_console();
        self.controls.remove_socket();
        self.attaches.remove_socket();
        if let Some(n) = &self.notify {
            n.remove();
        }
    }
}

/// A pidfd for `pid`, where the kernel has them.
fn open_pidfd(pid: i32) -> Option<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: pidfd_open(2) takes a pid and flags and returns a new
    // descriptor (or -1), which is owned from here on.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    let fd = i32::try_from(fd).ok().filter(|&fd| fd >= 0)?;
    // SAFETY: `fd` was just returned by pidfd_open and is owned by no one
    // else.
    Some(unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate() -> (SyncGate, UnixStream) {
        let (ours, theirs) = UnixStream::pair().unwrap();
        ours.set_nonblocking(true).unwrap();
        (SyncGate::new(ours), theirs)
    }

    #[test]
    fn go_arrives_in_pieces_after_other_messages() {
        let (mut g, mut engine) = gate();
        let mut bytes = encode(&SyncMsg::Created { pid: 1 }).unwrap();
        let go = encode(&SyncMsg::Go).unwrap();
        bytes.extend_from_slice(&go[..2]);
        engine.write_all(&bytes).unwrap();
        assert_eq!(g.read(), GateInput::Nothing);
        assert_eq!(g.next(), GateInput::Nothing, "only Go opens the gate");
        engine.write_all(&go[2..]).unwrap();
        g.read();
        assert_eq!(g.next(), GateInput::Go);
        assert_eq!(g.next(), GateInput::Nothing);
        g.send(&SyncMsg::Created { pid: 7 }).unwrap();
        let mut got = vec![0u8; 256];
        let n = engine.read(&mut got).unwrap();
        assert_eq!(
            decode::<SyncMsg>(&got[4..n]).unwrap(),
            SyncMsg::Created { pid: 7 }
        );
        g.close();
        assert!(g.fd().is_none());
        assert!(g.send(&SyncMsg::Go).is_err());
    }

    #[test]
    fn a_closed_or_oversized_gate_ends_the_wait() {
        let (mut g, engine) = gate();
        drop(engine);
        assert_eq!(g.read(), GateInput::Closed);
        let (mut g, mut engine) = gate();
        engine
            .write_all(&(MAX_SYNC_FRAME as u32 + 1).to_le_bytes())
            .unwrap();
        g.read();
        assert!(matches!(g.next(), GateInput::Broken(_)));
    }
}
