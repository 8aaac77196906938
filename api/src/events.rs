//! `events`: Podman's event (`podman events --format json`), the options of
//! a read, and the stream a read returns.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::time::GoTime;
use crate::Result;

/// One event. It serializes in Podman's JSON shape (`podman events
/// --format json`: empty names left out, `time` in seconds and `timeNano`,
/// `Attributes` `null` when there are none).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct Event {
    #[serde(rename = "ID", default)]
    pub id: String,
    #[serde(rename = "Image", default)]
    pub image: String,
    #[serde(rename = "Name", default)]
    pub name: String,
    /// The network's name in a network event.
    #[serde(rename = "network", default)]
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
    #[serde(rename = "ContainerExitCode", default)]
    pub exit_code: Option<i32>,
    #[serde(rename = "health_status", alias = "HealthStatus", default)]
    pub health_status: String,
    /// The container's inspect data (JSON) in a `create` event, when
    /// containers.conf's `events_container_create_inspect_data` is set.
    #[serde(rename = "ContainerInspectData", default)]
    pub container_inspect_data: String,
    /// What failed, in a `pull-error` image event.
    #[serde(rename = "Error", default)]
    pub error: String,
    #[serde(rename = "Attributes", default, deserialize_with = "null_as_empty")]
    pub attributes: BTreeMap<String, String>,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<BTreeMap<String, String>, D::Error> {
    Ok(Option::<BTreeMap<String, String>>::deserialize(d)?.unwrap_or_default())
}

/// Podman's `--format json` event (cmd/podman/system's `Event`), fields in
/// its order.
#[derive(Serialize)]
struct JsonEvent<'a> {
    #[serde(rename = "ContainerExitCode", skip_serializing_if = "Option::is_none")]
    exit_code: Option<i32>,
    #[serde(rename = "ID", skip_serializing_if = "str::is_empty")]
    id: &'a str,
    #[serde(rename = "Image", skip_serializing_if = "str::is_empty")]
    image: &'a str,
    #[serde(rename = "Name", skip_serializing_if = "str::is_empty")]
    name: &'a str,
    #[serde(rename = "network", skip_serializing_if = "str::is_empty")]
    network: &'a str,
    #[serde(rename = "Status")]
    status: &'a str,
    #[serde(rename = "time")]
    time: i64,
    #[serde(rename = "timeNano")]
    time_nano: i64,
    #[serde(rename = "Type")]
    kind: &'a str,
    #[serde(rename = "health_status", skip_serializing_if = "str::is_empty")]
    health_status: &'a str,
    #[serde(rename = "Error", skip_serializing_if = "str::is_empty")]
    error: &'a str,
    #[serde(rename = "ContainerInspectData", skip_serializing_if = "str::is_empty")]
    container_inspect_data: &'a str,
    #[serde(rename = "Attributes")]
    attributes: Option<&'a BTreeMap<String, String>>,
}

impl Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        JsonEvent {
            exit_code: self.exit_code,
            id: &self.id,
            image: &self.image,
            name: &self.name,
            network: &self.network,
            status: &self.status,
            time: self.time_nano.div_euclid(1_000_000_000),
            time_nano: self.time_nano,
            kind: &self.kind,
            health_status: &self.health_status,
            error: &self.error,
            container_inspect_data: &self.container_inspect_data,
            attributes: (!self.attributes.is_empty()).then_some(&self.attributes),
        }
        .serialize(s)
    }
}

impl Event {
    /// Go's `time.Time.String()` of the event's time, in UTC
    /// (`2006-01-02 15:04:05.999999999 +0000 UTC`).
    pub fn time_string(&self) -> String {
        let t = chrono::DateTime::from_timestamp_nanos(self.time_nano);
        GoTime(Some(t.fixed_offset())).go_string()
    }

    /// The value a `--format` template sees: Podman's event fields by their
    /// Go names (`{{.Status}}`, `{{.Time}}`, `{{.Attributes}}`, ...).
    pub fn template_value(&self) -> serde_json::Value {
        serde_json::json!({
            "ID": self.id,
            "Image": self.image,
            "Name": self.name,
            "Network": self.network,
            "Status": self.status,
            "Type": self.kind,
            "Time": self.time_string(),
            "TimeNano": self.time_nano,
            "ContainerExitCode": self.exit_code.unwrap_or(0),
            "HealthStatus": self.health_status,
            "ContainerInspectData": self.container_inspect_data,
            "Error": self.error,
            "Attributes": self.attributes,
        })
    }
}

