//! Where a container's files live.

use std::path::PathBuf;

use super::monitor_files::MonitorFiles;
use crate::config::EngineConfig;

/// Every path rpod and the container's monitor use for one container.
#[derive(Debug, Clone)]
pub struct ContainerPaths {
    /// Persistent: log and generated /etc files (`<root>/containers/<id>`).
    pub data_dir: PathBuf,
    /// Volatile: bundle, pid files, exit file (`<runroot>/containers/<id>`).
    pub run_dir: PathBuf,
    pub log: PathBuf,
    pub config_json: PathBuf,
    /// The container monitor's files.
    pub monitor: MonitorFiles,
    /// Restart count and state, written by the monitor (persistent).
    pub restart_state: PathBuf,
    /// Health check status and log, written by the monitor (persistent).
    pub health_state: PathBuf,
    /// Present after a `stop` or `kill` by the user, until the next start
    /// (Podman's `.State.StoppedByUser`; persistent).
    pub stopped_by_user: PathBuf,
}

impl ContainerPaths {
    pub fn new(config: &EngineConfig, id: &str) -> Self {
        let data_dir = config.container_data_dir(id);
        let run_dir = config.container_run_dir(id);
        let short = &id[..12.min(id.len())];
        let sockets = config.socket_dir();
        ContainerPaths {
            log: data_dir.join("ctr.log"),
            restart_state: data_dir.join("restart.json"),
            health_state: data_dir.join("healthcheck.json"),
            stopped_by_user: data_dir.join("stopped-by-user"),
            config_json: run_dir.join("config.json"),
            monitor: MonitorFiles::new(&run_dir, &sockets, short, "ctl", "att"),
            data_dir,
            run_dir,
        }
    }

    /// Paths of one exec session of this container.
    pub fn exec(&self, config: &EngineConfig, exec_id: &str) -> ExecPaths {
        let dir = self.run_dir.join("exec").join(exec_id);
        let short = &exec_id[..12.min(exec_id.len())];
        let sockets = config.socket_dir();
        ExecPaths {
            process_json: dir.join("process.json"),
            monitor: MonitorFiles::new(&dir, &sockets, short, "xc", "xa"),
            dir,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ExecPaths {
    pub dir: PathBuf,
    pub process_json: PathBuf,
    /// The exec session monitor's files.
    pub monitor: MonitorFiles,
}
