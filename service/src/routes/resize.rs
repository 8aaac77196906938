//! `POST /containers/{id}/resize` and `/exec/{id}/resize` (`h`, `w`): the
//! terminal of a session the service is pumping (an attach or an exec).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::containers::inspect_one;
use crate::docker::query::Params;
use crate::error::{ApiError, ApiResult};
use crate::AppState;

type Q = Query<HashMap<String, String>>;

fn size(q: HashMap<String, String>) -> ApiResult<(u16, u16)> {
    let p = Params(q);
    let dim = |k: &str| -> ApiResult<u16> {
        p.int(k)?
            .and_then(|v| u16::try_from(v).ok())
            .ok_or_else(|| ApiError::bad_request(format!("{k} must be a number from 0 to 65535")))
    };
    Ok((dim("h")?, dim("w")?))
}

fn resize(app: &AppState, key: &str, size: (u16, u16), name: &str) -> ApiResult<Response> {
    let control = app.controls.get(key).ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            format!("{name} has no session attached through this service to resize"),
        )
    })?;
    control.resize(size)?;
    Ok(StatusCode::OK.into_response())
}

/// A container's terminal, through the attach the service pumps.
pub async fn container(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(q): Q,
) -> ApiResult<Response> {
    let size = size(q)?;
    let full_id = inspect_one(&app.engine, &id, false).await?.id;
    resize(&app, &format!("ctr:{full_id}"), size, &id)
}

/// An exec session's terminal.
pub async fn exec(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(q): Q,
) -> ApiResult<Response> {
    let size = size(q)?;
    if app.execs.get(&id).is_err() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no exec session with ID {id} found: no such exec session"),
        ));
    }
    resize(&app, &format!("exec:{id}"), size, &id)
}
