//! Telling a fresh root from one whose database was lost or damaged.
//!
//! SQLite happily treats a missing or 0-byte file as a new, empty database.
//! Re-creating it implicitly would orphan every running container (their
//! monitors, mounts and run-root state stay, but nothing knows them any
//! more) and let `rmi -a` delete layers they still use. So rpod writes a
//! marker beside the database when it first creates it; a database that is
//! missing or empty while the marker (or other store content) exists is
//! refused, and only `rpod system check --repair` moves it aside and
//! rebuilds it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// File name of the database in `<root>`.
pub(crate) const DB_FILE: &str = "db.sqlite";
/// Written in `<root>` once the database was created.
pub(crate) const MARKER_FILE: &str = "db.initialized";
/// What to run to recover, named in every damaged-database error.
pub const REPAIR_COMMAND: &str = "rpod system check --repair";

/// Whether `root` held a database before: the marker, or content that only
/// exists once a database was in use (images, layers, containers).
pub(crate) fn database_existed(root: &Path) -> bool {
    if root.join(MARKER_FILE).exists() {
        return true;
    }
    let storage = root.join("storage");
    [
        storage.join("images"),
        storage.join("layers"),
        storage.join("containers"),
        root.join("containers"),
    ]
    .iter()
    .any(|d| dir_has_entries(d))
}

fn dir_has_entries(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some())
}

/// Records that the database in `root` exists. Durable: losing the marker
/// would let a later truncation go unnoticed.
pub(crate) fn write_marker(root: &Path) -> std::io::Result<()> {
    let path = root.join(MARKER_FILE);
    if path.exists() {
        return Ok(());
    }
    let tmp = root.join(format!(".{MARKER_FILE}.tmp-{}", std::process::id()));
    let mut f = fs::File::create(&tmp)?;
    writeln!(
        f,
        "{DB_FILE} created {}; if it goes missing or empty, run '{REPAIR_COMMAND}'",
        chrono::Utc::now().to_rfc3339()
    )?;
    f.sync_all()?;
    fs::rename(&tmp, &path)?;
    fs::File::open(root)?.sync_all()
}

/// Whether a SQLite error means the file itself is damaged (not busy, not
/// a constraint, not a full disk).
pub fn is_damage(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}

/// The text appended to SQLite errors that mean damage.
pub(crate) fn damage_hint(e: &rusqlite::Error) -> String {
    if is_damage(e) {
        format!(" (the state database is damaged: run '{REPAIR_COMMAND}')")
    } else {
        String::new()
    }
}

/// Where a damaged database is moved by `--repair`:
/// `db.sqlite.corrupt-<UTC timestamp>`, with its `-wal` and `-shm` beside.
pub(crate) fn quarantine_path(root: &Path) -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.9fZ");
    root.join(format!("{DB_FILE}.corrupt-{stamp}"))
}

/// Moves the database and its WAL files aside; returns the new path of
/// the database file.
pub(crate) fn quarantine(root: &Path) -> std::io::Result<PathBuf> {
    let dest = quarantine_path(root);
    let db = root.join(DB_FILE);
    for suffix in ["", "-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{suffix}", db.display()));
        let to = PathBuf::from(format!("{}{suffix}", dest.display()));
        match fs::rename(&from, &to) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    fs::File::open(root)?.sync_all()?;
    Ok(dest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_root_did_not_exist_and_store_content_means_it_did() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!database_existed(dir.path()));
        fs::create_dir_all(dir.path().join("storage/layers")).unwrap();
        assert!(!database_existed(dir.path()), "empty dirs are not content");
        fs::create_dir_all(dir.path().join("storage/layers/abc")).unwrap();
        assert!(database_existed(dir.path()));
    }

    #[test]
    fn marker_means_existed_and_quarantine_moves_wal_files() {
        let dir = tempfile::tempdir().unwrap();
        write_marker(dir.path()).unwrap();
        assert!(database_existed(dir.path()));
        fs::write(dir.path().join(DB_FILE), b"garbage").unwrap();
        fs::write(dir.path().join("db.sqlite-wal"), b"w").unwrap();
        let moved = quarantine(dir.path()).unwrap();
        assert!(!dir.path().join(DB_FILE).exists());
        assert!(!dir.path().join("db.sqlite-wal").exists());
        assert_eq!(fs::read(&moved).unwrap(), b"garbage");
        assert!(moved
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("db.sqlite.corrupt-"));
        assert!(PathBuf::from(format!("{}-wal", moved.display())).exists());
    }
}
