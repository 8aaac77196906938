//! `logs`: print (and follow) containers' logs; with several containers each
//! line is prefixed with the container's short id (or name with `--names`),
//! and `-f` follows them all until every one has exited. `pod logs` prints
//! through [`print_logs`] too.

use std::io::Write;

use clap::Args;
use rpod_api::input_time::{parse_since, parse_until};
use rpod_api::logs::{ContainerLogsOptions, ContainerLogsRequest, LogDevice, LogLine, LogsTarget};

use super::common::{open_front_door, Globals};
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Follow log output
    #[arg(short = 'f', long)]
    follow: bool,
    /// Show logs since TIMESTAMP (RFC 3339, Unix seconds, or a duration like 10m)
    #[arg(long, allow_hyphen_values = true)]
    since: Option<String>,
    /// Show logs until TIMESTAMP
    #[arg(long, allow_hyphen_values = true)]
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
    /// Output the container name in the log
    #[arg(short = 'n', long)]
    names: bool,
    #[arg(required = true)]
    containers: Vec<String>,
}

pub async fn run(g: &Globals, a: LogsArgs) -> CliResult {
    if a.latest {
        return Err(CliError::usage("--latest is not supported by rpod"));
    }
    let mut options = logs_options(a.follow, a.since.as_deref(), a.until.as_deref(), a.tail)?;
    options.times = a.timestamps;
    // Several containers: each line starts with the short id, or the name
    // with --names (Podman's prefix).
    let prefix = if a.names {
        Prefix::Name
    } else if a.containers.len() > 1 {
        Prefix::ShortId
    } else {
        Prefix::None
    };
    let request = ContainerLogsRequest {
        target: LogsTarget::Containers(a.containers),
        options,
    };
    print_logs(g, request, prefix, a.timestamps).await
}

/// The reading options of `logs` and `pod logs`; a time that does not parse
/// is a usage error.
pub(super) fn logs_options(
    follow: bool,
    since: Option<&str>,
    until: Option<&str>,
    tail: i64,
) -> CliResult<ContainerLogsOptions> {
    let time = |s: Option<&str>, parse: fn(&str) -> Option<i64>| {
        s.map(|s| parse(s).ok_or_else(|| CliError::usage(format!("invalid timestamp {s:?}"))))
            .transpose()
    };
    Ok(ContainerLogsOptions {
        follow,
        since: time(since, parse_since)?,
        until: time(until, parse_until)?,
        tail,
        times: false,
    })
}

/// What starts each printed line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Prefix {
    None,
    /// The container's short ID.
    ShortId,
    /// The container's name (`--names`).
    Name,
}

/// Reads the logs `request` asks for and prints them: text to stdout or
/// stderr as it was written, each line started with the prefix and, with
/// `timestamps`, the time.
pub(super) async fn print_logs(
    g: &Globals,
    request: ContainerLogsRequest,
    prefix: Prefix,
    timestamps: bool,
) -> CliResult {
    let engine = open_front_door(g)?;
    let mut lines = engine.container_logs(request).await?;
    let mut printer = Printer::new(timestamps, prefix);
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    while let Some(line) = lines.next_line().await {
        printer.print(&line?, &mut out, &mut err)?;
    }
    out.flush().ok();
    Ok(0)
}

/// Prints lines of one or more containers, keeping for each container and
/// stream whether its next text starts a line.
struct Printer {
    timestamps: bool,
    prefix: Prefix,
    /// Per container ID: whether its stdout, stderr are in the middle of a
    /// line (a few containers: a list is quicker than hashing IDs).
    mid_line: Vec<(String, [bool; 2])>,
}

impl Printer {
    fn new(timestamps: bool, prefix: Prefix) -> Printer {
        Printer {
            timestamps,
            prefix,
            mid_line: Vec::new(),
        }
    }

    /// Prints one line (or part of one); a closed pipe ends the command
    /// quietly (`CliError::Exit(0)`).
    fn print(&mut self, l: &LogLine, out: &mut dyn Write, err: &mut dyn Write) -> CliResult<()> {
        let (w, idx): (&mut dyn Write, usize) = match l.device {
            LogDevice::Stdout => (out, 0),
            LogDevice::Stderr => (err, 1),
        };
        let k = match self
            .mid_line
            .iter()
            .position(|(id, _)| *id == l.container_id)
        {
            Some(k) => k,
            None => {
                self.mid_line.push((l.container_id.clone(), [false; 2]));
                self.mid_line.len() - 1
            }
        };
        let at_line_start = !self.mid_line[k].1[idx];
        let res = (|| {
            if at_line_start {
                match self.prefix {
                    Prefix::None => {}
                    Prefix::ShortId => {
                        let id: String = l.container_id.chars().take(12).collect();
                        write!(w, "{id} ")?;
                    }
                    Prefix::Name => write!(w, "{} ", l.container_name)?,
                }
                if self.timestamps {
                    write!(w, "{} ", l.time)?;
                }
            }
            w.write_all(l.msg.as_bytes())?;
            if l.partial {
                // No newline to flush it: the rest may come much later.
                w.flush()?;
            } else {
                w.write_all(b"\n")?;
            }
            std::io::Result::Ok(())
        })();
        self.mid_line[k].1[idx] = l.partial;
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

    fn line(id: &str, device: LogDevice, partial: bool, msg: &str) -> LogLine {
        LogLine {
            container_id: id.into(),
            container_name: format!("name-{id}"),
            device,
            time: "2026-01-01T00:00:02Z".into(),
            time_nanos: 0,
            partial,
            msg: msg.into(),
        }
    }

    #[test]
    fn printer_prefixes_lines_per_container_and_stream() {
        let mut p = Printer::new(false, Prefix::Name);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        for l in [
            line("a", LogDevice::Stdout, true, "a"),
            line("a", LogDevice::Stderr, false, "e"),
            line("a", LogDevice::Stdout, false, "b"),
            line("b", LogDevice::Stdout, false, "c"),
        ] {
            p.print(&l, &mut out, &mut err).unwrap();
        }
        assert_eq!(String::from_utf8(out).unwrap(), "name-a ab\nname-b c\n");
        assert_eq!(String::from_utf8(err).unwrap(), "name-a e\n");
    }

    #[test]
    fn printer_short_ids_and_timestamps() {
        let id = "0123456789abcdef";
        let mut p = Printer::new(true, Prefix::ShortId);
        let (mut out, mut err) = (Vec::new(), Vec::new());
        p.print(&line(id, LogDevice::Stdout, false, "x"), &mut out, &mut err)
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "0123456789ab 2026-01-01T00:00:02Z x\n"
        );
    }

    #[test]
    fn bad_times_are_usage_errors() {
        let e = logs_options(false, Some("yesterday"), None, -1).unwrap_err();
        assert_eq!(e.to_string(), "invalid timestamp \"yesterday\"");
        assert_eq!(e.exit_code(), 125);
        let o = logs_options(true, None, Some("1700000000"), 3).unwrap();
        assert_eq!(o.until, Some(1_700_000_000_000_000_000));
        assert!(o.follow);
        assert_eq!(o.tail, 3);
    }
}
