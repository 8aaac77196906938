//! Image prune over the API: Docker's `POST /images/prune` (`filters`
//! dangling, until, label; `{"ImagesDeleted", "SpaceReclaimed"}`) and
//! libpod's `POST /libpod/images/prune` (`all`, `filters`; the prune
//! reports).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rpod_api::container::Filters;
use rpod_api::front_door::images::ImagePruneOptions;
use serde_json::json;

use crate::docker::image_id;
use crate::docker::query::{parse_bool, Params};
use crate::error::{ApiError, ApiResult};
use crate::Engine;

type Q = Query<HashMap<String, String>>;

/// The prune options of a filter map: `dangling=false` (Docker's `-a`)
/// prunes every unused image, `until` keeps images stored at or after
/// that time, the other filters go to the engine as `KEY=VALUE`.
fn prune_options(mut filters: Filters, mut all: bool) -> ApiResult<ImagePruneOptions> {
    if let Some(d) = filters.remove("dangling") {
        for v in d {
            let dangling = parse_bool(&v)
                .ok_or_else(|| ApiError::bad_request(format!("invalid dangling filter {v:?}")))?;
            all = !dangling;
        }
    }
    let mut until = None;
    if let Some(vs) = filters.remove("until") {
        for v in vs {
            let nanos = rpod_api::input_time::until_nanos(&v)
                .ok_or_else(|| ApiError::bad_request(format!("invalid until filter {v:?}")))?;
            until = Some(nanos.div_euclid(1_000_000_000));
        }
    }
    let filter = filters
        .into_iter()
        .flat_map(|(k, vs)| vs.into_iter().map(move |v| format!("{k}={v}")))
        .collect();
    Ok(ImagePruneOptions { all, filter, until })
}

/// `POST /images/prune?filters=...`.
pub async fn docker(State(engine): State<Engine>, Query(q): Q) -> ApiResult<Response> {
    let options = prune_options(Params(q).filters()?, false)?;
    let removed = engine.image_prune(options).await?;
    let reclaimed: u64 = removed.iter().map(|r| r.size).sum();
    let deleted: Vec<_> = removed
        .iter()
        .map(|r| json!({"Deleted": image_id(&r.id)}))
        .collect();
    Ok(Json(json!({"ImagesDeleted": deleted, "SpaceReclaimed": reclaimed})).into_response())
}

/// `POST /libpod/images/prune?all=B&filters=...` (an `all` filter wins
/// over the parameter, as Podman; `external`, `buildcache`: 501).
pub async fn libpod(State(engine): State<Engine>, Query(q): Q) -> ApiResult<Response> {
    let p = Params(q);
    for key in ["external", "buildcache"] {
        if p.bool(key, false)? {
            return Err(ApiError::not_implemented(format!(
                "image prune {key} is not supported by rpod's service yet"
            )));
        }
    }
    let mut all = p.bool("all", false)?;
    let mut filters = p.filters()?;
    if let Some(vs) = filters.remove("all") {
        for v in vs {
            all = parse_bool(&v)
                .ok_or_else(|| ApiError::bad_request(format!("invalid all filter {v:?}")))?;
        }
    }
    // libpod's `dangling` filter is dropped, as Podman: `all` decides.
    filters.remove("dangling");
    let options = prune_options(filters, all)?;
    Ok(Json(engine.image_prune(options).await?).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_filters_become_prune_options() {
        let f: Filters = [
            ("dangling".to_owned(), vec!["false".to_owned()]),
            ("label".to_owned(), vec!["k=v".to_owned()]),
            ("until".to_owned(), vec!["1700000000".to_owned()]),
        ]
        .into();
        let o = prune_options(f, false).unwrap();
        assert!(o.all);
        assert_eq!(o.filter, ["label=k=v"]);
        assert_eq!(o.until, Some(1_700_000_000));
        let bad: Filters = [("until".to_owned(), vec!["soon".to_owned()])].into();
        assert!(prune_options(bad, false).is_err());
    }
}
