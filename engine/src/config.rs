//! Where things live (`--root`, `--runroot`) and the engine's own
//! configuration file (`/etc/rpod/rpod.conf`, TOML); the containers
//! ecosystem's files a Podman user already has (`storage_conf`).

pub mod cgroup_manager;
pub mod containers_conf;
pub mod storage_conf;

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::storage::UnpackLimits;
pub use cgroup_manager::CgroupManager;
pub use containers_conf::{ContainersConf, ContainersConfError};
pub use storage_conf::{StorageConf, StorageConfError, StorageDriver};

pub const DEFAULT_ROOT: &str = "/var/lib/rpod";
pub const DEFAULT_RUNROOT: &str = "/run/rpod";
pub const DEFAULT_CONFIG: &str = "/etc/rpod/rpod.conf";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("parsing config file {path}: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error(transparent)]
    Storage(#[from] StorageConfError),
    #[error(transparent)]
    Containers(#[from] ContainersConfError),
    #[error(transparent)]
    Network(#[from] crate::network::config::BadSubnet),
    #[error("config file {path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

/// The `[engine]` table of rpod.conf. Every field is optional.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    pub engine: EngineSection,
    pub storage: StorageSection,
    pub network: crate::network::config::NetworkSection,
    /// Read by the rpod-quadlet generator, not by the engine.
    pub quadlet: QuadletSection,
}

/// The `[quadlet]` table of rpod.conf, read by `rpod-quadlet`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QuadletSection {
    /// Also read Podman's Quadlet directories (/etc/containers/systemd
    /// ...). Off by default so that rpod's and Podman's generators never
    /// both write the same service.
    pub podman_unit_dirs: bool,
}

/// The `[storage]` table of rpod.conf: bounds on unpacking image layers
/// (import, load, pull). Every field is optional; see
/// [`crate::storage::limits`] for the defaults and why they were chosen.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSection {
    /// Bytes one layer may expand to (its uncompressed tar stream).
    pub max_layer_size: Option<u64>,
    /// Bytes all layers of one image may expand to together.
    pub max_image_size: Option<u64>,
    /// Entries (files, directories, links, ...) one layer may have.
    pub max_layer_entries: Option<u64>,
    /// Directory levels below a layer's root, symlinks resolved.
    pub max_path_depth: Option<u32>,
    /// The program mounting overlays instead of the kernel
    /// (`fuse-overlayfs`); containers-storage.conf's `mount_program`
    /// wins.
    pub mount_program: Option<PathBuf>,
    /// How a user namespace's root filesystem is id-shifted: `auto`
    /// (idmapped layers where the kernel allows, else a chowned copy) or
    /// `copy` (always the chowned copy).
    pub id_shift: crate::storage::IdShiftMode,
}

impl StorageSection {
    /// The limits this table sets, defaults for what it leaves out.
    pub fn unpack_limits(&self) -> UnpackLimits {
        let d = UnpackLimits::default();
        UnpackLimits {
            max_layer_size: self.max_layer_size.unwrap_or(d.max_layer_size),
            max_image_size: self.max_image_size.unwrap_or(d.max_image_size),
            max_layer_entries: self.max_layer_entries.unwrap_or(d.max_layer_entries),
            max_path_depth: self.max_path_depth.unwrap_or(d.max_path_depth),
        }
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineSection {
    /// OCI runtime name or path (runc, crun).
    pub runtime: Option<String>,
    pub root: Option<PathBuf>,
    pub runroot: Option<PathBuf>,
    /// Default `--log-opt max-size` in bytes.
    pub log_size_max: Option<u64>,
    /// `cgroupfs` (the default) or `systemd` (see [`CgroupManager`]).
    pub cgroup_manager: Option<String>,
}

/// The resolved configuration of one engine instance.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub root: PathBuf,
    pub runroot: PathBuf,
    pub config_path: PathBuf,
    pub runtime: Option<String>,
    pub log_size_max: Option<u64>,
    /// Bounds on unpacking layers (`[storage]`).
    pub unpack_limits: UnpackLimits,
    /// `[storage] id_shift`.
    pub id_shift: crate::storage::IdShiftMode,
    /// Driver of container root filesystems (`--storage-driver`, `driver`
    /// of the storage.conf `CONTAINERS_STORAGE_CONF` names).
    pub storage_driver: StorageDriver,
    /// The overlay mount program (storage.conf's, else rpod.conf's
    /// `[storage] mount_program`).
    pub mount_program: Option<PathBuf>,
    /// Where events go (`--events-backend`).
    pub events_logger: EventsLogger,
    /// containers.conf's `events_logfile_max_size` (`None`: no rotation).
    pub events_max_size: Option<u64>,
    /// Podman's `--tmpdir`: when set, the events file lives under it
    /// (`<tmpdir>/events/events.log`, as Podman's file backend) instead of
    /// `<root>/events/`.
    pub tmp_dir: Option<PathBuf>,
    /// containers.conf as loaded (its container defaults are applied by
    /// whoever creates containers).
    pub containers_conf: ContainersConf,
    /// `--runtime-flag` values (without the leading `--`); when empty,
    /// containers.conf's `[engine.runtimes_flags]` for the runtime apply.
    pub runtime_flags: Vec<String>,
    /// `--default-mounts-file`: the mounts.conf read instead of the
    /// system ones.
    pub default_mounts_file: Option<PathBuf>,
    /// `--volumepath`: where named volumes live (default `<root>/volumes`).
    pub volume_path: Option<PathBuf>,
    /// `[network]` of rpod.conf: backend, definitions directory, default network.
    pub network: crate::network::config::NetworkConfig,
    /// `--cgroup-manager`, else rpod.conf's `cgroup_manager`.
    pub cgroup_manager: CgroupManager,
}

/// The events backends rpod has (Podman's `events_logger`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EventsLogger {
    /// An append-only JSON-lines file.
    #[default]
    File,
    /// No events are written.
    None,
    /// Entries in the systemd journal (Podman's `PODMAN_*` fields).
    Journald,
}

impl EventsLogger {
    pub fn name(self) -> &'static str {
        match self {
            EventsLogger::File => "file",
            EventsLogger::None => "none",
            EventsLogger::Journald => "journald",
        }
    }
}

