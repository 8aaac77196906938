//! One container's log read record by record (across rotations), `--tail`
//! by whole lines, lines grouped for merging by time, and the
//! `--since`/`--until` window.

use std::path::{Path, PathBuf};

use rpod_proto::log_format::parse_record;

use super::follow::Follower;
use super::journal_source::JournalSource;

/// The `--since`/`--until` window, in Unix nanoseconds.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TimeFilter {
    pub(crate) since: Option<i64>,
    pub(crate) until: Option<i64>,
}

impl TimeFilter {
    /// Whether `--until` lies in the past: following can stop.
    pub(crate) fn until_passed(&self) -> bool {
        self.until.is_some_and(|u| {
            chrono::Utc::now()
                .timestamp_nanos_opt()
                .is_some_and(|n| n > u)
        })
    }

    pub(crate) fn keeps(&self, nanos: i64) -> bool {
        self.since.is_none_or(|s| nanos >= s) && self.until.is_none_or(|u| nanos <= u)
    }
}

/// One container's log, read from where the last read stopped: its log
/// file (across rotations; a log that does not exist yet, never started,
/// is empty until it appears) or its entries in the journal.
pub(crate) enum LogSource {
    File {
        path: PathBuf,
        follower: Option<Follower>,
    },
    Journal(JournalSource),
}

impl LogSource {
    /// The live log at `path`, read from its start.
    pub(crate) fn new(path: &Path) -> LogSource {
        LogSource::File {
            path: path.to_owned(),
            follower: None,
        }
    }

    /// The container's journald log (see [`JournalSource::new`]).
    pub(crate) fn journal(id: &str, since: Option<i64>, running: bool) -> LogSource {
        LogSource::Journal(JournalSource::new(id, since, running))
    }

    /// For a journald log: whether the container's events say its output
    /// ended. `None` for a log file.
    pub(crate) fn journal_ended(&self) -> Option<bool> {
        match self {
            LogSource::Journal(j) => Some(j.ended()),
            LogSource::File { .. } => None,
        }
    }

    /// Appends every complete record available now to `records`. The error
    /// names the file.
    pub(crate) fn poll(&mut self, records: &mut Vec<String>) -> Result<(), String> {
        let (path, follower) = match self {
            LogSource::Journal(j) => return j.poll(records),
            LogSource::File { path, follower } => (path, follower),
        };
        let err = |e: std::io::Error| format!("reading log {}: {e}", path.display());
        if follower.is_none() {
            let file = match std::fs::File::open(&*path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(err(e)),
            };
            *follower = Some(Follower::new(path, file).map_err(err)?);
        }
        if let Some(f) = follower.as_mut() {
            f.poll(&mut |l| records.push(l)).map_err(err)?;
        }
        Ok(())
    }
}

/// Index of the first record of the last `n` lines. A line ends with an
/// `F` record; a trailing `P` record is a line still being written.
pub(crate) fn full_line_start(records: &[String], n: usize) -> usize {
    if n == 0 {
        return records.len();
    }
    let mut seen = 0;
    for (i, r) in records.iter().enumerate().rev() {
        let partial = parse_record(r).is_some_and(|l| l.partial);
        if !partial || i + 1 == records.len() {
            seen += 1;
            if seen > n {
                return i + 1;
            }
        }
    }
    0
}

/// `--tail`: the records of the last `tail` lines (all of them if negative).
pub(crate) fn tail(records: &mut Vec<String>, tail: i64) {
    if tail >= 0 {
        let start = full_line_start(records, tail as usize);
        records.drain(..start);
    }
}

/// Splits off the complete lines at the front of `records` (each a run of
/// `P` records ended by an `F` one), with the time of their first record;
/// a trailing unfinished line stays in `records`.
pub(crate) fn take_lines(records: &mut Vec<String>) -> Vec<(i64, Vec<String>)> {
    let mut lines = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut time = 0;
    for r in std::mem::take(records) {
        let Some(l) = parse_record(&r) else { continue };
        if current.is_empty() {
            time = l.nanos;
        }
        let done = !l.partial;
        current.push(r);
        if done {
            lines.push((time, std::mem::take(&mut current)));
        }
    }
    *records = current;
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn tail_counts_full_lines() {
        let recs = recs(&[
            "2026-01-01T00:00:00Z stdout F a",
            "2026-01-01T00:00:00Z stdout P b1",
            "2026-01-01T00:00:00Z stdout F b2",
            "2026-01-01T00:00:00Z stdout F c",
        ]);
        assert_eq!(full_line_start(&recs, 1), 3);
        assert_eq!(full_line_start(&recs, 2), 1);
        assert_eq!(full_line_start(&recs, 10), 0);
        assert_eq!(full_line_start(&recs, 0), 4);
        let mut trailing = recs.clone();
        trailing.push("2026-01-01T00:00:00Z stdout P d".into());
        assert_eq!(full_line_start(&trailing, 1), 4);
        assert_eq!(full_line_start(&trailing, 2), 3);
    }

    #[test]
    fn lines_group_partial_records_and_keep_the_unfinished_one() {
        let mut r = recs(&[
            "2026-01-01T00:00:01Z stdout P a1",
            "2026-01-01T00:00:02Z stdout F a2",
            "garbage",
            "2026-01-01T00:00:03Z stdout F b",
            "2026-01-01T00:00:04Z stdout P c1",
        ]);
        let lines = take_lines(&mut r);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].1.len(), 2);
        assert_eq!(lines[0].0, 1_767_225_601_000_000_000);
        assert_eq!(r, ["2026-01-01T00:00:04Z stdout P c1"]);
    }

    #[test]
    fn record_times_parse_as_chrono_does() {
        for t in [
            "2024-12-04T15:05:05.695841561Z",
            "2024-12-04T16:05:05.695841561+01:00",
            "2024-12-04T10:05:05-05:00",
            "2024-02-29T23:59:59.1+00:00",
            "1999-12-31T23:59:59.999999999-00:30",
            "2262-04-11T23:47:16.854775807Z",
            "1677-09-21T00:12:43.145224192Z",
        ] {
            let want = chrono::DateTime::parse_from_rfc3339(t)
                .ok()
                .and_then(|d| d.timestamp_nanos_opt());
            assert_eq!(rpod_proto::log_format::parse_time(t), want, "{t}");
        }
    }

    #[test]
    fn time_window() {
        let f = TimeFilter {
            since: Some(10),
            until: Some(20),
        };
        assert!(!f.keeps(9));
        assert!(f.keeps(10));
        assert!(f.keeps(20));
        assert!(!f.keeps(21));
        assert!(f.until_passed());
        assert!(!TimeFilter::default().until_passed());
    }
}
