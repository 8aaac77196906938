//! `events`: the engine's and the monitors' events, read from the
//! append-only events file, filtered, and printed (streaming by default).

use std::io::Write;
use std::time::Duration;

use clap::Args;
use rpod_engine::events::{read_from, Event};
use serde_json::{json, Value};

use super::common::{open_engine, Globals};
use crate::cli_error::{CliError, CliResult};
use crate::format::{self, HeaderMap};
use rpod_api::input_time::parse_since as parse_time;

/// How often a streaming `events` looks for new records.
const STREAM_INTERVAL: Duration = Duration::from_millis(100);

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// filter output
    #[arg(short = 'f', long)]
    filter: Vec<String>,
    /// format the output using a Go template
    #[arg(long)]
    format: Option<String>,
    /// show all events created since timestamp
    #[arg(long)]
    since: Option<String>,
    /// stream events and do not exit when returning the last known event
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    stream: bool,
    /// show all events created until timestamp
    #[arg(long)]
    until: Option<String>,
    /// Do not truncate the output (the default); `--no-trunc=false` shows
    /// 12-character IDs in the default output
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    no_trunc: bool,
}

struct Filters(Vec<(String, String)>);

impl Filters {
    fn parse(specs: &[String]) -> CliResult<Filters> {
        let mut out = Vec::new();
        for s in specs {
            let (k, v) = s
                .split_once('=')
                .ok_or_else(|| CliError::usage(format!("invalid filter {s:?}")))?;
            let k = match k {
                "event" | "status" => "event",
                "container" | "image" | "type" | "label" => k,
                other => {
                    return Err(CliError::usage(format!(
                        "{other} is an invalid filter for events"
                    )))
                }
            };
            // Docker's `die` is Podman's `died`.
            let v = if k == "event" && v == "die" {
                "died"
            } else {
                v
            };
            out.push((k.to_owned(), v.to_owned()));
        }
        Ok(Filters(out))
    }

    /// Values of one key are alternatives; different keys must all match.
    fn matches(&self, e: &Event) -> bool {
        let keys: std::collections::BTreeSet<&str> =
            self.0.iter().map(|(k, _)| k.as_str()).collect();
        keys.into_iter().all(|key| {
            self.0
                .iter()
                .filter(|(k, _)| k == key)
                .any(|(_, v)| match key {
                    "event" => e.status == *v,
                    "container" => e.name == *v || (!v.is_empty() && e.id.starts_with(v.as_str())),
                    "image" => e.image == *v || e.image.starts_with(&format!("{v}:")),
                    "type" => e.kind == *v,
                    "label" => match v.split_once('=') {
                        Some((lk, lv)) => e.attributes.get(lk).is_some_and(|x| x == lv),
                        None => e.attributes.contains_key(v.as_str()),
                    },
                    _ => false,
                })
        })
    }
}

/// Go's `time.Time.String()` in UTC: `2006-01-02 15:04:05.999999999 +0000 UTC`.
fn go_time(nanos: i64) -> String {
    let t = chrono::DateTime::from_timestamp_nanos(nanos);
    let frac = format!("{:09}", t.timestamp_subsec_nanos());
    let frac = frac.trim_end_matches('0');
    let frac = if frac.is_empty() {
        String::new()
    } else {
        format!(".{frac}")
    };
    format!("{}{frac} +0000 UTC", t.format("%Y-%m-%d %H:%M:%S"))
}

/// Podman's human-readable event line; `truncate` shortens a 64-hex ID.
fn human(e: &Event, truncate: bool) -> String {
    let mut attrs = vec![format!("image={}", e.image), format!("name={}", e.name)];
    if !e.health_status.is_empty() {
        attrs.push(format!("health_status={}", e.health_status));
    }
    for (k, v) in &e.attributes {
        if k != "image" && k != "name" {
            attrs.push(format!("{k}={v}"));
        }
    }
    format!(
        "{} {} {} {} ({})",
        go_time(e.time_nano),
        e.kind,
        e.status,
        if truncate && e.id.len() == 64 {
            &e.id[..12]
        } else {
            &e.id
        },
        attrs.join(", ")
    )
}

/// The value a `--format` template sees (Podman's event fields).
fn template_value(e: &Event) -> Value {
    json!({
        "ID": e.id,
        "Image": e.image,
        "Name": e.name,
        "Status": e.status,
        "Type": e.kind,
        "Time": go_time(e.time_nano),
        "TimeNano": e.time_nano,
        "ContainerExitCode": e.exit_code.unwrap_or(0),
        "HealthStatus": e.health_status,
        "Attributes": e.attributes,
    })
}

pub async fn run(g: &Globals, a: EventsArgs) -> CliResult {
    let bad = |s: &str| {
        CliError::usage(format!(
            "failed to parse event filters: invalid timestamp {s:?}"
        ))
    };
    // `date --iso-8601=ns` writes a comma before the fraction (ISO 8601
    // allows both); Go's parser, like ours, wants a dot.
    let time = |s: &str| parse_time(&s.replacen(',', ".", 1)).ok_or_else(|| bad(s));
    let since = a.since.as_deref().map(time).transpose()?;
    let until = a.until.as_deref().map(time).transpose()?;
    let filters = Filters::parse(&a.filter)?;
    let engine = open_engine(g)?;
    let config = engine.config().clone();
    if config.events_logger == rpod_engine::config::EventsLogger::None {
        return Err(CliError::usage(
            "cannot read events with the \"none\" backend",
        ));
    }
    let headers = HeaderMap::new("events");
    let mut out = std::io::stdout().lock();
    let print = |e: &Event, out: &mut dyn Write| -> CliResult<()> {
        let line = match a.format.as_deref() {
            None => human(e, !a.no_trunc) + "\n",
            Some(f) if format::is_json(f) => {
                serde_json::to_string(e).map_err(anyhow::Error::from)? + "\n"
            }
            Some(f) => format::render_rows(f, &[template_value(e)], &headers)
                .map_err(|err| CliError::usage(err.to_string()))?,
        };
        match out.write_all(line.as_bytes()).and_then(|_| out.flush()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(CliError::Exit(0)),
            Err(e) => Err(anyhow::anyhow!("writing events: {e}").into()),
        }
    };
    let wanted = |e: &Event| {
        since.is_none_or(|s| e.time_nano >= s)
            && until.is_none_or(|u| e.time_nano <= u)
            && filters.matches(e)
    };
    let (past, mut offset) =
        read_from(&config, 0).map_err(|e| anyhow::anyhow!("reading events: {e}"))?;
    // Streaming shows only new events unless --since asks for older ones.
    if !a.stream || since.is_some() {
        for e in past.iter().filter(|e| wanted(e)) {
            print(e, &mut out)?;
        }
    }
    if !a.stream {
        return Ok(0);
    }
    loop {
        if until.is_some_and(|u| rpod_engine::container::reconcile::now_nanos() > u) {
            return Ok(0);
        }
        tokio::time::sleep(STREAM_INTERVAL).await;
        let (new, next) =
            read_from(&config, offset).map_err(|e| anyhow::anyhow!("reading events: {e}"))?;
        offset = next;
        for e in new.iter().filter(|e| wanted(e)) {
            print(e, &mut out)?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_time_trims_zeros() {
        assert_eq!(go_time(1_500_000_000), "1970-01-01 00:00:01.5 +0000 UTC");
        assert_eq!(go_time(2_000_000_000), "1970-01-01 00:00:02 +0000 UTC");
    }
}