/// Attribute keys the REST API's event carries the event's own fields in.
const API_KEYS: [&str; 7] = [
    "image",
    "name",
    "network",
    "podId",
    "error",
    "containerExitCode",
    "oomKilled",
];

impl Event {
    /// The event as the REST API sends it (Podman's `entities.Event`:
    /// Docker's events message with the name, image and exit code among the
    /// actor's attributes). `docker` gives Docker's words for a container's
    /// death (`die`, with `exitCode`) and an image's removal (`delete`).
    pub fn to_api_json(&self, docker: bool) -> serde_json::Value {
        let mut attributes = self.attributes.clone();
        attributes.insert("image".into(), self.image.clone());
        attributes.insert("name".into(), self.name.clone());
        attributes.insert("podId".into(), String::new());
        if let Some(code) = self.exit_code {
            attributes.insert("containerExitCode".into(), code.to_string());
        }
        if !self.network.is_empty() {
            attributes.insert("network".into(), self.network.clone());
        }
        if !self.error.is_empty() {
            attributes.insert("error".into(), self.error.clone());
        }
        let mut action = self.status.clone();
        if docker && self.kind == "image" && action == "remove" {
            action = "delete".into();
        }
        if docker && action == "died" {
            action = "die".into();
            let code = attributes.get("containerExitCode").cloned();
            attributes.insert("exitCode".into(), code.unwrap_or_default());
        }
        let mut v = serde_json::json!({
            "Type": self.kind,
            "Action": action,
            "Actor": {"ID": self.id, "Attributes": attributes},
            "scope": "local",
            "time": self.time_nano.div_euclid(1_000_000_000),
            "timeNano": self.time_nano,
        });
        if let Some(obj) = v.as_object_mut() {
            if !self.health_status.is_empty() {
                obj.insert("HealthStatus".into(), self.health_status.clone().into());
            }
            obj.insert("status".into(), action.into());
            if !self.id.is_empty() {
                obj.insert("id".into(), self.id.clone().into());
            }
            if !self.image.is_empty() {
                obj.insert("from".into(), self.image.clone().into());
            }
        }
        v
    }

    /// An event from the REST API's shape (see [`Event::to_api_json`]);
    /// `None` when `v` is not one.
    pub fn from_api_json(v: &serde_json::Value) -> Option<Event> {
        let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
        let actor = v.get("Actor");
        let mut attributes: BTreeMap<String, String> = actor
            .and_then(|a| a.get("Attributes"))
            .and_then(|a| a.as_object())
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), text(v)?)))
                    .collect()
            })
            .unwrap_or_default();
        let take = |attributes: &BTreeMap<String, String>, k: &str| {
            attributes.get(k).cloned().unwrap_or_default()
        };
        let event = Event {
            id: actor
                .and_then(|a| a.get("ID"))
                .and_then(text)
                .unwrap_or_default(),
            image: take(&attributes, "image"),
            name: take(&attributes, "name"),
            network: take(&attributes, "network"),
            status: text(v.get("Action")?)?,
            kind: text(v.get("Type")?)?,
            time_nano: v.get("timeNano").and_then(serde_json::Value::as_i64)?,
            exit_code: attributes
                .get("containerExitCode")
                .and_then(|c| c.parse().ok()),
            health_status: v.get("HealthStatus").and_then(text).unwrap_or_default(),
            container_inspect_data: String::new(),
            error: take(&attributes, "error"),
            attributes: BTreeMap::new(),
        };
        // A container event's own attributes hold its name and image too.
        let own = |k: &str| event.kind == "container" && matches!(k, "name" | "image");
        for k in API_KEYS {
            if !own(k) {
                attributes.remove(k);
            }
        }
        Some(Event {
            attributes,
            ..event
        })
    }
}

/// A read of the events (entities.EventsOptions).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsOptions {
    /// `--filter KEY=VALUE` as given (`event=`/`status=`, `container=`,
    /// `image=`, `type=`, `label=`); values of one key are alternatives.
    pub filters: Vec<String>,
    /// `--since`: a timestamp or a duration before now.
    pub since: Option<String>,
    /// `--until`: a timestamp or a duration before now.
    pub until: Option<String>,
    /// Keep waiting for new events (`--stream`, the default); without
    /// `since`, a stream starts with the events that happen after the call.
    pub stream: bool,
}

