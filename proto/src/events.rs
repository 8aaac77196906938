//! The events file: one JSON object per line in Podman's file shape
//! (`{"ID":..,"Status":..,"Time":"RFC 3339",..,"Attributes":..}`),
//! appended by the engine and by the monitors. Each event is written with a
//! single `write` on a file opened with `O_APPEND`, so concurrent writers
//! never interleave records. With a size limit (containers.conf's
//! `events_logfile_max_size`) a write that would pass it first rotates the
//! file as Podman does: the older half is dropped, between two `system
//! log-rotation` events.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// One event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// What failed, in a `pull-error` image event.
    #[serde(rename = "Error", default, skip_serializing_if = "String::is_empty")]
    pub error: String,
    #[serde(rename = "Attributes", default)]
    pub attributes: BTreeMap<String, String>,
}

/// The status of the events that bracket a rotation of the events file
/// (type `system`, named after the file, attribute
/// [`ROTATE_ATTRIBUTE`] `begin` or `end`).
pub const ROTATION_STATUS: &str = "log-rotation";
/// The attribute that says which end of a rotation an event marks.
pub const ROTATE_ATTRIBUTE: &str = "io.podman.event.rotate";

/// An events-file line as Podman writes it (libpod's `events.Event`).
#[derive(Serialize, Deserialize)]
struct FileLine {
    #[serde(
        rename = "ContainerExitCode",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    exit_code: Option<i32>,
    #[serde(rename = "ID", default, skip_serializing_if = "String::is_empty")]
    id: String,
    #[serde(rename = "Image", default, skip_serializing_if = "String::is_empty")]
    image: String,
    #[serde(rename = "Name", default, skip_serializing_if = "String::is_empty")]
    name: String,
    #[serde(rename = "network", default, skip_serializing_if = "String::is_empty")]
    network: String,
    #[serde(rename = "Status")]
    status: String,
    /// RFC 3339 with nanoseconds.
    #[serde(rename = "Time", default, skip_serializing_if = "Option::is_none")]
    time: Option<String>,
    /// Unix nanoseconds: lines written by rpod before it wrote `Time`.
    #[serde(rename = "timeNano", default, skip_serializing)]
    time_nano: Option<i64>,
    #[serde(rename = "Type")]
    kind: String,
    #[serde(
        rename = "health_status",
        alias = "HealthStatus",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    health_status: String,
    #[serde(rename = "Error", default, skip_serializing_if = "String::is_empty")]
    error: String,
    #[serde(
        rename = "ContainerInspectData",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    container_inspect_data: String,
    /// `null` when there are none, as Go's nil map.
    #[serde(rename = "Attributes", default)]
    attributes: Option<BTreeMap<String, String>>,
}

/// `event` as one events-file line (with its newline).
pub fn file_line(event: &Event) -> io::Result<Vec<u8>> {
    let e = event.clone();
    let line = FileLine {
        exit_code: e.exit_code,
        id: e.id,
        image: e.image,
        name: e.name,
        network: e.network,
        status: e.status,
        time: Some(go_rfc3339_nano(e.time_nano)),
        time_nano: None,
        kind: e.kind,
        health_status: e.health_status,
        error: e.error,
        container_inspect_data: e.container_inspect_data,
        attributes: (!e.attributes.is_empty()).then_some(e.attributes),
    };
    let mut out = serde_json::to_vec(&line).map_err(io::Error::other)?;
    out.push(b'\n');
    Ok(out)
}

/// The event of an events-file line (Podman's shape, or rpod's older one
/// with `timeNano`); `None` when it is not one.
pub fn parse_file_line(line: &[u8]) -> Option<Event> {
    let l: FileLine = serde_json::from_slice(line).ok()?;
    let time_nano = match (&l.time, l.time_nano) {
        (Some(t), _) => crate::log_format::parse_time(t)?,
        (None, Some(n)) => n,
        (None, None) => return None,
    };
    Some(Event {
        id: l.id,
        image: l.image,
        name: l.name,
        network: l.network,
        status: l.status,
        kind: l.kind,
        time_nano,
        exit_code: l.exit_code,
        health_status: l.health_status,
        container_inspect_data: l.container_inspect_data,
        error: l.error,
        attributes: l.attributes.unwrap_or_default(),
    })
}

/// Go's `RFC3339Nano` of a Unix-nanosecond time in UTC (trailing zeros of
/// the fraction dropped).
pub fn go_rfc3339_nano(nanos: i64) -> String {
    let full = rfc3339_utc(nanos);
    let (head, frac) = full.split_at(19);
    let digits = frac.trim_start_matches('.').trim_end_matches('Z');
    let digits = digits.trim_end_matches('0');
    if digits.is_empty() {
        format!("{head}Z")
    } else {
        format!("{head}.{digits}Z")
    }
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
    /// containers.conf's `events_logfile_max_size`: the size past which
    /// the file is rotated (`None`: never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_size: Option<u64>,
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
            error: String::new(),
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
            error: String::new(),
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
        append(&cfg.path, event, cfg.max_size)
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
        ("ERROR", &e.error),
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
        error: field("ERROR"),
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
/// std opens it close-on-exec), first rotating the file when the line
/// would take it past `max_size`. Writers with a limit serialize on
/// `<path>.lock`, so a rotation never loses another writer's line.
pub fn append(path: &Path, event: &Event, max_size: Option<u64>) -> io::Result<()> {
    let line = file_line(event)?;
    let Some(max) = max_size.filter(|&m| m > 0) else {
        return append_line(path, &line);
    };
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push(".lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode_0600()
        .open(&lock_path)?;
    let _guard = nix::fcntl::Flock::lock(lock, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, e)| io::Error::from(e))?;
    let size = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => 0,
        Err(e) => return Err(e),
    };
    if size + line.len() as u64 > max {
        rotate(path, event.time_nano)?;
    }
    append_line(path, &line)
}

