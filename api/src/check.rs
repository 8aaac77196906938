//! `system check` (entities.SystemCheckOptions, entities.SystemCheckReport,
//! plus the database, which rpod checks and Podman's storage check does not).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What to check and repair.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SystemCheckOptions {
    /// `--quick`: skip the time-consuming checks.
    pub quick: bool,
    /// `--repair`: remove what is damaged and unused.
    pub repair: bool,
    /// `--force`: also remove containers that use damaged images (implies repair).
    pub repair_lossy: bool,
    /// `--max`: unreferenced layers older than this are damage (default 24h).
    pub unreferenced_layer_maximum_age: Option<Duration>,
}

/// What was found and done.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SystemCheckReport {
    /// Whether any damage was found.
    pub errors: bool,
    /// The database file → what is wrong with it.
    pub database: BTreeMap<String, Vec<String>>,
    /// Where a damaged database was moved by a repair.
    pub moved_database: Option<String>,
    /// Container id → name: rows rebuilt from snapshots and run-root state.
    pub rebuilt_containers: BTreeMap<String, String>,
    /// Volume names: rows rebuilt from `<root>/volumes`.
    #[serde(default)]
    pub rebuilt_volumes: Vec<String>,
    pub layers: BTreeMap<String, Vec<String>>,
    pub removed_layers: Vec<String>,
    pub images: BTreeMap<String, Vec<String>>,
    /// Image id → its names.
    pub removed_images: BTreeMap<String, Vec<String>>,
    pub containers: BTreeMap<String, Vec<String>>,
    /// Container id → name.
    pub removed_containers: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keys() {
        let mut r = SystemCheckReport {
            errors: true,
            ..SystemCheckReport::default()
        };
        r.layers
            .insert("l".into(), vec!["layer not referenced".into()]);
        r.removed_containers.insert("c".into(), "web".into());
        let j = serde_json::to_value(&r).unwrap();
        assert_eq!(j["Errors"], true);
        assert_eq!(j["Layers"]["l"][0], "layer not referenced");
        assert_eq!(j["RemovedContainers"]["c"], "web");
        assert!(j["MovedDatabase"].is_null());
        let o = serde_json::to_value(SystemCheckOptions::default()).unwrap();
        assert_eq!(o["RepairLossy"], false);
        assert!(o["UnreferencedLayerMaximumAge"].is_null());
    }
}
