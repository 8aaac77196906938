//! `logs`: print (and follow) a container's k8s-file log.

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

pub async fn run(g: &Globals, a: LogsArgs) -> CliResult {
    if a.latest {
        return Err(CliError::usage("--latest is not supported by rpod"));
    }
    if a.containers.len() > 1 {
        return Err(CliError::usage(
            "rpod logs takes one container at a time for now",
        ));
    }
    let filter = TimeFilter::parse(a.since.as_deref(), a.until.as_deref())?;
    let engine = open_engine(g)?;
    let handle = engine.container(&a.containers[0])?;
    let rec = handle.get().await?;
    if !rec.options.logs_output() {
        return Err(CliError::usage(
            "failed to obtain logs for Container '{}': this container is using the 'none' log driver, cannot read logs: this container is not logging output"
                .replace("{}", &a.containers[0]),
        ));
    }
    let mut source = LogSource::new(&ContainerPaths::new(engine.config(), &rec.id).log);
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    let mut printer = Printer::new(a.timestamps, None, filter);

    // The backlog, with --tail counting whole lines (records up to an F).
    let mut records = Vec::new();
    source.poll(&mut records)?;
    tail(&mut records, a.tail);
    for r in &records {
        printer.print(r, &mut out, &mut err)?;
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
        records.clear();
        source.poll(&mut records)?;
        for r in &records {
            printer.print(r, &mut out, &mut err)?;
        }
        if !live {
            return Ok(0);
        }
        out.flush().ok();
        tokio::time::sleep(FOLLOW_INTERVAL).await;
    }
}