impl Default for EventsOptions {
    fn default() -> Self {
        EventsOptions {
            filters: Vec::new(),
            since: None,
            until: None,
            stream: true,
        }
    }
}

/// The events a read yields, oldest first. The local engine reads its
/// events file; a remote client reads an HTTP response.
#[async_trait]
pub trait EventStream: Send {
    /// The next event that passes the read's filters; `None` when the read
    /// is over (all past events given without `stream`, or `until` passed).
    async fn next_event(&mut self) -> Option<Result<Event>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Event {
        Event {
            id: "abc".into(),
            image: "busybox".into(),
            name: "web".into(),
            network: String::new(),
            status: "died".into(),
            kind: "container".into(),
            time_nano: 1_500_000_000,
            exit_code: Some(3),
            health_status: String::new(),
            container_inspect_data: String::new(),
            error: String::new(),
            attributes: BTreeMap::from([("tier".to_owned(), "web".to_owned())]),
        }
    }

    #[test]
    fn json_keys() {
        let j = serde_json::to_value(sample()).unwrap();
        let keys: Vec<&String> = j.as_object().unwrap().keys().collect();
        // Podman's order (serde_json's map keeps it with preserve_order).
        let mut want = [
            "ContainerExitCode",
            "ID",
            "Image",
            "Name",
            "Status",
            "time",
            "timeNano",
            "Type",
            "Attributes",
        ];
        if keys.first().map(|k| k.as_str()) != Some("ContainerExitCode") {
            want.sort();
        }
        assert_eq!(keys, want);
        let image = Event {
            name: "busybox".into(),
            status: "pull".into(),
            kind: "image".into(),
            time_nano: 1_649_237_202_723_667_951,
            ..Event::default()
        };
        assert_eq!(
            serde_json::to_string(&image).unwrap(),
            r#"{"Name":"busybox","Status":"pull","time":1649237202,"timeNano":1649237202723667951,"Type":"image","Attributes":null}"#
        );
        let mut e = sample();
        e.exit_code = None;
        let j = serde_json::to_value(&e).unwrap();
        assert!(j.get("ContainerExitCode").is_none());
        assert!(j.get("HealthStatus").is_none());
        let back: Event = serde_json::from_value(serde_json::to_value(sample()).unwrap()).unwrap();
        assert_eq!(back, sample());
    }

    #[test]
    fn api_shape_round_trips() {
        let v = sample().to_api_json(false);
        assert_eq!(v["Action"], "died");
        assert_eq!(v["Actor"]["Attributes"]["containerExitCode"], "3");
        assert_eq!(v["Actor"]["Attributes"]["name"], "web");
        let mut own = sample();
        own.attributes.insert("name".into(), "web".into());
        own.attributes.insert("image".into(), "busybox".into());
        assert_eq!(Event::from_api_json(&v), Some(own));
        let image = Event {
            kind: "image".into(),
            status: "pull".into(),
            name: "busybox".into(),
            ..Event::default()
        };
        assert_eq!(Event::from_api_json(&image.to_api_json(false)), Some(image));
        let d = sample().to_api_json(true);
        assert_eq!(d["Action"], "die");
        assert_eq!(d["status"], "die");
        assert_eq!(d["Actor"]["Attributes"]["exitCode"], "3");
        assert_eq!(d["time"], 1);
        assert!(Event::from_api_json(&serde_json::json!({"x": 1})).is_none());
    }

    #[test]
    fn go_names() {
        let rows = [sample().template_value()];
        let out = gotmpl::render_rows(
            "{{.ID}} {{.Status}} {{.Type}} {{.Name}} {{.Image}} {{.ContainerExitCode}} {{.TimeNano}} {{.Time}} {{.Attributes.tier}}",
            &rows,
            &gotmpl::HeaderMap::new("events"),
        )
        .unwrap();
        assert_eq!(
            out,
            "abc died container web busybox 3 1500000000 1970-01-01 00:00:01.5 +0000 UTC web\n"
        );
        let mut e = sample();
        e.time_nano = 2_000_000_000;
        assert_eq!(e.time_string(), "1970-01-01 00:00:02 +0000 UTC");
    }
}
