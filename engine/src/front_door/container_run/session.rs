//! [`AttachSession`] over a monitor: its attach socket carries the
//! process's output and input, its control socket resizes, signals and
//! reports the exit. Both are connected before the process starts, so no
//! output and no exit is missed.

use std::os::fd::{AsFd, AsRawFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use nix::errno::Errno;
use nix::sys::socket::{send, shutdown, MsgFlags, Shutdown};
use rpod_api::container_run::{
    AttachControl, AttachEnd, AttachInput, AttachOutput, AttachSession, SessionInfo,
};
use rpod_api::Error;
use rpod_proto::attach::{DETACH, MAX_PACKET, STDERR, STDIN, STDOUT};
use rpod_proto::ExitRecord;

use crate::container::{ContainerError, ContainerHandle, ExecSession};
use crate::front_door::error::other;
use crate::monitor::{AttachStream, MonitorClient, MonitorError, Packet};

/// The exit, and the control connection it came on when that connection
/// holds the cleanup back.
type Waiter = std::thread::JoinHandle<Result<(ExitRecord, Option<MonitorClient>), MonitorError>>;

/// A process attached through its monitor's sockets.
pub(crate) struct MonitorSession {
    info: SessionInfo,
    stream: Arc<AttachStream>,
    control_socket: PathBuf,
    waiter: Option<Waiter>,
    detached: Arc<AtomicBool>,
    input_taken: bool,
    buf: Vec<u8>,
    /// The error that broke the output stream: the exit is not awaited.
    failed: Option<Error>,
    /// An exec session's files live as long as its attach.
    exec: Option<ExecSession>,
    /// `--rm`: the container removed once its process has exited.
    remove: Option<ContainerHandle>,
    /// The control connection holding the monitor's cleanup back while
    /// this session removes the container (`--rm`).
    cleanup_hold: Option<MonitorClient>,
}

/// Whether the session removes the container after the exit itself, and
/// so holds the monitor's cleanup command back meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CleanupBy {
    Monitor,
    Session,
}

impl CleanupBy {
    /// The session removes a `--rm` container after its exit.
    pub(crate) fn removing(remove: bool) -> CleanupBy {
        if remove {
            CleanupBy::Session
        } else {
            CleanupBy::Monitor
        }
    }
}

impl MonitorSession {
    /// Connects to the monitor's attach and control sockets; sets the
    /// terminal to `size` when the monitor has one already.
    pub(crate) fn connect(
        info: SessionInfo,
        attach_socket: &Path,
        control_socket: &Path,
        size: Option<(u16, u16)>,
        cleanup: CleanupBy,
    ) -> Result<MonitorSession, Error> {
        let stream = AttachStream::connect(attach_socket).map_err(|e| other(&e))?;
        let mut ctl = MonitorClient::connect(control_socket).map_err(|e| other(&e))?;
        if let (true, Some((rows, cols))) = (info.tty, size) {
            // A failed resize only leaves the default size (an exec's
            // terminal exists only once started: see `resize`).
            let _ = ctl.resize(rows, cols);
        }
        if cleanup == CleanupBy::Session {
            // Held before the process runs, so even the quickest exit
            // finds it. An older monitor runs its cleanup as before.
            if let Err(e) = ctl.hold_cleanup() {
                tracing::debug!("holding the monitor's cleanup: {e}");
            }
        }
        // A holding connection outlives the exit, until the removal is done.
        let hold = cleanup == CleanupBy::Session;
        let waiter =
            std::thread::spawn(move || ctl.wait_exit().map(|exit| (exit, hold.then_some(ctl))));
        Ok(MonitorSession {
            info,
            stream: Arc::new(stream),
            control_socket: control_socket.to_path_buf(),
            waiter: Some(waiter),
            detached: Arc::new(AtomicBool::new(false)),
            input_taken: false,
            buf: vec![0u8; MAX_PACKET],
            failed: None,
            exec: None,
            remove: None,
            cleanup_hold: None,
        })
    }

    /// Keeps `exec` (its files) until the session ends.
    pub(crate) fn keep_exec(&mut self, exec: ExecSession) {
        self.exec = Some(exec);
    }

    /// Removes the container once its process has exited (`--rm`).
    pub(crate) fn remove_on_exit(&mut self, handle: ContainerHandle) {
        self.remove = Some(handle);
    }

    /// Sets the terminal to `size` (once the process's terminal exists).
    pub(crate) fn resize(&self, size: Option<(u16, u16)>) {
        if let (true, Some(size)) = (self.info.tty, size) {
            if let Err(e) = self.control().resize(size) {
                tracing::debug!("resizing the container terminal: {e}");
            }
        }
    }

    fn wait_exit(&mut self) -> Result<i32, Error> {
        let waiter = self
            .waiter
            .take()
            .ok_or_else(|| Error::other("waiting for the exit failed"))?;
        let (exit, ctl) = waiter
            .join()
            .map_err(|_| Error::other("waiting for the exit failed"))?
            .map_err(|e| other(&e))?;
        self.cleanup_hold = ctl;
        Ok(exit.code)
    }
}

#[async_trait]
impl AttachSession for MonitorSession {
    fn info(&self) -> &SessionInfo {
        &self.info
    }

