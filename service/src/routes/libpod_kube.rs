//! `POST /libpod/play/kube` (the body is the YAML), `DELETE
//! /libpod/play/kube` (kube down of the body's YAML) and `GET
//! /libpod/generate/kube?names=...`: the front door's `Kube` with Podman's
//! query parameters, or rpod's own `rpod_options` (every option of rpod's
//! remote client, as JSON).

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rpod_api::kube::{KubeDownOptions, KubeGenerateOptions, KubePlayOptions};

use crate::docker::query::Params;
use crate::error::{read_body, ApiError, ApiResult};
use crate::Engine;

type Pairs = Query<Vec<(String, String)>>;

fn repeated(q: &[(String, String)], key: &str) -> Vec<String> {
    q.iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .collect()
}

fn rpod_options<T: serde::de::DeserializeOwned>(p: &Params) -> ApiResult<Option<T>> {
    p.get("rpod_options")
        .map(|o| {
            serde_json::from_str(o)
                .map_err(|e| ApiError::bad_request(format!("decoding rpod_options: {e}")))
        })
        .transpose()
}

/// Podman's query parameters this service does not carry: 501 naming it.
fn refuse(p: &Params, keys: &[&str]) -> ApiResult<()> {
    match keys
        .iter()
        .find(|k| p.get(k).is_some_and(|v| !v.is_empty() && v != "false"))
    {
        Some(k) => Err(ApiError::not_implemented(format!(
            "play kube: {k} is not supported yet"
        ))),
        None => Ok(()),
    }
}

/// `POST /libpod/play/kube`.
pub async fn play(
    State(engine): State<Engine>,
    Query(q): Pairs,
    body: Body,
) -> ApiResult<Response> {
    let yaml = read_body(body).await?.to_vec();
    let p = Params(q.iter().cloned().collect());
    let options = match rpod_options(&p)? {
        Some(o) => o,
        None => {
            refuse(
                &p,
                &[
                    "build",
                    "contextDir",
                    "logOptions",
                    "staticIPs",
                    "staticMACs",
                    "userns",
                ],
            )?;
            KubePlayOptions {
                replace: p.bool("replace", false)?,
                start: p.bool("start", true)?,
                publish: repeated(&q, "publishPorts"),
                publish_all: p.bool("publishAllPorts", false)?,
                networks: repeated(&q, "network"),
                log_driver: p
                    .get("logDriver")
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned),
                no_hosts: p.bool("noHosts", false)?,
                tls_verify: p
                    .get("tlsVerify")
                    .map(|_| p.bool("tlsVerify", true))
                    .transpose()?,
                quiet: true,
                service_container: p.bool("serviceContainer", false)?,
                ..KubePlayOptions::default()
            }
        }
    };
    let report = engine.kube_play(yaml, options, None).await?;
    Ok(Json(report).into_response())
}

/// `DELETE /libpod/play/kube` (`force`).
pub async fn down(
    State(engine): State<Engine>,
    Query(q): Pairs,
    body: Body,
) -> ApiResult<Response> {
    let yaml = read_body(body).await?.to_vec();
    let p = Params(q.into_iter().collect());
    let options = KubeDownOptions {
        force: p.bool("force", false)?,
    };
    Ok(Json(engine.kube_down(yaml, options).await?).into_response())
}

/// `GET /libpod/generate/kube` (`names` repeated, `service`, `type`,
/// `replicas`, `podmanOnly`): the YAML as text.
pub async fn generate(State(engine): State<Engine>, Query(q): Pairs) -> ApiResult<Response> {
    let names = repeated(&q, "names");
    let p = Params(q.into_iter().collect());
    let options = match rpod_options(&p)? {
        Some(o) => o,
        None => {
            let defaults = KubeGenerateOptions::default();
            KubeGenerateOptions {
                service: p.bool("service", false)?,
                kind: p
                    .get("type")
                    .filter(|v| !v.is_empty())
                    .map_or(defaults.kind.clone(), str::to_owned),
                replicas: match p.int("replicas")? {
                    Some(n) => u32::try_from(n)
                        .map_err(|_| ApiError::bad_request(format!("invalid replicas {n}")))?,
                    None => defaults.replicas,
                },
                podman_only: p.bool("podmanOnly", false)?,
            }
        }
    };
    let report = engine.kube_generate(&names, options).await?;
    Ok(([(header::CONTENT_TYPE, "text/vnd.yaml")], report.yaml).into_response())
}
