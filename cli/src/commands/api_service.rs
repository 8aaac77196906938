//! `rpod system service [--time N] [URI]`: the REST API service (Docker
//! Engine API and libpod) on a unix or TCP socket, or on the socket systemd
//! passed. One engine serves every request for the service's lifetime.

use std::sync::Arc;
use std::time::Duration;

use anyhow::anyhow;
use clap::Args;
use rpod_api::FrontDoor;
use rpod_service::endpoint::{activated, Endpoint, DEFAULT_URI};
use rpod_service::tls::{server_config, TlsFiles};
use rpod_service::ServiceOptions;

use super::common::{open_front_door, Globals};
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args)]
pub struct ServiceArgs {
    /// Time until the service session expires in seconds. Use 0 to disable the timeout
    #[arg(short = 't', long, default_value_t = 5, value_name = "seconds")]
    time: i64,
    /// PEM file containing the TLS certificate for the service (tcp:// only)
    #[arg(long, value_name = "PATH")]
    tls_cert: Option<std::path::PathBuf>,
    /// PEM file containing the TLS key for the service (tcp:// only)
    #[arg(long, value_name = "PATH")]
    tls_key: Option<std::path::PathBuf>,
    /// Only trust client connections with certificates signed by this CA (mutual TLS)
    #[arg(long, value_name = "PATH")]
    tls_client_ca: Option<std::path::PathBuf>,
    /// Where to listen: unix://PATH or tcp://IP:PORT (default unix:///run/rpod/rpod.sock)
    uri: Option<String>,
}

/// The TLS files the flags name: a certificate and a key together, a
/// client CA only with them, all only for a TCP endpoint.
fn tls_files(a: &ServiceArgs, endpoint: &Endpoint) -> CliResult<Option<TlsFiles>> {
    let files = match (&a.tls_cert, &a.tls_key) {
        (None, None) => {
            if a.tls_client_ca.is_some() {
                return Err(CliError::usage(
                    "--tls-client-ca requires --tls-cert and --tls-key",
                ));
            }
            return Ok(None);
        }
        (Some(cert), Some(key)) => TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
            client_ca: a.tls_client_ca.clone(),
        },
        (Some(_), None) => return Err(CliError::usage("--tls-cert provided without --tls-key")),
        (None, Some(_)) => return Err(CliError::usage("--tls-key provided without --tls-cert")),
    };
    if !matches!(endpoint, Endpoint::Tcp(_)) {
        return Err(CliError::usage(
            "TLS (--tls-cert, --tls-key, --tls-client-ca) is only supported with tcp:// endpoints",
        ));
    }
    Ok(Some(files))
}

pub async fn run(g: &Globals, a: ServiceArgs) -> CliResult {
    if g.remote.is_some() {
        return Err(CliError::usage(
            "system service is not available in remote mode: run it on the remote host",
        ));
    }
    if a.time < 0 {
        return Err(CliError::usage(format!(
            "invalid argument \"{}\" for \"-t, --time\" flag: the timeout cannot be negative",
            a.time
        )));
    }
    // Rootless: the user's run directory, as Podman's
    // `$XDG_RUNTIME_DIR/podman/podman.sock`.
    let default_uri = rpod_engine::user_service_uri().unwrap_or_else(|| DEFAULT_URI.to_owned());
    let endpoint = Endpoint::parse(a.uri.as_deref().unwrap_or(&default_uri))
        .map_err(|e| CliError::usage(e.to_string()))?;
    let tls = tls_files(&a, &endpoint)?
        .map(|f| server_config(&f))
        .transpose()
        .map_err(|e| anyhow!(e))?;
    let passed = activated().map_err(|e| anyhow!(e))?;
    // The engine opens before binding: a store it cannot open fails before
    // anything listens.
    let engine: Arc<dyn FrontDoor> = Arc::from(open_front_door(g)?);
    let listen_uri = passed
        .is_none()
        .then(|| a.uri.clone().unwrap_or(default_uri));
    let listener = match passed {
        Some(l) => {
            tracing::info!("API service listening on the socket systemd passed");
            l
        }
        None => {
            let l = endpoint.bind().map_err(|e| anyhow!(e))?;
            tracing::info!("API service listening on {:?}", endpoint);
            l
        }
    };
    let options = ServiceOptions {
        idle_timeout: (a.time > 0).then(|| Duration::from_secs(a.time as u64)),
        listen_uri,
        tls,
    };
    rpod_service::serve(engine, listener, options)
        .await
        .map_err(|e| anyhow!(e))?;
    Ok(0)
}
