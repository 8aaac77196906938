//! What the process that starts a container tells systemd (`$NOTIFY_SOCKET`):
//! `--sdnotify=conmon` readiness with the monitor as main pid once the
//! container runs; `--sdnotify=healthy` the main pid, then a wait until the
//! first passing health check (the monitor sends `READY=1` then).

use std::time::Duration;

use rpod_api::Error;

use crate::container::ContainerHandle;
use crate::engine::Engine;
use crate::state::ContainerState;

/// How often `start` looks at the health state of a `healthy` container
/// (Podman's interval).
const HEALTH_POLL: Duration = Duration::from_millis(100);

/// After a detached start: the notifications and the wait the container's
/// `--sdnotify` mode asks for (nothing to send without `$NOTIFY_SOCKET`).
pub(crate) async fn notify_ready(engine: &Engine, handle: &ContainerHandle) -> Result<(), Error> {
    let rec = handle.get().await?;
    let socket = std::env::var_os("NOTIFY_SOCKET").map(|s| s.to_string_lossy().into_owned());
    if rec.options.sdnotify_conmon {
        if let Some(socket) = &socket {
            send(socket, &format!("MAINPID={}\nREADY=1\n", rec.monitor_pid))?;
        }
    } else if rec.options.sdnotify_healthy {
        if let Some(socket) = &socket {
            send(socket, &format!("MAINPID={}\n", rec.monitor_pid))?;
        }
        wait_healthy(engine, handle).await?;
    }
    Ok(())
}

/// Returns once the container's health check has passed; fails if the
/// container stops running first.
async fn wait_healthy(engine: &Engine, handle: &ContainerHandle) -> Result<(), Error> {
    loop {
        let rec = handle.get().await?;
        if rec.state != ContainerState::Running {
            return Err(Error::invalid(format!(
                "container {} is not running: it stopped before its health check passed",
                rec.id
            )));
        }
        let health = crate::container::health::state(engine.config(), &rec);
        if health.is_some_and(|h| h.status == rpod_proto::health::HEALTHY) {
            return Ok(());
        }
        tokio::time::sleep(HEALTH_POLL).await;
    }
}

/// One datagram to `path` (`@name`: an abstract socket).
fn send(path: &str, msg: &str) -> Result<(), Error> {
    let sock = std::os::unix::net::UnixDatagram::unbound()
        .map_err(|e| Error::other(format!("notify socket: {e}")))?;
    let res = if let Some(abs) = path.strip_prefix('@') {
        use std::os::linux::net::SocketAddrExt;
        std::os::unix::net::SocketAddr::from_abstract_name(abs.as_bytes())
            .and_then(|addr| sock.send_to_addr(msg.as_bytes(), &addr))
    } else {
        sock.send_to(msg.as_bytes(), path)
    };
    res.map_err(|e| Error::other(format!("notifying systemd at {path}: {e}")))?;
    Ok(())
}
