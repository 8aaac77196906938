//! `pod create` flags for pods run as systemd services (what the
//! `generate systemd --new` pod unit uses): `--replace` and
//! `--infra-conmon-pidfile`.

use rpod_engine::container::ContainerPaths;
use rpod_engine::pod::{PodError, PodRecord};
use rpod_engine::Engine;

use crate::cli_error::{CliError, CliResult};

/// `--replace`: forcibly removes a pod that already has `name`.
pub async fn replace_existing(engine: &Engine, name: Option<&str>) -> CliResult<()> {
    let Some(name) = name else {
        return Ok(());
    };
    let handle = match engine.pod(name) {
        Ok(h) => h,
        Err(PodError::NotFound(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    // Only an exact name match: a prefix of another pod's id is not ours.
    if handle.get().await?.name != name {
        return Ok(());
    }
    match handle.remove(true, Some(0)).await {
        Ok(()) | Err(PodError::NotFound(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// `--infra-conmon-pidfile`: `path` becomes a symbolic link to the infra
/// container's monitor pid file, which the monitor writes when the pod
/// starts (systemd's `PIDFile=` follows it).
pub fn link_infra_pidfile(engine: &Engine, pod: &PodRecord, path: &str) -> CliResult<()> {
    let Some(infra) = &pod.infra_id else {
        return Err(CliError::usage(
            "--infra-conmon-pidfile needs an infra container (--infra=false given)",
        ));
    };
    let target = ContainerPaths::new(engine.config(), infra)
        .monitor
        .monitor_pid_file;
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(CliError::usage(format!("removing {path}: {e}"))),
    }
    std::os::unix::fs::symlink(&target, path)
        .map_err(|e| CliError::usage(format!("writing infra pid file {path}: {e}")))?;
    Ok(())
}
