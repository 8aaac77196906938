//! What CRI keeps about a sandbox or container that rpod's pods and
//! containers have no field for: one JSON label per object, under a key
//! CRI clients never see (it is taken out of the labels they get back).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

/// The label of a pod that is a CRI sandbox.
pub const SANDBOX_KEY: &str = "io.rpod.cri.sandbox";
/// The label of a container created through CRI.
pub const CONTAINER_KEY: &str = "io.rpod.cri.container";

/// A sandbox's CRI metadata.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxMeta {
    pub name: String,
    pub uid: String,
    pub namespace: String,
    pub attempt: u32,
    pub annotations: BTreeMap<String, String>,
    pub log_directory: String,
    pub runtime_handler: String,
    /// NamespaceOption's network, pid and ipc modes as requested.
    pub network_mode: i32,
    pub pid_mode: i32,
    pub ipc_mode: i32,
    /// The kubelet's cgroup for the pod (cgroupfs path), its containers'
    /// parent.
    #[serde(default)]
    pub cgroup_parent: String,
    /// The sandbox security context's `privileged` (`None`: no security
    /// context): only a privileged sandbox holds privileged containers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileged: Option<bool>,
}

/// A container's CRI metadata.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerMeta {
    pub name: String,
    pub attempt: u32,
    pub sandbox_id: String,
    pub annotations: BTreeMap<String, String>,
    /// The full path of the log file (sandbox log directory + log_path).
    pub log_path: String,
    /// The image as the request named it.
    pub image: String,
}

/// The user's labels of an object and its CRI record under `key` (`None`:
/// not a CRI object, or a record this release cannot read).
pub fn split<T: for<'de> Deserialize<'de>>(
    labels: Option<&BTreeMap<String, String>>,
    key: &str,
) -> (HashMap<String, String>, Option<T>) {
    let mut user = HashMap::new();
    let mut record = None;
    for (k, v) in labels.into_iter().flatten() {
        if k == key {
            record = serde_json::from_str(v).ok();
        } else if k != SANDBOX_KEY && k != CONTAINER_KEY {
            user.insert(k.clone(), v.clone());
        }
    }
    (user, record)
}

/// The labels to store: the user's plus the record under `key`.
pub fn join<T: Serialize>(
    user: &HashMap<String, String>,
    key: &str,
    record: &T,
) -> Result<Vec<(String, String)>, serde_json::Error> {
    let mut out: Vec<(String, String)> = user
        .iter()
        .filter(|(k, _)| k.as_str() != SANDBOX_KEY && k.as_str() != CONTAINER_KEY)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    out.sort();
    out.push((key.to_owned(), serde_json::to_string(record)?));
    Ok(out)
}

/// Whether `labels` has every pair of `selector` (CRI's label selector).
pub fn selects(labels: &HashMap<String, String>, selector: &HashMap<String, String>) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_hides_the_record() {
        let user: HashMap<String, String> = [("app".to_owned(), "web".to_owned())].into();
        let meta = ContainerMeta {
            name: "c".into(),
            sandbox_id: "s".into(),
            ..Default::default()
        };
        let stored: BTreeMap<String, String> = join(&user, CONTAINER_KEY, &meta)
            .unwrap()
            .into_iter()
            .collect();
        assert_eq!(stored.len(), 2);
        let (back, rec) = split::<ContainerMeta>(Some(&stored), CONTAINER_KEY);
        assert_eq!(back, user);
        assert_eq!(rec, Some(meta));
        let (_, none) = split::<SandboxMeta>(Some(&stored), SANDBOX_KEY);
        assert_eq!(none, None);
        assert!(selects(
            &back,
            &[("app".to_owned(), "web".to_owned())].into()
        ));
        assert!(!selects(
            &back,
            &[("app".to_owned(), "db".to_owned())].into()
        ));
    }
}
