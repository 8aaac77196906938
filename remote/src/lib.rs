//! `rpod --remote`: the front door over the libpod REST API of
//! `rpod system service` (or `podman system service`), reached over a unix
//! socket, TCP, or ssh (the system's `ssh` forwarding the remote socket).
//!
//! [`RemoteEngine`] implements every front-door trait; what is not carried
//! over the API yet fails with "... is not supported in remote mode yet".
//! This crate depends on `rpod-api` only: never on the engine.

mod error;
mod front_door;
mod json_lines;
mod ops;
mod query;
mod session;
mod ssh;
pub mod tls;
mod transport;
pub mod url;

pub use error::unsupported;
pub use ops::system::client_version;
pub use url::RemoteUrl;

use transport::Transport;

/// The API path prefix requests go to (Podman's clients send their own
/// version; rpod's service answers any).
const API_PREFIX: &str = "/v5.0.0/libpod";

/// How to reach the service.
#[derive(Clone, Debug, Default)]
pub struct ConnectOptions {
    /// `--identity`: the ssh private key.
    pub identity: Option<std::path::PathBuf>,
    /// An ssh client configuration file (`CONTAINERS_SSH_CONF`).
    pub ssh_config: Option<std::path::PathBuf>,
    /// TLS to a `tcp://` service.
    pub tls: tls::TlsOptions,
}

/// A front door served by a remote `system service`.
pub struct RemoteEngine {
    transport: std::sync::Arc<Transport>,
    /// Whether the service is rpod's own (asked once, from `/version`).
    rpod_service: tokio::sync::OnceCell<bool>,
}

impl RemoteEngine {
    /// Prepares the connection (for `ssh://`, starts the tunnel); requests
    /// open their own connections.
    pub fn connect(url: &RemoteUrl, options: &ConnectOptions) -> rpod_api::Result<RemoteEngine> {
        Ok(RemoteEngine {
            transport: std::sync::Arc::new(Transport::open(url, options)?),
            rpod_service: tokio::sync::OnceCell::new(),
        })
    }

    /// Whether the service is `rpod system service` (its `/version`
    /// platform is "rpod VERSION"): it takes rpod's own create options.
    pub(crate) async fn is_rpod_service(&self) -> bool {
        *self
            .rpod_service
            .get_or_init(|| async {
                #[derive(serde::Deserialize, Default)]
                #[serde(default)]
                struct Platform {
                    #[serde(rename = "Name")]
                    name: String,
                }
                #[derive(serde::Deserialize, Default)]
                #[serde(default)]
                struct Version {
                    #[serde(rename = "Platform")]
                    platform: Platform,
                }
                match self.transport.get::<Version>("/version").await {
                    Ok(v) => v.platform.name.starts_with("rpod "),
                    Err(e) => {
                        tracing::debug!("asking the service's version: {e}");
                        false
                    }
                }
            })
            .await
    }
}
