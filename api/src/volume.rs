//! Volumes: `volume create` (entities.VolumeCreateOptions), `volume
//! inspect` and `volume ls` (entities.VolumeConfigResponse, which is
//! define.InspectVolumeData), `volume rm` and `volume prune`.

use std::collections::BTreeMap;

use gotmpl::ToTemplate;
use serde::{Deserialize, Serialize};

use crate::time::GoTime;
use crate::Error;

/// `volume create` options.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VolumeCreateOptions {
    /// `None`: an anonymous name (64 hex digits).
    pub name: Option<String>,
    /// `--driver` (`local` when empty).
    pub driver: String,
    /// `--label`.
    pub label: BTreeMap<String, String>,
    /// `--opt`: the driver's options.
    pub options: BTreeMap<String, String>,
    /// `--ignore`: an existing volume of that name is no error.
    pub ignore_if_exists: bool,
}

/// One volume, as `volume inspect` and `volume ls` show it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToTemplate)]
#[go(type = "*entities.VolumeConfigResponse")]
pub struct VolumeConfigResponse {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Driver")]
    pub driver: String,
    #[serde(rename = "Mountpoint")]
    pub mountpoint: String,
    #[serde(rename = "CreatedAt")]
    pub created_at: GoTime,
    #[serde(rename = "Labels")]
    pub labels: BTreeMap<String, String>,
    #[serde(rename = "Scope")]
    pub scope: String,
    #[serde(rename = "Options")]
    pub options: BTreeMap<String, String>,
    #[serde(rename = "UID", skip_serializing_if = "is_zero_i64", default)]
    pub uid: i64,
    #[serde(rename = "GID", skip_serializing_if = "is_zero_i64", default)]
    pub gid: i64,
    #[serde(rename = "Anonymous", skip_serializing_if = "is_false", default)]
    pub anonymous: bool,
    #[serde(rename = "MountCount")]
    pub mount_count: u64,
    #[serde(rename = "NeedsCopyUp", skip_serializing_if = "is_false", default)]
    pub needs_copy_up: bool,
    #[serde(rename = "NeedsChown", skip_serializing_if = "is_false", default)]
    pub needs_chown: bool,
    #[serde(rename = "LockNumber")]
    pub lock_number: u32,
}

fn is_false(b: &bool) -> bool {
    !b
}

fn is_zero_i64(n: &i64) -> bool {
    *n == 0
}

/// `volume ls` options: `--filter` values as given (`name=`, `label=`,
/// `driver=`, `dangling=`, ...), checked by the engine.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeListOptions {
    pub filters: Vec<String>,
}

/// `volume prune` options: `--filter` values (`label=`, `label!=`, `until=`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumePruneOptions {
    pub filters: Vec<String>,
}

/// `volume rm` options.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VolumeRmOptions {
    /// `--all`.
    pub all: bool,
    /// `--force`: also volumes in use (with their containers); a missing
    /// volume is no error.
    pub force: bool,
    /// `--time`: seconds to wait before killing the containers `--force`
    /// removes (their stop timeout when `None`).
    #[serde(default)]
    pub timeout: Option<i64>,
}

/// One volume `volume rm` removed (or failed to).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeRmReport {
    #[serde(rename = "Err", skip_serializing_if = "Option::is_none", default)]
    pub err: Option<Error>,
    #[serde(rename = "Id")]
    pub id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keys() {
        let j = serde_json::to_value(VolumeRmReport {
            err: None,
            id: "v".into(),
        })
        .unwrap();
        assert_eq!(j, serde_json::json!({"Id": "v"}));
        let o = serde_json::to_value(VolumeRmOptions {
            all: true,
            force: false,
            timeout: None,
        })
        .unwrap();
        assert_eq!(
            o,
            serde_json::json!({"All": true, "Force": false, "Timeout": null})
        );
    }

    fn sample() -> VolumeConfigResponse {
        VolumeConfigResponse {
            name: "v".into(),
            driver: "local".into(),
            mountpoint: "/r/volumes/v/_data".into(),
            created_at: GoTime::from_unix_nanos(1_700_000_000_000_000_000),
            labels: [("l".to_string(), "x".to_string())].into(),
            scope: "local".into(),
            needs_copy_up: true,
            needs_chown: true,
            lock_number: 3,
            ..Default::default()
        }
    }

    #[test]
    fn inspect_json_is_podmans() {
        let j = serde_json::to_value(sample()).unwrap();
        let keys: Vec<&str> = j.as_object().unwrap().keys().map(String::as_str).collect();
        let mut want = vec![
            "Name",
            "Driver",
            "Mountpoint",
            "CreatedAt",
            "Labels",
            "Scope",
            "Options",
            "MountCount",
            "NeedsCopyUp",
            "NeedsChown",
            "LockNumber",
        ];
        let mut got = keys.clone();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want);
        assert_eq!(j["Options"], serde_json::json!({}));
        assert_eq!(j["Labels"]["l"], "x");
        // Zero values Podman omits stay out.
        let plain = serde_json::to_value(VolumeConfigResponse::default()).unwrap();
        assert!(plain.get("NeedsCopyUp").is_none() && plain.get("Anonymous").is_none());
        assert_eq!(plain["MountCount"], 0);
    }

    #[test]
    fn go_names_in_templates() {
        let v = sample().to_template();
        let render = |t: &str| {
            gotmpl::render_value(t, &v, "volume")
                .unwrap()
                .trim_end()
                .to_owned()
        };
        assert_eq!(render("{{.Name}} {{.Driver}} {{.Scope}}"), "v local local");
        assert_eq!(render("{{.Mountpoint}}"), "/r/volumes/v/_data");
        assert_eq!(render("{{.NeedsCopyUp}} {{.NeedsChown}}"), "true true");
        assert_eq!(render("{{.MountCount}} {{.LockNumber}}"), "0 3");
        assert_eq!(render("{{.Labels.l}}"), "x");
        assert_eq!(render("{{.Anonymous}}"), "false");
    }
}
