//! `POST /libpod/system/prune` (`all`, `volumes`, `filters`): Podman's
//! `SystemPruneReport` from the front door's `system prune`.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rpod_api::prune::SystemPruneOptions;

use crate::docker::query::Params;
use crate::error::{ApiError, ApiResult};
use crate::Engine;

/// `POST /libpod/system/prune`. Podman's `external` and `build` (Buildah's
/// and other tools' containers) are refused when true: rpod's prune does
/// not reach them.
pub async fn prune(
    State(engine): State<Engine>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let p = Params(q);
    for key in ["external", "build"] {
        if p.bool(key, false)? {
            return Err(ApiError::not_implemented(format!(
                "system prune with {key}=true is not supported by rpod yet"
            )));
        }
    }
    let options = SystemPruneOptions {
        all: p.bool("all", false)?,
        volume: p.bool("volumes", false)?,
        filters: p.filter_list()?,
    };
    Ok(Json(engine.system_prune(options).await?).into_response())
}