    fn take_input(&mut self) -> Option<Box<dyn AttachInput>> {
        if !self.info.stdin || self.input_taken {
            return None;
        }
        self.input_taken = true;
        Some(Box::new(MonitorInput {
            stream: self.stream.clone(),
            detached: self.detached.clone(),
        }))
    }

    fn control(&self) -> Box<dyn AttachControl> {
        Box::new(MonitorControl {
            control_socket: self.control_socket.clone(),
        })
    }

    fn next_output(&mut self) -> rpod_api::Result<Option<AttachOutput>> {
        loop {
            match self.stream.recv(&mut self.buf) {
                Ok(Packet::Eof) => return Ok(None),
                Ok(Packet::Output { tag, len }) => {
                    let data = self.buf[1..=len].to_vec();
                    match tag {
                        STDOUT => return Ok(Some(AttachOutput::Stdout(data))),
                        STDERR => return Ok(Some(AttachOutput::Stderr(data))),
                        _ => {}
                    }
                }
                Err(e) => {
                    let e = other(&e);
                    self.failed = Some(e.clone());
                    return Err(e);
                }
            }
        }
    }

    async fn finish(mut self: Box<Self>) -> rpod_api::Result<AttachEnd> {
        if self.detached.load(Ordering::SeqCst) {
            return Ok(AttachEnd::Detached);
        }
        let end = match self.failed.take() {
            Some(e) => Err(e),
            None => self.wait_exit().map(AttachEnd::Exited),
        };
        if let Some(handle) = self.remove.take() {
            let removed = discard(&handle).await;
            self.release_cleanup(removed);
        }
        end
    }

    async fn abandon(mut self: Box<Self>) {
        if let Some(handle) = self.remove.take() {
            let removed = discard(&handle).await;
            self.release_cleanup(removed);
        }
    }
}

impl MonitorSession {
    /// Lets the monitor's cleanup go: skipped when this session removed
    /// the container, run when it did not (the connection closes).
    fn release_cleanup(&mut self, removed: bool) {
        if let (true, Some(mut ctl)) = (removed, self.cleanup_hold.take()) {
            if let Err(e) = ctl.cleanup_done() {
                tracing::debug!("telling the monitor the container is removed: {e}");
            }
        }
    }
}

/// `--rm`: the container (with its anonymous volumes) goes once it has
/// exited, whoever gets there first (this request or the monitor's cleanup).
/// Returns whether it is gone.
pub(crate) async fn discard(handle: &ContainerHandle) -> bool {
    match handle.remove_with_volumes(true, Some(0)).await {
        Ok(_) | Err(ContainerError::NotFound(_)) => true,
        Err(e) => {
            tracing::warn!("removing container {}: {e}", handle.id);
            false
        }
    }
}

/// The process's stdin over the attach socket.
struct MonitorInput {
    stream: Arc<AttachStream>,
    detached: Arc<AtomicBool>,
}

impl MonitorInput {
    /// Sends `data` as packets of `tag`; a closed peer drops them.
    fn send_packets(&self, tag: u8, data: &[u8]) -> rpod_api::Result<()> {
        let mut chunks: Vec<&[u8]> = data.chunks(MAX_PACKET - 1).collect();
        if chunks.is_empty() {
            chunks.push(&[]);
        }
        for chunk in chunks {
            let mut pkt = Vec::with_capacity(chunk.len() + 1);
            pkt.push(tag);
            pkt.extend_from_slice(chunk);
            loop {
                match send(
                    self.stream.as_fd().as_raw_fd(),
                    &pkt,
                    MsgFlags::MSG_NOSIGNAL,
                ) {
                    Ok(_) => break,
                    Err(Errno::EINTR) => continue,
                    // The monitor no longer reads (the process is gone).
                    Err(Errno::EPIPE | Errno::ECONNRESET) => return Ok(()),
                    Err(e) => {
                        return Err(Error::other(format!("send to attach socket: {e}")));
                    }
                }
            }
        }
        Ok(())
    }
}

impl AttachInput for MonitorInput {
    fn send(&mut self, data: &[u8]) -> rpod_api::Result<()> {
        self.send_packets(STDIN, data)
    }

    fn close(&mut self) -> rpod_api::Result<()> {
        // The monitor may already have closed its end.
        let _ = shutdown(self.stream.as_fd().as_raw_fd(), Shutdown::Write);
        Ok(())
    }

    fn detach(&mut self) -> rpod_api::Result<()> {
        self.detached.store(true, Ordering::SeqCst);
        let sent = self.send_packets(DETACH, &[]);
        // Ends the output stream: the reader sees its end.
        let _ = shutdown(self.stream.as_fd().as_raw_fd(), Shutdown::Both);
        sent
    }
}

/// Resizes and signals through the monitor's control socket.
struct MonitorControl {
    control_socket: PathBuf,
}

impl AttachControl for MonitorControl {
    fn resize(&self, (rows, cols): (u16, u16)) -> rpod_api::Result<()> {
        MonitorClient::connect(&self.control_socket)
            .and_then(|mut c| c.resize(rows, cols))
            .map_err(|e| other(&e))
    }

    fn signal(&self, signal: i32) -> rpod_api::Result<()> {
        MonitorClient::connect(&self.control_socket)
            .and_then(|mut c| c.kill(signal))
            .map_err(|e| other(&e))
    }
}
