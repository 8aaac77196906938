//! containers-storage.conf(5), read only when `CONTAINERS_STORAGE_CONF`
//! names it. Podman's default `/etc/containers/storage.conf` is never read:
//! it would put rpod on Podman's own store (rpod keeps its images under its
//! `--root`, see docs/compatibility.md).
//!
//! What rpod takes from the file: `graphroot` (rpod's `--root`), `runroot`
//! (`--runroot`), `driver` (`overlay` or `vfs`) and the overlay's
//! `mount_program` (fuse-overlayfs). Other settings are defaults of
//! features rpod does not have (additional image stores, quotas): they are
//! ignored with a debug message.

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub const STORAGE_CONF_ENV: &str = "CONTAINERS_STORAGE_CONF";

#[derive(Debug, thiserror::Error)]
pub enum StorageConfError {
    #[error("reading storage configuration {path} (from {STORAGE_CONF_ENV}): {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("parsing storage configuration {path}: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("unsupported storage driver {0:?}: rpod has overlay and vfs")]
    UnsupportedDriver(String),
}

/// Copy-on-write driver for container root filesystems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StorageDriver {
    /// overlayfs mounts of the image layers (falls back to a copy where the
    /// kernel refuses overlay).
    #[default]
    Overlay,
    /// A full copy of the image layers per container.
    Vfs,
}

impl StorageDriver {
    /// Parses a driver name as containers/storage spells it (`overlay2` is
    /// its alias of `overlay`).
    pub fn parse(name: &str) -> Result<Self, StorageConfError> {
        match name {
            "overlay" | "overlay2" => Ok(StorageDriver::Overlay),
            "vfs" => Ok(StorageDriver::Vfs),
            other => Err(StorageConfError::UnsupportedDriver(other.to_owned())),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            StorageDriver::Overlay => "overlay",
            StorageDriver::Vfs => "vfs",
        }
    }
}

/// What rpod uses of a storage.conf.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StorageConf {
    pub graphroot: Option<PathBuf>,
    pub runroot: Option<PathBuf>,
    /// `None` when the file sets no driver (containers/storage then warns
    /// and picks one).
    pub driver: Option<StorageDriver>,
    /// `[storage.options.overlay] mount_program` (or the older
    /// `[storage.options] mount_program`): the program mounting overlays.
    pub mount_program: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct FileRoot {
    storage: StorageTable,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StorageTable {
    driver: String,
    graphroot: String,
    runroot: String,
    #[serde(flatten)]
    others: toml::Table,
}

impl StorageConf {
    /// The file `CONTAINERS_STORAGE_CONF` names, if it is set.
    pub fn from_env() -> Result<Option<(PathBuf, StorageConf)>, StorageConfError> {
        match std::env::var_os(STORAGE_CONF_ENV) {
            Some(p) if !p.is_empty() => {
                let path = PathBuf::from(p);
                let conf = StorageConf::load(&path)?;
                Ok(Some((path, conf)))
            }
            _ => Ok(None),
        }
    }

    /// Reads one storage.conf. A file named explicitly must exist.
    pub fn load(path: &Path) -> Result<StorageConf, StorageConfError> {
        let text = std::fs::read_to_string(path).map_err(|source| StorageConfError::Read {
            path: path.to_owned(),
            source,
        })?;
        StorageConf::parse(path, &text)
    }

    fn parse(path: &Path, text: &str) -> Result<StorageConf, StorageConfError> {
        let file: FileRoot = toml::from_str(text).map_err(|source| StorageConfError::Parse {
            path: path.to_owned(),
            source,
        })?;
        let t = file.storage;
        let options = t.others.get("options").and_then(|o| o.as_table());
        let mount_program = options
            .and_then(|o| o.get("overlay"))
            .and_then(|o| o.as_table())
            .and_then(|o| o.get("mount_program"))
            .or_else(|| options.and_then(|o| o.get("mount_program")))
            .and_then(|p| p.as_str())
            .filter(|p| !p.is_empty())
            .map(PathBuf::from);
        for key in t
            .others
            .keys()
            .filter(|k| *k != "options" || mount_program.is_none())
        {
            tracing::debug!(
                "storage configuration {}: [storage] {key} is not used by rpod",
                path.display()
            );
        }
        let driver = match t.driver.as_str() {
            "" => {
                tracing::warn!(
                    "The storage 'driver' option should be set in {}. A driver was picked automatically.",
                    path.display()
                );
                None
            }
            name => Some(StorageDriver::parse(name)?),
        };
        let non_empty = |s: String| (!s.is_empty()).then(|| PathBuf::from(s));
        Ok(StorageConf {
            graphroot: non_empty(t.graphroot),
            runroot: non_empty(t.runroot),
            driver,
            mount_program,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_roots_and_driver_and_skips_the_rest() {
        let c = StorageConf::parse(
            Path::new("/x"),
            "[storage]\ndriver = \"vfs\"\ngraphroot = \"/g\"\nrunroot = \"/r\"\n\
             [storage.options]\nadditionalimagestores = []\n",
        )
        .unwrap();
        assert_eq!(c.graphroot, Some(PathBuf::from("/g")));
        assert_eq!(c.runroot, Some(PathBuf::from("/r")));
        assert_eq!(c.driver, Some(StorageDriver::Vfs));
        assert_eq!(c.mount_program, None);
    }

    #[test]
    fn reads_the_mount_program() {
        let c = StorageConf::parse(
            Path::new("/x"),
            "[storage]\ndriver = \"overlay\"\n\
             [storage.options.overlay]\nmount_program = \"/usr/bin/fuse-overlayfs\"\n",
        )
        .unwrap();
        assert_eq!(
            c.mount_program,
            Some(PathBuf::from("/usr/bin/fuse-overlayfs"))
        );
        let c = StorageConf::parse(
            Path::new("/x"),
            "[storage]\ndriver = \"overlay\"\n[storage.options]\nmount_program = \"/f\"\n",
        )
        .unwrap();
        assert_eq!(c.mount_program, Some(PathBuf::from("/f")));
    }

    #[test]
    fn empty_file_sets_nothing() {
        let c = StorageConf::parse(Path::new("/x"), "").unwrap();
        assert_eq!(c, StorageConf::default());
    }

    #[test]
    fn unknown_driver_is_refused() {
        let err = StorageConf::parse(Path::new("/x"), "[storage]\ndriver = \"zfs\"\n").unwrap_err();
        assert!(err.to_string().contains("zfs"), "{err}");
        assert_eq!(
            StorageDriver::parse("overlay2").unwrap(),
            StorageDriver::Overlay
        );
    }

    #[test]
    fn missing_named_file_is_an_error() {
        let err = StorageConf::load(Path::new("/nonexistent/storage.conf")).unwrap_err();
        assert!(err.to_string().contains(STORAGE_CONF_ENV), "{err}");
    }
}
