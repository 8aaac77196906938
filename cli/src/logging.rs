//! `--log-level` and Podman-style (logrus text) diagnostics on stderr:
//! `time="2026-11-24T10:00:00Z" level=warning msg="..."`.

use std::fmt;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

struct Logrus;

impl<S, N> FormatEvent<S, N> for Logrus
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let level = match *event.metadata().level() {
            Level::ERROR => "error",
            Level::WARN => "warning",
            Level::INFO => "info",
            Level::DEBUG => "debug",
            Level::TRACE => "trace",
        };
        let now = chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut msg = String::new();
        ctx.format_fields(Writer::new(&mut msg), event)?;
        let msg = msg.replace('\\', "\\\\").replace('"', "\\\"");
        writeln!(w, "time=\"{now}\" level={level} msg=\"{msg}\"")
    }
}

pub fn init(level: &str) -> Result<(), String> {
    let filter = match level {
        "trace" => "trace",
        "debug" => "debug",
        "info" => "info",
        "warn" | "warning" => "warn",
        "error" | "fatal" | "panic" => "error",
        other => {
            return Err(format!(
                "Log Level {other:?} is not supported, choose from: trace, debug, info, warn, warning, error, fatal, panic"
            ))
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .event_format(Logrus)
        .init();
    Ok(())
}
