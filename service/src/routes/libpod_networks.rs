//! libpod's network endpoints: create, json (list), inspect, exists,
//! remove, prune, connect, disconnect, update.

use std::collections::{BTreeMap, HashMap};

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rpod_api::network::{
    NetworkConnectOptions, NetworkCreateOptions, NetworkListOptions, NetworkPruneOptions,
    NetworkRmOptions, NetworkUpdateOptions, Subnet,
};
use serde::Deserialize;

use crate::docker::query::Params;
use crate::error::{json_body, ApiError, ApiResult};
use crate::Engine;

type Q = Query<HashMap<String, String>>;

/// Podman's `types.Network` as a create body (what a client may leave
/// out defaults), with `ignore_if_exists`.
#[derive(Deserialize, Default)]
#[serde(default)]
struct CreateBody {
    name: String,
    driver: String,
    network_interface: String,
    subnets: Vec<Subnet>,
    ipv6_enabled: bool,
    internal: bool,
    dns_enabled: bool,
    network_dns_servers: Vec<String>,
    labels: BTreeMap<String, String>,
    options: BTreeMap<String, String>,
    ignore_if_exists: bool,
}

/// The n-th gateway (or range) belongs to the n-th subnet: one given for a
/// later subnet needs one for every subnet before it.
fn per_subnet(values: Vec<Option<String>>, what: &str) -> ApiResult<Vec<String>> {
    let given = values
        .iter()
        .rposition(Option::is_some)
        .map_or(0, |i| i + 1);
    values
        .into_iter()
        .take(given)
        .map(|v| {
            v.ok_or_else(|| {
                ApiError::bad_request(format!(
                    "a {what} for a subnet needs one for every subnet before it"
                ))
            })
        })
        .collect()
}

/// The create options a `types.Network` body asks for.
fn create_options(b: CreateBody) -> ApiResult<NetworkCreateOptions> {
    let n = b;
    let gateways = n.subnets.iter().map(|s| s.gateway.clone()).collect();
    let ranges = n
        .subnets
        .iter()
        .map(|s| {
            s.lease_range
                .as_ref()
                .and_then(|r| match (&r.start_ip, &r.end_ip) {
                    (Some(a), Some(z)) => Some(format!("{a}-{z}")),
                    _ => None,
                })
        })
        .collect();
    Ok(NetworkCreateOptions {
        name: Some(n.name).filter(|s| !s.is_empty()),
        driver: Some(n.driver).filter(|s| !s.is_empty()),
        subnets: n.subnets.iter().map(|s| s.subnet.clone()).collect(),
        gateways: per_subnet(gateways, "gateway")?,
        ranges: per_subnet(ranges, "lease range")?,
        ipv6: n.ipv6_enabled,
        internal: n.internal,
        disable_dns: !n.dns_enabled,
        labels: n.labels,
        options: n.options,
        interface_name: Some(n.network_interface).filter(|s| !s.is_empty()),
        dns_servers: n.network_dns_servers,
        ignore_if_exists: n.ignore_if_exists,
    })
}

/// `POST /libpod/networks/create`: the network.
pub async fn create(State(engine): State<Engine>, body: Body) -> ApiResult<Response> {
    let options = create_options(json_body(body).await?)?;
    Ok(Json(engine.network_create(options).await?).into_response())
}

/// `GET /libpod/networks/json` (`filters`).
pub async fn list(State(engine): State<Engine>, Query(q): Q) -> ApiResult<Response> {
    let filters = Params(q).filter_list()?;
    Ok(Json(engine.network_list(NetworkListOptions { filters }).await?).into_response())
}

/// `GET /libpod/networks/{name}/json`.
pub async fn inspect(
    State(engine): State<Engine>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let (mut found, mut errors) = engine.network_inspect(std::slice::from_ref(&name)).await?;
    match (found.pop(), errors.pop()) {
        (Some(n), _) => Ok(Json(n).into_response()),
        (None, Some(e)) => Err(e.into()),
        (None, None) => Err(no_such_network(&name)),
    }
}

fn no_such_network(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("unable to find network with name or ID {name}: network not found"),
    )
}

