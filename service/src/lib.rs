#![recursion_limit = "256"]
//! rpod's REST API service (`rpod system service`): the Docker Engine API
//! (v1.44, accepting 1.24 and later) and part of libpod's, answered through
//! the front door ([`rpod_api::FrontDoor`]). The caller hands in the engine;
//! this crate constructs nothing engine-specific and keeps the one engine it
//! is given for the service's lifetime.
//!
//! Layout: [`endpoint`] (the URI, binding, socket activation), [`idle`]
//! (the `--time` idle timeout), [`server`] (serving until idle or a
//! signal), [`tls`] (TLS for `tcp://`), [`routes`] (paths to handlers), [`error`] (Docker's error
//! body), [`docker`] (Docker's shapes of the front door's reports).

pub mod attach;
pub mod body_io;
pub mod controls;
pub mod docker;
pub mod endpoint;
pub mod error;
pub mod exec;
pub mod idle;
pub mod libpod;
pub mod memory;
pub mod routes;
pub mod server;
pub mod tls;
pub mod tls_files;
pub mod version;

pub use endpoint::{Endpoint, EndpointError};
pub use server::{serve, ServeError, ServiceOptions};

use std::sync::Arc;

use rpod_api::FrontDoor;

/// The engine the handlers talk to, shared by every request.
pub type Engine = Arc<dyn FrontDoor>;

/// What every handler can reach: the engine and the attaches waiting for
/// their container's start.
#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
    pub attaches: Arc<attach::Attaches>,
    pub execs: Arc<exec::Execs>,
    /// The controls of the pumped sessions (`resize`).
    pub controls: Arc<controls::Controls>,
    /// Where the service listens, for `info`'s `host.remoteSocket`.
    pub listen_uri: Option<Arc<str>>,
}

impl axum::extract::FromRef<AppState> for Engine {
    fn from_ref(state: &AppState) -> Engine {
        state.engine.clone()
    }
}
