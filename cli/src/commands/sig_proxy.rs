//! `--sig-proxy` and terminal resizes while attached: signals this CLI
//! receives are forwarded to the container's (or exec's) process through
//! the front door's attach control, as Podman forwards them through conmon;
//! SIGWINCH also resizes the container's terminal (`Resize`).

use rpod_api::container_run::AttachControl;
use signal_hook::iterator::{Handle, Signals};

use super::terminal::caller_terminal_size;

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
    /// Starts forwarding to the process behind `control`: every signal
    /// when `proxy`, and terminal resizes when `tty`. `None` when there is
    /// nothing to do.
    pub fn start(
        control: Box<dyn AttachControl>,
        proxy: bool,
        tty: bool,
    ) -> Option<SignalForwarder> {
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
                    resize_to_terminal(control.as_ref());
                    if !proxy {
                        continue;
                    }
                }
                if let Err(e) = control.signal(sig) {
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

/// Sets the process's terminal to the caller's size. A failure only
/// leaves the previous size.
fn resize_to_terminal(control: &dyn AttachControl) {
    if let Some(size) = caller_terminal_size() {
        if let Err(e) = control.resize(size) {
            tracing::debug!("resizing the container terminal: {e}");
        }
    }
}