/// `GET /libpod/networks/{name}/exists`: 204 or 404.
pub async fn exists(State(engine): State<Engine>, Path(name): Path<String>) -> ApiResult<Response> {
    if engine.network_exists(&name).await? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(no_such_network(&name))
    }
}

/// `DELETE /libpod/networks/{name}` (`force`, `timeout`): the reports.
pub async fn remove(
    State(engine): State<Engine>,
    Path(name): Path<String>,
    Query(q): Q,
) -> ApiResult<Response> {
    let p = Params(q);
    let options = NetworkRmOptions {
        force: p.bool("force", false)?,
        timeout: p.int("timeout")?.and_then(|t| u64::try_from(t).ok()),
    };
    let reports = engine.network_remove(&[name], options).await?;
    // A lone failure is the request's (Podman answers its status).
    if let [r] = reports.as_slice() {
        if let Some(e) = &r.err {
            return Err(e.clone().into());
        }
    }
    Ok(Json(reports).into_response())
}

/// `POST /libpod/networks/prune` (`filters`): the reports.
pub async fn prune(State(engine): State<Engine>, Query(q): Q) -> ApiResult<Response> {
    let filters = Params(q).filter_list()?;
    Ok(Json(
        engine
            .network_prune(NetworkPruneOptions { filters })
            .await?,
    )
    .into_response())
}

/// Podman's `entities.NetworkConnectOptions`.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ConnectBody {
    #[serde(alias = "Container")]
    container: String,
    aliases: Vec<String>,
    static_ips: Vec<String>,
    static_mac: Option<String>,
}

/// `POST /libpod/networks/{name}/connect`: 200.
pub async fn connect(
    State(engine): State<Engine>,
    Path(name): Path<String>,
    body: Body,
) -> ApiResult<Response> {
    let b: ConnectBody = json_body(body).await?;
    let options = NetworkConnectOptions {
        aliases: b.aliases,
        static_ips: b.static_ips,
        static_mac: b.static_mac.filter(|m| !m.is_empty()),
    };
    engine.network_connect(&name, &b.container, options).await?;
    Ok(StatusCode::OK.into_response())
}

/// Docker's and Podman's `NetworkDisconnect` body.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct DisconnectBody {
    container: String,
    force: bool,
}

/// `POST /libpod/networks/{name}/disconnect`: 200.
pub async fn disconnect(
    State(engine): State<Engine>,
    Path(name): Path<String>,
    body: Body,
) -> ApiResult<Response> {
    let b: DisconnectBody = json_body(body).await?;
    engine
        .network_disconnect(&name, &b.container, b.force)
        .await?;
    Ok(StatusCode::OK.into_response())
}

/// Podman's `entities.NetworkUpdateOptions`.
#[derive(Deserialize, Default)]
#[serde(default)]
struct UpdateBody {
    adddnsservers: Vec<String>,
    removednsservers: Vec<String>,
}

/// `POST /libpod/networks/{name}/update`: 204.
pub async fn update(
    State(engine): State<Engine>,
    Path(name): Path<String>,
    body: Body,
) -> ApiResult<Response> {
    let b: UpdateBody = json_body(body).await?;
    let options = NetworkUpdateOptions {
        add_dns_servers: b.adddnsservers,
        remove_dns_servers: b.removednsservers,
    };
    engine.network_update(&name, options).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateways_follow_their_subnets() {
        assert_eq!(
            per_subnet(vec![Some("a".into()), None], "gateway").unwrap(),
            vec!["a".to_owned()]
        );
        assert!(per_subnet(vec![None, Some("b".into())], "gateway").is_err());
        let b: CreateBody = serde_json::from_str(
            r#"{"name":"n1","subnets":[{"subnet":"10.85.1.0/24","gateway":"10.85.1.9"}],"dns_enabled":true,"ignore_if_exists":true}"#,
        )
        .unwrap();
        let o = create_options(b).unwrap();
        assert_eq!(o.name.as_deref(), Some("n1"));
        assert_eq!(o.subnets, vec!["10.85.1.0/24".to_owned()]);
        assert_eq!(o.gateways, vec!["10.85.1.9".to_owned()]);
        assert!(!o.disable_dns && o.ignore_if_exists);
    }
}
