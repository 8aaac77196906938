//! `GET /libpod/generate/{name}/systemd`: the units as `{unit: text}`.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rpod_api::generate::GenerateSystemdOptions;

use crate::docker::query::Params;
use crate::error::{ApiError, ApiResult};
use crate::Engine;

/// The options from Podman's query (`useName`, `new`, `noHeader`,
/// `restartPolicy`, `stopTimeout`, `containerPrefix`, `podPrefix`,
/// `separator`); what rpod does not generate is refused.
fn options(p: &Params) -> ApiResult<GenerateSystemdOptions> {
    for unsupported in [
        "restartSec",
        "startTimeout",
        "wants",
        "after",
        "requires",
        "additionalEnvVariables",
        "templateUnitFile",
    ] {
        if p.get(unsupported)
            .is_some_and(|v| !v.is_empty() && v != "[]")
        {
            return Err(ApiError::not_implemented(format!(
                "generate systemd: {unsupported} is not supported by rpod"
            )));
        }
    }
    let d = GenerateSystemdOptions::default();
    let text = |key: &str, default: String| {
        p.get(key)
            .filter(|v| !v.is_empty())
            .map_or(default, str::to_owned)
    };
    Ok(GenerateSystemdOptions {
        use_name: p.bool("useName", false)?,
        new: p.bool("new", false)?,
        no_header: p.bool("noHeader", false)?,
        restart_policy: text("restartPolicy", d.restart_policy),
        stop_timeout: p.int("stopTimeout")?.and_then(|t| u64::try_from(t).ok()),
        container_prefix: text("containerPrefix", d.container_prefix),
        pod_prefix: text("podPrefix", d.pod_prefix),
        separator: text("separator", d.separator),
    })
}

/// `GET /libpod/generate/{name}/systemd`.
pub async fn systemd(
    State(engine): State<Engine>,
    Path(name): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let options = options(&Params(q))?;
    let report = engine.generate_systemd(&name, options).await?;
    Ok(Json(report.units).into_response())
}
