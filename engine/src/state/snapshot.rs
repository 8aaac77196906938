//! A copy of each container's creation settings beside its data
//! (`<root>/containers/<id>/container.json`), so that `system check
//! --repair` can rebuild the database rows of a lost or damaged database.
//! Only what does not change after `create` (and the name) is kept; the
//! live state is rebuilt from the run root (monitor, exit file).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::records::ContainerRecord;
use crate::container::ContainerOptions;
use crate::pod::{PodOptions, PodRecord, PodTransition};

/// File name of the snapshot in a container's data directory.
const SNAPSHOT_FILE: &str = "container.json";

/// What a container was created with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContainerSnapshot {
    pub id: String,
    pub name: String,
    pub image_id: String,
    pub image_name: String,
    pub options: ContainerOptions,
    pub command: Vec<String>,
    pub runtime: String,
    pub created_at: i64,
}

impl ContainerSnapshot {
    pub fn of(rec: &ContainerRecord) -> Self {
        ContainerSnapshot {
            id: rec.id.clone(),
            name: rec.name.clone(),
            image_id: rec.image_id.clone(),
            image_name: rec.image_name.clone(),
            options: rec.options.clone(),
            command: rec.command.clone(),
            runtime: rec.runtime.clone(),
            created_at: rec.created_at,
        }
    }

    /// A `created` record with these settings (the caller sets live state).
    pub fn into_record(self) -> ContainerRecord {
        ContainerRecord {
            image_id: self.image_id,
            image_name: self.image_name,
            ..ContainerRecord::new_created(
                self.id,
                self.name,
                self.options,
                self.command,
                self.runtime,
                self.created_at,
            )
        }
    }
}

fn snapshot_path(root: &Path, id: &str) -> PathBuf {
    root.join("containers").join(id).join(SNAPSHOT_FILE)
}

/// Writes (atomically, durably) the snapshot of `rec`.
pub(crate) fn write(root: &Path, rec: &ContainerRecord) -> std::io::Result<()> {
    write_json(&snapshot_path(root, &rec.id), &ContainerSnapshot::of(rec))
}

pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    // Serialized whole first: serde_json writes token by token, which on
    // an unbuffered file is one write(2) per token (hundreds per record).
    let bytes = serde_json::to_vec(value)?;
    let mut f = fs::File::create(&tmp)?;
    f.write_all(&bytes)?;
    f.sync_all()?;
    fs::rename(&tmp, path)?;
    fs::File::open(dir)?.sync_all()
}

/// What a pod was created with (its members say they belong to it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PodSnapshot {
    pub id: String,
    pub name: String,
    pub options: PodOptions,
    pub infra_id: Option<String>,
    pub created_at: i64,
}

impl PodSnapshot {
    pub fn into_record(self) -> PodRecord {
        PodRecord {
            id: self.id,
            name: self.name,
            options: self.options,
            infra_id: self.infra_id,
            transition: PodTransition::Idle,
            created_at: self.created_at,
        }
    }
}

fn pod_snapshot_path(root: &Path, id: &str) -> PathBuf {
    root.join("pods").join(format!("{id}.json"))
}

/// Writes the snapshot of pod `p`.
pub(crate) fn write_pod(root: &Path, p: &PodRecord) -> std::io::Result<()> {
    let snap = PodSnapshot {
        id: p.id.clone(),
        name: p.name.clone(),
        options: p.options.clone(),
        infra_id: p.infra_id.clone(),
        created_at: p.created_at,
    };
    write_json(&pod_snapshot_path(root, &p.id), &snap)
}

/// Removes the snapshot of a deleted pod.
pub(crate) fn remove_pod(root: &Path, id: &str) {
    let _ = fs::remove_file(pod_snapshot_path(root, id));
}

/// Every readable pod snapshot, oldest first.
pub fn read_pods(root: &Path) -> Vec<PodSnapshot> {
    let mut found: Vec<PodSnapshot> = fs::read_dir(root.join("pods"))
        .map(|d| {
            d.flatten()
                .filter_map(|e| fs::read(e.path()).ok())
                .filter_map(|raw| serde_json::from_slice(&raw).ok())
                .collect()
        })
        .unwrap_or_default();
    found.sort_by_key(|p: &PodSnapshot| p.created_at);
    found
}

/// Every readable snapshot under `<root>/containers/`, with the ids of
/// data directories whose snapshot is missing or unreadable (and why).
pub fn read_all(root: &Path) -> (Vec<ContainerSnapshot>, Vec<(String, String)>) {
    let mut found = Vec::new();
    let mut bad = Vec::new();
    let Ok(entries) = fs::read_dir(root.join("containers")) else {
        return (found, bad);
    };
    for entry in entries.flatten() {
        let id = entry.file_name().to_string_lossy().into_owned();
        let path = snapshot_path(root, &id);
        match fs::read(&path) {
            Ok(raw) => match serde_json::from_slice::<ContainerSnapshot>(&raw) {
                Ok(s) if s.id == id => found.push(s),
                Ok(s) => bad.push((id, format!("{} names container {}", path.display(), s.id))),
                Err(e) => bad.push((id, format!("{}: {e}", path.display()))),
            },
            Err(e) => bad.push((id, format!("{}: {e}", path.display()))),
        }
    }
    found.sort_by_key(|s| s.created_at);
    (found, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_snapshots_are_read_back_and_bad_ones_reported() {
        let dir = tempfile::tempdir().unwrap();
        let mut rec = ContainerRecord::new_created(
            "abc".into(),
            "web".into(),
            ContainerOptions {
                image: "busybox".into(),
                ..Default::default()
            },
            vec!["sh".into()],
            "/usr/bin/runc".into(),
            7,
        );
        rec.image_id = "img".into();
        write(dir.path(), &rec).unwrap();
        fs::create_dir_all(dir.path().join("containers/def")).unwrap();
        let (found, bad) = read_all(dir.path());
        assert_eq!(found.len(), 1);
        let back = found[0].clone().into_record();
        assert_eq!(
            (back.id.as_str(), back.name.as_str(), back.image_id.as_str()),
            ("abc", "web", "img")
        );
        assert_eq!(back.options, rec.options);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].0, "def");
    }
}
