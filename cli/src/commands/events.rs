//! `events`: the engine's event stream, printed as Podman prints it
//! (streaming by default).

use std::io::Write;

use clap::Args;
use rpod_api::events::{Event, EventsOptions};

use super::common::{open_front_door, Globals};
use crate::cli_error::{CliError, CliResult};
use crate::format::{self, HeaderMap};

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

/// Podman's human-readable event line; `truncate` shortens a 64-hex ID.
fn human(e: &Event, truncate: bool) -> String {
    let id = if truncate && e.id.len() == 64 {
        &e.id[..12]
    } else {
        &e.id
    };
    // Podman: a volume by its name, a secret by its ID, nothing more.
    match e.kind.as_str() {
        "volume" => return format!("{} volume {} {}", e.time_string(), e.status, e.name),
        "secret" => return format!("{} secret {} {id}", e.time_string(), e.status),
        "image" => {
            let line = format!("{} image {} {id} {}", e.time_string(), e.status, e.name);
            return if e.error.is_empty() {
                line
            } else {
                format!("{line} {}", e.error)
            };
        }
        "system" if e.name.is_empty() => return format!("{} system {}", e.time_string(), e.status),
        "system" => return format!("{} system {} {}", e.time_string(), e.status, e.name),
        _ => {}
    }
    if e.kind == "network" {
        let head = format!("{} network {} {id}", e.time_string(), e.status);
        return match e.attributes.get("driver") {
            Some(driver) if e.status == "create" || e.status == "remove" => {
                format!("{head} (name={}, type={driver})", e.network)
            }
            _ => format!("{head} (container={id}, name={})", e.network),
        };
    }
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
        e.time_string(),
        e.kind,
        e.status,
        id,
        attrs.join(", ")
    )
}

pub async fn run(g: &Globals, a: EventsArgs) -> CliResult {
    let options = EventsOptions {
        filters: a.filter.clone(),
        since: a.since.clone(),
        until: a.until.clone(),
        stream: a.stream,
    };
    let mut events = open_front_door(g)?.system_events(options).await?;
    let headers = HeaderMap::new("events");
    let mut out = std::io::stdout().lock();
    let print = |e: &Event, out: &mut dyn Write| -> CliResult<()> {
        let line = match a.format.as_deref() {
            None => human(e, !a.no_trunc) + "\n",
            Some(f) if format::is_json(f) => {
                serde_json::to_string(e).map_err(anyhow::Error::from)? + "\n"
            }
            Some(f) => format::render_rows(f, &[e.template_value()], &headers)
                .map_err(|err| CliError::usage(err.to_string()))?,
        };
        match out.write_all(line.as_bytes()).and_then(|_| out.flush()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(CliError::Exit(0)),
            Err(e) => Err(anyhow::anyhow!("writing events: {e}").into()),
        }
    };
    while let Some(e) = events.next_event().await {
        print(&e?, &mut out)?;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_lines() {
        let e = Event {
            id: "a".repeat(64),
            image: "busybox".into(),
            name: "web".into(),
            status: "start".into(),
            kind: "container".into(),
            time_nano: 2_000_000_000,
            attributes: [("name".to_owned(), "web".to_owned())].into(),
            ..Event::default()
        };
        assert_eq!(
            human(&e, true),
            "1970-01-01 00:00:02 +0000 UTC container start aaaaaaaaaaaa (image=busybox, name=web)"
        );
        let n = Event {
            id: "b".repeat(64),
            network: "net1".into(),
            status: "create".into(),
            kind: "network".into(),
            time_nano: 2_000_000_000,
            attributes: [("driver".to_owned(), "bridge".to_owned())].into(),
            ..Event::default()
        };
        assert_eq!(
            human(&n, false),
            format!(
                "1970-01-01 00:00:02 +0000 UTC network create {} (name=net1, type=bridge)",
                "b".repeat(64)
            )
        );
        let v = Event {
            name: "vol1".into(),
            status: "remove".into(),
            kind: "volume".into(),
            time_nano: 2_000_000_000,
            ..Event::default()
        };
        assert_eq!(
            human(&v, true),
            "1970-01-01 00:00:02 +0000 UTC volume remove vol1"
        );
        let failed = Event {
            name: "localhost:1/bogus".into(),
            status: "pull-error".into(),
            kind: "image".into(),
            error: "connection refused".into(),
            time_nano: 2_000_000_000,
            ..Event::default()
        };
        assert_eq!(
            human(&failed, true),
            "1970-01-01 00:00:02 +0000 UTC image pull-error  localhost:1/bogus connection refused"
        );
        let rotated = Event {
            name: "/x/events.log".into(),
            status: "log-rotation".into(),
            kind: "system".into(),
            time_nano: 2_000_000_000,
            ..Event::default()
        };
        assert_eq!(
            human(&rotated, true),
            "1970-01-01 00:00:02 +0000 UTC system log-rotation /x/events.log"
        );
    }
}
