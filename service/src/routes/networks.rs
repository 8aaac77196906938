//! Docker's network endpoints: list, inspect, create, remove, connect,
//! disconnect, prune — the front door's networks as Docker's
//! `NetworkResource`.

use std::collections::{BTreeMap, HashMap};

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rpod_api::network::{
    Network, NetworkConnectOptions, NetworkCreateOptions, NetworkInspectReport, NetworkListOptions,
    NetworkPruneOptions, NetworkRmOptions,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::docker::query::Params;
use crate::error::{json_body, ApiError, ApiResult};
use crate::Engine;

type Q = Query<HashMap<String, String>>;

/// Docker's `network.Inspect` of a network and its containers.
fn resource(n: &Network, containers: Option<&NetworkInspectReport>) -> Value {
    let config: Vec<Value> = n
        .subnets
        .iter()
        .map(|s| {
            let mut c = json!({"Subnet": s.subnet});
            if let Some(g) = &s.gateway {
                c["Gateway"] = json!(g);
            }
            c
        })
        .collect();
    let mut ctrs = Map::new();
    for (id, c) in containers.map(|r| &r.containers).into_iter().flatten() {
        let iface = c.interfaces.values().next();
        let addr = |v6: bool| {
            iface
                .and_then(|i| i.subnets.iter().find(|a| a.ipnet.contains(':') == v6))
                .map(|a| a.ipnet.clone())
                .unwrap_or_default()
        };
        ctrs.insert(
            id.clone(),
            json!({
                "Name": c.name,
                "EndpointID": "",
                "MacAddress": iface.map(|i| i.mac_address.clone()).unwrap_or_default(),
                "IPv4Address": addr(false),
                "IPv6Address": addr(true),
            }),
        );
    }
    json!({
        "Name": n.name,
        "Id": n.id,
        "Created": n.created.rfc3339(),
        "Scope": "local",
        "Driver": n.driver,
        "EnableIPv6": n.ipv6_enabled,
        "IPAM": {"Driver": "default", "Options": {}, "Config": config},
        "Internal": n.internal,
        "Attachable": false,
        "Ingress": false,
        "ConfigFrom": {"Network": ""},
        "ConfigOnly": false,
        "Containers": ctrs,
        "Options": n.options,
        "Labels": n.labels,
    })
}

/// `GET /networks` (`filters`).
pub async fn list(State(engine): State<Engine>, Query(q): Q) -> ApiResult<Response> {
    let filters = Params(q).filter_list()?;
    let nets = engine.network_list(NetworkListOptions { filters }).await?;
    let names: Vec<String> = nets.iter().map(|n| n.name.clone()).collect();
    let (reports, _) = engine.network_inspect(&names).await?;
    let out: Vec<Value> = nets
        .iter()
        .map(|n| resource(n, reports.iter().find(|r| r.network.id == n.id)))
        .collect();
    Ok(Json(out).into_response())
}

/// `GET /networks/{id}`.
pub async fn inspect(
    State(engine): State<Engine>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let (mut found, mut errors) = engine.network_inspect(std::slice::from_ref(&name)).await?;
    match (found.pop(), errors.pop()) {
        (Some(r), _) => Ok(Json(resource(&r.network, Some(&r))).into_response()),
        (None, Some(e)) => Err(e.into()),
        (None, None) => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("network {name} not found"),
        )),
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct IpamConfig {
    subnet: Option<String>,
    gateway: Option<String>,
    #[serde(rename = "IPRange")]
    ip_range: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct Ipam {
    driver: Option<String>,
    config: Option<Vec<IpamConfig>>,
}

/// Docker's `network.CreateRequest`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct CreateBody {
    name: Option<String>,
    driver: Option<String>,
    internal: Option<bool>,
    #[serde(rename = "EnableIPv6")]
    enable_ipv6: Option<bool>,
    #[serde(rename = "IPAM")]
    ipam: Option<Ipam>,
    options: Option<BTreeMap<String, String>>,
    labels: Option<BTreeMap<String, String>>,
    check_duplicate: Option<bool>,
    attachable: Option<bool>,
    ingress: Option<bool>,
    config_only: Option<bool>,
    scope: Option<String>,
}

fn create_options(b: CreateBody) -> ApiResult<NetworkCreateOptions> {
    let name = b.name.unwrap_or_default();
    if name.is_empty() {
        return Err(ApiError::bad_request("network name is required"));
    }
    if b.ingress == Some(true)
        || b.config_only == Some(true)
        || !matches!(b.scope.as_deref().unwrap_or_default(), "" | "local")
    {
        return Err(ApiError::not_implemented(
            "network create: Ingress, ConfigOnly and non-local Scope are not supported by rpod",
        ));
    }
    let ipam = b.ipam.unwrap_or_default();
    if !matches!(ipam.driver.as_deref().unwrap_or_default(), "" | "default") {
        return Err(ApiError::not_implemented(format!(
            "network create: IPAM driver {:?} is not supported by rpod",
            ipam.driver
        )));
    }
    let mut o = NetworkCreateOptions {
        name: Some(name),
        driver: b.driver.filter(|d| !d.is_empty() && d != "bridge"),
        internal: b.internal.unwrap_or(false),
        ipv6: b.enable_ipv6.unwrap_or(false),
        labels: b.labels.unwrap_or_default(),
        options: b
            .options
            .unwrap_or_default()
            .into_iter()
            .filter(|(k, _)| !k.starts_with("com.docker.network."))
            .collect(),
        ..Default::default()
    };
    // `Attachable` only matters to swarm; Podman accepts and ignores it.
    let _ = b.attachable;
    for c in ipam.config.unwrap_or_default() {
        let subnet = c.subnet.unwrap_or_default();
        let gateway = c.gateway.unwrap_or_default();
        let ip_range = c.ip_range.unwrap_or_default();
        if subnet.is_empty() {
            continue;
        }
        if (!gateway.is_empty() && o.gateways.len() < o.subnets.len())
            || (!ip_range.is_empty() && o.ranges.len() < o.subnets.len())
        {
            return Err(ApiError::bad_request(
                "a gateway or IP range for a subnet needs one for every subnet before it",
            ));
        }
        o.subnets.push(subnet);
        if !gateway.is_empty() {
            o.gateways.push(gateway);
        }
        if !ip_range.is_empty() {
            o.ranges.push(ip_range);
        }
    }
    // Docker refuses a duplicate name; so does the engine without --ignore.
    let _ = b.check_duplicate;
    Ok(o)
}

/// `POST /networks/create`: 201 `{"Id", "Warning"}`.
pub async fn create(State(engine): State<Engine>, body: Body) -> ApiResult<Response> {
    let options = create_options(json_body(body).await?)?;
    let n = engine.network_create(options).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"Id": n.id, "Warning": ""})),
    )
        .into_response())
}

