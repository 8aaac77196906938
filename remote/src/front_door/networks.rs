//! `Networks` over the libpod API (`network reload` is local-only, as
//! with Podman's remote client).

use hyper::Method;
use ipnet::IpNet;
use rpod_api::network::{
    Network, NetworkConnectOptions, NetworkCreateOptions, NetworkInspectReport, NetworkListOptions,
    NetworkPruneOptions, NetworkPruneReport, NetworkReloadReport, NetworkRmOptions,
    NetworkRmReport, NetworkUpdateOptions,
};
use rpod_api::{Error, ErrorKind, Result};
use serde_json::{json, Value};

use async_trait::async_trait;
use rpod_api::front_door::Networks;

use crate::error::unsupported;
use crate::ops::{filter_list_json, seg};
use crate::query::with_query;
use crate::transport::body;
use crate::RemoteEngine;

/// `--ip-range` as `types.LeaseRange`: `START-END` as given; a CIDR from
/// the address after its network address to its last host (as Podman's
/// client computes it).
fn lease_range(range: &str) -> Result<Value> {
    if let Some((a, z)) = range.split_once('-') {
        return Ok(json!({"start_ip": a, "end_ip": z}));
    }
    let net: IpNet = range.parse().map_err(|_| {
        Error::new(
            ErrorKind::InvalidArgument,
            format!("invalid CIDR address: {range}"),
        )
    })?;
    let net = net.trunc();
    let first = match net {
        IpNet::V4(n) if n.prefix_len() < 32 => {
            std::net::IpAddr::V4(u32::from(n.network()).wrapping_add(1).into())
        }
        IpNet::V6(n) if n.prefix_len() < 128 => {
            std::net::IpAddr::V6(u128::from(n.network()).wrapping_add(1).into())
        }
        _ => net.network(),
    };
    let last = match net {
        IpNet::V4(n) if n.prefix_len() < 31 => net.hosts().last().unwrap_or(first),
        _ => net.broadcast(),
    };
    Ok(json!({"start_ip": first.to_string(), "end_ip": last.to_string()}))
}

/// The create options as Podman's `types.Network` body.
fn create_body(o: &NetworkCreateOptions) -> Result<Value> {
    if o.gateways.len() > o.subnets.len() || o.ranges.len() > o.subnets.len() {
        return Err(Error::new(
            ErrorKind::InvalidArgument,
            "cannot set more gateways or ip ranges than subnets",
        ));
    }
    let mut subnets = Vec::new();
    for (i, s) in o.subnets.iter().enumerate() {
        let mut sub = json!({"subnet": s});
        if let Some(g) = o.gateways.get(i) {
            sub["gateway"] = json!(g);
        }
        if let Some(r) = o.ranges.get(i) {
            sub["lease_range"] = lease_range(r)?;
        }
        subnets.push(sub);
    }
    Ok(json!({
        "name": o.name.clone().unwrap_or_default(),
        "driver": o.driver.clone().unwrap_or_default(),
        "network_interface": o.interface_name.clone().unwrap_or_default(),
        "subnets": subnets,
        "ipv6_enabled": o.ipv6,
        "internal": o.internal,
        "dns_enabled": !o.disable_dns,
        "network_dns_servers": o.dns_servers,
        "labels": o.labels,
        "options": o.options,
        "ignore_if_exists": o.ignore_if_exists,
    }))
}

fn filters_query(filters: &[String]) -> Vec<(&'static str, String)> {
    if filters.is_empty() {
        Vec::new()
    } else {
        vec![("filters", filter_list_json(filters))]
    }
}

#[async_trait]
impl Networks for RemoteEngine {
    async fn network_create(&self, options: NetworkCreateOptions) -> Result<Network> {
        let b = create_body(&options)?;
        self.transport
            .json(Method::POST, "/networks/create", body(&b)?)
            .await
    }

    async fn network_list(&self, o: NetworkListOptions) -> Result<Vec<Network>> {
        let path = with_query("/networks/json", &filters_query(&o.filters));
        self.transport.get(&path).await
    }

