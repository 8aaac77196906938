//! The streaming server: `Exec`, `Attach` and `PortForward` answer a URL of
//! this server with a one-use token, as the kubelet's streaming library
//! does; the client opens it as a WebSocket (`v5.channel.k8s.io` or
//! `v4.channel.k8s.io`) and the server relays it to the container's (or the
//! exec session's) monitor through the front door, or to a port in the
//! sandbox's network namespace. SPDY is not spoken (no maintained Rust
//! crate implements SPDY/3.1).

mod channel;
mod portforward;
mod remotecommand;
mod tokens;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rpod_api::FrontDoor;
use tokio::net::TcpListener;

use tokens::Tokens;
pub use tokens::{AttachStream, ExecStream, Pending, PortForwardTarget, Streams};

/// The streaming server's half the RPCs see: where it listens and the
/// requests waiting for their connection.
pub struct Streamer {
    base: String,
    tokens: Tokens,
}

impl Streamer {
    /// A streamer whose URLs point at `addr`.
    pub fn new(addr: SocketAddr) -> Streamer {
        Streamer {
            base: format!("http://{addr}"),
            tokens: Tokens::default(),
        }
    }

    /// `http://ADDRESS:PORT` of the server.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The URL the client opens for `pending`.
    pub fn url(&self, pending: Pending) -> String {
        let kind = pending.kind();
        let token = self.tokens.insert(pending);
        format!("{}/{kind}/{token}", self.base)
    }
}

struct Served {
    engine: Arc<dyn FrontDoor>,
    streamer: Arc<Streamer>,
}

/// Serves the streams of `streamer` on `listener` until `shutdown`.
pub async fn serve(
    engine: Arc<dyn FrontDoor>,
    streamer: Arc<Streamer>,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let state = Arc::new(Served { engine, streamer });
    let app = Router::new()
        .route("/{kind}/{token}", get(open).post(open))
        .with_state(state);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

fn refuse(code: StatusCode, message: String) -> Response {
    (code, message).into_response()
}

/// One stream's connection: its token taken, the WebSocket upgraded.
async fn open(
    State(st): State<Arc<Served>>,
    Path((kind, token)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Some(pending) = st.streamer.tokens.take(&token, &kind) else {
        return refuse(StatusCode::NOT_FOUND, "404 page not found".to_owned());
    };
    let ws = match ws {
        Ok(ws) => ws.protocols(channel::PROTOCOLS),
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!(
                    "rpod's streaming server speaks WebSocket ({}) only, not SPDY: {e}",
                    channel::PROTOCOLS.join(", ")
                ),
            )
        }
    };
    let Some(protocol) = ws.selected_protocol().and_then(|p| p.to_str().ok()) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            format!(
                "no supported WebSocket subprotocol requested: rpod speaks {}",
                channel::PROTOCOLS.join(", ")
            ),
        );
    };
    let v5 = protocol == channel::V5;
    let engine = st.engine.clone();
    match pending {
        Pending::PortForward(pf) => {
            // The ports of the query, else those of the request.
            let ports = match channel::ports(query.as_deref().unwrap_or("")) {
                Ok(p) if p.is_empty() => pf.ports.clone(),
                Ok(p) => p,
                Err(e) => return refuse(StatusCode::BAD_REQUEST, e),
            };
            if ports.is_empty() {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    "query parameter \"port\" is required".to_owned(),
                );
            }
            ws.on_upgrade(move |socket| portforward::run(socket, pf, ports, v5))
        }
        Pending::Exec(cmd) => {
            ws.on_upgrade(move |socket| remotecommand::exec(engine, socket, cmd, v5))
        }
        Pending::Attach(a) => {
            ws.on_upgrade(move |socket| remotecommand::attach(engine, socket, a, v5))
        }
    }
}
