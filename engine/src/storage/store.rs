//! The store handle: directory layout, the cross-process storage lock and
//! private temp directories that a killed writer leaves behind for the next
//! `open` to clean.

use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustix::fs::FlockOperation;
use rustix::io::Errno;

use super::error::{Result, StorageError};
use super::limits::UnpackLimits;
use super::tree_remove::{remove_tree, remove_tree_if_exists};
use crate::background::Background;
use crate::config::StorageDriver;

/// Name of the storage directory below the rpod root.
const STORAGE_DIR: &str = "storage";
/// Lock file serializing metadata updates across processes.
const LOCK_FILE: &str = "storage.lock";
/// Directory of in-progress work (downloads, extractions, new images).
const TMP_DIR: &str = "tmp";
/// About this many trees of removed containers are deleted at once.
const REMOVALS_AT_ONCE: usize = 4;
/// Suffix of the lock file that marks a temp directory as in use.
pub(crate) const TMP_LOCK_SUFFIX: &str = ".lock";

/// Handle on rpod's image and layer store under `<root>/storage/`:
///
/// ```text
/// storage/
///   storage.lock                  flock: shared readers, exclusive writers
///   layers/<chain-id-hex>/diff    unpacked layer (overlay format)
///   layers/<chain-id-hex>/layer.json, link
///   l/<short-id> -> ../layers/<chain-id-hex>/diff   short names for overlay
///   images/<image-id>/{manifest.json,config.json,image.json}
///   names.json                    image name -> image id
///   blobs/sha256/<hex>            layer blobs as received (compressed or not)
///   containers/<id>/{upper,work,merged}
///   tmp/                          in-progress work, cleaned on open
/// ```
///
/// Cheap to clone; clones share nothing but paths, so they may be moved to
/// blocking threads.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) inner: Arc<Paths>,
    /// Bounds on unpacking layers (rpod.conf `[storage]`).
    pub(crate) limits: UnpackLimits,
    driver: StorageDriver,
    /// containers-storage.conf's `mount_program` (fuse-overlayfs): mounts
    /// overlays instead of the kernel.
    mount_program: Option<PathBuf>,
}

/// Paths of the store's parts.
#[derive(Debug)]
pub(crate) struct Paths {
    pub(crate) dir: PathBuf,
    pub(crate) layers: PathBuf,
    pub(crate) links: PathBuf,
    pub(crate) images: PathBuf,
    pub(crate) containers: PathBuf,
    pub(crate) tmp: PathBuf,
    pub(crate) names: PathBuf,
    pub(crate) blobs: PathBuf,
    lock: PathBuf,
    /// Trees being removed on threads (see [`Store::remove_tree_aside`]).
    pub(crate) deferred: Background,
}

/// A held flock on the storage lock file; released on drop (or by the
/// kernel if the process dies).
#[derive(Debug)]
pub(crate) struct LockGuard {
    _file: File,
}

/// A private directory under `storage/tmp/`, marked in use by an flock on its
/// sibling `.lock` file for as long as this value lives. Removed on drop
/// unless its content was moved away.
#[derive(Debug)]
pub(crate) struct TempDir {
    path: PathBuf,
    lock_path: PathBuf,
    _lock: File,
}

impl TempDir {
    /// The directory.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Err(e) = remove_tree_if_exists(&self.path) {
            tracing::warn!("removing temp dir {}: {e}", self.path.display());
        }
        let _ = fs::remove_file(&self.lock_path);
    }
}

fn mkdir(path: &Path, mode: u32) -> Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(path)
        .map_err(StorageError::io("creating", path))
}

impl Store {
    /// Opens (creating if needed) the store under `<root>/storage/`, where
    /// `root` is rpod's `--root` (default `/var/lib/rpod`). Leftovers of
    /// killed writers are removed when no other process holds the lock.
    #[cfg(test)]
    pub fn open(root: &Path) -> Result<Store> {
        Self::open_with_driver(root, StorageDriver::default())
    }

