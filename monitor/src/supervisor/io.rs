//! The container's stdio for one run, as one of two modes: a terminal
//! (the PTY master the runtime sends on the console socket carries output,
//! input and the window size) or pipes (stdout, stderr, optional stdin).
//! Output goes to the log and the attach clients; attach input goes to
//! stdin; after the exit the remaining output is drained.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use nix::fcntl::OFlag;
use nix::unistd::pipe2;
use rpod_proto::attach::{MAX_PACKET, STDERR, STDOUT};
use rpod_proto::MonitorConfig;

use super::Supervisor;
use crate::diag;
use crate::fdio::{read_nb, set_nonblocking, write_nb, ReadOutcome};
use crate::logfile::Stream;
use crate::sockets::{accept_stream, receive_fd, stream_listener, BoundPath};

/// Bytes read from the container's output at a time: as much as one attach
/// packet carries after its tag byte (a larger packet would be truncated
/// by the clients' SOCK_SEQPACKET reads).
const READ_CHUNK: usize = MAX_PACKET - 1;
/// Capacity asked for the container's output pipes: a chatty container
/// fills it while the monitor writes the log, so each read takes more and
/// the monitor makes fewer system calls per byte.
const OUTPUT_PIPE_SIZE: libc::c_int = 256 * 1024;
/// How much of the runtime's stderr is kept for its error message.
const MAX_RUNTIME_STDERR: usize = 64 * 1024;

/// How the container's stdio is connected.
pub(super) enum ContainerIo {
    /// No run yet, or the run's stdio has been released.
    Closed,
    Terminal(Terminal),
    Pipes(Pipes),
}

/// `--tty`: one PTY, whose master arrives after `runtime create`.
pub(super) struct Terminal {
    /// Where the runtime sends the master; removed once the process runs.
    console: Option<(UnixListener, BoundPath)>,
    /// The runtime's own stderr, for its error message (the container's
    /// output goes to the terminal).
    runtime_stderr: Option<OwnedFd>,
    master: Option<OwnedFd>,
    /// The master still yields output. After its end (EIO once the
    /// process is gone) it stays open for input and resizes until the run
    /// is released.
    output_open: bool,
}

/// Without a terminal: the read ends of stdout and stderr (also the
/// runtime's), the write end of stdin when the container keeps it open.
pub(super) struct Pipes {
    stdout: Option<OwnedFd>,
    stderr: Option<OwnedFd>,
    stdin: Option<OwnedFd>,
}

/// The runtime's (and so the container's) ends of the stdio.
pub(super) struct ChildStdio {
    pub(super) stdin: Stdio,
    pub(super) stdout: Stdio,
    pub(super) stderr: Stdio,
    /// `--console-socket` for the runtime.
    pub(super) console: Option<PathBuf>,
}

/// Result of one read from a container output.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum OutRead {
    /// This many bytes were read.
    Data(usize),
    /// Nothing to read now.
    Idle,
    /// The output ended (and is closed now).
    Closed,
}

fn pipe() -> Result<(OwnedFd, OwnedFd), String> {
    pipe2(OFlag::O_CLOEXEC).map_err(|e| format!("pipe: {e}"))
}

fn nonblocking(fd: &OwnedFd) -> Result<(), String> {
    set_nonblocking(fd).map_err(|e| e.to_string())
}

impl ContainerIo {
    /// Sets up the stdio of a run as `cfg` asks (`terminal`, `stdin`);
    /// the console socket, when there is one, is bound beside the control
    /// socket, whose path the engine keeps short (a Unix socket path must
    /// fit in 108 bytes).
    pub(super) fn open(
        cfg: &MonitorConfig,
        monitor_pid: i32,
    ) -> Result<(ContainerIo, ChildStdio), String> {
        if cfg.terminal {
            let (r, w) = pipe()?;
            nonblocking(&r)?;
            let path = cfg.socket_path.with_extension(format!("pty{monitor_pid}"));
            let console = stream_listener(&path).map_err(|e| format!("console socket: {e}"))?;
            let io = ContainerIo::Terminal(Terminal {
                console: Some(console),
                runtime_stderr: Some(r),
                master: None,
                output_open: false,
            });
            let child = ChildStdio {
                stdin: Stdio::null(),
                stdout: Stdio::null(),
                stderr: Stdio::from(w),
                console: Some(path),
            };
            Ok((io, child))
        } else {
            let (pipes, [stdin, stdout, stderr]) = Pipes::open(cfg.stdin)?;
            let child = ChildStdio {
                stdin: stdin.map_or_else(Stdio::null, Stdio::from),
                stdout: stdout.map_or_else(Stdio::null, Stdio::from),
                stderr: stderr.map_or_else(Stdio::null, Stdio::from),
                console: None,
            };
            Ok((ContainerIo::Pipes(pipes), child))
        }
    }

