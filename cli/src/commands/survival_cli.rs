//! CLI pieces for services: `--cidfile`, `--replace`, and the systemd
//! readiness notification of `--sdnotify=conmon`.

use std::os::unix::net::UnixDatagram;

use rpod_engine::container::{ContainerError, ContainerHandle};
use rpod_engine::Engine;

use super::survival_flags::SurvivalFlags;
use crate::cli_error::{CliError, CliResult};

/// `--replace`: removes (forcibly) a container that has the name.
pub async fn replace_existing(
    engine: &Engine,
    flags: &SurvivalFlags,
    name: Option<&str>,
) -> CliResult<()> {
    let (true, Some(name)) = (flags.replace, name) else {
        return Ok(());
    };
    match engine.container(name) {
        Ok(h) if h.name == name => match h.remove(true, Some(0)).await {
            Ok(()) | Err(ContainerError::NotFound(_)) => Ok(()),
            Err(e) => Err(e.into()),
        },
        Ok(_) | Err(ContainerError::NotFound(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// The containers that `--cidfile` files name, as (file, id) in order. A
/// missing file is skipped with `ignore`, else Podman's error.
pub fn read_cidfiles(paths: &[String], ignore: bool) -> CliResult<Vec<(String, String)>> {
    let mut found = Vec::new();
    for f in paths {
        match read_cidfile(f)? {
            Some(id) => found.push((f.clone(), id)),
            None if ignore => {}
            None => {
                return Err(CliError::usage(format!(
                    "reading CIDFile: open {f}: no such file or directory"
                )))
            }
        }
    }
    Ok(found)
}

/// Reads the container named by `--cidfile` (for `stop`/`rm`).
pub fn read_cidfile(path: &str) -> CliResult<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s.trim().to_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::anyhow!("reading CIDFile {path}: {e}").into()),
    }
}

/// `--sdnotify=conmon`: once the container runs, tells systemd it is
/// ready and that the monitor (which outlives this command) is the main
/// process. Nothing without `$NOTIFY_SOCKET`.
pub async fn notify_ready(handle: &ContainerHandle) -> CliResult<()> {
    let Some(socket) = std::env::var_os("NOTIFY_SOCKET") else {
        return Ok(());
    };
    let rec = handle.get().await?;
    if !rec.options.sdnotify_conmon {
        return Ok(());
    }
    let msg = format!("MAINPID={}\nREADY=1\n", rec.monitor_pid);
    let sock = UnixDatagram::unbound().map_err(|e| anyhow::anyhow!("notify socket: {e}"))?;
    let path = socket.to_string_lossy().into_owned();
    let res = if let Some(abs) = path.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        std::os::unix::net::SocketAddr::from_abstract_name(abs.as_bytes())
            .and_then(|addr| sock.send_to_addr(msg.as_bytes(), &addr))
    } else {
        sock.send_to(msg.as_bytes(), &path)
    };
    res.map_err(|e| anyhow::anyhow!("notifying systemd at {path}: {e}"))?;
    Ok(())
}
