//! The local engine behind the front door (`rpod_api::FrontDoor`): one
//! [`LocalEngine`] per process (or per API service), holding the engine and its
//! actors for its lifetime. Each service trait is implemented in its own module;
//! [`error`] turns the engine's errors into the front door's.

mod build;
mod container_copy;
mod container_logs;
pub(crate) mod container_run;
mod containers;
pub(crate) mod error;
pub(crate) mod images;
mod kube;
mod manifest_push;
mod manifests;
mod networks;
mod pods;
mod secrets;
mod system;
mod volumes;

use std::path::PathBuf;

use rpod_api::front_door::EngineOptions;
use rpod_api::Error;

use crate::config::{EngineConfig, EventsLogger, StorageDriver};
use crate::engine::{Engine, OpenError};
use crate::state::StateError;

pub use system::StoreChecker;

/// The engine on this machine, as the front door.
pub struct LocalEngine {
    engine: Engine,
}

impl LocalEngine {
    /// Opens the engine the options describe. `cleanup_exe` is the rpod binary
    /// monitors call back after an exit (`container cleanup`).
    pub fn open(options: &EngineOptions, cleanup_exe: PathBuf) -> Result<LocalEngine, Error> {
        let config = engine_config(options)?;
        let engine = Engine::open(config, cleanup_exe).map_err(|e| match e {
            // Self-contained: names the file, the cause and the recovery command.
            e @ OpenError::State(StateError::Damaged { .. }) => error::other(&e),
            e => Error::other(format!(
                "opening rpod's state: {}",
                crate::error_chain::display_chain(&e)
            )),
        })?;
        Ok(LocalEngine { engine })
    }

    /// The engine this front door serves.
    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }
}

/// The configuration the options select: command-line values over the files,
/// the files over the defaults.
pub(crate) fn engine_config(options: &EngineOptions) -> Result<EngineConfig, Error> {
    let mut config = EngineConfig::load(
        options.root.clone(),
        options.runroot.clone(),
        options.config.clone(),
    )
    .map_err(|e| error::other(&e))?;
    if options.runtime.is_some() {
        config.runtime = options.runtime.clone();
    }
    if let Some(d) = &options.storage_driver {
        config.storage_driver =
            StorageDriver::parse(d).map_err(|e| Error::invalid(e.to_string()))?;
    }
    if !options.runtime_flags.is_empty() {
        config.runtime_flags = options.runtime_flags.clone();
    }
    if let Some(backend) = &options.events_backend {
        config.events_logger = parse_events_backend(backend)?;
    }
    if let Some(m) = &options.cgroup_manager {
        config.cgroup_manager = crate::config::CgroupManager::parse(m).map_err(Error::invalid)?;
    }
    if let Some(t) = &options.tmp_dir {
        config.tmp_dir = Some(if t.is_absolute() {
            t.clone()
        } else {
            std::env::current_dir()
                .map(|d| d.join(t))
                .unwrap_or(t.clone())
        });
    }
    if !options.hooks_dirs.is_empty() {
        config.containers_conf.engine.hooks_dir = Some(
            options
                .hooks_dirs
                .iter()
                // Absolute, so the cleanup (run from elsewhere) reads the same.
                .map(|d| {
                    std::path::absolute(d)
                        .unwrap_or(d.clone())
                        .display()
                        .to_string()
                })
                .collect(),
        );
    }
    if let Some(dir) = &options.network_config_dir {
        config.network.config_dir = dir.clone();
    }
    config.default_mounts_file = options.default_mounts_file.clone();
    if let Some(dir) = &options.volume_path {
        // Absolute, so the exit cleanup (run from elsewhere) finds it too.
        config.volume_path = Some(std::path::absolute(dir).unwrap_or(dir.clone()));
    }
    Ok(config)
}

/// A local engine in `dir` (root, run root, rpod.conf, network definitions
/// all under it; vfs storage), for the front door's tests.
#[cfg(test)]
pub(crate) fn test_engine(dir: &std::path::Path) -> LocalEngine {
    let options = EngineOptions {
        root: Some(dir.join("root")),
        runroot: Some(dir.join("run")),
        config: Some(dir.join("rpod.conf")),
        network_config_dir: Some(dir.join("networks")),
        storage_driver: Some("vfs".into()),
        ..Default::default()
    };
    LocalEngine::open(&options, PathBuf::from("/bin/true")).expect("opening a test engine")
}

/// `--events-backend`: the backends rpod has, and Podman's message for others.
pub fn parse_events_backend(name: &str) -> Result<EventsLogger, Error> {
    match name {
        "file" => Ok(EventsLogger::File),
        "none" => Ok(EventsLogger::None),
        "journald" => Ok(EventsLogger::Journald),
        other => Err(Error::invalid(format!(
            "invalid events backend: {other:?}: must be file, journald or none"
        ))),
    }
}