/// Mode 0600 for new files.
trait Mode0600 {
    fn mode_0600(&mut self) -> &mut Self;
}

impl Mode0600 for std::fs::OpenOptions {
    fn mode_0600(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.mode(0o600)
    }
}

fn append_line(path: &Path, line: &[u8]) -> io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode_0600()
        .open(path)?;
    f.write_all(line)
}

/// Podman's rotation: keeps the lines after the middle of the file (the
/// one cut in two dropped) between a `begin` and an `end` rotation event,
/// written to a new file renamed over `path`.
fn rotate(path: &Path, time_nano: i64) -> io::Result<()> {
    let old = std::fs::read(path)?;
    let half = old.len() / 2;
    let kept = old[half..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(&[][..], |i| &old[half + i + 1..]);
    let marker = |which: &str| Event {
        name: path.display().to_string(),
        status: ROTATION_STATUS.to_owned(),
        kind: "system".to_owned(),
        time_nano,
        attributes: BTreeMap::from([(ROTATE_ATTRIBUTE.to_owned(), which.to_owned())]),
        ..Event::default()
    };
    let mut new = file_line(&marker("begin"))?;
    new.extend_from_slice(kept);
    new.extend(file_line(&marker("end"))?);
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp_name = path.file_name().unwrap_or_default().to_owned();
    tmp_name.push(".rotate");
    let tmp = dir.join(tmp_name);
    {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .mode_0600()
            .open(&tmp)?;
        f.write_all(&new)?;
    }
    std::fs::rename(&tmp, path)
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
            max_size: None,
        };
        let mut died = Event::container(&cfg, "abc", "died", 5);
        assert_eq!(died.attributes.get("tier").map(String::as_str), Some("web"));
        died.exit_code = Some(3);
        append(&path, &Event::container(&cfg, "abc", "start", 1), None).unwrap();
        append(&path, &died, None).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let got: Vec<Event> = text
            .lines()
            .map(|l| parse_file_line(l.as_bytes()).unwrap())
            .collect();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1], died);
        let first = text.lines().next().unwrap();
        assert!(!first.contains("ContainerExitCode"));
        assert!(
            first.starts_with("{\"ID\":\"abc\",\"Image\":\"busybox\",\"Name\":\"web\",\"Status\":\"start\",\"Time\":\"1970-01-01T00:00:00.000000001Z\",\"Type\":\"container\",\"Attributes\":{"),
            "{first}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn podman_lines_and_older_rpod_lines_are_read() {
        let podman = br#"{"Name":"busybox","Status":"pull","Time":"2022-04-06T11:26:42.723667951+02:00","Type":"image","Attributes":null}"#;
        let e = parse_file_line(podman).unwrap();
        assert_eq!(e.time_nano, 1_649_237_202_723_667_951);
        assert_eq!((e.kind.as_str(), e.status.as_str()), ("image", "pull"));
        assert!(e.attributes.is_empty() && e.id.is_empty());
        let old = br#"{"ID":"a","Image":"","Name":"n","Status":"start","Type":"container","timeNano":5,"HealthStatus":"healthy","Attributes":{}}"#;
        let e = parse_file_line(old).unwrap();
        assert_eq!((e.time_nano, e.health_status.as_str()), (5, "healthy"));
        assert!(parse_file_line(b"{}").is_none());
        let line = file_line(&Event {
            name: "busybox".into(),
            status: "pull".into(),
            kind: "image".into(),
            time_nano: 1_000_000_000,
            ..Event::default()
        })
        .unwrap();
        assert_eq!(
            String::from_utf8(line).unwrap(),
            "{\"Name\":\"busybox\",\"Status\":\"pull\",\"Time\":\"1970-01-01T00:00:01Z\",\"Type\":\"image\",\"Attributes\":null}\n"
        );
    }

    #[test]
    fn rotation_keeps_the_newer_half_between_markers() {
        let dir = std::env::temp_dir().join(format!("rpod-proto-rotate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("events.log");
        let mut text = String::new();
        for i in 0..10 {
            text.push_str(&format!(
                "{{\"Name\":\"b{i}\",\"Status\":\"pull\",\"Time\":\"2022-04-06T11:26:42Z\",\"Type\":\"image\",\"Attributes\":null}}\n"
            ));
        }
        std::fs::write(&path, &text).unwrap();
        let limit = text.len() as u64;
        let event = Event {
            id: "c".into(),
            status: "remove".into(),
            kind: "container".into(),
            time_nano: 7,
            ..Event::default()
        };
        // Under the limit: appended, nothing dropped.
        append(&path, &event, Some(limit * 2)).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 11);
        std::fs::write(&path, &text).unwrap();
        append(&path, &event, Some(limit)).unwrap();
        let lines: Vec<Event> = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .map(|l| parse_file_line(l.as_bytes()).unwrap())
            .collect();
        // begin, the lines after the one at the middle (b6..b9), end, the event.
        let names: Vec<&str> = lines.iter().map(|e| e.name.as_str()).collect();
        let file = path.display().to_string();
        assert_eq!(names[1..5], ["b6", "b7", "b8", "b9"]);
        assert_eq!((names[0], names[5]), (file.as_str(), file.as_str()));
        assert_eq!(lines[0].attributes[ROTATE_ATTRIBUTE], "begin");
        assert_eq!(lines[5].attributes[ROTATE_ATTRIBUTE], "end");
        assert_eq!(lines[5].status, ROTATION_STATUS);
        assert_eq!(lines[6], event);
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
            max_size: None,
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
