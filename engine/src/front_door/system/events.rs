//! `events`: a read of the events file (or of the journal's events) as a
//! [`EventStream`]: past events (with `--since`, or without `--stream`),
//! then new ones as they are appended, filtered as Podman filters them.

use std::collections::VecDeque;
use std::time::Duration;

use async_trait::async_trait;
use rpod_api::events::{Event, EventStream, EventsOptions};
use rpod_api::{Error, Result};

use super::times::parse_time;
use crate::config::{EngineConfig, EventsLogger};
use crate::events::{journal_tail, read_from, read_journal};

/// How often a streaming read looks for new records.
const STREAM_INTERVAL: Duration = Duration::from_millis(100);

/// `--filter` of `events`: values of one key are alternatives; different
/// keys must all match.
struct Filters(Vec<(String, String)>);

impl Filters {
    fn parse(specs: &[String]) -> Result<Filters> {
        let mut out = Vec::new();
        for s in specs {
            let (k, v) = s
                .split_once('=')
                .ok_or_else(|| Error::invalid(format!("invalid filter {s:?}")))?;
            let k = match k {
                "event" | "status" => "event",
                "container" | "image" | "type" | "label" | "volume" => k,
                other => {
                    return Err(Error::invalid(format!(
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
                    // A prefix of the name, as Podman (and Docker).
                    "volume" => e.kind == "volume" && e.name.starts_with(v.as_str()),
                    "label" => match v.split_once('=') {
                        Some((lk, lv)) => e.attributes.get(lk).is_some_and(|x| x == lv),
                        None => e.attributes.contains_key(v.as_str()),
                    },
                    _ => false,
                })
        })
    }
}

/// The file's record as the front door's event.
fn to_api(e: crate::events::Event) -> Event {
    Event {
        id: e.id,
        image: e.image,
        name: e.name,
        network: e.network,
        status: e.status,
        kind: e.kind,
        time_nano: e.time_nano,
        exit_code: e.exit_code,
        health_status: e.health_status,
        container_inspect_data: e.container_inspect_data,
        error: e.error,
        attributes: e.attributes,
    }
}

/// A read of the events file.
struct FileEventStream {
    config: EngineConfig,
    filters: Filters,
    since: Option<i64>,
    until: Option<i64>,
    stream: bool,
    /// Where the next read starts; `None` before the first read.
    position: Option<Position>,
    pending: VecDeque<Event>,
}

/// Where a read of the events stopped.
#[derive(Debug, Clone)]
enum Position {
    /// Where the read of the events file stopped.
    File(crate::events::FilePosition),
    /// The last journal entry read (`None`: none yet).
    Journal(Option<String>),
}

/// Opens a read: checks the options before the first event.
pub(crate) fn open(config: &EngineConfig, options: EventsOptions) -> Result<Box<dyn EventStream>> {
    let bad = |s: &str| {
        Error::invalid(format!(
            "failed to parse event filters: invalid timestamp {s:?}"
        ))
    };
    let time = |s: &String| parse_time(s).ok_or_else(|| bad(s));
    let since = options.since.as_ref().map(time).transpose()?;
    let until = options.until.as_ref().map(time).transpose()?;
    let filters = Filters::parse(&options.filters)?;
    if config.events_logger == EventsLogger::None {
        return Err(Error::invalid(
            "cannot read events with the \"none\" backend",
        ));
    }
    Ok(Box::new(FileEventStream {
        config: config.clone(),
        filters,
        since,
        until,
        stream: options.stream,
        position: None,
        pending: VecDeque::new(),
    }))
}

impl FileEventStream {
    fn wanted(&self, e: &Event) -> bool {
        self.since.is_none_or(|s| e.time_nano >= s)
            && self.until.is_none_or(|u| e.time_nano <= u)
            && self.filters.matches(e)
    }

    /// Reads the records appended since the last read; `keep` says whether
    /// they are shown.
    fn read(&mut self, keep: bool) -> Result<()> {
        let events = if self.config.events_logger == EventsLogger::Journald {
            self.read_journal(keep)?
        } else {
            let from = match self.position {
                Some(Position::File(p)) => p,
                _ => Default::default(),
            };
            let (events, next) = read_from(&self.config, from)
                .map_err(|e| Error::other(format!("reading events: {e}")))?;
            self.position = Some(Position::File(next));
            events
        };
        if keep {
            for e in events.into_iter().map(to_api) {
                if self.wanted(&e) {
                    self.pending.push_back(e);
                }
            }
        }
        Ok(())
    }

    /// The journal's events after the last read; a first read that keeps
    /// nothing only finds where the journal ends.
    fn read_journal(&mut self, keep: bool) -> Result<Vec<crate::events::Event>> {
        let failed = |e: String| Error::other(format!("reading events: {e}"));
        let cursor = match &self.position {
            Some(Position::Journal(c)) => c.clone(),
            _ if !keep => {
                self.position = Some(Position::Journal(journal_tail().map_err(failed)?));
                return Ok(Vec::new());
            }
            _ => None,
        };
        let (events, next) = read_journal(cursor, self.since).map_err(failed)?;
        self.position = Some(Position::Journal(next));
        Ok(events)
    }
}

#[async_trait]
impl EventStream for FileEventStream {
    async fn next_event(&mut self) -> Option<Result<Event>> {
        loop {
            if let Some(e) = self.pending.pop_front() {
                return Some(Ok(e));
            }
            if self.position.is_none() {
                // Streaming shows only new events unless --since asks for older ones.
                let keep = !self.stream || self.since.is_some();
                if let Err(e) = self.read(keep) {
                    return Some(Err(e));
                }
                continue;
            }
            if !self.stream {
                return None;
            }
            if self
                .until
                .is_some_and(|u| crate::container::reconcile::now_nanos() > u)
            {
                return None;
            }
            tokio::time::sleep(STREAM_INTERVAL).await;
            if let Err(e) = self.read(true) {
                return Some(Err(e));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(status: &str, name: &str) -> Event {
        Event {
            id: "0123456789abcdef".into(),
            image: "quay.io/libpod/alpine:latest".into(),
            name: name.into(),
            status: status.into(),
            kind: "container".into(),
            attributes: [("app".to_owned(), "web".to_owned())].into(),
            ..Event::default()
        }
    }

    #[test]
    fn file_records_print_in_podman_json_shape() {
        let cfg = crate::events::EventsConfig {
            path: "/dev/null".into(),
            name: "web".into(),
            image: "busybox".into(),
            labels: [("tier".to_owned(), "web".to_owned())].into(),
            journald: false,
            max_size: None,
        };
        let mut record = crate::events::Event::container(&cfg, "abc", "died", 5);
        record.exit_code = Some(3);
        record.health_status = "healthy".into();
        assert_eq!(
            serde_json::to_string(&to_api(record)).unwrap(),
            "{\"ContainerExitCode\":3,\"ID\":\"abc\",\"Image\":\"busybox\",\"Name\":\"web\",\"Status\":\"died\",\"time\":0,\"timeNano\":5,\"Type\":\"container\",\"health_status\":\"healthy\",\"Attributes\":{\"image\":\"busybox\",\"name\":\"web\",\"tier\":\"web\"}}"
        );
    }

    /// A config whose events file lives under `dir`.
    fn config_in(dir: &std::path::Path) -> EngineConfig {
        EngineConfig::load_with_storage(
            Some(dir.join("root")),
            Some(dir.join("run")),
            Some(dir.join("rpod.conf")),
            crate::config::StorageConf::default(),
        )
        .unwrap()
    }

    async fn all(mut s: Box<dyn EventStream>) -> Vec<Event> {
        let mut out = Vec::new();
        while let Some(e) = s.next_event().await {
            out.push(e.unwrap());
        }
        out
    }

    #[tokio::test]
    async fn past_events_filtered_then_the_read_ends() {
        let dir = std::env::temp_dir().join(format!("rpod-events-read-{}", std::process::id()));
        let config = config_in(&dir);
        let cfg = crate::events::EventsConfig {
            path: crate::events::events_file(&config),
            name: "web".into(),
            image: "busybox".into(),
            labels: Default::default(),
            journald: false,
            max_size: None,
        };
        for (i, status) in ["create", "start", "died"].into_iter().enumerate() {
            let t = 1_000_000_000 * (i as i64 + 1);
            crate::events::write(
                &config,
                &crate::events::Event::container(&cfg, "abc", status, t),
            );
        }
        let read = |filters: &[&str], since: Option<&str>, until: Option<&str>| EventsOptions {
            filters: filters.iter().map(|f| f.to_string()).collect(),
            since: since.map(Into::into),
            until: until.map(Into::into),
            stream: false,
        };
        let got = all(open(&config, read(&[], None, None)).unwrap()).await;
        let statuses: Vec<&str> = got.iter().map(|e| e.status.as_str()).collect();
        assert_eq!(statuses, ["create", "start", "died"]);
        let got = all(open(&config, read(&["event=die"], None, None)).unwrap()).await;
        assert_eq!(got.len(), 1);
        assert_eq!(
            got[0].attributes.get("name").map(String::as_str),
            Some("web")
        );
        let got = all(open(&config, read(&[], Some("2"), Some("2.5"))).unwrap()).await;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].status, "start");
        let e = open(&config, read(&[], Some("soon"), None)).err().unwrap();
        assert_eq!(
            e.message,
            "failed to parse event filters: invalid timestamp \"soon\""
        );
        let mut none = config.clone();
        none.events_logger = EventsLogger::None;
        let e = open(&none, read(&[], None, None)).err().unwrap();
        assert_eq!(e.message, "cannot read events with the \"none\" backend");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn filters() {
        let f = Filters::parse(&["event=die".into(), "event=start".into()]).unwrap();
        assert!(f.matches(&event("died", "a")));
        assert!(f.matches(&event("start", "a")));
        assert!(!f.matches(&event("create", "a")));
        let f = Filters::parse(&["container=0123".into(), "label=app=web".into()]).unwrap();
        assert!(f.matches(&event("start", "x")));
        let f =
            Filters::parse(&["image=quay.io/libpod/alpine".into(), "type=image".into()]).unwrap();
        assert!(!f.matches(&event("start", "x")));
        let e = Filters::parse(&["nope=1".into()]).err().unwrap();
        assert_eq!(e.message, "nope is an invalid filter for events");
        assert!(Filters::parse(&["event".into()]).is_err());
    }
}
