//! `logs`: print (and follow) containers' k8s-file logs; with several
//! containers each line is prefixed with the container's short id (or name
//! with `--names`), and `-f` follows them all until every one has exited.

use std::io::Write;

use clap::Args;
use rpod_engine::container::ContainerPaths;

use super::common::{open_engine, Globals};
use super::log_source::{tail, LogSource, Printer, TimeFilter, FOLLOW_INTERVAL};
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
    let filter = TimeFilter::parse(a.since.as_deref(), a.until.as_deref())?;
    let engine = open_engine(g)?;
    let several = a.containers.len() > 1;
    let mut followed = Vec::new();
    for name in &a.containers {
        let handle = engine.container(name)?;
        let rec = handle.get().await?;
        if !rec.options.logs_output() {
            return Err(CliError::usage(format!(
                "failed to obtain logs for Container '{name}': this container is using the 'none' log driver, cannot read logs: this container is not logging output"
            )));
        }
        // Several containers: each line starts with the short id, or the
        // name with --names (Podman's prefix).
        let prefix = if a.names {
            Some(rec.name.clone())
        } else {
            several.then(|| rec.id.chars().take(12).collect())
        };
        followed.push(Followed {
            source: LogSource::new(&ContainerPaths::new(engine.config(), &rec.id).log),
            printer: Printer::new(a.timestamps, prefix, filter),
            handle,
            done: false,
        });
    }
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();

    // The backlog, with --tail counting whole lines (records up to an F).
    let mut records = Vec::new();
    for f in &mut followed {
        records.clear();
        f.source.poll(&mut records)?;
        tail(&mut records, a.tail);
        for r in &records {
            f.printer.print(r, &mut out, &mut err)?;
        }
    }
    if !a.follow {
        return Ok(0);
    }
    loop {
        for f in followed.iter_mut().filter(|f| !f.done) {
            let live = f
                .handle
                .get()
                .await
                .map(|r| r.state.has_monitor())
                .unwrap_or(false);
            // Exited: whatever the monitor wrote is in the files by now, so
            // this last read gets the rest.
            records.clear();
            f.source.poll(&mut records)?;
            for r in &records {
                f.printer.print(r, &mut out, &mut err)?;
            }
            f.done = !live;
        }
        if followed.iter().all(|f| f.done) || filter.until_passed() {
            return Ok(0);
        }
        out.flush().ok();
        tokio::time::sleep(FOLLOW_INTERVAL).await;
    }
}

/// One container's log being read.
struct Followed {
    source: LogSource,
    printer: Printer,
    handle: rpod_engine::container::ContainerHandle,
    done: bool,
}
