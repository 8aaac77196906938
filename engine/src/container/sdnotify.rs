//! `--sdnotify=container`: what the monitor needs to relay the
//! container's readiness to the service manager that started rpod.

use std::path::PathBuf;

use rpod_proto::NotifyConfig;

use super::error::ContainerError;
use super::options::ContainerOptions;
use super::paths::ContainerPaths;

/// The notify relay for a container being started, when it asked for
/// `--sdnotify=container` and this process has a `$NOTIFY_SOCKET`
/// (otherwise there is nobody to notify and the container gets none).
/// Creates the host directory that is mounted into the container.
pub(crate) fn notify_config(
    options: &ContainerOptions,
    paths: &ContainerPaths,
) -> Result<Option<NotifyConfig>, ContainerError> {
    if !options.sdnotify_container {
        return Ok(None);
    }
    let Some(outer) = std::env::var_os("NOTIFY_SOCKET") else {
        return Ok(None);
    };
    let dir = notify_dir(paths);
    std::fs::create_dir_all(&dir).map_err(|e| ContainerError::Io {
        path: dir.clone(),
        source: e,
    })?;
    Ok(Some(NotifyConfig {
        socket_path: dir.join(crate::spec::NOTIFY_SOCKET_NAME),
        outer_socket: outer.to_string_lossy().into_owned(),
    }))
}

/// `--sdnotify=healthy`: the socket the monitor sends `READY=1` to when
/// the health check first passes (none without `$NOTIFY_SOCKET`).
pub(crate) fn healthy_notify(options: &ContainerOptions) -> Option<String> {
    if !options.sdnotify_healthy {
        return None;
    }
    std::env::var_os("NOTIFY_SOCKET").map(|s| s.to_string_lossy().into_owned())
}

/// The directory holding the monitor's notify socket: next to the control
/// socket, whose short path keeps the socket's under `SUN_LEN`.
fn notify_dir(paths: &ContainerPaths) -> PathBuf {
    paths.monitor.control_socket.with_extension("notify")
}

/// Removes the notify socket directory (with the container's other run
/// files, once its monitor is gone).
/// The directory is bind-mounted into the container, which may fill it
/// with anything: removed with the bounded, non-following remover.
pub(crate) fn remove_notify_dir(paths: &ContainerPaths) {
    let dir = notify_dir(paths);
    if let Err(e) = crate::storage::remove_tree_if_exists(&dir) {
        tracing::warn!("removing {}: {e}", dir.display());
    }
}