    /// The console listener, while the terminal has not arrived.
    pub(super) fn console_fd(&self) -> Option<BorrowedFd<'_>> {
        match self {
            ContainerIo::Terminal(Terminal {
                console: Some((l, _)),
                master: None,
                ..
            }) => Some(l.as_fd()),
            _ => None,
        }
    }

    /// Takes the PTY master if the runtime has connected to the console
    /// socket.
    pub(super) fn accept_console(&mut self) {
        let ContainerIo::Terminal(t) = self else {
            return;
        };
        let Some((l, _)) = &t.console else {
            return;
        };
        if t.master.is_some() {
            return;
        }
        match accept_stream(l) {
            Ok(Some(conn)) => t.take_master(&conn),
            Ok(None) => {}
            Err(e) => diag::warn(&format!("console accept: {e}")),
        }
    }

    /// A terminal was asked for and has not arrived.
    pub(super) fn terminal_missing(&self) -> bool {
        matches!(self, ContainerIo::Terminal(Terminal { master: None, .. }))
    }

    /// What the runtime wrote to its stderr (bounded), for its error
    /// message after a failed create/exec.
    pub(super) fn runtime_stderr(&self) -> Vec<u8> {
        let fd = match self {
            ContainerIo::Terminal(t) => t.runtime_stderr.as_ref(),
            ContainerIo::Pipes(p) => p.stderr.as_ref(),
            ContainerIo::Closed => None,
        };
        let mut out = Vec::new();
        if let Some(fd) = fd {
            let mut buf = [0u8; 4096];
            while out.len() < MAX_RUNTIME_STDERR {
                match read_nb(fd, &mut buf) {
                    Ok(ReadOutcome::Data(n)) => out.extend_from_slice(&buf[..n]),
                    _ => break,
                }
            }
        }
        out
    }

    /// The runtime is done: its own stderr and the console socket go.
    pub(super) fn runtime_done(&mut self) {
        if let ContainerIo::Terminal(t) = self {
            t.runtime_stderr = None;
        }
        self.remove_console();
    }

    /// Unlinks and closes the console socket, if any.
    pub(super) fn remove_console(&mut self) {
        if let ContainerIo::Terminal(t) = self {
            if let Some((_, bound)) = t.console.take() {
                bound.remove();
            }
        }
    }

    /// Closes everything of the run (output, stdin, terminal, console).
    pub(super) fn release(&mut self) {
        self.remove_console();
        *self = ContainerIo::Closed;
    }

    /// The outputs still open, in the order they are read.
    pub(super) fn outputs(&self) -> impl Iterator<Item = (Stream, BorrowedFd<'_>)> {
        let (a, b) = match self {
            ContainerIo::Terminal(t) => (t.master.as_ref().filter(|_| t.output_open), None),
            ContainerIo::Pipes(p) => (p.stdout.as_ref(), p.stderr.as_ref()),
            ContainerIo::Closed => (None, None),
        };
        let a = a.map(|fd| (Stream::Stdout, fd.as_fd()));
        let b = b.map(|fd| (Stream::Stderr, fd.as_fd()));
        a.into_iter().chain(b)
    }

    /// The first output still open.
    pub(super) fn first_output(&self) -> Option<Stream> {
        self.outputs().next().map(|(s, _)| s)
    }

    /// Reads once from output `stream` into `buf`, closing it at its end.
    pub(super) fn read(&mut self, stream: Stream, buf: &mut [u8]) -> OutRead {
        let Some(fd) = self.outputs().find(|(s, _)| *s == stream).map(|(_, fd)| fd) else {
            return OutRead::Closed;
        };
        match read_nb(fd, buf) {
            Ok(ReadOutcome::Data(n)) => OutRead::Data(n),
            Ok(ReadOutcome::WouldBlock) => OutRead::Idle,
            Ok(ReadOutcome::Eof) | Err(_) => {
                self.close_output(stream);
                OutRead::Closed
            }
        }
    }

    /// Stops reading output `stream`.
    pub(super) fn close_output(&mut self, stream: Stream) {
        match (self, stream) {
            (ContainerIo::Terminal(t), Stream::Stdout) => t.output_open = false,
            (ContainerIo::Pipes(p), Stream::Stdout) => p.stdout = None,
            (ContainerIo::Pipes(p), Stream::Stderr) => p.stderr = None,
            _ => {}
        }
    }

    /// Where attach input goes: the terminal, or the stdin pipe.
    pub(super) fn stdin_fd(&self) -> Option<BorrowedFd<'_>> {
        match self {
            ContainerIo::Terminal(t) => t.master.as_ref().map(|f| f.as_fd()),
            ContainerIo::Pipes(p) => p.stdin.as_ref().map(|f| f.as_fd()),
            ContainerIo::Closed => None,
        }
    }

    /// Writes as much of `pending` as the container takes now; on a
    /// write error stdin is closed and the rest dropped.
    pub(super) fn write_stdin(&mut self, pending: &mut Vec<u8>) {
        while !pending.is_empty() {
            let Some(fd) = self.stdin_fd() else {
                pending.clear();
                break;
            };
            match write_nb(fd, pending) {
                Ok(Some(n)) => {
                    pending.drain(..n);
                }
                Ok(None) => break,
                Err(_) => {
                    self.close_stdin();
                    pending.clear();
                    break;
                }
            }
        }
    }

    /// End of input: closes the stdin pipe. A terminal stays open: it
    /// lives as long as the container.
    pub(super) fn close_stdin(&mut self) {
        if let ContainerIo::Pipes(p) = self {
            p.stdin = None;
        }
    }

    /// Sets the terminal's window size.
    pub(super) fn resize(&self, rows: u16, cols: u16) -> io::Result<()> {
        let master = match self {
            ContainerIo::Terminal(Terminal {
                master: Some(m), ..
            }) => m,
            _ => return Err(io::Error::other("the terminal is not available")),
        };
        let ws = libc::winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCSWINSZ reads one winsize struct from the pointer,
        // which points at a live local for the duration of the call.
        if unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCSWINSZ, &ws) } == -1 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

