//! Named volumes with the local driver (Podman's libpod volumes): a
//! directory `<root>/volumes/NAME/_data`, recorded in the state database.
//! A volume created with mount options (`-o type=tmpfs device=... o=...`)
//! is mounted there when its first user starts and unmounted when its last
//! user stops (`mount_count`), as Podman's local driver does.
//!
//! - [`name`]: name checks and anonymous names.
//! - [`driver`]: the local driver's options, mounting and unmounting.
//! - [`store`]: creating, finding and removing volumes under one lock.
//! - [`copy_up`]: the image's content copied into a new volume, and the
//!   first user's ownership.
//! - [`filter`]: `volume ls` / `volume prune` filters.
//! - [`snapshot`]: what `system check --repair` rebuilds volume rows from.

pub(crate) mod copy_up;
pub(crate) mod driver;
pub(crate) mod filter;
pub(crate) mod name;
pub(crate) mod snapshot;
pub(crate) mod store;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::state::StateError;

/// The only driver rpod has.
pub const LOCAL_DRIVER: &str = "local";

/// One volume as the database records it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VolumeRecord {
    pub name: String,
    pub driver: String,
    pub labels: BTreeMap<String, String>,
    /// The driver options as given (`type`, `device`, `o`, `uid`, ...).
    pub options: BTreeMap<String, String>,
    /// Created for one container (`-v /path`, an image's VOLUME): removed
    /// with it by `rm -v` and `--rm`.
    pub anonymous: bool,
    /// Nanoseconds since the epoch.
    pub created_at: i64,
    /// The next mount copies the image's content at the mount point in.
    pub needs_copy_up: bool,
    /// The next mount gives the volume to the container's user.
    pub needs_chown: bool,
    /// A copy-up just happened (Podman's CopiedUp).
    pub copied_up: bool,
    /// Users of a mounted volume (only for volumes that need a mount).
    pub mount_count: u32,
    /// Podman's LockNumber (assigned by the database).
    pub lock_number: u32,
}

impl VolumeRecord {
    /// Whether the volume's options make it a mount of its own (Podman:
    /// options other than uid, gid, size, noquota, copy and nocopy).
    pub fn needs_mount(&self) -> bool {
        self.options
            .keys()
            .any(|k| !driver::NON_MOUNT_OPTIONS.contains(&k.to_ascii_lowercase().as_str()))
    }

    /// Whether copy-up is off for every use (`-o nocopy`).
    pub fn no_copy(&self) -> bool {
        self.options.contains_key("nocopy")
    }
}

/// `VOLUMES/NAME`, in the volumes directory `volumes`
/// ([`crate::config::EngineConfig::volume_path`]).
pub fn volume_dir(volumes: &Path, name: &str) -> PathBuf {
    volumes.join(name)
}

/// `VOLUMES/NAME/_data`: the volume's content (or mount point).
pub fn mountpoint(volumes: &Path, name: &str) -> PathBuf {
    volume_dir(volumes, name).join("_data")
}

/// A container's volumes as bind mounts of their host paths: the mount
/// options without those only volumes know (`nocopy`, `copy`, `U`).
pub fn container_binds(
    volumes_dir: &Path,
    volumes: &[crate::container::VolumeMount],
) -> Vec<crate::container::BindMount> {
    volumes
        .iter()
        .map(|v| crate::container::BindMount {
            source: mountpoint(volumes_dir, &v.name).display().to_string(),
            destination: v.destination.clone(),
            readonly: v.readonly(),
            options: v
                .options
                .iter()
                .filter(|o| !matches!(o.as_str(), "nocopy" | "copy" | "U" | "ro" | "rw"))
                .cloned()
                .collect(),
        })
        .collect()
}

#[derive(Debug, thiserror::Error)]
pub enum VolumeError {
    #[error("no volume with name \"{0}\" found: no such volume")]
    NotFound(String),
    #[error("volume with name {0} already exists: volume already exists")]
    Exists(String),
    #[error("running volume create option: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument")]
    InvalidName(String),
    /// A bad driver or option; the message is Podman's.
    #[error("{0}")]
    Invalid(String),
    #[error(
        "volume {name} is being used by the following container(s): {users}: volume is being used"
    )]
    InUse { name: String, users: String },
    #[error("mounting volume {name}: {message}")]
    Mount { name: String, message: String },
    #[error("unmounting volume {name}: {message}")]
    Unmount { name: String, message: String },
    #[error("{what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Lock(#[from] crate::lock::LockError),
}

impl VolumeError {
    pub(crate) fn io<'a>(
        what: &'static str,
        path: &'a Path,
    ) -> impl FnOnce(std::io::Error) -> Self + 'a {
        move |source| VolumeError::Io {
            what,
            path: path.to_owned(),
            source,
        }
    }
}
