//! `network connect`, `disconnect` and `reload` for the local engine: the
//! container found, its lock taken, the work done by
//! [`crate::container::net_connect`] on the blocking pool.

use rpod_api::network::{NetworkConnectOptions, NetworkReloadReport};
use rpod_api::{Error, Result};

use super::LocalEngine;
use crate::container::{lifecycle, net_connect, ContainerError, NetworkMode};
use crate::engine::EngineCtx;
use crate::network::mode::NetworkAttach;
use crate::state::ContainerRecord;

/// Runs `f` on container `name`'s current record under its lock, off the
/// async executor.
async fn with_container<T: Send + 'static>(
    front: &LocalEngine,
    name: &str,
    f: impl FnOnce(&EngineCtx, &ContainerRecord) -> std::result::Result<T, ContainerError>
        + Send
        + 'static,
) -> Result<T> {
    let ctx = front.engine().ctx().clone();
    let id = front.engine().container(name)?.id;
    tokio::task::spawn_blocking(move || {
        let _guard = crate::lock::lock_exclusive(&ctx.config.lock_dir(), &id)
            .map_err(ContainerError::from)?;
        let rec = lifecycle::load(&ctx, &id)?;
        f(&ctx, &rec)
    })
    .await
    .map_err(|e| super::super::error::other(&e))?
    .map_err(Error::from)
}

/// The connect flags as a network attachment, with Podman's checks.
fn attach_of(options: &NetworkConnectOptions) -> Result<NetworkAttach> {
    let mut attach = NetworkAttach {
        aliases: options.aliases.clone(),
        ..Default::default()
    };
    crate::front_door::container_run::network::add_static(
        &mut attach,
        &options.static_ips,
        options.static_mac.as_deref(),
    )?;
    Ok(attach)
}

pub(super) async fn connect(
    front: &LocalEngine,
    network: &str,
    container: &str,
    options: NetworkConnectOptions,
) -> Result<()> {
    let attach = attach_of(&options)?;
    let network = network.to_owned();
    with_container(front, container, move |ctx, rec| {
        net_connect::connect(ctx, rec, &network, &attach)
    })
    .await
}

pub(super) async fn disconnect(front: &LocalEngine, network: &str, container: &str) -> Result<()> {
    let network = network.to_owned();
    with_container(front, container, move |ctx, rec| {
        net_connect::disconnect(ctx, rec, &network)
    })
    .await
}

pub(super) async fn reload(
    front: &LocalEngine,
    containers: &[String],
    all: bool,
) -> Result<Vec<NetworkReloadReport>> {
    let names: Vec<String> = if all {
        front
            .engine()
            .containers()?
            .into_iter()
            .filter(|r| r.state.has_monitor() && r.options.network == NetworkMode::Bridge)
            .map(|r| r.id)
            .collect()
    } else {
        containers.to_vec()
    };
    let mut out = Vec::new();
    for name in names {
        let res = with_container(front, &name, |ctx, rec| {
            net_connect::reload(ctx, rec).map(|()| rec.id.clone())
        })
        .await;
        out.push(match res {
            Ok(id) => NetworkReloadReport { id, err: None },
            Err(e) => NetworkReloadReport {
                id: name,
                err: Some(e),
            },
        });
    }
    Ok(out)
}
