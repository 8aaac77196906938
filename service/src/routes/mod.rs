//! The router: Docker Engine API paths and libpod paths (after the version
//! prefix was stripped, see [`crate::version`]) to their handlers.

mod attach;
mod containers;
mod exec;
mod fallback;
mod images;
mod libpod;
mod logs;
mod more;
mod system;
mod volumes;

use axum::routing::{delete, get, post};
use axum::Router;

use std::sync::Arc;

use crate::{AppState, Engine};

/// Every endpoint the service answers; anything else is [`fallback`]'s.
pub fn router(engine: Engine) -> Router {
    Router::new()
        .route("/_ping", get(system::ping).head(system::ping))
        .route("/version", get(system::version))
        .route("/info", get(system::info))
        .route("/containers/json", get(containers::list))
        .route("/containers/create", post(containers::create))
        .route("/containers/{id}/json", get(containers::inspect))
        .route("/containers/{id}/start", post(containers::start))
        .route("/containers/{id}/stop", post(containers::stop))
        .route("/containers/{id}/restart", post(containers::restart))
        .route("/containers/{id}/kill", post(containers::kill))
        .route("/containers/{id}/pause", post(containers::pause))
        .route("/containers/{id}/unpause", post(containers::unpause))
        .route("/containers/{id}/wait", post(containers::wait))
        .route("/containers/{id}/logs", get(logs::logs))
        .route("/containers/{id}/attach", post(attach::attach))
        .route("/containers/{id}/exec", post(exec::create))
        .route("/containers/{id}/rename", post(more::rename))
        .route("/containers/{id}/top", get(more::top))
        .route("/containers/prune", post(more::prune))
        .route("/exec/{id}/start", post(exec::start))
        .route("/exec/{id}/json", get(exec::inspect))
        .route("/containers/{id}", delete(containers::remove))
        .route("/images/json", get(images::list))
        .route("/images/create", post(images::pull))
        .route(
            "/images/{*rest}",
            get(images::get_by_name)
                .post(images::post_by_name)
                .delete(images::remove),
        )
        .route("/volumes", get(volumes::list))
        .route("/volumes/create", post(volumes::create))
        .route("/volumes/prune", post(volumes::prune))
        .route(
            "/volumes/{name}",
            get(volumes::inspect).delete(volumes::remove),
        )
        .route("/libpod/_ping", get(system::ping).head(system::ping))
        .route("/libpod/version", get(system::version))
        .route("/libpod/info", get(libpod::info))
        .route("/libpod/containers/json", get(libpod::containers))
        .route(
            "/libpod/containers/{id}/exists",
            get(libpod::container_exists),
        )
        .route("/libpod/pods/json", get(libpod::pods))
        .fallback(fallback::fallback)
        .with_state(AppState {
            engine,
            attaches: Arc::default(),
            execs: Arc::default(),
        })
}
