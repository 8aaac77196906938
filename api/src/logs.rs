//! `logs` and `pod logs`: what to read (pkg/domain/entities.ContainerLogsOptions)
//! and the lines read (libpod/logs.LogLine).
//!
//! Reading gives a stream of typed [`LogLine`]s ([`LogLines`]); printing them
//! (`--timestamps`, the `--names` or short-id prefix) is the client's job.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::Result;

/// Whose logs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogsTarget {
    /// Containers by name or ID, read one after the other in this order.
    Containers(Vec<String>),
    /// The members of a pod (not its infra container), or only the member
    /// `container` (name or ID prefix); lines of different members are merged
    /// by time.
    Pod {
        pod: String,
        container: Option<String>,
    },
}

/// How to read (Podman's `ContainerLogsOptions`; `Timestamps`, `Names` and
/// `Colors` are how the client prints the lines).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerLogsOptions {
    /// Keep reading until every container has exited (or `until` passed).
    pub follow: bool,
    /// Only records written at or after this time (Unix nanoseconds).
    pub since: Option<i64>,
    /// Only records written at or before this time (Unix nanoseconds).
    pub until: Option<i64>,
    /// The last `tail` lines of each container's log already written; all of
    /// them if negative.
    pub tail: i64,
    /// The caller shows each line's time (`-t`). The local engine always
    /// has the times; the remote client asks the service for them only
    /// then, and otherwise takes the stream as it comes (a record without a
    /// newline and the next one then join as the container wrote them).
    #[serde(default)]
    pub times: bool,
}

impl Default for ContainerLogsOptions {
    fn default() -> Self {
        ContainerLogsOptions {
            follow: false,
            since: None,
            until: None,
            tail: -1,
            times: false,
        }
    }
}

/// A `logs` request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerLogsRequest {
    pub target: LogsTarget,
    pub options: ContainerLogsOptions,
}

/// The stream a record was written to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogDevice {
    Stdout,
    Stderr,
}

/// One record of a container's log: a line, or a part of one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    #[serde(rename = "CID")]
    pub container_id: String,
    #[serde(rename = "CName")]
    pub container_name: String,
    #[serde(rename = "Device")]
    pub device: LogDevice,
    /// The time as the log has it (RFC 3339 with nanoseconds, in the writer's
    /// time zone).
    #[serde(rename = "Time")]
    pub time: String,
    /// The same time in Unix nanoseconds.
    #[serde(rename = "TimeNanos")]
    pub time_nanos: i64,
    /// The line goes on in the next record of this container and device (the
    /// output had no newline here).
    #[serde(rename = "Partial")]
    pub partial: bool,
    /// The text, without its newline.
    #[serde(rename = "Msg")]
    pub msg: String,
}

/// The lines of a `logs` request, in order, as they become available. An
/// error ends the stream.
#[async_trait]
pub trait LogLineStream: Send {
    /// The next line; `None` at the end (everything read, or with `follow`,
    /// every container exited).
    async fn next_line(&mut self) -> Option<Result<LogLine>>;
}

/// A stream of log lines, as the front door returns it.
pub type LogLines = Box<dyn LogLineStream>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_line_json_keys() {
        let l = LogLine {
            container_id: "abc".into(),
            container_name: "web".into(),
            device: LogDevice::Stderr,
            time: "2026-01-01T00:00:00.000000001Z".into(),
            time_nanos: 1_767_225_600_000_000_001,
            partial: true,
            msg: "hi".into(),
        };
        let v = serde_json::to_value(&l).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "CID": "abc",
                "CName": "web",
                "Device": "stderr",
                "Time": "2026-01-01T00:00:00.000000001Z",
                "TimeNanos": 1_767_225_600_000_000_001i64,
                "Partial": true,
                "Msg": "hi",
            })
        );
        assert_eq!(serde_json::from_value::<LogLine>(v).unwrap(), l);
    }

    #[test]
    fn requests_round_trip() {
        let r = ContainerLogsRequest {
            target: LogsTarget::Pod {
                pod: "p".into(),
                container: Some("c".into()),
            },
            options: ContainerLogsOptions {
                follow: true,
                since: Some(1),
                ..Default::default()
            },
        };
        let s = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<ContainerLogsRequest>(&s).unwrap(), r);
        assert_eq!(ContainerLogsOptions::default().tail, -1);
        let c = serde_json::to_value(LogsTarget::Containers(vec!["a".into()])).unwrap();
        assert_eq!(c, serde_json::json!({"containers": ["a"]}));
    }
}
