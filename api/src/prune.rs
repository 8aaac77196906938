//! Prune reports: `container prune`, `system prune` (reports.PruneReport,
//! entities.SystemPruneReport, entities.PodPruneReport).

use serde::{Deserialize, Serialize};

use crate::Error;

/// One object a prune removed (or failed to): reports.PruneReport.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PruneReport {
    #[serde(rename = "Id")]
    pub id: String,
    #[serde(rename = "Err", skip_serializing_if = "Option::is_none", default)]
    pub err: Option<Error>,
    /// Bytes freed.
    #[serde(rename = "Size")]
    pub size: u64,
}

/// One pod `system prune` removed: entities.PodPruneReport.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodPruneReport {
    #[serde(rename = "Err", skip_serializing_if = "Option::is_none", default)]
    pub err: Option<Error>,
    #[serde(rename = "Id")]
    pub id: String,
}

/// `system prune`: what went, in the order Podman removes it (pods,
/// containers, volumes with `--volumes`, images; networks when rpod has them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SystemPruneReport {
    pub pod_prune_report: Vec<PodPruneReport>,
    pub container_prune_reports: Vec<PruneReport>,
    pub image_prune_reports: Vec<PruneReport>,
    pub volume_prune_reports: Vec<PruneReport>,
    /// Bytes freed by the containers' writable layers and the images.
    pub reclaimed_space: u64,
}

/// `container prune` options (entities.ContainerPruneOptions): `--filter`
/// values as given (`label=k=v`, `until=10m`), checked by the engine.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerPruneOptions {
    pub filters: Vec<String>,
}

/// `system prune` options (entities.SystemPruneOptions).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemPruneOptions {
    /// `--all`: every image no container uses, not only dangling ones.
    pub all: bool,
    /// `--volumes`: also the volumes no container uses.
    pub volume: bool,
    /// `--filter` values as given (`label=...`, `until=...`).
    pub filters: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn json_keys() {
        let r = SystemPruneReport {
            pod_prune_report: vec![PodPruneReport {
                err: None,
                id: "p".into(),
            }],
            container_prune_reports: vec![PruneReport {
                id: "c".into(),
                err: Some(Error::new(ErrorKind::InUse, "busy")),
                size: 3,
            }],
            reclaimed_space: 7,
            ..SystemPruneReport::default()
        };
        let j = serde_json::to_value(&r).unwrap();
        assert_eq!(j["PodPruneReport"][0]["Id"], "p");
        assert!(j["PodPruneReport"][0].get("Err").is_none());
        assert_eq!(j["ContainerPruneReports"][0]["Id"], "c");
        assert_eq!(j["ContainerPruneReports"][0]["Size"], 3);
        assert_eq!(j["ContainerPruneReports"][0]["Err"]["message"], "busy");
        assert_eq!(j["ImagePruneReports"], serde_json::json!([]));
        assert_eq!(j["VolumePruneReports"], serde_json::json!([]));
        assert_eq!(j["ReclaimedSpace"], 7);
        let back: SystemPruneReport = serde_json::from_value(j).unwrap();
        assert_eq!(back, r);
    }
}
