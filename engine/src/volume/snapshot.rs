//! A copy of each volume's creation settings beside its data
//! (`<root>/volumes/NAME/volume.json`), so that `system check --repair` can
//! give a rebuilt database the volumes of `<root>/volumes` back: with their
//! driver, labels, options and anonymity from the snapshot, or as plain
//! local volumes when there is none (a volume made before snapshots were
//! written). The live fields are rebuilt from what is on disk.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{mountpoint, volume_dir, VolumeRecord, LOCAL_DRIVER};

const SNAPSHOT_FILE: &str = "volume.json";

#[derive(Debug, Serialize, Deserialize)]
struct VolumeSnapshot {
    name: String,
    driver: String,
    labels: BTreeMap<String, String>,
    options: BTreeMap<String, String>,
    anonymous: bool,
    created_at: i64,
}

fn path(root: &Path, name: &str) -> PathBuf {
    volume_dir(root, name).join(SNAPSHOT_FILE)
}

/// Writes (atomically, durably) the snapshot of a new volume.
pub(crate) fn write(root: &Path, v: &VolumeRecord) -> std::io::Result<()> {
    let snap = VolumeSnapshot {
        name: v.name.clone(),
        driver: v.driver.clone(),
        labels: v.labels.clone(),
        options: v.options.clone(),
        anonymous: v.anonymous,
        created_at: v.created_at,
    };
    crate::state::snapshot::write_json(&path(root, &v.name), &snap)
}

/// The row of the volume directory `<root>/volumes/NAME`, if it is one
/// (it has `_data`): copy-up and first-use ownership still pending only
/// while `_data` is empty, as after a create.
fn rebuild(root: &Path, name: &str) -> Option<VolumeRecord> {
    let data = mountpoint(root, name);
    if !data.is_dir() {
        return None;
    }
    let snap = std::fs::read(path(root, name))
        .ok()
        .and_then(|raw| serde_json::from_slice::<VolumeSnapshot>(&raw).ok())
        .filter(|s| s.name == name);
    let created_at = || {
        std::fs::metadata(volume_dir(root, name))
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_nanos()).ok())
            .unwrap_or(0)
    };
    let pristine = std::fs::read_dir(&data).is_ok_and(|mut d| d.next().is_none());
    let mut rec = VolumeRecord {
        name: name.to_owned(),
        driver: LOCAL_DRIVER.to_owned(),
        needs_copy_up: pristine,
        needs_chown: pristine,
        ..Default::default()
    };
    match snap {
        Some(s) => {
            rec.driver = s.driver;
            rec.labels = s.labels;
            rec.options = s.options;
            rec.anonymous = s.anonymous;
            rec.created_at = s.created_at;
        }
        None => rec.created_at = created_at(),
    }
    Some(rec)
}

/// Every volume of the volumes directory `root`, oldest first.
pub(crate) fn read_all(root: &Path) -> Vec<VolumeRecord> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut found: Vec<VolumeRecord> = entries
        .flatten()
        .filter_map(|e| rebuild(root, &e.file_name().to_string_lossy()))
        .collect();
    found.sort_by(|a, b| (a.created_at, &a.name).cmp(&(b.created_at, &b.name)));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volumes_come_back_from_snapshots_or_their_directories() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let v = VolumeRecord {
            name: "withsnap".into(),
            driver: LOCAL_DRIVER.into(),
            labels: [("l".to_string(), "x".to_string())].into(),
            options: [("o".to_string(), "size=1m".to_string())].into(),
            anonymous: true,
            created_at: 42,
            ..Default::default()
        };
        std::fs::create_dir_all(mountpoint(root, "withsnap")).unwrap();
        write(root, &v).unwrap();
        std::fs::create_dir_all(mountpoint(root, "old")).unwrap();
        std::fs::write(mountpoint(root, "old").join("f"), "x").unwrap();
        // A directory without `_data` is no volume.
        std::fs::create_dir_all(volume_dir(root, "junk")).unwrap();
        let all = read_all(root);
        assert_eq!(all.len(), 2, "{all:?}");
        let snap = &all[0];
        assert_eq!(snap.name, "withsnap");
        assert_eq!(snap.labels, v.labels);
        assert_eq!(snap.options, v.options);
        assert!(snap.anonymous && snap.needs_copy_up && snap.needs_chown);
        let old = &all[1];
        assert_eq!(old.name, "old");
        assert_eq!(old.driver, LOCAL_DRIVER);
        assert!(!old.anonymous && !old.needs_copy_up && !old.needs_chown);
        assert!(old.created_at > 42);
    }
}
