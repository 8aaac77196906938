//! The monitor's state, one single-threaded `Supervisor`, split by
//! concern: the poll loop (`poll`), ...

mod attach;
mod control;
mod exit;
mod health;
mod poll;
mod restart;

use std::fs;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::process::Stdio;
use std::time::{Duration, Instant};

use nix::fcntl::OFlag;
use nix::sys::signal::Signal;
use nix::sys::signalfd::SignalFd;
use nix::sys::wait::WaitStatus;
use nix::unistd::pipe2;
use rpod_proto::attach::{MAX_PACKET, STDERR, STDOUT};
use rpod_proto::frame::encode;
use rpod_proto::{ExitRecord, MonitorConfig, SyncMsg};

use crate::diag;
use crate::fdio::{read_nb, set_nonblocking, write_nb, ReadOutcome};
use crate::logfile::{LogFile, Stream};
use crate::notify::Notify;
use crate::runtime;
use crate::sockets::{accept_stream, receive_fd, stream_listener, BoundPath};
use attach::Attaches;
use control::Controls;
use exit::{code_of, Cleanup, OomWatch};
use health::Health;
use restart::Restarts;

/// Bytes read from the container's output at a time: as much as one attach
/// packet carries after its tag byte (a larger packet would be truncated
/// by the clients' SOCK_SEQPACKET reads).
const READ_CHUNK: usize = MAX_PACKET - 1;
/// Capacity asked for the container's output pipes: a chatty container
/// fills it while the monitor writes the log, so each read takes more and
/// the monitor makes fewer system calls per byte.
const OUTPUT_PIPE_SIZE: libc::c_int = 256 * 1024;
/// How long output is drained after the process exited.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    /// Sockets listen; waiting for `Go` on the sync socket.
    Waiting,
    /// The runtime's create/exec runs.
    Creating,
    /// The container process runs.
    Running,
    /// The process exited; remaining output is delivered.
    Draining,
    /// Waiting out the back-off before the restart policy runs the
    /// runtime again.
    Restarting,
    /// Exit published; runtime delete and cleanup command run.
    Cleanup,
    Done,
}
/// Result of one read from a container output.
enum OutRead {
    Data,
    Idle,
    Closed,
}

struct OutSrc {
    fd: OwnedFd,
    stream: Stream,
}

/// Everything the monitor owns.
pub struct Supervisor {
    cfg: MonitorConfig,
    monitor_pid: i32,
    phase: Phase,
    signals: SignalFd,
    sync: Option<UnixStream>,
    sync_in: Vec<u8>,
    controls: Controls,
    attaches: Attaches,
    console: Option<(UnixListener, BoundPath)>,
    runtime_pid: Option<i32>,
    runtime_stderr: Option<OwnedFd>,
    outputs: Vec<OutSrc>,
    stdin_pipe: Option<OwnedFd>,
    pty: Option<OwnedFd>,
    stdin_pending: Vec<u8>,
    log: Option<LogFile>,
    pid: i32,
    oom: Option<OomWatch>,
    early: Vec<(i32, WaitStatus)>,
    pending_exit: Option<ExitRecord>,
    exit: Option<ExitRecord>,
    stop_deadline: Option<Instant>,
    drain_deadline: Option<Instant>,
    cleanup: Cleanup,
    scratch: Vec<u8>,
    exit_code: i32,
    restarts: Restarts,
    health: Option<Health>,
    notify: Option<Notify>,
}

impl Supervisor {
    pub fn new(
        cfg: MonitorConfig,
        signals: SignalFd,
        sync: UnixStream,
        control: (UnixListener, BoundPath),
        attach: (OwnedFd, BoundPath),
    ) -> Supervisor {
        let restarts = Restarts::for_config(&cfg);
        let health = Health::for_config(&cfg);
        Supervisor {
            cfg,
            monitor_pid: std::process::id() as i32,
            phase: Phase::Waiting,
            signals,
            sync: Some(sync),
            sync_in: Vec::new(),
            controls: Controls::new(control),
            attaches: Attaches::new(attach),
            console: None,
            runtime_pid: None,
            runtime_stderr: None,
            outputs: Vec::new(),
            stdin_pipe: None,
            pty: None,
            stdin_pending: Vec::new(),
            log: None,
            pid: 0,
            oom: None,
            early: Vec::new(),
            pending_exit: None,
            exit: None,
            stop_deadline: None,
            drain_deadline: None,
            cleanup: Cleanup::default(),
            scratch: Vec::new(),
            exit_code: 0,
            restarts,
            health,
            notify: None,
        }
    }