impl EngineConfig {
    /// Command-line values win over the file, the file over the defaults.
    /// A missing rpod.conf is not an error. The storage.conf that
    /// `CONTAINERS_STORAGE_CONF` names (if set) comes before rpod.conf for
    /// the root, run root and driver.
    pub fn load(
        root: Option<PathBuf>,
        runroot: Option<PathBuf>,
        config_path: Option<PathBuf>,
    ) -> Result<Self, ConfigError> {
        let storage = StorageConf::from_env()?.map(|(_, c)| c).unwrap_or_default();
        let containers = ContainersConf::load_from_env()?;
        Self::load_with(root, runroot, config_path, storage, containers)
    }

    /// As [`EngineConfig::load`], with the storage.conf settings given and
    /// no containers.conf.
    #[cfg(test)]
    pub fn load_with_storage(
        root: Option<PathBuf>,
        runroot: Option<PathBuf>,
        config_path: Option<PathBuf>,
        storage: StorageConf,
    ) -> Result<Self, ConfigError> {
        Self::load_with(
            root,
            runroot,
            config_path,
            storage,
            ContainersConf::default(),
        )
    }

    /// As [`EngineConfig::load`], with storage.conf and containers.conf
    /// given. rpod.conf (rpod's own) wins over containers.conf where both
    /// say something (runtime, log size).
    pub fn load_with(
        root: Option<PathBuf>,
        runroot: Option<PathBuf>,
        config_path: Option<PathBuf>,
        storage: StorageConf,
        containers: ContainersConf,
    ) -> Result<Self, ConfigError> {
        let defaults = crate::rootless::dirs::Defaults::get();
        let config_path = config_path
            .or_else(|| std::env::var_os("RPOD_CONFIG").map(PathBuf::from))
            .unwrap_or(defaults.config);
        let mut file = read_file_config(&config_path)?;
        if file.network.network_backend.is_none() {
            file.network.network_backend = network_backend_of(&containers)?;
        }
        let cgroup_manager = match file.engine.cgroup_manager.as_deref() {
            None => CgroupManager::default(),
            Some(name) => CgroupManager::parse(name).map_err(|message| ConfigError::Invalid {
                path: config_path.clone(),
                message,
            })?,
        };
        let root = absolute(
            root.or(storage.graphroot)
                .or(file.engine.root)
                .unwrap_or(defaults.root),
        );
        let mut network = file.network.resolve()?;
        if crate::rootless::is_rootless() && file.network.network_config_dir.is_none() {
            // The user's own definitions, beside the store (Podman keeps
            // them under the graph root too).
            network.config_dir = root.join("networks");
        }
        Ok(EngineConfig {
            root,
            runroot: absolute(
                runroot
                    .or(storage.runroot)
                    .or(file.engine.runroot)
                    .unwrap_or(defaults.runroot),
            ),
            config_path,
            unpack_limits: file.storage.unpack_limits(),
            id_shift: file.storage.id_shift,
            runtime: file.engine.runtime.or_else(|| containers.runtime()),
            log_size_max: file.engine.log_size_max.or(containers
                .containers
                .log_size_max
                .and_then(|n| u64::try_from(n).ok())
                .filter(|&n| n > 0)),
            storage_driver: storage.driver.unwrap_or_default(),
            mount_program: storage.mount_program.or(file.storage.mount_program.clone()),
            events_logger: events_logger_of(&containers)?,
            events_max_size: containers.events_max_size()?,
            tmp_dir: None,
            containers_conf: containers,
            runtime_flags: Vec::new(),
            default_mounts_file: None,
            volume_path: None,
            network,
            cgroup_manager,
        })
    }

