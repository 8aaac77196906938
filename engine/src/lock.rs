//! Cross-process exclusion: one lock file per container (and later pod) in
//! the run root, held with `flock`. The kernel releases a lock when its
//! holder dies, so a SIGKILLed CLI never leaves a container locked. Locks
//! are always taken in one global order (pod before container, then by
//! id) so two processes can never deadlock.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("locking {path}: {source}")]
pub struct LockError {
    path: PathBuf,
    source: std::io::Error,
}

/// An exclusive lock, released on drop (when the file is closed).
#[derive(Debug)]
pub struct LockGuard {
    _file: File,
}

/// Blocks until the lock named `name` in `dir` is held exclusively.
pub fn lock_exclusive(dir: &Path, name: &str) -> Result<LockGuard, LockError> {
    let path = dir.join(format!("{name}.lock"));
    let err = |source| LockError {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(err)?;
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(err)?;
    file.lock().map_err(err)?;
    Ok(LockGuard { _file: file })
}

/// Removes the lock file of an object that no longer exists. Safe while
/// others wait on it: they hold the old inode and find the object gone.
pub fn remove_lock_file(dir: &Path, name: &str) {
    let _ = std::fs::remove_file(dir.join(format!("{name}.lock")));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_waits_until_first_drops() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock_exclusive(dir.path(), "c1").unwrap();
        let path = dir.path().join("c1.lock");
        let other = File::open(&path).unwrap();
        assert!(matches!(
            other.try_lock(),
            Err(std::fs::TryLockError::WouldBlock)
        ));
        drop(first);
        other.try_lock().unwrap();
    }
}
