//! One container's journald log (`--log-driver journald`), read from the
//! journal as k8s-file records so `--tail`, `--since`/`--until` and merging
//! work as for a log file.
//!
//! As Podman does, the read also takes the container's events (the
//! journald events backend) to know when a `--follow` is over: an `init`,
//! `start` or `restart` means more output may come, `died` (which the
//! monitor sends after the last line) that it will not.

use chrono::TimeZone;

use crate::journal::{read, uid_match, Entry, Query};

/// A container's entries read from the journal so far.
pub(crate) struct JournalSource {
    id: String,
    cursor: Option<String>,
    since: Option<i64>,
    /// Podman's `containerCouldBeLogging`.
    could_be_logging: bool,
}

impl JournalSource {
    /// `running`: the container runs now (its start event may be older
    /// than `since`).
    pub(crate) fn new(id: &str, since: Option<i64>, running: bool) -> JournalSource {
        JournalSource {
            id: id.to_owned(),
            cursor: None,
            since,
            could_be_logging: running,
        }
    }

    /// Whether the container's last event says it stopped logging.
    pub(crate) fn ended(&self) -> bool {
        !self.could_be_logging
    }

    /// Appends the records of the entries written since the last poll.
    pub(crate) fn poll(&mut self, records: &mut Vec<String>) -> Result<(), String> {
        let uid = uid_match();
        let query = Query {
            any_of: vec![
                vec![
                    format!(
                        "SYSLOG_IDENTIFIER={}",
                        rpod_proto::events::JOURNAL_IDENTIFIER
                    ),
                    format!("PODMAN_ID={}", self.id),
                    uid.clone(),
                ],
                vec![format!("CONTAINER_ID_FULL={}", self.id), uid],
            ],
            since_nanos: if self.cursor.is_none() {
                self.since
            } else {
                None
            },
            after_cursor: self.cursor.clone(),
            last: None,
        };
        for entry in read(&query)? {
            self.cursor = Some(entry.cursor.clone());
            if let Some(event) = entry.get("PODMAN_EVENT") {
                match event.as_str() {
                    "init" | "start" | "restart" => self.could_be_logging = true,
                    "died" => self.could_be_logging = false,
                    _ => {}
                }
                continue;
            }
            if let Some(r) = record(&entry) {
                records.push(r);
            }
        }
        Ok(())
    }
}

/// A log entry as a k8s-file record (local time, as the monitor writes
/// them); `None` for an entry that is not a container's line.
fn record(e: &Entry) -> Option<String> {
    let stream = match e.get("PRIORITY")?.as_str() {
        "6" => "stdout",
        "3" => "stderr",
        _ => return None,
    };
    let tag = if e.has("CONTAINER_PARTIAL_MESSAGE") {
        "P"
    } else {
        "F"
    };
    let msg = e.get("MESSAGE").unwrap_or_default();
    let msg = msg.strip_suffix('\n').unwrap_or(&msg);
    let time = chrono::Local
        .timestamp_micros(e.realtime_usec)
        .single()?
        .format("%Y-%m-%dT%H:%M:%S%.9f%:z");
    Some(format!("{time} {stream} {tag} {msg}"))
}