impl Terminal {
    /// Receives the master on a console-socket connection.
    fn take_master(&mut self, conn: &UnixStream) {
        let got = conn
            .set_nonblocking(false)
            .and_then(|_| conn.set_read_timeout(Some(Duration::from_secs(5))))
            .and_then(|_| receive_fd(conn));
        match got {
            Ok(master) => {
                if let Err(e) = set_nonblocking(&master) {
                    diag::warn(&format!("pty master: {e}"));
                }
                self.master = Some(master);
                self.output_open = true;
            }
            Err(e) => diag::warn(&format!("console socket: {e}")),
        }
    }
}

impl Pipes {
    /// Our ends, and the child's `[stdin, stdout, stderr]` ends (stdin
    /// `None`: /dev/null).
    fn open(stdin: bool) -> Result<(Pipes, [Option<OwnedFd>; 3]), String> {
        let (or, ow) = pipe()?;
        let (er, ew) = pipe()?;
        for fd in [&or, &er] {
            nonblocking(fd)?;
            // SAFETY: F_SETPIPE_SZ on a pipe we own; a refusal (e.g.
            // above /proc/sys/fs/pipe-max-size) keeps the default size.
            unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETPIPE_SZ, OUTPUT_PIPE_SIZE) };
        }
        let (stdin_ours, stdin_theirs) = if stdin {
            let (r, w) = pipe()?;
            nonblocking(&w)?;
            (Some(w), Some(r))
        } else {
            (None, None)
        };
        let pipes = Pipes {
            stdout: Some(or),
            stderr: Some(er),
            stdin: stdin_ours,
        };
        Ok((pipes, [stdin_theirs, Some(ow), Some(ew)]))
    }
}

impl Supervisor {
    /// Whether an attach client is so far behind that output must wait.
    pub(super) fn output_paused(&self) -> bool {
        self.attaches.paused()
    }

    /// The buffer for one packet (output or attach input), taken out of
    /// `self` while it is filled; put back by the caller.
    pub(super) fn take_scratch(&mut self) -> Vec<u8> {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.resize(MAX_PACKET.max(READ_CHUNK + 1), 0);
        scratch
    }