/// `DELETE /networks/{id}`: 204.
pub async fn remove(State(engine): State<Engine>, Path(name): Path<String>) -> ApiResult<Response> {
    let reports = engine
        .network_remove(&[name], NetworkRmOptions::default())
        .await?;
    if let Some(e) = reports.into_iter().find_map(|r| r.err) {
        return Err(e.into());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct EndpointIpam {
    #[serde(rename = "IPv4Address")]
    ipv4: Option<String>,
    #[serde(rename = "IPv6Address")]
    ipv6: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct EndpointConfig {
    aliases: Option<Vec<String>>,
    #[serde(rename = "IPAMConfig")]
    ipam_config: Option<EndpointIpam>,
    mac_address: Option<String>,
}

/// Docker's `NetworkConnect` / `NetworkDisconnect` bodies.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase", default)]
struct ConnectBody {
    container: String,
    endpoint_config: Option<EndpointConfig>,
    force: Option<bool>,
}

/// `POST /networks/{id}/connect`: 200.
pub async fn connect(
    State(engine): State<Engine>,
    Path(name): Path<String>,
    body: Body,
) -> ApiResult<Response> {
    let b: ConnectBody = json_body(body).await?;
    let ep = b.endpoint_config.unwrap_or_default();
    let ipam = ep.ipam_config.unwrap_or_default();
    let options = NetworkConnectOptions {
        aliases: ep.aliases.unwrap_or_default(),
        static_ips: [ipam.ipv4, ipam.ipv6]
            .into_iter()
            .flatten()
            .filter(|a| !a.is_empty())
            .collect(),
        static_mac: ep.mac_address.filter(|m| !m.is_empty()),
    };
    engine.network_connect(&name, &b.container, options).await?;
    Ok(StatusCode::OK.into_response())
}

/// `POST /networks/{id}/disconnect`: 200.
pub async fn disconnect(
    State(engine): State<Engine>,
    Path(name): Path<String>,
    body: Body,
) -> ApiResult<Response> {
    let b: ConnectBody = json_body(body).await?;
    engine
        .network_disconnect(&name, &b.container, b.force.unwrap_or(false))
        .await?;
    Ok(StatusCode::OK.into_response())
}

/// `POST /networks/prune` (`filters`): `{"NetworksDeleted": [...]}`.
pub async fn prune(State(engine): State<Engine>, Query(q): Q) -> ApiResult<Response> {
    let filters = Params(q).filter_list()?;
    let reports = engine
        .network_prune(NetworkPruneOptions { filters })
        .await?;
    if let Some(e) = reports.iter().find_map(|r| r.error.clone()) {
        return Err(e.into());
    }
    let deleted: Vec<&str> = reports.iter().map(|r| r.name.as_str()).collect();
    Ok(Json(json!({"NetworksDeleted": deleted})).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_create_bodies() {
        let b: CreateBody = serde_json::from_str(
            r#"{"Name":"n","Driver":"bridge","IPAM":{"Config":[{"Subnet":"10.85.9.0/24","Gateway":"10.85.9.1"}]},"Options":{"com.docker.network.bridge.name":"x","mtu":"1400"}}"#,
        )
        .unwrap();
        let o = create_options(b).unwrap();
        assert_eq!(o.name.as_deref(), Some("n"));
        assert_eq!(o.driver, None);
        assert_eq!(o.subnets, vec!["10.85.9.0/24".to_owned()]);
        assert_eq!(o.gateways, vec!["10.85.9.1".to_owned()]);
        assert_eq!(o.options.len(), 1);
        let b: CreateBody = serde_json::from_str(r#"{"Name":"n","Ingress":true}"#).unwrap();
        assert_eq!(create_options(b).unwrap_err().status.as_u16(), 501);
        let b: CreateBody = serde_json::from_str(
            r#"{"Name":"n","Driver":null,"Scope":null,"IPAM":{"Driver":"default","Config":[{"Subnet":"10.85.9.0/24","Gateway":null,"IPRange":null}]}}"#,
        )
        .unwrap();
        assert_eq!(create_options(b).unwrap().subnets.len(), 1);
        let b: CreateBody = serde_json::from_str(r#"{}"#).unwrap();
        assert_eq!(create_options(b).unwrap_err().status.as_u16(), 400);
    }
}
