//! Requests and reports of the `Containers` service, in the shapes of Podman 5.8's
//! `pkg/domain/entities` (containers.go): which containers a batch request acts on
//! (names, `--all`, `--latest`, `--filter`, `--ignore`) and one report per container.

use std::collections::BTreeMap;
use std::time::Duration;

use gotmpl::ToTemplate;
use serde::{Deserialize, Serialize};

use crate::Error;

/// `--filter KEY=VALUE` specs grouped by key (Podman's `map[string][]string`): the
/// conditions of different keys must all hold, values of one key are alternatives
/// (`label`: all must match).
pub type Filters = BTreeMap<String, Vec<String>>;

/// The result for one container of a batch request (Podman's StopReport, RmReport,
/// KillReport, RestartReport, PauseUnpauseReport: `Err`, `Id`, `RawInput`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerReport {
    /// The container's full ID (empty when it could not be found).
    #[serde(rename = "Id")]
    pub id: String,
    /// The name or ID as the caller gave it (the ID for `--all`, `--latest`, `--filter`).
    pub raw_input: String,
    pub err: Option<Error>,
}

/// Podman's StopReport.
pub type StopReport = ContainerReport;
/// Podman's RmReport.
pub type RmReport = ContainerReport;
/// Podman's KillReport.
pub type KillReport = ContainerReport;
/// Podman's RestartReport.
pub type RestartReport = ContainerReport;
/// Podman's PauseUnpauseReport.
pub type PauseUnpauseReport = ContainerReport;

/// `stop` (Podman's StopOptions; `--cidfile` contents come as names).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct StopOptions {
    pub names: Vec<String>,
    pub all: bool,
    pub latest: bool,
    /// Missing containers are no error (and get no report).
    pub ignore: bool,
    /// Select among all running containers (with `all`).
    pub filters: Filters,
    /// Seconds to wait before SIGKILL; `None`: the container's own stop timeout.
    pub timeout: Option<u64>,
}

/// `kill` (Podman's KillOptions).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct KillOptions {
    pub names: Vec<String>,
    pub all: bool,
    pub latest: bool,
    pub signal: i32,
}

/// `rm` (Podman's RmOptions).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RmOptions {
    pub names: Vec<String>,
    pub all: bool,
    pub latest: bool,
    /// Missing containers are no error (and get no report).
    pub ignore: bool,
    pub force: bool,
    /// Remove the containers depending on each container first.
    pub depend: bool,
    pub volumes: bool,
    pub timeout: Option<u64>,
    pub filters: Filters,
}

/// The containers `start` acts on (Podman's ContainerStart selection):
/// `names`, or those `--all`/`--filter` select (only the named ones that
/// match, when names are given too), or the latest.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct StartSelectOptions {
    pub names: Vec<String>,
    pub all: bool,
    pub latest: bool,
    pub filters: Filters,
}

/// One container a batch command picked: what the user typed (the ID when
/// rpod chose the container) and its ID.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selected {
    pub raw_input: String,
    pub id: String,
}

/// `restart` (Podman's RestartOptions).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RestartOptions {
    pub names: Vec<String>,
    pub all: bool,
    pub latest: bool,
    /// Only the running containers (`--running`).
    pub running: bool,
    pub filters: Filters,
    pub timeout: Option<u64>,
}

/// `pause` and `unpause` (Podman's PauseUnPauseOptions).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PauseUnpauseOptions {
    pub names: Vec<String>,
    /// Every container the operation applies to (running ones for pause, paused
    /// ones for unpause).
    pub all: bool,
    pub latest: bool,
    pub filters: Filters,
}

/// `wait` (Podman's WaitOptions).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WaitOptions {
    pub names: Vec<String>,
    pub latest: bool,
    /// Missing containers report exit code -1 instead of an error.
    pub ignore: bool,
    /// `--condition` values (`stopped`, `running`, `healthy`, ...); none: exit.
    pub conditions: Vec<String>,
    pub interval: Duration,
}

/// Podman's WaitReport.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WaitReport {
    #[serde(rename = "Id")]
    pub id: String,
    pub raw_input: String,
    pub error: Option<Error>,
    /// The exit code, or -1 (a condition other than an exit, or an ignored
    /// missing container).
    pub exit_code: i32,
}

/// `container exists` (Podman's ContainerExistsOptions).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ContainerExistsOptions {
    /// Also containers of the storage without a record.
    pub external: bool,
    /// The latest container instead of a name.
    pub latest: bool,
}

/// `container cleanup` (Podman's ContainerCleanupOptions).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ContainerCleanupOptions {
    pub names: Vec<String>,
    pub all: bool,
    /// Remove each container after cleaning it up (`--rm`).
    pub remove: bool,
    /// `--latest`: the newest container (no names).
    #[serde(default)]
    pub latest: bool,
    /// `--rmi`: once the container is removed, remove its image unless
    /// another container uses it.
    #[serde(default)]
    pub remove_image: bool,
}