    /// As [`Store::open`]; new container root filesystems use `driver`
    /// (existing ones keep the driver they were made with).
    pub fn open_with_driver(root: &Path, driver: StorageDriver) -> Result<Store> {
        let dir = root.join(STORAGE_DIR);
        let paths = Paths {
            layers: dir.join("layers"),
            links: dir.join("l"),
            images: dir.join("images"),
            containers: dir.join("containers"),
            tmp: dir.join(TMP_DIR),
            names: dir.join("names.json"),
            blobs: dir.join("blobs").join("sha256"),
            lock: dir.join(LOCK_FILE),
            dir,
            deferred: Background::new("remove-tree", REMOVALS_AT_ONCE),
        };
        mkdir(&paths.dir, 0o700)?;
        for d in [
            &paths.layers,
            &paths.links,
            &paths.images,
            &paths.containers,
            &paths.tmp,
            &paths.blobs,
        ] {
            mkdir(d, 0o700)?;
        }
        let store = Store {
            inner: Arc::new(paths),
            limits: UnpackLimits::default(),
            driver,
            mount_program: None,
        };
        store.discard_dead_pulls();
        // Scratch space left by killed writers is only wasted space: failing
        // to reclaim it must not make the store unusable.
        if let Err(e) = store.clean_temp() {
            tracing::warn!(
                "cleaning up temporary storage: {}",
                crate::error_chain::display_chain(&e)
            );
        }
        Ok(store)
    }

    /// This store with `limits` on unpacking layers.
    pub fn with_limits(mut self, limits: UnpackLimits) -> Store {
        self.limits = limits;
        self
    }

    /// This store with overlays mounted by `program` (`mount_program`).
    pub fn with_mount_program(mut self, program: Option<PathBuf>) -> Store {
        self.mount_program = program;
        self
    }

    /// The configured overlay mount program.
    pub fn mount_program(&self) -> Option<&Path> {
        self.mount_program.as_deref()
    }

    /// The limits on unpacking layers.
    pub fn limits(&self) -> &UnpackLimits {
        &self.limits
    }

    /// The storage directory (`<root>/storage`).
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Name of the graph driver, as shown by `info`.
    pub fn graph_driver_name(&self) -> &str {
        self.driver.name()
    }

    /// The driver new container root filesystems get.
    pub fn driver(&self) -> StorageDriver {
        self.driver
    }

    fn open_lock_file(&self) -> Result<File> {
        let path = &self.inner.lock;
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(StorageError::io("opening", path))
    }

    fn lock(&self, op: FlockOperation) -> Result<LockGuard> {
        let file = self.open_lock_file()?;
        loop {
            match rustix::fs::flock(&file, op) {
                Ok(()) => return Ok(LockGuard { _file: file }),
                Err(Errno::INTR) => continue,
                Err(e) => return Err(StorageError::io("locking", &self.inner.lock)(e.into())),
            }
        }
    }

    /// Takes the storage lock exclusively if nobody holds it right now.
    fn try_lock_exclusive(&self) -> Result<Option<LockGuard>> {
        let file = self.open_lock_file()?;
        match rustix::fs::flock(&file, FlockOperation::NonBlockingLockExclusive) {
            Ok(()) => Ok(Some(LockGuard { _file: file })),
            Err(Errno::WOULDBLOCK) => Ok(None),
            Err(e) => Err(StorageError::io("locking", &self.inner.lock)(e.into())),
        }
    }

    /// Takes the storage lock shared (readers, and writers of private temp state).
    pub(crate) fn lock_shared(&self) -> Result<LockGuard> {
        self.lock(FlockOperation::LockShared)
    }

    /// Takes the storage lock exclusively (metadata updates).
    pub(crate) fn lock_exclusive(&self) -> Result<LockGuard> {
        self.lock(FlockOperation::LockExclusive)
    }

    /// Creates a private temp directory. Created under the shared lock so
    /// that cleanup (exclusive) never sees it before its marker is locked.
    pub(crate) fn temp_dir(&self) -> Result<TempDir> {
        let _guard = self.lock_shared()?;
        self.temp_dir_locked()
    }

