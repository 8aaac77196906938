//! `system reset`: every container and image goes, then the root and the
//! run root are emptied (the events file with them).

use std::path::Path;

use rpod_api::{Error, Result};

use crate::container::ContainerError;
use crate::engine::Engine;
use crate::front_door::error;

pub(crate) async fn system_reset(engine: &Engine) -> Result<()> {
    for c in engine.containers()? {
        match engine.container(&c.id)?.remove(true, Some(0)).await {
            Ok(()) | Err(ContainerError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    // Images mounted with `image mount` go too (a live mount would keep
    // its directory).
    let images = engine.store().images().map_err(|e| error::other(&e))?;
    for image in images {
        engine
            .store()
            .unmount_image(&image.id, true)
            .map_err(|e| error::other(&e))?;
    }
    // Secrets go through their driver: a `path` driver option may keep
    // the data outside the root.
    let secrets = crate::secret::store::SecretStore::new(engine.ctx());
    for s in secrets.list()? {
        secrets.remove(&s.id)?;
    }
    // Buildah's store under the root: its working containers unmounted.
    let builds = engine.clone();
    tokio::task::spawn_blocking(move || crate::build::reset_store(&builds))
        .await
        .map_err(|e| Error::other(format!("reset task failed: {e}")))?
        .map_err(|e| Error::other(e.to_string()))?;
    // The containers' trees being removed on threads go first.
    engine.store().settle_removals();
    let config = engine.config();
    for dir in [&config.root, &config.runroot] {
        empty_dir(dir)?;
    }
    Ok(())
}

/// Removes everything inside `dir`, keeping `dir`.
fn empty_dir(dir: &Path) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::other(format!("{}: {e}", dir.display()))),
    };
    for entry in entries.flatten() {
        let path = entry.path();
        // Any depth (a container may have built a very deep tree), never
        // following symlinks or entering mounts. The monitors of the
        // containers just removed may still be finishing their clean-up,
        // which touches the store: a directory refilled meanwhile is
        // emptied again, for a bounded time.
        let mut tries = 0;
        loop {
            match crate::storage::remove_tree_if_exists(&path) {
                Err(e) if e.kind() == std::io::ErrorKind::DirectoryNotEmpty && tries < 50 => {
                    tries += 1;
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                res => {
                    res.map_err(|e| Error::other(format!("removing {}: {e}", path.display())))?;
                    break;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empties_but_keeps_the_dir() {
        let dir = std::env::temp_dir().join(format!("rpod-reset-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("a/b")).unwrap();
        std::fs::write(dir.join("a/b/f"), "x").unwrap();
        std::fs::write(dir.join("g"), "y").unwrap();
        empty_dir(&dir).unwrap();
        assert!(dir.is_dir());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        std::fs::remove_dir(&dir).unwrap();
        empty_dir(&dir).unwrap();
    }
}