/// `ps` (Podman's ContainerListOptions; sorting and printing are the client's).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ContainerListOptions {
    pub all: bool,
    pub filters: Filters,
    /// The `last` newest containers (all states); negative: no limit.
    pub last: i64,
    pub latest: bool,
    /// Fill in the namespaces (`--ns`).
    pub namespace: bool,
    /// Fill in the pod names (`--pod`).
    pub pod: bool,
    /// Fill in the sizes (`--size`).
    pub size: bool,
}

/// `inspect` of containers (Podman's InspectOptions).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct InspectOptions {
    pub latest: bool,
    pub size: bool,
}

/// `top` (Podman's TopOptions).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct TopOptions {
    pub name_or_id: String,
    pub latest: bool,
    /// psgo descriptors (`pid`, `user`, `args`...) or ps(1) arguments.
    pub descriptors: Vec<String>,
}

/// Podman's StringSliceReport: `top`'s lines, cells separated by tabs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StringSliceReport {
    pub value: Vec<String>,
}

/// `mount` of containers (Podman's ContainerMountOptions).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ContainerMountOptions {
    pub names: Vec<String>,
    pub all: bool,
}

/// Podman's ContainerMountReport.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerMountReport {
    #[serde(rename = "Id")]
    pub id: String,
    pub name: String,
    pub path: String,
    pub err: Option<Error>,
}

/// `umount` of containers (Podman's ContainerUnmountOptions).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ContainerUnmountOptions {
    pub names: Vec<String>,
    pub all: bool,
    pub force: bool,
}

/// Podman's ContainerUnmountReport; `unmounted` tells whether the root filesystem
/// was really unmounted (others still using it keep it mounted).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerUnmountReport {
    #[serde(rename = "Id")]
    pub id: String,
    pub raw_input: String,
    pub unmounted: bool,
    pub err: Option<Error>,
}

/// What `diff` compares (Podman's DiffOptions.Type).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DiffType {
    /// A container, else an image.
    #[default]
    All,
    Container,
    Image,
}

/// `diff` (Podman's DiffOptions).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct DiffOptions {
    pub latest: bool,
    pub r#type: DiffType,
}

/// One changed path (containers/storage archive.Change).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Change {
    pub path: String,
    /// `A` added, `C` changed, `D` deleted.
    pub kind: char,
}

/// Podman's DiffReport.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DiffReport {
    pub changes: Vec<Change>,
}

/// Podman's HealthCheckResults as `healthcheck run` reports them: `healthy`,
/// `unhealthy` or `starting`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToTemplate)]
#[go(type = "define.HealthCheckResults")]
pub struct HealthCheckRunReport {
    #[serde(rename = "Status")]
    pub status: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn report_json_keys() {
        let r = ContainerReport {
            id: "abc".into(),
            raw_input: "web".into(),
            err: Some(Error::new(ErrorKind::NoSuchContainer, "gone")),
        };
        let j = serde_json::to_value(&r).unwrap();
        assert_eq!(j["Id"], "abc");
        assert_eq!(j["RawInput"], "web");
        assert_eq!(j["Err"]["kind"], "NoSuchContainer");
        let w = WaitReport {
            id: "abc".into(),
            exit_code: 3,
            ..WaitReport::default()
        };
        let j = serde_json::to_value(&w).unwrap();
        assert_eq!(j["ExitCode"], 3);
        assert!(j["Error"].is_null());
        let t = StringSliceReport {
            value: vec!["PID".into()],
        };
        assert_eq!(serde_json::to_value(&t).unwrap()["Value"][0], "PID");
        let d = DiffReport {
            changes: vec![Change {
                path: "/a".into(),
                kind: 'A',
            }],
        };
        let j = serde_json::to_value(&d).unwrap();
        assert_eq!(j["Changes"][0]["Path"], "/a");
        assert_eq!(j["Changes"][0]["Kind"], "A");
    }

    #[test]
    fn health_report_templates() {
        let h = HealthCheckRunReport {
            status: "healthy".into(),
        };
        let out = gotmpl::render_value("{{.Status}}", &h.to_template(), "healthcheck").unwrap();
        assert_eq!(out, "healthy\n");
    }

    #[test]
    fn options_round_trip() {
        let o = StopOptions {
            names: vec!["a".into()],
            filters: [("label".to_string(), vec!["k=v".to_string()])].into(),
            timeout: Some(3),
            ..StopOptions::default()
        };
        let s = serde_json::to_string(&o).unwrap();
        let back: StopOptions = serde_json::from_str(&s).unwrap();
        assert_eq!(back.names, o.names);
        assert_eq!(back.filters, o.filters);
        assert_eq!(back.timeout, Some(3));
    }
}
