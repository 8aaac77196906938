//! `generate systemd` (entities.GenerateSystemdOptions,
//! entities.GenerateSystemdReport).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// How to write the units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateSystemdOptions {
    /// `--name`: container and pod names instead of IDs.
    pub use_name: bool,
    /// `--new`: units that create the container (pod) instead of starting it.
    pub new: bool,
    /// `--no-header`.
    pub no_header: bool,
    /// `--restart-policy` (checked by the engine).
    pub restart_policy: String,
    /// `--time`: the stop timeout, else the container's own.
    pub stop_timeout: Option<u64>,
    pub container_prefix: String,
    pub pod_prefix: String,
    pub separator: String,
}

impl Default for GenerateSystemdOptions {
    fn default() -> Self {
        GenerateSystemdOptions {
            use_name: false,
            new: false,
            no_header: false,
            restart_policy: "on-failure".into(),
            stop_timeout: None,
            container_prefix: "container".into(),
            pod_prefix: "pod".into(),
            separator: "-".into(),
        }
    }
}

/// The units: file name (`container-web.service`) → content.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateSystemdReport {
    pub units: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keys() {
        let r = GenerateSystemdReport {
            units: BTreeMap::from([("pod-p.service".to_owned(), "[Unit]\n".to_owned())]),
        };
        let j = serde_json::to_value(&r).unwrap();
        assert_eq!(j["Units"]["pod-p.service"], "[Unit]\n");
        let o = serde_json::to_value(GenerateSystemdOptions::default()).unwrap();
        assert_eq!(o["RestartPolicy"], "on-failure");
        assert_eq!(o["ContainerPrefix"], "container");
        assert_eq!(o["UseName"], false);
    }
}
