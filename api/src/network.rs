//! Networks (entities.NetworkPruneOptions, entities.NetworkPruneReport).
//! rpod has no networks of its own yet (issue 12): pruning is the one
//! operation.

use serde::{Deserialize, Serialize};

use crate::Error;

/// `network prune` options: `--filter` values as given.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkPruneOptions {
    pub filters: Vec<String>,
}

/// One network `network prune` removed (or failed to).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkPruneReport {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Error", skip_serializing_if = "Option::is_none", default)]
    pub error: Option<Error>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keys() {
        let j = serde_json::to_value(NetworkPruneReport {
            name: "n".into(),
            error: None,
        })
        .unwrap();
        assert_eq!(j, serde_json::json!({"Name": "n"}));
    }
}