    /// Relays the container's readiness through `notify` (`--sdnotify=container`).
    pub fn with_notify(mut self, notify: Option<Notify>) -> Supervisor {
        self.notify = notify;
        self
    }

    // ---- start gate and runtime ----

    fn send_sync(&mut self, msg: &SyncMsg) -> io::Result<()> {
        let sync = self
            .sync
            .as_mut()
            .ok_or_else(|| io::Error::other("sync socket closed"))?;
        let frame = encode(msg).map_err(io::Error::other)?;
        sync.write_all(&frame)
    }

    fn on_sync(&mut self) {
        let mut buf = [0u8; 512];
        let Some(sync) = self.sync.as_mut() else {
            return;
        };
        match sync.read(&mut buf) {
            Ok(0) => {
                diag::debug("sync socket closed before Go");
                self.shutdown(0);
                return;
            }
            Ok(n) => self.sync_in.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return,
            Err(e) => {
                diag::warn(&format!("sync socket: {e}"));
                self.shutdown(1);
                return;
            }
        }
        while self.sync_in.len() >= 4 && self.phase == Phase::Waiting {
            let len = u32::from_le_bytes([
                self.sync_in[0],
                self.sync_in[1],
                self.sync_in[2],
                self.sync_in[3],
            ]) as usize;
            if len > 4096 {
                self.shutdown(1);
                return;
            }
            if self.sync_in.len() < 4 + len {
                return;
            }
            let msg = rpod_proto::frame::decode::<SyncMsg>(&self.sync_in[4..4 + len]);
            self.sync_in.drain(..4 + len);
            if let Ok(SyncMsg::Go) = msg {
                if let Err(message) = self.start_runtime() {
                    self.fail(message);
                }
            }
        }
    }

    /// Before `Go` the engine went away (or asked us to stop): remove the
    /// sockets and exit.
    fn shutdown(&mut self, code: i32) {
        self.exit_code = code;
        self.phase = Phase::Done;
    }

