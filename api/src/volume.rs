//! Volumes (entities.VolumeRmOptions, entities.VolumeRmReport). rpod has no
//! named volumes yet (issue 13): removing all of them is the one operation.

use serde::{Deserialize, Serialize};

use crate::Error;

/// `volume rm` options.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VolumeRmOptions {
    /// `--all`.
    pub all: bool,
    /// `--force`: also volumes in use (with their containers).
    pub force: bool,
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
        })
        .unwrap();
        assert_eq!(o, serde_json::json!({"All": true, "Force": false}));
    }
}
