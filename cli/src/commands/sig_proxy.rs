//! `--sig-proxy` and terminal resizes while attached: signals this CLI
//! receives are forwarded to the container's (or exec's) process through
//! its monitor's `Kill` request, as Podman forwards them through conmon;
//! SIGWINCH also resizes the container's terminal (`Resize`).

use std::os::fd::AsFd;
use std::path::PathBuf;

use rpod_engine::monitor::{self, MonitorClient};
use signal_hook::iterator::{Handle, Signals};

/// Signals never forwarded: meant for this process (SIGCHLD, SIGPIPE,
/// SIGURG, as Podman), impossible to catch (SIGKILL, SIGSTOP), or
/// synchronous faults of this process (SIGILL, SIGFPE, SIGSEGV, SIGBUS).
const NOT_FORWARDED: &[i32] = &[
    libc::SIGCHLD,
    libc::SIGPIPE,
    libc::SIGURG,
    libc::SIGKILL,
    libc::SIGSTOP,
    libc::SIGILL,
    libc::SIGFPE,
    libc::SIGSEGV,
    libc::SIGBUS,
];

/// A running forwarder; stops when dropped.
pub struct SignalForwarder {
    handle: Handle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SignalForwarder {
    /// Starts forwarding to the process behind `control_socket`: every
    /// signal when `proxy`, and terminal resizes when `tty`. `None` when
    /// there is nothing to do.
    pub fn start(control_socket: PathBuf, proxy: bool, tty: bool) -> Option<SignalForwarder> {
        let wanted: Vec<i32> = if proxy {
            // 32 and 33 are the C library's own (glibc refuses them).
            (1..32)
                .chain(libc::SIGRTMIN()..=libc::SIGRTMAX())
                .filter(|s| !NOT_FORWARDED.contains(s))
                .collect()
        } else if tty {
            vec![libc::SIGWINCH]
        } else {
            return None;
        };
        let mut signals = match Signals::new(wanted) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("cannot proxy signals: {e}");
                return None;
            }
        };
        let handle = signals.handle();
        let thread = std::thread::spawn(move || {
            for sig in signals.forever() {
                if sig == libc::SIGWINCH && tty {
                    resize_to_terminal(&control_socket);
                    if !proxy {
                        continue;
                    }
                }
                let sent = MonitorClient::connect(&control_socket).and_then(|mut c| c.kill(sig));
                if let Err(e) = sent {
                    // The process is gone: nothing left to forward to.
                    tracing::info!("ceasing signal forwarding: {e}");
                    break;
                }
                tracing::debug!(signal = sig, "forwarded signal");
            }
        });
        Some(SignalForwarder {
            handle,
            thread: Some(thread),
        })
    }
}

impl Drop for SignalForwarder {
    fn drop(&mut self) {
        self.handle.close();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The caller's terminal size: of stdin, else of stdout (Podman reads the
/// terminal the user types in).
pub fn caller_terminal_size() -> Option<(u16, u16)> {
    monitor::terminal_size(std::io::stdin().as_fd())
        .or_else(|| monitor::terminal_size(std::io::stdout().as_fd()))
        .filter(|(rows, cols)| *rows > 0 && *cols > 0)
}

/// Sets the container terminal behind `control_socket` to the caller's
/// size. A failure only leaves the previous size.
pub fn resize_to_terminal(control_socket: &std::path::Path) {
    if let Some((rows, cols)) = caller_terminal_size() {
        let res = MonitorClient::connect(control_socket).and_then(|mut c| c.resize(rows, cols));
        if let Err(e) = res {
            tracing::debug!("resizing the container terminal: {e}");
        }
    }
}
