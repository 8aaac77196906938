//! Control-socket requests and replies, start-up sync messages, and the
//! exit record. Every enum is internally tagged by `type` and has an
//! `Unknown` catch-all so a peer from another release never fails to decode.

use serde::{Deserialize, Serialize};

/// Requests an engine sends on a monitor's control socket. The first frame
/// of a connection is `Hello`; the monitor answers each request with one
/// [`Reply`] (for `Subscribe`, when the container has exited).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Request {
    Hello {
        version: u32,
    },
    /// What the monitor knows about its process.
    Status,
    /// Where to connect for the attach streams.
    Attach,
    /// Set the terminal size of the container's PTY.
    Resize {
        rows: u16,
        cols: u16,
    },
    /// Close and reopen the log file (after an external rotation).
    ReopenLog,
    /// Send `signal`, then SIGKILL after `timeout_secs` unless it exited.
    /// Answered at once; escalation is the monitor's job.
    Stop {
        signal: i32,
        timeout_secs: u64,
    },
    /// Send one signal to the container's process.
    Kill {
        signal: i32,
    },
    /// Answered with `Exited` once the process has exited.
    Subscribe,
    /// Answered with `Exited` at the process's final exit, or with
    /// `RunExited` when it exits and the restart policy runs it again
    /// (`wait` on a restarting container returns at each exit, as Podman).
    SubscribeRun,
    /// Turn the restart policy off for good (`stop`, `kill`, `rm`): the
    /// next exit is final. `Stop` implies it.
    DisableRestart,
    /// Run the health check now; answered with `Health` when it is done.
    RunHealthcheck,
    /// `update --restart`: the policy for the exits to come (`None`: no
    /// restarts). A monitor that predates it answers `Unsupported`.
    SetRestart {
        #[serde(default)]
        restart: Option<crate::restart::RestartConfig>,
    },
    /// `update --health-*`: the check scheduled from now on (`None`: no
    /// checks); the schedule starts again. Older monitors: `Unsupported`.
    SetHealthcheck {
        #[serde(default)]
        healthcheck: Option<crate::health::HealthConfig>,
    },
    /// This client removes the container itself once the process has
    /// exited (`run --rm` in the foreground): the cleanup command waits
    /// until this connection closes, so it does not compete with that
    /// removal. Older monitors answer `Unsupported`.
    HoldCleanup,
    /// The holder (`HoldCleanup`) removed the container: the cleanup
    /// commands are not run.
    CleanupDone,
    #[serde(other)]
    Unknown,
}

impl Request {
    /// Name used in an `Unsupported` reply.
    pub fn name(&self) -> &'static str {
        match self {
            Request::Hello { .. } => "Hello",
            Request::Status => "Status",
            Request::Attach => "Attach",
            Request::Resize { .. } => "Resize",
            Request::ReopenLog => "ReopenLog",
            Request::Stop { .. } => "Stop",
            Request::Kill { .. } => "Kill",
            Request::Subscribe => "Subscribe",
            Request::SubscribeRun => "SubscribeRun",
            Request::DisableRestart => "DisableRestart",
            Request::RunHealthcheck => "RunHealthcheck",
            Request::SetRestart { .. } => "SetRestart",
            Request::SetHealthcheck { .. } => "SetHealthcheck",
            Request::HoldCleanup => "HoldCleanup",
            Request::CleanupDone => "CleanupDone",
            Request::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MonitorState {
    /// The runtime has not created the process yet (start gate closed).
    Waiting,
    Running,
    Exited,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum Reply {
    Hello {
        version: u32,
    },
    Status {
        state: MonitorState,
        /// The container (or exec) process id, 0 before creation.
        #[serde(default)]
        pid: i32,
        #[serde(default)]
        monitor_pid: i32,
        #[serde(default)]
        exit: Option<ExitRecord>,
    },
    AttachSocket {
        path: String,
    },
    Ok,
    Exited {
        exit: ExitRecord,
    },
    /// One run ended and the restart policy starts another (`SubscribeRun`).
    RunExited {
        exit: ExitRecord,
    },
    /// The request is not known to, or not possible for, this monitor.
    Unsupported {
        request: String,
    },
    Error {
        message: String,
    },
    /// Result of one health check.
    Health {
        status: String,
        exit_code: i32,
        #[serde(default)]
        output: String,
    },
    #[serde(other)]
    Unknown,
}

/// Messages on the sync socket (fd 3 of a freshly spawned monitor).
///
/// monitor → engine `Ready` once its sockets listen; engine → monitor `Go`
/// once it has placed the monitor (and attached, if it wants the first
/// bytes of output); monitor → engine `Created` with the process id, or
/// `Failed` with the runtime's exact error. If the engine closes the sync
/// socket before `Go`, the monitor removes its sockets and exits.
/// `Run` instead of `Go` (a container's first run only) creates and starts
/// the container in one runtime invocation (`runtime run --detach`): the
/// process runs when `Created` arrives, and the engine runs no `start`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum SyncMsg {
    Ready {
        monitor_pid: i32,
    },
    Go,
    Run,
    Created {
        pid: i32,
    },
    Failed {
        message: String,
    },
    #[serde(other)]
    Unknown,
}

/// How a process ended; written atomically to the exit file and sent to
/// subscribers. `code` follows the shell convention: 128+N for a signal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitRecord {
    pub code: i32,
    #[serde(default)]
    pub signal: Option<i32>,
    /// Unix time in nanoseconds.
    pub finished_at: i64,
    #[serde(default)]
    pub oom: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_record_tolerates_missing_optional_fields() {
        let rec: ExitRecord = serde_json::from_str(r#"{"code":42,"finished_at":1}"#).unwrap();
        assert_eq!(
            rec,
            ExitRecord {
                code: 42,
                signal: None,
                finished_at: 1,
                oom: false
            }
        );
    }

    #[test]
    fn update_requests_round_trip_and_default_to_none() {
        let r: Request = serde_json::from_str(r#"{"type":"SetRestart"}"#).unwrap();
        assert_eq!(r, Request::SetRestart { restart: None });
        let r: Request = serde_json::from_str(r#"{"type":"SetHealthcheck"}"#).unwrap();
        assert_eq!(r, Request::SetHealthcheck { healthcheck: None });
        let policy = crate::restart::RestartConfig::parse("on-failure:3").unwrap();
        let req = Request::SetRestart {
            restart: Some(policy),
        };
        let json = serde_json::to_string(&req).unwrap();
        assert_eq!(serde_json::from_str::<Request>(&json).unwrap(), req);
        assert_eq!(req.name(), "SetRestart");
    }

    #[test]
    fn unknown_state_decodes() {
        let s: MonitorState = serde_json::from_str(r#""frozen""#).unwrap();
        assert_eq!(s, MonitorState::Unknown);
    }
}
