//! `logs`: print (and follow) a container's k8s-file log.

use std::io::Write;
use std::time::Duration;

use clap::Args;
use rpod_engine::container::ContainerPaths;
use rpod_engine::logs::{parse_line, Stream};

use super::common::{open_engine, Globals};
use super::log_follow::Follower;
use crate::cli_error::{CliError, CliResult};

/// How often a followed log is checked for new data.
const FOLLOW_INTERVAL: Duration = Duration::from_millis(100);

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Follow log output
    #[arg(short = 'f', long)]
    follow: bool,
    /// Show logs since TIMESTAMP (RFC 3339, Unix seconds, or a duration like 10m)
    #[arg(long)]
    since: Option<String>,
    /// Show logs until TIMESTAMP
    #[arg(long)]
    until: Option<String>,
    /// Output the specified number of LINES at the end of the logs
    #[arg(long, default_value_t = -1, allow_negative_numbers = true)]
    tail: i64,
    /// Output the timestamps in the log
    #[arg(short = 't', long)]
    timestamps: bool,
    /// Act on the latest container (not supported)
    #[arg(short = 'l', long, hide = true)]
    latest: bool,
    #[arg(required = true)]
    containers: Vec<String>,
}

/// Parses `--since`/`--until` as Podman does; Unix nanoseconds.
pub fn parse_time(s: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return t.timestamp_nanos_opt();
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
    Some(now - (n * mult) as i64)
}

pub async fn run(g: &Globals, a: LogsArgs) -> CliResult {
    if a.latest {
        return Err(CliError::usage("--latest is not supported by rpod"));
    }
    if a.containers.len() > 1 {
        return Err(CliError::usage(
            "rpod logs takes one container at a time for now",
        ));
    }
    let bad = |s: &str| CliError::usage(format!("invalid timestamp {s:?}"));
    let since = a
        .since
        .as_deref()
        .map(|s| parse_time(s).ok_or_else(|| bad(s)))
        .transpose()?;
    let until = a
        .until
        .as_deref()
        .map(|s| parse_time(s).ok_or_else(|| bad(s)))
        .transpose()?;
    let engine = open_engine(g)?;
    let handle = engine.container(&a.containers[0])?;
    let rec = handle.get().await?;
    let path = ContainerPaths::new(engine.config(), &rec.id).log;
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        // Never started: no log yet.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !a.follow => return Ok(0),
        Err(e) => return Err(anyhow::anyhow!("opening log {}: {e}", path.display()).into()),
    };
    let mut follower = Follower::new(&path, file)
        .map_err(|e| anyhow::anyhow!("reading log {}: {e}", path.display()))?;
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    let filter = |nanos: i64| since.is_none_or(|s| nanos >= s) && until.is_none_or(|u| nanos <= u);
    let mut printer = Printer {
        timestamps: a.timestamps,
        at_line_start: [true, true],
    };
    let read_err = |e: std::io::Error| anyhow::anyhow!("reading log {}: {e}", path.display());

    // The backlog, with --tail counting whole lines (records up to an F).
    let mut backlog: Vec<String> = Vec::new();
    follower.poll(&mut |l| backlog.push(l)).map_err(read_err)?;
    let start = if a.tail >= 0 {
        full_line_start(&backlog, a.tail as usize)
    } else {
        0
    };
    for line in &backlog[start..] {
        printer.print(line, &filter, &mut out, &mut err)?;
    }
    if !a.follow {
        return Ok(0);
    }
    loop {
        let live = handle
            .get()
            .await
            .map(|r| r.state.has_monitor())
            .unwrap_or(false);
        // Exited: whatever the monitor wrote is in the files by now, so
        // this last read gets the rest.
        let mut lines = Vec::new();
        follower.poll(&mut |l| lines.push(l)).map_err(read_err)?;
        for line in &lines {
            printer.print(line, &filter, &mut out, &mut err)?;
        }
        if !live {
            return Ok(0);
        }
        out.flush().ok();
        tokio::time::sleep(FOLLOW_INTERVAL).await;
    }
}

/// Index of the first record of the last `n` lines. A line ends with an
/// `F` record; a trailing `P` record is a line still being written.
fn full_line_start(records: &[String], n: usize) -> usize {
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

struct Printer {
    timestamps: bool,
    at_line_start: [bool; 2],
}

impl Printer {
    fn print(
        &mut self,
        record: &str,
        filter: &dyn Fn(i64) -> bool,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> CliResult<()> {
        let Some(l) = parse_line(record) else {
            return Ok(());
        };
        if !filter(l.nanos) {
            return Ok(());
        }
        let (w, idx): (&mut dyn Write, usize) = match l.stream {
            Stream::Stdout => (out, 0),
            Stream::Stderr => (err, 1),
        };
        let res = (|| {
            if self.timestamps && self.at_line_start[idx] {
                write!(w, "{} ", l.time)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_counts_full_lines() {
        let recs: Vec<String> = [
            "2026-01-01T00:00:00Z stdout F a",
            "2026-01-01T00:00:00Z stdout P b1",
            "2026-01-01T00:00:00Z stdout F b2",
            "2026-01-01T00:00:00Z stdout F c",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
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
    }
}
