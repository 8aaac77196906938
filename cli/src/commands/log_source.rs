//! What `logs` and `pod logs` share: the `--since`/`--until` filter, one
//! container's log read (and followed) record by record, `--tail` by whole
//! lines, and printing records with an optional prefix and timestamps.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rpod_engine::logs::{parse_line, Stream};

use super::log_follow::Follower;
use crate::cli_error::{CliError, CliResult};

/// How often a followed log is checked for new data.
pub const FOLLOW_INTERVAL: Duration = Duration::from_millis(100);

/// Parses `--since` as Podman does; Unix nanoseconds. A duration is that
/// long before now.
pub fn parse_time(s: &str) -> Option<i64> {
    parse_input_time(s, true)
}

/// Parses `--until` as Podman does: a duration is that long after now
/// (`logs --until 3s -f` follows for three seconds).
pub fn parse_until(s: &str) -> Option<i64> {
    parse_input_time(s, false)
}

fn parse_input_time(s: &str, since: bool) -> Option<i64> {
    // `date --iso-8601=ns` writes a comma before the fraction.
    let iso = s.replacen(',', ".", 1);
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(&iso) {
        return t.timestamp_nanos_opt();
    }
    // Without a zone: local time, as Go's time.ParseInLocation(Local).
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(&iso, fmt) {
            return t
                .and_local_timezone(chrono::Local)
                .single()?
                .timestamp_nanos_opt();
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d
            .and_hms_opt(0, 0, 0)?
            .and_local_timezone(chrono::Local)
            .single()?
            .timestamp_nanos_opt();
    }
    if let Ok(secs) = s.parse::<f64>() {
        return Some((secs * 1e9) as i64);
    }
    let now = chrono::Utc::now().timestamp_nanos_opt()?;
    let (num, unit) = s.split_at(s.find(|c: char| c.is_ascii_alphabetic())?);
    let n: f64 = num.parse().ok()?;
    let mult = match unit {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" => 60e9,
        "h" => 3600e9,
        _ => return None,
    };
    let d = (n * mult) as i64;
    Some(if since { now - d } else { now + d })
}

/// The `--since`/`--until` window.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimeFilter {
    since: Option<i64>,
    until: Option<i64>,
}

impl TimeFilter {
    /// Parses both bounds; a bad one is a usage error.
    pub fn parse(since: Option<&str>, until: Option<&str>) -> CliResult<TimeFilter> {
        let one = |s: Option<&str>, parse: fn(&str) -> Option<i64>| {
            s.map(|s| parse(s).ok_or_else(|| CliError::usage(format!("invalid timestamp {s:?}"))))
                .transpose()
        };
        Ok(TimeFilter {
            since: one(since, parse_time)?,
            until: one(until, parse_until)?,
        })
    }

    /// Whether `--until` lies in the past: following can stop.
    pub fn until_passed(&self) -> bool {
        self.until.is_some_and(|u| {
            chrono::Utc::now()
                .timestamp_nanos_opt()
                .is_some_and(|n| n > u)
        })
    }

    fn keeps(&self, nanos: i64) -> bool {
        self.since.is_none_or(|s| nanos >= s) && self.until.is_none_or(|u| nanos <= u)
    }
}

/// One container's log, read from where the last read stopped (across
/// rotations). A log that does not exist yet (never started) is empty
/// until it appears.
pub struct LogSource {
    path: PathBuf,
    follower: Option<Follower>,
}

impl LogSource {
    /// The log at `path` (`ctr.log`), read from its start.
    pub fn new(path: &Path) -> LogSource {
        LogSource {
            path: path.to_owned(),
            follower: None,
        }
    }

    /// Appends every complete record available now to `records`.
    pub fn poll(&mut self, records: &mut Vec<String>) -> CliResult<()> {
        let err = |e: std::io::Error| anyhow::anyhow!("reading log {}: {e}", self.path.display());
        if self.follower.is_none() {
            let file = match std::fs::File::open(&self.path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(err(e).into()),
            };
            self.follower = Some(Follower::new(&self.path, file).map_err(err)?);
        }
        if let Some(f) = self.follower.as_mut() {
            f.poll(&mut |l| records.push(l)).map_err(err)?;
        }
        Ok(())
    }
}

