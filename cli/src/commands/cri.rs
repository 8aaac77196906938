//! `rpod cri serve`: the kubelet's Container Runtime Interface (CRI v1) on a
//! unix socket, over the local engine. Sandboxes and containers it creates
//! are rpod pods and containers, and outlive the server.

use crate::prep::Lazy;
use std::sync::Arc;

use anyhow::anyhow;
use clap::{Args, Subcommand};
use rpod_api::FrontDoor;

use super::common::{open_front_door, Globals};
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Subcommand)]
pub enum CriCommand {
    /// Serve the CRI v1 RuntimeService and ImageService for a kubelet
    Serve(Lazy<ServeArgs>),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where to listen: unix:///PATH
    #[arg(long, default_value = "unix:///run/rpod/cri.sock", value_name = "uri")]
    listen: String,
    /// The network pod sandboxes join (default: the default network)
    #[arg(long, value_name = "name", conflicts_with = "cni_config_dir")]
    network: Option<String>,
    /// Take the sandboxes' network from the first CNI configuration in this directory (e.g. /etc/cni/net.d)
    #[arg(long, value_name = "directory")]
    cni_config_dir: Option<std::path::PathBuf>,
    /// Where the streaming server for Exec, Attach and PortForward listens: IP:PORT (port 0: any free port)
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ip:port")]
    stream_address: String,
}

pub async fn dispatch(g: &Globals, c: CriCommand) -> CliResult {
    match c {
        CriCommand::Serve(Lazy(a)) => serve(g, a).await,
    }
}

/// The network of a kubelet-style CNI configuration directory, created in
/// rpod's network store when missing; the cni backend must be in use.
async fn cni_network(engine: &dyn FrontDoor, dir: &std::path::Path) -> CliResult<String> {
    let backend = engine.system_info().await?.host.network_backend;
    if backend != "cni" {
        return Err(CliError::usage(format!(
            "--cni-config-dir needs the cni network backend (rpod.conf [network] network_backend = \"cni\"), not {backend}"
        )));
    }
    let net = rpod_cri::load_cni_config(dir).map_err(|e| CliError::usage(e.to_string()))?;
    rpod_cri::ensure_cni_network(engine, &net).await?;
    tracing::info!(
        "CRI sandboxes join network {} of {}",
        net.name,
        net.file.display()
    );
    Ok(net.name)
}

async fn serve(g: &Globals, a: ServeArgs) -> CliResult {
    if g.remote.is_some() {
        return Err(CliError::usage(
            "cri serve is not available in remote mode: run it on the node",
        ));
    }
    let path = rpod_cri::socket_path(&a.listen).map_err(|e| CliError::usage(e.to_string()))?;
    // The engine opens before binding: a store it cannot open fails before
    // anything listens.
    let engine: Arc<dyn FrontDoor> = Arc::from(open_front_door(g)?);
    if let Some(n) = &a.network {
        let (_, mut errors) = engine.network_inspect(std::slice::from_ref(n)).await?;
        if let Some(e) = errors.pop() {
            return Err(e.into());
        }
    }
    let network = match &a.cni_config_dir {
        Some(dir) => Some(cni_network(engine.as_ref(), dir).await?),
        None => a.network,
    };
    let streams = rpod_cri::bind_stream(&a.stream_address)
        .await
        .map_err(|e| CliError::usage(e.to_string()))?;
    let listener = rpod_cri::bind(&path).map_err(|e| anyhow!(e))?;
    tracing::info!("CRI service listening on {}", path.display());
    let options = rpod_cri::CriOptions {
        network,
        version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    let shutdown = async {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!("cri serve: SIGTERM handler: {e}");
                    return std::future::pending().await;
                }
            };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    };
    let served = rpod_cri::serve(engine, listener, streams, options, shutdown).await;
    let _ = std::fs::remove_file(&path);
    served.map_err(|e| anyhow!(e))?;
    Ok(0)
}
