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
            attributes: BTreeMap::from([("driver".to_owned(), driver.to_owned())]),
        }
    }
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
}