/// Index of the first record of the last `n` lines. A line ends with an
/// `F` record; a trailing `P` record is a line still being written.
pub fn full_line_start(records: &[String], n: usize) -> usize {
    if n == 0 {
        return records.len();
    }
    let mut seen = 0;
    for (i, r) in records.iter().enumerate().rev() {
        let partial = parse_line(r).is_some_and(|l| l.partial);
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
pub fn tail(records: &mut Vec<String>, tail: i64) {
    if tail >= 0 {
        let start = full_line_start(records, tail as usize);
        records.drain(..start);
    }
}

/// Prints records of one container: text to stdout or stderr as it was
/// written, each line started with the prefix and the timestamp if asked.
pub struct Printer {
    timestamps: bool,
    prefix: Option<String>,
    filter: TimeFilter,
    at_line_start: [bool; 2],
}

impl Printer {
    /// `prefix` (a container id or name) starts every line, before the
    /// timestamp; records outside `filter` are skipped.
    pub fn new(timestamps: bool, prefix: Option<String>, filter: TimeFilter) -> Printer {
        Printer {
            timestamps,
            prefix,
            filter,
            at_line_start: [true, true],
        }
    }

    /// Prints one raw record; a closed pipe ends the command quietly
    /// (`CliError::Exit(0)`).
    pub fn print(
        &mut self,
        record: &str,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> CliResult<()> {
        let Some(l) = parse_line(record) else {
            return Ok(());
        };
        if !self.filter.keeps(l.nanos) {
            return Ok(());
        }
        let (w, idx): (&mut dyn Write, usize) = match l.stream {
            Stream::Stdout => (out, 0),
            Stream::Stderr => (err, 1),
        };
        let res = (|| {
            if self.at_line_start[idx] {
                if let Some(p) = &self.prefix {
                    write!(w, "{p} ")?;
                }
                if self.timestamps {
                    write!(w, "{} ", l.time)?;
                }
            }
            w.write_all(l.text.as_bytes())?;
            if !l.partial {
                w.write_all(b"\n")?;
            }
            std::io::Result::Ok(())
        })();
        self.at_line_start[idx] = !l.partial;
        match res {
            Ok(()) => Ok(()),
            // A closed pipe (`logs | head`) ends the command quietly.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(CliError::Exit(0)),
            Err(e) => Err(anyhow::anyhow!("writing logs: {e}").into()),
        }
    }
}

/// Splits off the complete lines at the front of `records` (each a run of
/// `P` records ended by an `F` one), with the time of their first record;
/// a trailing unfinished line stays in `records`.
pub fn take_lines(records: &mut Vec<String>) -> Vec<(i64, Vec<String>)> {
    let mut lines = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut time = 0;
    for r in std::mem::take(records) {
        let Some(l) = parse_line(&r) else { continue };
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
    fn since_durations() {
        let now = chrono::Utc::now().timestamp_nanos_opt().unwrap();
        let t = parse_time("10m").unwrap();
        assert!((now - t - 600_000_000_000).abs() < 5_000_000_000);
        assert_eq!(parse_time("1700000000").unwrap(), 1_700_000_000_000_000_000);
        assert!(parse_time("yesterday").is_none());
        assert!(
            parse_until("10m").unwrap() > now,
            "an --until duration is ahead"
        );
        assert!(
            parse_time("-1s").unwrap() > now,
            "a negative duration is in the future"
        );
    }

    #[test]
    fn since_timestamps_in_the_formats_users_type() {
        let want = 1_733_324_705_695_841_561;
        assert_eq!(
            parse_time("2024-12-04T15:05:05,695841561+00:00"),
            Some(want)
        );
        assert_eq!(parse_time("2024-12-04T15:05:05.695841561Z"), Some(want));
        assert!(parse_time("2024-12-04").is_some());
        assert!(parse_time("2024-12-04T15:05:05").is_some());
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
    fn printer_prefixes_lines_and_filters_by_time() {
        let filter = TimeFilter::parse(Some("2026-01-01T00:00:02Z"), None).unwrap();
        let mut p = Printer::new(false, Some("web".into()), filter);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        for r in [
            "2026-01-01T00:00:01Z stdout F old",
            "2026-01-01T00:00:02Z stdout P a",
            "2026-01-01T00:00:03Z stdout F b",
            "2026-01-01T00:00:04Z stderr F e",
        ] {
            p.print(r, &mut out, &mut err).unwrap();
        }
        assert_eq!(String::from_utf8(out).unwrap(), "web ab\n");
        assert_eq!(String::from_utf8(err).unwrap(), "web e\n");
    }
}