    /// Reads one chunk of output `stream` and hands it on.
    pub(super) fn read_output(&mut self, stream: Stream) -> OutRead {
        let mut scratch = self.take_scratch();
        let res = self.io.read(stream, &mut scratch[1..=READ_CHUNK]);
        if let OutRead::Data(n) = res {
            self.fan_out(stream, &mut scratch[..=n]);
        }
        self.scratch = scratch;
        res
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
    pub(super) fn drain(&mut self) {
        let deadline = self.drain_deadline.unwrap_or_else(Instant::now);
        while let Some(stream) = self.io.first_output() {
            if self.output_paused() || Instant::now() >= deadline {
                break;
            }
            if self.read_output(stream) == OutRead::Idle {
                self.io.close_output(stream);
            }
        }
        let drained = self.io.first_output().is_none() && self.attaches.flushed();
        if drained || Instant::now() >= deadline {
            self.finish_exit();
        }
    }

    /// Queues attach input for the container's stdin and writes what it
    /// takes now.
    pub(super) fn queue_stdin(&mut self, data: &[u8]) {
        self.stdin_pending.extend_from_slice(data);
        self.write_stdin();
    }

    /// The container's stdin can take more: write what is queued.
    pub(super) fn write_stdin(&mut self) {
        self.io.write_stdin(&mut self.stdin_pending);
        if self.stdin_pending.is_empty() && self.stdin_pending.capacity() > MAX_PACKET {
            self.stdin_pending = Vec::new();
        }
    }

    /// End of input: queued input is dropped, the stdin pipe closed.
    pub(super) fn close_stdin(&mut self) {
        self.io.close_stdin();
        self.stdin_pending = Vec::new();
    }

    /// Releases the run's stdio (exit, restart, failed start).
    pub(super) fn release_io(&mut self) {
        self.io.release();
        self.stdin_pending = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    fn file(fd: OwnedFd) -> std::fs::File {
        std::fs::File::from(fd)
    }

    #[test]
    fn pipes_carry_stdout_stderr_and_stdin() {
        let (pipes, [stdin, stdout, stderr]) = Pipes::open(true).unwrap();
        let mut io = ContainerIo::Pipes(pipes);
        let streams: Vec<Stream> = io.outputs().map(|(s, _)| s).collect();
        assert_eq!(streams, [Stream::Stdout, Stream::Stderr]);
        let mut buf = [0u8; 64];
        assert_eq!(io.read(Stream::Stdout, &mut buf), OutRead::Idle);
        file(stdout.unwrap()).write_all(b"out").unwrap();
        assert_eq!(io.read(Stream::Stdout, &mut buf), OutRead::Data(3));
        assert_eq!(&buf[..3], b"out");
        assert_eq!(io.read(Stream::Stdout, &mut buf), OutRead::Closed);
        let streams: Vec<Stream> = io.outputs().map(|(s, _)| s).collect();
        assert_eq!(streams, [Stream::Stderr], "an ended output is closed");
        file(stderr.unwrap()).write_all(b"err").unwrap();
        assert_eq!(io.runtime_stderr(), b"err");

        let mut pending = b"in".to_vec();
        io.write_stdin(&mut pending);
        assert!(pending.is_empty());
        io.close_stdin();
        assert!(io.stdin_fd().is_none());
        let mut got = Vec::new();
        file(stdin.unwrap()).read_to_end(&mut got).unwrap();
        assert_eq!(got, b"in", "the container reads its input, then EOF");
        assert!(io.resize(24, 80).is_err(), "pipes have no window");
        assert!(!io.terminal_missing());
    }

    #[test]
    fn pipes_without_stdin_give_the_child_dev_null() {
        let (pipes, [stdin, _, _]) = Pipes::open(false).unwrap();
        assert!(stdin.is_none());
        let mut io = ContainerIo::Pipes(pipes);
        assert!(io.stdin_fd().is_none());
        let mut pending = b"dropped".to_vec();
        io.write_stdin(&mut pending);
        assert!(pending.is_empty(), "input without a stdin is dropped");
    }

    #[test]
    fn a_terminal_is_output_input_and_window_in_one() {
        let pty = nix::pty::openpty(None, None).unwrap();
        set_nonblocking(&pty.master).unwrap();
        let mut io = ContainerIo::Terminal(Terminal {
            console: None,
            runtime_stderr: None,
            master: None,
            output_open: false,
        });
        assert!(io.terminal_missing());
        assert!(io.resize(24, 80).is_err());
        if let ContainerIo::Terminal(t) = &mut io {
            t.master = Some(pty.master);
            t.output_open = true;
        }
        assert!(!io.terminal_missing());
        let streams: Vec<Stream> = io.outputs().map(|(s, _)| s).collect();
        assert_eq!(streams, [Stream::Stdout], "one stream: the terminal");
        io.resize(33, 101).unwrap();
        let mut ws = libc::winsize {
            ws_row: 0,
            ws_col: 0,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCGWINSZ writes one winsize struct to the pointer, a
        // live local; the slave is an open descriptor we own.
        let r = unsafe { libc::ioctl(pty.slave.as_raw_fd(), libc::TIOCGWINSZ, &mut ws) };
        assert_eq!((r, ws.ws_row, ws.ws_col), (0, 33, 101));

        let mut pending = b"x\n".to_vec();
        io.write_stdin(&mut pending);
        assert!(pending.is_empty());
        io.close_stdin();
        assert!(io.stdin_fd().is_some(), "the terminal stays for input");

        drop(pty.slave);
        let mut buf = [0u8; 64];
        while let OutRead::Data(_) = io.read(Stream::Stdout, &mut buf) {}
        assert_eq!(io.outputs().count(), 0, "output ended with the slave");
        assert!(io.stdin_fd().is_some() && io.resize(24, 80).is_ok());
        io.release();
        assert!(matches!(io, ContainerIo::Closed));
        assert!(io.stdin_fd().is_none());
    }
}
