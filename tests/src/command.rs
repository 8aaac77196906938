//! Running a command with a bounded wait, capturing its output.

use std::fmt;
use std::io::Read;
use std::process::{Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Default bound for one rpod command run by [`crate::TestEnv`] helpers.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// After the command exits, how long its stdout/stderr may stay open before we conclude
/// that a process it left behind inherited them.
const PIPE_GRACE: Duration = Duration::from_secs(5);

/// Why a bounded run did not produce a complete [`Output`].
#[derive(Debug)]
pub(crate) enum RunError {
    /// The command could not be started.
    Spawn(std::io::Error),
    /// The command did not exit in time; it was killed. Holds the output seen so far.
    Timeout { stdout: Vec<u8>, stderr: Vec<u8> },
    /// The command exited, but a descendant still holds its stdout or stderr open.
    PipeHeld {
        status: ExitStatus,
        stdout: Vec<u8>,
        stderr: Vec<u8>,
    },
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Spawn(e) => write!(f, "cannot start: {e}"),
            RunError::Timeout { stdout, stderr } => write!(
                f,
                "did not exit in time and was killed\n--- stdout so far ---\n{}\n--- stderr so far ---\n{}",
                String::from_utf8_lossy(stdout),
                String::from_utf8_lossy(stderr)
            ),
            RunError::PipeHeld { status, stdout, stderr } => write!(
                f,
                "exited ({status}) but its stdout/stderr stayed open for {PIPE_GRACE:?}: a process it \
                 left behind (e.g. pod-monitor) inherited the command's stdio\n--- stdout ---\n{}\n--- stderr ---\n{}",
                String::from_utf8_lossy(stdout),
                String::from_utf8_lossy(stderr)
            ),
        }
    }
}

/// Reads a pipe to EOF on a thread into a shared buffer, signalling EOF on `done`.
fn drain(mut pipe: impl Read + Send + 'static, done: mpsc::Sender<()>) -> Arc<Mutex<Vec<u8>>> {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&buf);
    std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        loop {
            match pipe.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => match sink.lock() {
                    Ok(mut b) => b.extend_from_slice(&chunk[..n]),
                    Err(_) => break,
                },
            }
        }
        let _ = done.send(());
    });
    buf
}

fn take(buf: &Arc<Mutex<Vec<u8>>>) -> Vec<u8> {
    buf.lock().map(|b| b.clone()).unwrap_or_default()
}

/// Runs `cmd` with stdout and stderr captured, waiting at most `timeout`.
/// Never panics; see [`run_with_timeout`] for the panicking form.
pub(crate) fn try_run(cmd: &mut Command, timeout: Duration) -> Result<Output, RunError> {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(RunError::Spawn)?;
    let (eof_tx, eof_rx) = mpsc::channel();
    let stdout = child
        .stdout
        .take()
        .map(|p| drain(p, eof_tx.clone()))
        .unwrap_or_default();
    let stderr = child
        .stderr
        .take()
        .map(|p| drain(p, eof_tx.clone()))
        .unwrap_or_default();
    drop(eof_tx);
    let pid = child.id();
    let (exit_tx, exit_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = exit_tx.send(child.wait());
    });
    let status = match exit_rx.recv_timeout(timeout) {
        Ok(Ok(status)) => status,
        Ok(Err(e)) => return Err(RunError::Spawn(e)),
        Err(_) => {
            // The waiter thread had not reaped the child when the wait timed out, so the pid
            // still names it (barring a reap in the microseconds since, which is harmless
            // unless the pid is also recycled in that window).
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
            let _ = exit_rx.recv_timeout(PIPE_GRACE);
            return Err(RunError::Timeout {
                stdout: take(&stdout),
                stderr: take(&stderr),
            });
        }
    };
    // Both readers report EOF once every holder of the write ends has closed them.
    for _ in 0..2 {
        if eof_rx.recv_timeout(PIPE_GRACE).is_err() {
            return Err(RunError::PipeHeld {
                status,
                stdout: take(&stdout),
                stderr: take(&stderr),
            });
        }
    }
    Ok(Output {
        status,
        stdout: take(&stdout),
        stderr: take(&stderr),
    })
}

/// Runs `cmd` (stdout and stderr captured; stdin as configured on `cmd`) and returns its
/// output. Panics, printing the command and what was captured, if it cannot be started,
/// does not exit within `timeout` (it is then SIGKILLed), or exits while a process it left
/// behind keeps its stdout/stderr open.
pub fn run_with_timeout(cmd: &mut Command, timeout: Duration) -> Output {
    try_run(cmd, timeout).unwrap_or_else(|e| panic!("command {cmd:?} {e}"))
}