    /// Extra global flags for runtime `name`, each with its leading `--`
    /// (Podman's `--runtime-flag` takes them without).
    pub fn runtime_flags_for(&self, name: &str) -> Vec<String> {
        let flags = if self.runtime_flags.is_empty() {
            self.containers_conf
                .engine
                .runtimes_flags
                .get(name)
                .cloned()
                .unwrap_or_default()
        } else {
            self.runtime_flags.clone()
        };
        flags
            .into_iter()
            .map(|f| {
                if f.starts_with('-') {
                    f
                } else {
                    format!("--{f}")
                }
            })
            .collect()
    }

    /// Persistent per-container data: log, generated /etc files.
    pub fn container_data_dir(&self, id: &str) -> PathBuf {
        self.root.join("containers").join(id)
    }

    /// Volatile per-container data: bundle, pid files, exit file.
    pub fn container_run_dir(&self, id: &str) -> PathBuf {
        self.runroot.join("containers").join(id)
    }

    /// Directory of monitor sockets. Kept short because Unix socket paths
    /// are limited to 107 bytes.
    pub fn socket_dir(&self) -> PathBuf {
        self.runroot.join("s")
    }

    /// netavark's `--config` directory and the CNI backend's state.
    pub fn network_run_dir(&self) -> PathBuf {
        self.runroot.join("network")
    }

    /// The persistent network namespace of container `id`.
    pub fn netns_path(&self, id: &str) -> PathBuf {
        self.runroot.join("netns").join(id)
    }

    pub fn lock_dir(&self) -> PathBuf {
        self.runroot.join("locks")
    }

    /// The directory of named volumes: `--volumepath`, else `<root>/volumes`.
    pub fn volume_path(&self) -> PathBuf {
        self.volume_path
            .clone()
            .unwrap_or_else(|| self.root.join("volumes"))
    }

    /// Where the state database lives: containers.conf's `[engine]
    /// static_dir` (Podman keeps its database there too), else the root.
    pub fn static_dir(&self) -> PathBuf {
        self.containers_conf
            .engine
            .static_dir
            .clone()
            .unwrap_or_else(|| self.root.clone())
    }

    /// State directory handed to the OCI runtime `name` (`--root`).
    pub fn runtime_state_dir(&self, name: &str) -> PathBuf {
        self.runroot.join(name)
    }
}

/// `[engine] events_logger`; unknown names are an error as in Podman.
fn events_logger_of(c: &ContainersConf) -> Result<EventsLogger, ConfigError> {
    match c.engine.events_logger.as_deref() {
        None | Some("file") => Ok(EventsLogger::File),
        Some("none") => Ok(EventsLogger::None),
        Some("journald") => Ok(EventsLogger::Journald),
        Some(other) => Err(ContainersConfError::Invalid(format!(
            "invalid events backend {other:?}: must be file, journald or none"
        ))
        .into()),
    }
}

/// `[network] network_backend` of containers.conf, which rpod.conf's own
/// `[network] network_backend` overrides (as rpod.conf's `runtime` does
/// containers.conf's); empty is the default. An unknown name is an error as
/// in Podman.
fn network_backend_of(
    c: &ContainersConf,
) -> Result<Option<crate::network::config::Backend>, ConfigError> {
    use crate::network::config::Backend;
    match c.network.network_backend.as_deref() {
        None | Some("") => Ok(None),
        Some("netavark") => Ok(Some(Backend::Netavark)),
        Some("cni") => Ok(Some(Backend::Cni)),
        Some(other) => Err(ContainersConfError::Invalid(format!(
            "unsupported network backend {other:?}, check network_backend in containers.conf"
        ))
        .into()),
    }
}

fn read_file_config(path: &Path) -> Result<FileConfig, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(FileConfig::default()),
        Err(source) => Err(ConfigError::Read {
            path: path.to_owned(),
            source,
        }),
    }
}

