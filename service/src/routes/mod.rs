//! The router: Docker Engine API paths and libpod paths (after the version
//! prefix was stripped, see [`crate::version`]) to their handlers.

mod archive;
mod attach;
mod attach_ws;
mod auth;
mod build;
mod build_auth;
mod build_query;
mod commit;
mod containers;
mod events;
mod exec;
mod export;
mod fallback;
mod image_archive;
mod image_prune;
mod image_push;
mod images;
mod libpod;
mod libpod_containers;
mod libpod_generate;
mod libpod_images;
mod libpod_kube;
mod libpod_load;
mod libpod_networks;
mod libpod_pod_stats;
mod libpod_pods;
mod libpod_secrets;
mod libpod_system;
mod libpod_volumes;
mod logs;
mod more;
mod networks;
mod registry_auth;
mod resize;
mod stats;
mod system;
mod update;
mod volumes;

use axum::routing::{delete, get, post};
use axum::Router;

use std::sync::Arc;

use crate::{AppState, Engine};

/// Every endpoint the service answers; anything else is [`fallback`]'s.
pub fn router(engine: Engine, listen_uri: Option<String>) -> Router {
    Router::new()
        .route("/_ping", get(system::ping).head(system::ping))
        .route("/version", get(system::version))
        .route("/info", get(system::info))
        .route("/events", get(events::docker))
        .route("/system/df", get(system::df))
        .route("/libpod/events", get(events::libpod))
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
        .route(
            "/containers/{id}/archive",
            get(archive::docker_get)
                .head(archive::docker_head)
                .put(archive::docker_put),
        )
        .route(
            "/libpod/containers/{id}/archive",
            get(archive::libpod_get)
                .head(archive::libpod_head)
                .put(archive::libpod_put),
        )
        .route("/containers/{id}/export", get(export::export))
        .route("/libpod/containers/{id}/export", get(export::export))
        .route("/containers/{id}/changes", get(export::changes))
        .route("/libpod/containers/{id}/changes", get(export::changes))
        .route("/containers/{id}/stats", get(stats::docker))
        .route("/libpod/containers/stats", get(stats::libpod))
        .route("/containers/{id}/rename", post(more::rename))
        .route("/containers/{id}/top", get(more::top))
        .route("/containers/prune", post(more::prune))
        .route("/exec/{id}/start", post(exec::start))
        .route("/exec/{id}/json", get(exec::inspect))
        .route("/containers/{id}/resize", post(resize::container))
        .route("/exec/{id}/resize", post(resize::exec))
        .route("/libpod/containers/{id}/resize", post(resize::container))
        .route("/libpod/exec/{id}/resize", post(resize::exec))
        .route("/containers/{id}", delete(containers::remove))
        .route("/images/json", get(images::list))
        .route("/images/create", post(images::pull))
        .route("/images/get", get(image_archive::docker_get_many))
        .route("/images/load", post(image_archive::docker_load))
        .route("/images/prune", post(image_prune::docker))
        .route("/images/search", get(auth::search))
        .route("/libpod/images/search", get(auth::search))
        .route("/auth", post(auth::auth))
        .route("/build", post(build::docker))
        .route("/libpod/build", post(build::libpod))
        .route("/commit", post(commit::docker))
        .route("/libpod/commit", post(commit::libpod))
        .route("/libpod/images/export", get(image_archive::libpod_export))
        .route("/libpod/images/import", post(image_archive::libpod_import))
        .route("/libpod/images/prune", post(image_prune::libpod))
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
        .route("/networks", get(networks::list))
        .route("/networks/create", post(networks::create))
        .route("/networks/prune", post(networks::prune))
        .route(
            "/networks/{id}",
            get(networks::inspect).delete(networks::remove),
        )
        .route("/networks/{id}/connect", post(networks::connect))
        .route("/networks/{id}/disconnect", post(networks::disconnect))
        .route("/libpod/_ping", get(system::ping).head(system::ping))
        .route("/libpod/version", get(system::version))
        .route("/libpod/info", get(libpod::info))
        .route("/libpod/system/df", get(libpod::system_df))
        .route("/libpod/containers/json", get(libpod::containers))
        .route(
            "/libpod/containers/{id}/exists",
            get(libpod::container_exists),
        )
        .route("/libpod/pods/json", get(libpod::pods))
        .route("/libpod/containers/create", post(libpod_containers::create))
        .route(
            "/libpod/containers/{id}/json",
            get(libpod_containers::inspect),
        )
        .route("/libpod/containers/{id}/start", post(containers::start))
        .route("/libpod/containers/{id}/restart", post(containers::restart))
        .route("/libpod/containers/{id}/pause", post(containers::pause))
        .route("/libpod/containers/{id}/unpause", post(containers::unpause))
        .route("/libpod/containers/{id}/rename", post(more::rename))
        .route("/libpod/containers/{id}/top", get(more::top))
        .route(
            "/libpod/containers/{id}/healthcheck",
            get(libpod_containers::healthcheck),
        )
        .route(
            "/libpod/containers/{id}/stop",
            post(libpod_containers::stop),
        )
        .route(
            "/libpod/containers/{id}/kill",
            post(libpod_containers::kill),
        )
        .route(
            "/libpod/containers/{id}/wait",
            post(libpod_containers::wait),
        )
        .route("/libpod/containers/{id}/logs", get(logs::logs))
        .route("/libpod/containers/{id}/attach", post(attach::attach))
        .route("/libpod/containers/{id}/exec", post(exec::create))
        .route("/libpod/containers/{id}", delete(libpod_containers::remove))
        .route("/libpod/exec/{id}/start", post(exec::start))
        .route("/libpod/exec/{id}/json", get(exec::inspect))
        .route("/libpod/images/json", get(libpod_images::list))
        .route("/libpod/images/pull", post(libpod_images::pull))
        .route("/libpod/images/remove", delete(libpod_images::remove))
        .route("/libpod/images/load", post(libpod_load::load))
        .route(
            "/libpod/images/{*rest}",
            get(libpod_images::get_by_name).post(image_push::libpod_post_by_name),
        )
        .route("/libpod/pods/create", post(libpod_pods::create))
        .route("/libpod/pods/{name}", delete(libpod_pods::remove))
        .route("/libpod/pods/{name}/exists", get(libpod_pods::exists))
        .route("/libpod/pods/{name}/json", get(libpod_pods::inspect))
        .route("/libpod/pods/{name}/start", post(libpod_pods::start))
        .route("/libpod/pods/{name}/stop", post(libpod_pods::stop))
        .route("/libpod/pods/{name}/restart", post(libpod_pods::restart))
        .route("/libpod/pods/{name}/kill", post(libpod_pods::kill))
        .route("/libpod/pods/{name}/pause", post(libpod_pods::pause))
        .route("/libpod/pods/{name}/unpause", post(libpod_pods::unpause))
        .route("/libpod/pods/prune", post(libpod_pods::prune))
        .route("/libpod/volumes/create", post(libpod_volumes::create))
        .route("/libpod/volumes/json", get(libpod_volumes::list))
        .route("/libpod/volumes/prune", post(libpod_volumes::prune))
        .route("/libpod/volumes/{name}/json", get(libpod_volumes::inspect))
        .route("/libpod/volumes/{name}/exists", get(libpod_volumes::exists))
        .route("/libpod/volumes/{name}", delete(volumes::remove))
        .route("/libpod/networks/create", post(libpod_networks::create))
        .route("/libpod/networks/json", get(libpod_networks::list))
        .route("/libpod/networks/prune", post(libpod_networks::prune))
        .route(
            "/libpod/networks/{name}/json",
            get(libpod_networks::inspect),
        )
        .route(
            "/libpod/networks/{name}/exists",
            get(libpod_networks::exists),
        )
        .route(
            "/libpod/networks/{name}/connect",
            post(libpod_networks::connect),
        )
        .route(
            "/libpod/networks/{name}/disconnect",
            post(libpod_networks::disconnect),
        )
        .route(
            "/libpod/networks/{name}/update",
            post(libpod_networks::update),
        )
        .route("/libpod/networks/{name}", delete(libpod_networks::remove))
        .route("/libpod/secrets/create", post(libpod_secrets::create))
        .route("/libpod/secrets/json", get(libpod_secrets::list))
        .route("/libpod/secrets/{name}/json", get(libpod_secrets::inspect))
        .route("/libpod/secrets/{name}/exists", get(libpod_secrets::exists))
        .route("/libpod/secrets/{name}", delete(libpod_secrets::remove))
        .route(
            "/libpod/play/kube",
            post(libpod_kube::play).delete(libpod_kube::down),
        )
        .route("/libpod/generate/kube", get(libpod_kube::generate))
        .route(
            "/libpod/generate/{name}/systemd",
            get(libpod_generate::systemd),
        )
        .route("/containers/{id}/attach/ws", get(attach_ws::attach_ws))
        .route("/containers/{id}/update", post(update::docker))
        .route("/libpod/containers/{id}/update", post(update::libpod))
        .route("/libpod/pods/{name}/top", get(libpod_pod_stats::top))
        .route("/libpod/pods/stats", get(libpod_pod_stats::stats))
        .route("/libpod/system/prune", post(libpod_system::prune))
        .fallback(fallback::fallback)
        .with_state(AppState {
            engine,
            attaches: Arc::default(),
            execs: Arc::default(),
            controls: Arc::default(),
            listen_uri: listen_uri.map(Arc::from),
        })
}
