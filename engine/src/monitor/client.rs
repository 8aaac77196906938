//! The control-socket client.

use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[cfg(test)]
use rpod_proto::MonitorState;
use rpod_proto::{read_frame, write_frame, ExitRecord, Reply, Request, PROTO_VERSION};

use super::error::MonitorError;

/// Default time a request may take before the client gives up.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A connection to one monitor's control socket (after the Hello
/// exchange).
#[derive(Debug)]
pub struct MonitorClient {
    stream: UnixStream,
    path: PathBuf,
    /// Protocol version the monitor announced.
    pub monitor_version: u32,
}

/// What the monitor knows about its process (the tests' view of it).
#[cfg(test)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorStatus {
    pub state: MonitorState,
    /// The container (or exec) process id, 0 before creation.
    pub pid: i32,
    pub monitor_pid: i32,
    pub exit: Option<ExitRecord>,
}

impl MonitorClient {
    /// Connects to `socket_path` and exchanges Hello.
    pub fn connect(socket_path: &Path) -> Result<MonitorClient, MonitorError> {
        let stream = UnixStream::connect(socket_path).map_err(|source| MonitorError::Connect {
            path: socket_path.to_path_buf(),
            source,
        })?;
        stream
            .set_read_timeout(Some(REQUEST_TIMEOUT))
            .map_err(|e| MonitorError::io("set monitor socket timeout", e))?;
        let mut client = MonitorClient {
            stream,
            path: socket_path.to_path_buf(),
            monitor_version: 0,
        };
        match client.request(&Request::Hello {
            version: PROTO_VERSION,
        })? {
            Reply::Hello { version } => client.monitor_version = version,
            other => return Err(unexpected("Hello", &other)),
        }
        Ok(client)
    }

    /// Sends one request and reads its reply.
    pub fn request(&mut self, req: &Request) -> Result<Reply, MonitorError> {
        let ctx = || format!("{} on {}", req.name(), self.path.display());
        write_frame(&mut self.stream, req).map_err(|e| MonitorError::protocol(ctx(), e))?;
        read_frame(&mut self.stream).map_err(|e| MonitorError::protocol(ctx(), e))
    }

    /// Sends a request whose success reply is `Ok`.
    fn expect_ok(&mut self, req: &Request) -> Result<(), MonitorError> {
        match self.request(req)? {
            Reply::Ok => Ok(()),
            other => Err(reply_error(req.name(), other)),
        }
    }

    /// State, pids and exit record of the monitored process.
    #[cfg(test)]
    pub fn status(&mut self) -> Result<MonitorStatus, MonitorError> {
        match self.request(&Request::Status)? {
            Reply::Status {
                state,
                pid,
                monitor_pid,
                exit,
            } => Ok(MonitorStatus {
                state,
                pid,
                monitor_pid,
                exit,
            }),
            other => Err(reply_error("Status", other)),
        }
    }

    /// Path of the attach socket.
    #[cfg(test)]
    pub fn attach_path(&mut self) -> Result<PathBuf, MonitorError> {
        match self.request(&Request::Attach)? {
            Reply::AttachSocket { path } => Ok(PathBuf::from(path)),
            other => Err(reply_error("Attach", other)),
        }
    }

    /// Sets the container terminal's size.
    pub fn resize(&mut self, rows: u16, cols: u16) -> Result<(), MonitorError> {
        self.expect_ok(&Request::Resize { rows, cols })
    }

    /// Closes and reopens the log file (after an external rotation).
    pub fn reopen_log(&mut self) -> Result<(), MonitorError> {
        self.expect_ok(&Request::ReopenLog)
    }

    /// Sends `signal` to the container process.
    pub fn kill(&mut self, signal: i32) -> Result<(), MonitorError> {
        self.expect_ok(&Request::Kill { signal })
    }

    /// Sends `signal`; the monitor escalates to SIGKILL after
    /// `timeout_secs`. Returns at once.
    pub fn stop(&mut self, signal: i32, timeout_secs: u64) -> Result<(), MonitorError> {
        self.expect_ok(&Request::Stop {
            signal,
            timeout_secs,
        })
    }

    /// A request whose answer comes when something happens (an exit, a
    /// health check): no read timeout while waiting for it.
    fn request_unbounded(&mut self, req: &Request) -> Result<Reply, MonitorError> {
        self.stream
            .set_read_timeout(None)
            .map_err(|e| MonitorError::io("clear monitor socket timeout", e))?;
        let reply = self.request(req);
        let _ = self.stream.set_read_timeout(Some(REQUEST_TIMEOUT));
        reply
    }