fn absolute(p: PathBuf) -> PathBuf {
    if p.is_absolute() {
        p
    } else {
        std::env::current_dir().map(|d| d.join(&p)).unwrap_or(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_file_and_defaults_apply() {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("rpod.conf");
        std::fs::write(&conf, "[engine]\nruntime = \"crun\"\nroot = \"/x/root\"\n").unwrap();
        let c = EngineConfig::load(None, Some("/y".into()), Some(conf)).unwrap();
        assert_eq!(c.root, PathBuf::from("/x/root"));
        assert_eq!(c.runroot, PathBuf::from("/y"));
        assert_eq!(c.runtime.as_deref(), Some("crun"));
    }

    #[test]
    fn storage_limits_come_from_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("rpod.conf");
        std::fs::write(
            &conf,
            "[storage]\nmax_layer_size = 1000\nmax_path_depth = 7\n",
        )
        .unwrap();
        let c = EngineConfig::load(None, None, Some(conf.clone())).unwrap();
        assert_eq!(c.unpack_limits.max_layer_size, 1000);
        assert_eq!(c.unpack_limits.max_path_depth, 7);
        let d = UnpackLimits::default();
        assert_eq!(c.unpack_limits.max_image_size, d.max_image_size);
        assert_eq!(c.unpack_limits.max_layer_entries, d.max_layer_entries);
        std::fs::write(&conf, "[storage]\nmax_layer_size = -1\n").unwrap();
        assert!(EngineConfig::load(None, None, Some(conf.clone())).is_err());
        std::fs::write(&conf, "[storage]\nmax_size = 1\n").unwrap();
        assert!(EngineConfig::load(None, None, Some(conf)).is_err());
    }

    #[test]
    fn storage_conf_beats_rpod_conf_and_flags_beat_both() {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("rpod.conf");
        std::fs::write(
            &conf,
            "[engine]\nroot = \"/x/root\"\nrunroot = \"/x/run\"\n[storage]\nmount_program = \"/c/fuse\"\n",
        )
        .unwrap();
        let storage = StorageConf {
            graphroot: Some("/s/root".into()),
            runroot: Some("/s/run".into()),
            driver: Some(StorageDriver::Vfs),
            mount_program: Some("/s/fuse".into()),
        };
        let c =
            EngineConfig::load_with_storage(None, Some("/flag/run".into()), Some(conf), storage)
                .unwrap();
        assert_eq!(c.root, PathBuf::from("/s/root"));
        assert_eq!(c.mount_program, Some(PathBuf::from("/s/fuse")));
        assert_eq!(c.runroot, PathBuf::from("/flag/run"));
        assert_eq!(c.storage_driver, StorageDriver::Vfs);
    }

    #[test]
    fn runtime_flags_from_flag_or_containers_conf() {
        let mut containers = ContainersConf::default();
        containers
            .engine
            .runtimes_flags
            .insert("runc".into(), vec!["debug".into()]);
        let dir = tempfile::tempdir().unwrap();
        let mut c = EngineConfig::load_with(
            None,
            None,
            Some(dir.path().join("none.conf")),
            StorageConf::default(),
            containers,
        )
        .unwrap();
        assert_eq!(c.runtime_flags_for("runc"), vec!["--debug"]);
        assert!(c.runtime_flags_for("crun").is_empty());
        c.runtime_flags = vec!["log-format=json".into()];
        assert_eq!(c.runtime_flags_for("runc"), vec!["--log-format=json"]);
    }

    #[test]
    fn network_backend_from_containers_conf_under_rpod_conf() {
        use crate::network::config::Backend;
        let dir = tempfile::tempdir().unwrap();
        let rpod_conf = dir.path().join("rpod.conf");
        let load = |backend: &str| {
            let mut containers = ContainersConf::default();
            containers.network.network_backend = Some(backend.to_owned());
            EngineConfig::load_with(
                None,
                None,
                Some(rpod_conf.clone()),
                StorageConf::default(),
                containers,
            )
        };
        assert_eq!(load("cni").unwrap().network.backend, Backend::Cni);
        assert_eq!(load("").unwrap().network.backend, Backend::Netavark);
        let err = load("slirp").unwrap_err().to_string();
        assert!(
            err.contains("unsupported network backend \"slirp\""),
            "{err}"
        );
        std::fs::write(&rpod_conf, "[network]\nnetwork_backend = \"netavark\"\n").unwrap();
        assert_eq!(load("cni").unwrap().network.backend, Backend::Netavark);
    }

    #[test]
    fn bad_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("rpod.conf");
        std::fs::write(&conf, "[engine]\nruntim = 1\n").unwrap();
        let err = EngineConfig::load(None, None, Some(conf.clone())).unwrap_err();
        assert!(
            err.to_string().contains(&conf.display().to_string()),
            "{err}"
        );
    }
}