    fn start_runtime(&mut self) -> Result<(), String> {
        let cfg = &self.cfg;
        if let (Some(path), None) = (&cfg.log_path, &self.log) {
            let log = LogFile::open(path, cfg.log_max_size, cfg.log_max_files)
                .map_err(|e| format!("open log file {}: {e}", path.display()))?;
            self.log = Some(log);
        }
        let pipe = || pipe2(OFlag::O_CLOEXEC).map_err(|e| format!("pipe: {e}"));
        let (stdin, stdout, stderr, console_path);
        if cfg.terminal {
            // Beside the control socket, whose path the engine keeps short:
            // a Unix socket path must fit in 108 bytes.
            let path = cfg
                .socket_path
                .with_extension(format!("pty{}", self.monitor_pid));
            let l = stream_listener(&path).map_err(|e| format!("console socket: {e}"))?;
            self.console = Some(l);
            console_path = Some(path);
            let (r, w) = pipe()?;
            set_nonblocking(&r).map_err(|e| e.to_string())?;
            self.runtime_stderr = Some(r);
            stdin = Stdio::null();
            stdout = Stdio::null();
            stderr = Stdio::from(w);
        } else {
            console_path = None;
            let (or, ow) = pipe()?;
            let (er, ew) = pipe()?;
            for (fd, stream) in [(or, Stream::Stdout), (er, Stream::Stderr)] {
                set_nonblocking(&fd).map_err(|e| e.to_string())?;
                // SAFETY: F_SETPIPE_SZ on a pipe we own; a refusal (e.g.
                // above /proc/sys/fs/pipe-max-size) keeps the default size.
                unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETPIPE_SZ, OUTPUT_PIPE_SIZE) };
                self.outputs.push(OutSrc { fd, stream });
            }
            stdout = Stdio::from(ow);
            stderr = Stdio::from(ew);
            stdin = if cfg.stdin {
                let (r, w) = pipe()?;
                set_nonblocking(&w).map_err(|e| e.to_string())?;
                self.stdin_pipe = Some(w);
                Stdio::from(r)
            } else {
                Stdio::null()
            };
        }
        let log = runtime::log_path(cfg);
        let _ = fs::remove_file(&log);
        let mut cmd = runtime::start_command(cfg, &log, console_path.as_deref());
        cmd.stdin(stdin).stdout(stdout).stderr(stderr);
        let child = cmd
            .spawn()
            .map_err(|e| format!("exec {}: {e}", self.cfg.runtime.display()))?;
        self.runtime_pid = Some(child.id() as i32);
        // The child is reaped by the loop's waitpid(-1); dropping the handle
        // neither waits nor kills.
        drop(child);
        self.phase = Phase::Creating;
        Ok(())
    }

    fn on_console(&mut self) {
        let Some((l, _)) = &self.console else {
            return;
        };
        match accept_stream(l) {
            Ok(Some(conn)) => self.take_console(conn),
            Ok(None) => {}
            Err(e) => diag::warn(&format!("console accept: {e}")),
        }
    }

    fn take_console(&mut self, conn: UnixStream) {
        let got = conn
            .set_nonblocking(false)
            .and_then(|_| conn.set_read_timeout(Some(Duration::from_secs(5))))
            .and_then(|_| receive_fd(&conn));
        match got {
            Ok(master) => {
                if let Err(e) = set_nonblocking(&master) {
                    diag::warn(&format!("pty master: {e}"));
                }
                match master.try_clone() {
                    Ok(dup) => {
                        self.pty = Some(dup);
                        self.outputs.push(OutSrc {
                            fd: master,
                            stream: Stream::Stdout,
                        });
                    }
                    Err(e) => diag::warn(&format!("dup pty master: {e}")),
                }
            }
            Err(e) => diag::warn(&format!("console socket: {e}")),
        }
    }

    fn runtime_exited(&mut self, st: WaitStatus) {
        if self.cfg.terminal && self.pty.is_none() {
            if let Some(conn) = self
                .console
                .as_ref()
                .and_then(|(l, _)| accept_stream(l).ok().flatten())
            {
                self.take_console(conn);
            }
        }
        let log_path = runtime::log_path(&self.cfg);
        let ok = matches!(st, WaitStatus::Exited(_, 0));
        if !ok {
            let json = fs::read(&log_path).unwrap_or_default();
            let mut stderr = Vec::new();
            let errfd = self.runtime_stderr.as_ref().or_else(|| {
                self.outputs
                    .iter()
                    .find(|o| o.stream == Stream::Stderr)
                    .map(|o| &o.fd)
            });
            if let Some(fd) = errfd {
                let mut buf = [0u8; 4096];
                while stderr.len() < 64 * 1024 {
                    match read_nb(fd, &mut buf) {
                        Ok(ReadOutcome::Data(n)) => stderr.extend_from_slice(&buf[..n]),
                        _ => break,
                    }
                }
            }
            let status = match code_of(st) {
                Some((code, None)) => format!("exit status {code}"),
                Some((_, Some(sig))) => format!("killed by signal {sig}"),
                None => "unknown status".to_string(),
            };
            let _ = fs::remove_file(&log_path);
            self.fail(runtime::error_message(&json, &stderr, &status));
            return;
        }
        let _ = fs::remove_file(&log_path);
        self.runtime_stderr = None;
        let pid = match fs::read_to_string(&self.cfg.pid_file) {
            Ok(s) => s.trim().parse::<i32>().ok().filter(|&p| p > 0),
            Err(_) => None,
        };
        let problem = match pid {
            None => Some(format!(
                "OCI runtime did not write a valid pid file {}",
                self.cfg.pid_file.display()
            )),
            Some(_) if self.cfg.terminal && self.pty.is_none() => {
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
            if self.cfg.mode == rpod_proto::MonitorMode::Create {
                let _ = runtime::delete_command(&self.cfg)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
            self.fail(message);
            return;
        }
        let pid = pid.unwrap_or_default();
        self.pid = pid;
        self.oom = Some(OomWatch::new(pid, self.cfg.cgroup_path.as_deref()));
        self.remove_console();
        self.phase = Phase::Running;
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
        self.sync = None;
        if let Some(h) = &mut self.health {
            h.run_started();
        }
        let early = std::mem::take(&mut self.early);
        if let Some(&(_, st)) = early.iter().find(|(p, _)| *p == pid) {
            self.process_exited(st);
        }
        // Attach clients that connected before the process existed get its
        // first bytes: accept them before any output is read.
        self.accept_attaches();
    }

    /// Reports `message` on the sync socket and ends the monitor.
    fn fail(&mut self, message: String) {
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
        self.outputs.clear();
        self.stdin_pipe = None;
        self.pty = None;
        self.remove_console();
        self.shutdown(1);
    }

    fn remove_console(&mut self) {
        if let Some((_, bound)) = self.console.take() {
            bound.remove();
        }
    }

    fn remove_sockets(&mut self) {
        self.remove_console();
        self.controls.remove_socket();
        self.attaches.remove_socket();
        if let Some(n) = &self.notify {
            n.remove();
        }
    }

    // ---- output ----

    fn output_paused(&self) -> bool {
        self.attaches.paused()
    }

    /// The buffer for one packet (output or attach input), taken out of
    /// `self` while it is filled; put back by the caller.
    fn take_scratch(&mut self) -> Vec<u8> {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.resize(MAX_PACKET.max(READ_CHUNK + 1), 0);
        scratch
    }

    /// Reads one chunk from output `i`, removing it at end of stream.
    fn read_output(&mut self, i: usize) -> OutRead {
        if i >= self.outputs.len() {
            return OutRead::Closed;
        }
        let mut scratch = self.take_scratch();
        let src = &self.outputs[i];
        let stream = src.stream;
        let res = read_nb(&src.fd, &mut scratch[1..=READ_CHUNK]);
        let outcome = match res {
            Ok(ReadOutcome::Data(n)) => {
                self.fan_out(stream, &mut scratch[..=n]);
                OutRead::Data
            }
            Ok(ReadOutcome::WouldBlock) => OutRead::Idle,
            Ok(ReadOutcome::Eof) | Err(_) => {
                self.outputs.remove(i);
                OutRead::Closed
            }
        };
        self.scratch = scratch;
        outcome
    }

    /// Writes `packet[1..]` to the log and sends the packet (tag in
    /// `packet[0]`) to every attach client.
    fn fan_out(&mut self, stream: Stream, packet: &mut [u8]) {
        if let Some(log) = &mut self.log {
            if let Err(e) = log.write_output(stream, &packet[1..]) {
                diag::warn(&format!("log write: {e}"));
            }
        }
        packet[0] = match stream {
            Stream::Stdout => STDOUT,
            Stream::Stderr => STDERR,
        };
        self.attaches.broadcast(packet);
    }

    /// After exit: read what the process left behind, then publish. An
    /// output is done when it would block (an orphan still holding it open
    /// cannot keep the monitor) or ends; everything is bounded by the
    /// drain deadline.
    fn drain(&mut self) {
        let deadline = self.drain_deadline.unwrap_or_else(Instant::now);
        let mut i = 0;
        while i < self.outputs.len() && !self.output_paused() && Instant::now() < deadline {
            match self.read_output(i) {
                OutRead::Data => {}
                OutRead::Idle => {
                    self.outputs.remove(i);
                }
                OutRead::Closed => {}
            }
            if i < self.outputs.len() && self.output_paused() {
                i += 1;
            }
        }
        let flushed = self.attaches.flushed();
        if Instant::now() >= deadline || (self.outputs.is_empty() && flushed) {
            self.finish_exit();
        }
    }

    // ---- stdin ----

    fn stdin_fd(&self) -> Option<BorrowedFd<'_>> {
        if self.cfg.terminal {
            self.pty.as_ref().map(|f| f.as_fd())
        } else {
            self.stdin_pipe.as_ref().map(|f| f.as_fd())
        }
    }

    fn write_stdin(&mut self) {
        while !self.stdin_pending.is_empty() {
            let Some(fd) = self.stdin_fd() else {
                self.stdin_pending.clear();
                break;
            };
            match write_nb(fd, &self.stdin_pending) {
                Ok(Some(n)) => {
                    self.stdin_pending.drain(..n);
                }
                Ok(None) => break,
                Err(_) => {
                    self.close_stdin();
                    break;
                }
            }
        }
        if self.stdin_pending.is_empty() && self.stdin_pending.capacity() > MAX_PACKET {
            self.stdin_pending = Vec::new();
        }
    }

    /// End of input: close the stdin pipe (a PTY stays open, the terminal
    /// lives as long as the container).
    fn close_stdin(&mut self) {
        self.stdin_pipe = None;
        self.stdin_pending = Vec::new();
    }

    fn resize(&self, rows: u16, cols: u16) -> io::Result<()> {
        let pty = self
            .pty
            .as_ref()
            .ok_or_else(|| io::Error::other("the terminal is not available"))?;
        let ws = libc::winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCSWINSZ reads one winsize struct from the pointer,
        // which points at a live local for the duration of the call.
        if unsafe { libc::ioctl(pty.as_raw_fd(), libc::TIOCSWINSZ, &ws) } == -1 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

/// Signals the monitor handles through its signalfd.
pub fn handled_signals() -> [Signal; 4] {
    [
        Signal::SIGCHLD,
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
    ]
}
