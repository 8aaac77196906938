//! The events file: one JSON object per line, appended by the engine and
//! by the monitors. Each event is written with a single `write` on a file
//! opened with `O_APPEND`, so concurrent writers never interleave records.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// One event, in Podman's JSON shape (`podman events --format json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    #[serde(rename = "ID", default)]
    pub id: String,
    #[serde(rename = "Image", default)]
    pub image: String,
    #[serde(rename = "Name", default)]
    pub name: String,
    /// The network's name in a network event.
    #[serde(rename = "network", default, skip_serializing_if = "String::is_empty")]
    pub network: String,
    /// What happened: `create`, `start`, `died`, `restart`, `remove`, ...
    #[serde(rename = "Status")]
    pub status: String,
    /// `container`, `image`, `system`, ...
    #[serde(rename = "Type")]
    pub kind: String,
    /// Unix time in nanoseconds.
    #[serde(rename = "timeNano")]
    pub time_nano: i64,
    #[serde(
        rename = "ContainerExitCode",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub exit_code: Option<i32>,
    #[serde(
        rename = "HealthStatus",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub health_status: String,
    /// The container's inspect data (JSON) in a `create` event, when
    /// containers.conf's `events_container_create_inspect_data` is set.
    #[serde(
        rename = "ContainerInspectData",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub container_inspect_data: String,
    #[serde(rename = "Attributes", default)]
    pub attributes: BTreeMap<String, String>,
}

/// Where the monitor appends its events and what it says about its
/// container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsConfig {
    pub path: std::path::PathBuf,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub image: String,
    /// The container's labels, carried in every event's attributes as
    /// Podman does.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Events go to the journal (`--events-backend journald`), not `path`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub journald: bool,
}

impl Event {
    /// A container event stamped with `time_nano`.
    pub fn container(cfg: &EventsConfig, id: &str, status: &str, time_nano: i64) -> Event {
        let mut attributes = cfg.labels.clone();
        attributes.insert("name".to_owned(), cfg.name.clone());
        attributes.insert("image".to_owned(), cfg.image.clone());
        Event {
            id: id.to_owned(),
            image: cfg.image.clone(),
            name: cfg.name.clone(),
            network: String::new(),
            status: status.to_owned(),
            kind: "container".to_owned(),
            time_nano,
            exit_code: None,
            health_status: String::new(),
            container_inspect_data: String::new(),
            attributes,
        }
    }

    /// A network event (`create`, `remove`): the network's ID, its name and
    /// its driver (Podman's `driver` attribute).
    pub fn network(id: &str, name: &str, driver: &str, status: &str, time_nano: i64) -> Event {
        Event {
            id: id.to_owned(),
            image: String::new(),
            name: String::new(),
            network: name.to_owned(),
            status: status.to_owned(),
            kind: "network".to_owned(),
            time_nano,
            exit_code: None,
            health_status: String::new(),
            container_inspect_data: String::new(),
            attributes: BTreeMap::from([("driver".to_owned(), driver.to_owned())]),
        }
    }
}

/// The journal entries' `SYSLOG_IDENTIFIER`: the program that wrote them
/// (Podman writes `podman`; rpod's events stay apart from Podman's, as its
/// events file does).
pub const JOURNAL_IDENTIFIER: &str = "rpod";

/// Records `event` where `cfg` says: the journal or the events file.
pub fn record(cfg: &EventsConfig, event: &Event) -> io::Result<()> {
    if cfg.journald {
        crate::journal::Journal::connect()?.send(&journal_fields(event))
    } else {
        append(&cfg.path, event)
    }
}

/// An event's journal entry, with Podman's fields (`PODMAN_EVENT`,
/// `PODMAN_TYPE`, `PODMAN_TIME`, `PODMAN_ID`, `PODMAN_NAME`,
/// `PODMAN_IMAGE`, `PODMAN_EXIT_CODE`, `PODMAN_LABELS` (the attributes as
/// JSON), `PODMAN_HEALTH_STATUS`, `PODMAN_NETWORK_NAME`) and a readable
/// `MESSAGE`.
pub fn journal_fields(e: &Event) -> crate::journal::Fields {
    let s = |v: &str| v.as_bytes().to_vec();
    let mut message = format!("{} {} {}", e.kind, e.status, e.id);
    if !e.attributes.is_empty() {
        let attrs: Vec<String> = e
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        message.push_str(&format!(" ({})", attrs.join(", ")));
    }
    let priority = if e.health_status.is_empty() { "6" } else { "5" };
    let mut f: crate::journal::Fields = vec![
        ("MESSAGE", message.into_bytes()),
        ("PRIORITY", s(priority)),
        ("SYSLOG_IDENTIFIER", s(JOURNAL_IDENTIFIER)),
        ("PODMAN_EVENT", s(&e.status)),
        ("PODMAN_TYPE", s(&e.kind)),
        ("PODMAN_TIME", rfc3339_utc(e.time_nano).into_bytes()),
    ];
    for (name, value) in [
        ("PODMAN_ID", &e.id),
        ("PODMAN_NAME", &e.name),
        ("PODMAN_IMAGE", &e.image),
        ("PODMAN_NETWORK_NAME", &e.network),
        ("PODMAN_HEALTH_STATUS", &e.health_status),
        ("PODMAN_CONTAINER_INSPECT_DATA", &e.container_inspect_data),
    ] {
        if !value.is_empty() {
            f.push((name, s(value)));
        }
    }
    if let Some(code) = e.exit_code {
        f.push(("PODMAN_EXIT_CODE", code.to_string().into_bytes()));
    }
    if !e.attributes.is_empty() {
        if let Ok(json) = serde_json::to_vec(&e.attributes) {
            f.push(("PODMAN_LABELS", json));
        }
    }
    f
}