    /// Holds the monitor's cleanup command back until this connection
    /// closes or [`MonitorClient::cleanup_done`] (`run --rm` in the
    /// foreground removes the container itself). `Unsupported` from
    /// monitors that predate it.
    pub fn hold_cleanup(&mut self) -> Result<(), MonitorError> {
        self.expect_ok(&Request::HoldCleanup)
    }

    /// The container was removed: the held cleanup command is not needed.
    pub fn cleanup_done(&mut self) -> Result<(), MonitorError> {
        self.expect_ok(&Request::CleanupDone)
    }

    /// Turns the restart policy off: the next exit is final.
    pub fn disable_restart(&mut self) -> Result<(), MonitorError> {
        self.expect_ok(&Request::DisableRestart)
    }

    /// `update --restart`: the policy for the exits to come.
    pub fn set_restart(
        &mut self,
        restart: Option<rpod_proto::RestartConfig>,
    ) -> Result<(), MonitorError> {
        self.expect_ok(&Request::SetRestart { restart })
    }

    /// `update --health-*`: the check from now on.
    pub fn set_healthcheck(
        &mut self,
        healthcheck: Option<rpod_proto::health::HealthConfig>,
    ) -> Result<(), MonitorError> {
        self.expect_ok(&Request::SetHealthcheck { healthcheck })
    }

    /// Runs the health check now: (status, exit code, output).
    pub fn run_healthcheck(&mut self) -> Result<(String, i32, String), MonitorError> {
        match self.request_unbounded(&Request::RunHealthcheck)? {
            Reply::Health {
                status,
                exit_code,
                output,
            } => Ok((status, exit_code, output)),
            other => Err(reply_error("RunHealthcheck", other)),
        }
    }

    /// Like [`MonitorClient::wait_exit`], calling `on_late` once if the
    /// process is still running after `limit` (then waiting on).
    pub fn wait_exit_or_else(
        &mut self,
        limit: Duration,
        on_late: impl FnOnce(),
    ) -> Result<ExitRecord, MonitorError> {
        use std::os::fd::AsFd;
        let ctx = || format!("Subscribe on {}", self.path.display());
        write_frame(&mut self.stream, &Request::Subscribe)
            .map_err(|e| MonitorError::protocol(ctx(), e))?;
        let mut fds = [nix::poll::PollFd::new(
            self.stream.as_fd(),
            nix::poll::PollFlags::POLLIN,
        )];
        let timeout =
            nix::poll::PollTimeout::try_from(limit).unwrap_or(nix::poll::PollTimeout::MAX);
        let ready = match nix::poll::poll(&mut fds, timeout) {
            Ok(n) => n,
            // Interrupted: no verdict on lateness, just wait on.
            Err(nix::errno::Errno::EINTR) => 1,
            Err(e) => return Err(MonitorError::io("poll monitor socket", e)),
        };
        if ready == 0 {
            on_late();
        }
        self.stream
            .set_read_timeout(None)
            .map_err(|e| MonitorError::io("clear monitor socket timeout", e))?;
        let reply = read_frame(&mut self.stream).map_err(|e| MonitorError::protocol(ctx(), e));
        let _ = self.stream.set_read_timeout(Some(REQUEST_TIMEOUT));
        match reply? {
            Reply::Exited { exit } => Ok(exit),
            other => Err(reply_error("Subscribe", other)),
        }
    }

    /// Blocks until the process has exited and returns its exit record.
    /// Waits for the end of the current run: the exit record and whether
    /// it is final (`false`: the restart policy runs the process again).
    /// A monitor without `SubscribeRun` answers at the final exit only.
    pub fn wait_run_exit(&mut self) -> Result<(ExitRecord, bool), MonitorError> {
        match self.request_unbounded(&Request::SubscribeRun)? {
            Reply::Exited { exit } => Ok((exit, true)),
            Reply::RunExited { exit } => Ok((exit, false)),
            Reply::Unsupported { .. } => self.wait_exit().map(|e| (e, true)),
            other => Err(reply_error("SubscribeRun", other)),
        }
    }

    pub fn wait_exit(&mut self) -> Result<ExitRecord, MonitorError> {
        match self.request_unbounded(&Request::Subscribe)? {
            Reply::Exited { exit } => Ok(exit),
            other => Err(reply_error("Subscribe", other)),
        }
    }
}

fn unexpected(request: &str, reply: &Reply) -> MonitorError {
    MonitorError::UnexpectedReply {
        request: request.to_string(),
        reply: format!("{reply:?}"),
    }
}

fn reply_error(request: &str, reply: Reply) -> MonitorError {
    match reply {
        Reply::Error { message } => MonitorError::Remote(message),
        Reply::Unsupported { request } => MonitorError::Unsupported(request),
        other => unexpected(request, &other),
    }
}