    async fn network_inspect(
        &self,
        names: &[String],
    ) -> Result<(Vec<NetworkInspectReport>, Vec<Error>)> {
        let mut found = Vec::new();
        let mut errors = Vec::new();
        for n in names {
            match self
                .transport
                .get(&format!("/networks/{}/json", seg(n)))
                .await
            {
                Ok(v) => found.push(v),
                Err(e) if e.kind == ErrorKind::NoSuchNetwork => errors.push(e),
                Err(e) => return Err(e),
            }
        }
        Ok((found, errors))
    }

    async fn network_exists(&self, name: &str) -> Result<bool> {
        let path = format!("/networks/{}/exists", seg(name));
        match self.transport.call(Method::GET, &path, None).await {
            Ok(_) => Ok(true),
            Err(e)
                if e.kind == ErrorKind::NoSuchNetwork || e.kind == ErrorKind::NoSuchContainer =>
            {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    async fn network_remove(
        &self,
        names: &[String],
        o: NetworkRmOptions,
    ) -> Result<Vec<NetworkRmReport>> {
        let mut q = vec![("force", o.force.to_string())];
        if let Some(t) = o.timeout {
            q.push(("timeout", t.to_string()));
        }
        let mut out = Vec::new();
        for n in names {
            let path = with_query(&format!("/networks/{}", seg(n)), &q);
            match self
                .transport
                .json::<Vec<NetworkRmReport>>(Method::DELETE, &path, None)
                .await
            {
                Ok(r) => out.extend(r),
                Err(e) => out.push(NetworkRmReport {
                    name: n.clone(),
                    err: Some(e),
                }),
            }
        }
        Ok(out)
    }

    async fn network_prune(&self, o: NetworkPruneOptions) -> Result<Vec<NetworkPruneReport>> {
        let path = with_query("/networks/prune", &filters_query(&o.filters));
        self.transport.json(Method::POST, &path, None).await
    }

    async fn network_connect(
        &self,
        network: &str,
        container: &str,
        o: NetworkConnectOptions,
    ) -> Result<()> {
        let b = json!({
            "container": container,
            "aliases": o.aliases,
            "static_ips": o.static_ips,
            "static_mac": o.static_mac.unwrap_or_default(),
        });
        let path = format!("/networks/{}/connect", seg(network));
        self.transport.call(Method::POST, &path, body(&b)?).await?;
        Ok(())
    }

    async fn network_disconnect(&self, network: &str, container: &str, force: bool) -> Result<()> {
        let b = json!({"Container": container, "Force": force});
        let path = format!("/networks/{}/disconnect", seg(network));
        self.transport.call(Method::POST, &path, body(&b)?).await?;
        Ok(())
    }

    async fn network_reload(
        &self,
        _containers: &[String],
        _all: bool,
    ) -> Result<Vec<NetworkReloadReport>> {
        Err(unsupported("network reload"))
    }

    async fn network_update(&self, network: &str, o: NetworkUpdateOptions) -> Result<()> {
        let b = json!({
            "adddnsservers": o.add_dns_servers,
            "removednsservers": o.remove_dns_servers,
        });
        let path = format!("/networks/{}/update", seg(network));
        self.transport.call(Method::POST, &path, body(&b)?).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_as_lease_ranges() {
        assert_eq!(
            lease_range("10.85.0.0/30").unwrap(),
            json!({"start_ip": "10.85.0.1", "end_ip": "10.85.0.2"})
        );
        assert_eq!(
            lease_range("10.85.0.5-10.85.0.9").unwrap(),
            json!({"start_ip": "10.85.0.5", "end_ip": "10.85.0.9"})
        );
        assert!(lease_range("nope").is_err());
        let b = create_body(&NetworkCreateOptions {
            subnets: vec!["10.85.1.0/24".into()],
            gateways: vec!["10.85.1.1".into()],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(b["subnets"][0]["gateway"], "10.85.1.1");
        assert_eq!(b["dns_enabled"], true);
    }
}