/// The event of a journal entry's fields (`None` when it is not an
/// event: no `PODMAN_TYPE`, `PODMAN_EVENT` or readable `PODMAN_TIME`).
pub fn from_journal_fields(get: impl Fn(&str) -> Option<String>) -> Option<Event> {
    let field = |k: &str| get(k).unwrap_or_default();
    let time_nano = crate::log_format::parse_time(&get("PODMAN_TIME")?)?;
    Some(Event {
        id: field("PODMAN_ID"),
        image: field("PODMAN_IMAGE"),
        name: field("PODMAN_NAME"),
        network: field("PODMAN_NETWORK_NAME"),
        status: get("PODMAN_EVENT")?,
        kind: get("PODMAN_TYPE")?,
        time_nano,
        exit_code: get("PODMAN_EXIT_CODE").and_then(|c| c.parse().ok()),
        health_status: field("PODMAN_HEALTH_STATUS"),
        container_inspect_data: field("PODMAN_CONTAINER_INSPECT_DATA"),
        attributes: get("PODMAN_LABELS")
            .and_then(|l| serde_json::from_str(&l).ok())
            .unwrap_or_default(),
    })
}

/// Unix nanoseconds as an RFC 3339 UTC time with nanoseconds (Go's
/// `RFC3339Nano` without its trailing-zero trimming).
pub fn rfc3339_utc(nanos: i64) -> String {
    let secs = nanos.div_euclid(1_000_000_000);
    let frac = nanos.rem_euclid(1_000_000_000);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = crate::log_format::civil_from_days(secs.div_euclid(86_400));
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{frac:09}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Appends `event` as one line to `path` (created mode 0600 if missing;
/// std opens it close-on-exec).
pub fn append(path: &Path, event: &Event) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut line = serde_json::to_vec(event).map_err(io::Error::other)?;
    line.push(b'\n');
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(&line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip() {
        let dir = std::env::temp_dir().join(format!("rpod-proto-events-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("events.log");
        let cfg = EventsConfig {
            path: path.clone(),
            name: "web".into(),
            image: "busybox".into(),
            labels: BTreeMap::from([("tier".to_owned(), "web".to_owned())]),
            journald: false,
        };
        let mut died = Event::container(&cfg, "abc", "died", 5);
        assert_eq!(died.attributes.get("tier").map(String::as_str), Some("web"));
        died.exit_code = Some(3);
        append(&path, &Event::container(&cfg, "abc", "start", 1)).unwrap();
        append(&path, &died).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let got: Vec<Event> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1], died);
        assert!(!text.lines().next().unwrap().contains("ContainerExitCode"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn utc_times() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(
            rfc3339_utc(1_709_251_199_123_456_789),
            "2024-02-29T23:59:59.123456789Z"
        );
        assert_eq!(rfc3339_utc(-1), "1969-12-31T23:59:59.999999999Z");
    }

    #[test]
    fn journal_entries_round_trip() {
        let cfg = EventsConfig {
            path: "/dev/null".into(),
            name: "web".into(),
            image: "busybox".into(),
            labels: BTreeMap::from([("tier".to_owned(), "web".to_owned())]),
            journald: true,
        };
        let mut died = Event::container(&cfg, "abc", "died", 1_709_251_199_123_456_789);
        died.exit_code = Some(3);
        let fields = journal_fields(&died);
        let get = |k: &str| {
            fields
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| String::from_utf8(v.clone()).unwrap())
        };
        assert_eq!(get("SYSLOG_IDENTIFIER").as_deref(), Some("rpod"));
        assert_eq!(get("PODMAN_EXIT_CODE").as_deref(), Some("3"));
        assert_eq!(from_journal_fields(get), Some(died));
        assert_eq!(from_journal_fields(|_| None), None);
    }
}