    /// Removes the tree `dir` of the store without waiting for it: `dir`
    /// is renamed over a new private temp directory (it is gone from its
    /// place when this returns) whose tree is then removed on a thread
    /// while the caller goes on (see [`Background`]); the store waits for
    /// it when its last handle is dropped. The temp directory's owner
    /// lock is held until its tree is gone, so a process killed meanwhile
    /// leaves an entry that the next `Store::open` removes. Where the
    /// rename fails the tree is removed here. Missing is not an error.
    pub(crate) fn remove_tree_aside(&self, dir: &Path) -> Result<()> {
        let aside = self.temp_dir()?;
        match fs::rename(dir, aside.path()) {
            Ok(()) => {
                self.inner.deferred.push(move || drop(aside));
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => {
                tracing::debug!("moving {} aside: {e}", dir.display());
                drop(aside);
                remove_tree_if_exists(dir).map_err(StorageError::io("removing", dir))
            }
        }
    }

    /// Waits for the trees being removed on threads.
    pub(crate) fn settle_removals(&self) {
        self.inner.deferred.settle();
    }

    /// [`Store::temp_dir`] for a caller that already holds the storage lock.
    pub(crate) fn temp_dir_locked(&self) -> Result<TempDir> {
        let name = format!("{}-{:016x}", std::process::id(), rand::random::<u64>());
        let path = self.inner.tmp.join(&name);
        let lock_path = self.inner.tmp.join(format!("{name}{TMP_LOCK_SUFFIX}"));
        let lock = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&lock_path)
            .map_err(StorageError::io("creating", &lock_path))?;
        rustix::fs::flock(&lock, FlockOperation::LockExclusive)
            .map_err(|e| StorageError::io("locking", &lock_path)(e.into()))?;
        let dir = TempDir {
            path,
            lock_path,
            _lock: lock,
        };
        fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir.path)
            .map_err(StorageError::io("creating", &dir.path))?;
        Ok(dir)
    }

    /// Removes temp directories whose owner is gone (its marker lock is
    /// free). Runs only if the exclusive storage lock is free right now, so
    /// that no directory is being created concurrently.
    fn clean_temp(&self) -> Result<()> {
        let Some(_guard) = self.try_lock_exclusive()? else {
            return Ok(());
        };
        let tmp = &self.inner.tmp;
        let entries = fs::read_dir(tmp).map_err(StorageError::io("reading", tmp))?;
        for entry in entries {
            let entry = entry.map_err(StorageError::io("reading", tmp))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(TMP_LOCK_SUFFIX) {
                continue;
            }
            let lock_path = tmp.join(format!("{name}{TMP_LOCK_SUFFIX}"));
            let owner_alive = match File::open(&lock_path) {
                Ok(f) => match rustix::fs::flock(&f, FlockOperation::NonBlockingLockExclusive) {
                    Ok(()) => false,
                    Err(Errno::WOULDBLOCK) => true,
                    Err(e) => return Err(StorageError::io("locking", &lock_path)(e.into())),
                },
                // Markers are created before their directory and removed
                // after it: a directory without one is an orphan.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
                Err(e) => return Err(StorageError::io("opening", &lock_path)(e)),
            };
            if owner_alive {
                continue;
            }
            let p = entry.path();
            tracing::debug!(path = %p.display(), "removing stale temp dir");
            if let Err(e) = remove_tree(&p) {
                // Keep going: one unremovable leftover must not block the
                // clean-up of the others. Its marker stays with it.
                tracing::warn!("removing stale temporary directory {}: {e}", p.display());
                continue;
            }
            let _ = fs::remove_file(&lock_path);
        }
        // Markers whose directory is already gone.
        let entries = fs::read_dir(tmp).map_err(StorageError::io("reading", tmp))?;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(base) = name.strip_suffix(TMP_LOCK_SUFFIX) {
                if tmp.join(base).exists() {
                    continue;
                }
                if let Ok(f) = File::open(entry.path()) {
                    if rustix::fs::flock(&f, FlockOperation::NonBlockingLockExclusive).is_ok() {
                        let _ = fs::remove_file(entry.path());
                    }
                }
            }
        }
        Ok(())
    }
}

/// Checks that `id` can be used as a single path component.
pub(crate) fn check_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id != "."
        && id != ".."
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(StorageError::InvalidId(id.to_string()))
    }
}
