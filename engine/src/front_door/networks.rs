//! [`rpod_api::front_door::Networks`] for the local engine: network
//! definitions in rpod's store ([`crate::network::store`]), checked and
//! completed by [`crate::network::create`], filtered by
//! [`crate::network::filter`], with Podman's events and messages.

use async_trait::async_trait;
use rpod_api::front_door::Networks;
use rpod_api::network as api;
use rpod_api::network::{
    NetworkConnectOptions, NetworkCreateOptions, NetworkInspectReport, NetworkListOptions,
    NetworkPruneOptions, NetworkPruneReport, NetworkReloadReport, NetworkRmOptions,
    NetworkRmReport, NetworkUpdateOptions,
};
use rpod_api::time::GoTime;
use rpod_api::{Error, ErrorKind, Result};

use super::LocalEngine;
use crate::config::EngineConfig;
use crate::events::network_event;
use crate::network::create::{self, CreateContext, CreateError};
use crate::network::filter::{FilterUse, NetworkFilters};
use crate::network::store::{now_rfc3339, NetworkStore, StoreError};
use crate::network::subnets;
use crate::network::types::Network;

mod connect;
mod users;

/// The network definitions this engine uses.
fn store(config: &EngineConfig) -> NetworkStore {
    NetworkStore::new(
        config.network.config_dir.clone(),
        config.network.default.clone(),
    )
}

fn store_error(e: StoreError) -> Error {
    let kind = match &e {
        StoreError::NotFound(_) => ErrorKind::NoSuchNetwork,
        StoreError::Exists(_) => ErrorKind::AlreadyExists,
        StoreError::InvalidName(_) | StoreError::Ambiguous(_) => ErrorKind::InvalidArgument,
        _ => ErrorKind::Other,
    };
    Error::new(kind, crate::error_chain::display_chain(&e))
}

fn create_error(e: CreateError) -> Error {
    match e {
        CreateError::Store(s) => store_error(s),
        CreateError::Unsupported(m) => Error::new(ErrorKind::NotImplemented, m),
        e @ (CreateError::Invalid(_) | CreateError::Subnet(_)) => Error::invalid(e.to_string()),
    }
}

/// A stored network as Podman reports it.
fn report(n: &Network) -> api::Network {
    let ip = |ip: Option<std::net::IpAddr>| ip.map(|i| i.to_string());
    api::Network {
        name: n.name.clone(),
        id: n.id.clone(),
        driver: n.driver.clone(),
        network_interface: n.network_interface.clone().unwrap_or_default(),
        created: n
            .created
            .as_deref()
            .and_then(|c| chrono::DateTime::parse_from_rfc3339(c).ok())
            .map(|t| GoTime(Some(t)))
            .unwrap_or_default(),
        subnets: n
            .subnets
            .iter()
            .flatten()
            .map(|s| api::Subnet {
                subnet: s.subnet.to_string(),
                gateway: ip(s.gateway),
                lease_range: s.lease_range.as_ref().map(|r| api::LeaseRange {
                    start_ip: ip(r.start_ip),
                    end_ip: ip(r.end_ip),
                }),
            })
            .collect(),
        ipv6_enabled: n.ipv6_enabled,
        internal: n.internal,
        dns_enabled: n.dns_enabled,
        network_dns_servers: n
            .network_dns_servers
            .iter()
            .flatten()
            .map(ToString::to_string)
            .collect(),
        labels: n.labels.clone().unwrap_or_default(),
        options: n.options.clone().unwrap_or_default(),
        ipam_options: n.ipam_options.clone().unwrap_or_default(),
    }
}

/// A fresh network ID: 32 random bytes in hex, no prefix of another's.
fn new_id(existing: &[Network]) -> String {
    loop {
        let id = hex::encode(rand::random::<[u8; 32]>());
        if !existing
            .iter()
            .any(|n| n.id.starts_with(&id[..12]) || id.starts_with(&n.id))
        {
            return id;
        }
    }
}

/// The host's interface names.
fn live_interfaces() -> Vec<String> {
    std::fs::read_dir("/sys/class/net")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .collect()
}

/// New bridges are named after the default one: `rpod0` gives `rpod1`, ...
fn bridge_prefix(config: &EngineConfig) -> String {
    let bridge = &config.network.default.bridge;
    let prefix = bridge.trim_end_matches(|c: char| c.is_ascii_digit());
    if prefix.is_empty() {
        crate::network::store::DEFAULT_BRIDGE
            .trim_end_matches(|c: char| c.is_ascii_digit())
            .to_owned()
    } else {
        prefix.to_owned()
    }
}

/// Podman's "no such network" error of `network inspect`.
fn inspect_not_found(name: &str, e: StoreError) -> Error {
    Error::new(
        ErrorKind::NoSuchNetwork,
        format!("network {name}: {}", crate::error_chain::display_chain(&e)),
    )
}

impl LocalEngine {
    fn network_store(&self) -> NetworkStore {
        store(self.engine().config())
    }

    /// Removes one network (its containers first with `force`): the
    /// report's error is the network's own failure; a network in use without
    /// `force` fails the whole request, as Podman's.
    async fn remove_one(&self, name: &str, options: &NetworkRmOptions) -> Result<NetworkRmReport> {
        let store = self.network_store();
        let mut rep = NetworkRmReport {
            name: name.to_owned(),
            err: None,
        };
        let network = match store.get(name) {
            Ok(n) => n,
            Err(e) => {
                rep.err = Some(store_error(e));
                return Ok(rep);
            }
        };
        if network.name == store.default_network().name {
            rep.err = Some(store_error(StoreError::DefaultNetwork(network.name)));
            return Ok(rep);
        }
        let users = users::containers_on(self, &network.name)?;
        if !users.is_empty() {
            if !options.force {
                return Err(Error::new(
                    ErrorKind::InUse,
                    format!(
                        "{name:?} has associated containers with it. Use -f to forcibly delete containers and pods: network is being used"
                    ),
                ));
            }
            users::remove_containers(self, &users, options.timeout).await?;
        }
        let _lock = store.lock().map_err(store_error)?;
        match store.remove(&network.name) {
            Ok(()) => {
                users::forget(self, &network.name)?;
                forget_bridge(self.engine().config(), &network);
                network_event(self.engine().config(), &network, "remove");
            }
            Err(e) => rep.err = Some(store_error(e)),
        }
        Ok(rep)
    }
}

/// With CNI, a removed network's bridge goes too (netavark removes it with
/// its last container).
fn forget_bridge(config: &crate::config::EngineConfig, network: &crate::network::types::Network) {
    if config.network.backend == crate::network::config::Backend::Cni {
        crate::network::cni::remove_bridge(network);
    }
}

#[async_trait]
impl Networks for LocalEngine {
    async fn network_create(&self, options: NetworkCreateOptions) -> Result<api::Network> {
        let config = self.engine().config();
        let store = store(config);
        let _lock = store.lock().map_err(store_error)?;
        let existing = store.list().map_err(store_error)?;
        let ctx = CreateContext {
            id: new_id(&existing),
            existing,
            host_routes: subnets::host_routes(),
            live_interfaces: live_interfaces(),
            bridge_prefix: bridge_prefix(config),
            created: now_rfc3339(),
        };
        let network = match create::build(&options, &ctx) {
            Ok(n) => {
                store.create(&n).map_err(store_error)?;
                n
            }
            // `--ignore`: the existing network is the result (and, as in
            // Podman, the create event is written all the same).
            Err(CreateError::Store(StoreError::Exists(name))) if options.ignore_if_exists => {
                store.get(&name).map_err(store_error)?
            }
            Err(e) => return Err(create_error(e)),
        };
        network_event(config, &network, "create");
        Ok(report(&network))
    }

    async fn network_list(&self, options: NetworkListOptions) -> Result<Vec<api::Network>> {
        let filters = NetworkFilters::parse(&options.filters, FilterUse::List)
            .map_err(|e| Error::invalid(e.to_string()))?;
        let store = self.network_store();
        let mut out = Vec::new();
        for n in store.list().map_err(store_error)? {
            let in_use = filters.wants_dangling()
                && (n.name == store.default_network().name
                    || !users::containers_on(self, &n.name)?.is_empty());
            if filters.matches(&n, in_use) {
                out.push(report(&n));
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    async fn network_inspect(
        &self,
        names: &[String],
    ) -> Result<(Vec<NetworkInspectReport>, Vec<Error>)> {
        let store = self.network_store();
        let mut found = Vec::new();
        let mut errors = Vec::new();
        for name in names {
            match store.get(name) {
                Ok(n) => found.push(NetworkInspectReport {
                    network: report(&n),
                    containers: users::running_on(self, &n)?,
                }),
                Err(e @ StoreError::NotFound(_)) => errors.push(inspect_not_found(name, e)),
                Err(e) => return Err(store_error(e)),
            }
        }
        Ok((found, errors))
    }

    async fn network_exists(&self, name_or_id: &str) -> Result<bool> {
        match self.network_store().get(name_or_id) {
            Ok(_) => Ok(true),
            Err(StoreError::NotFound(_)) => Ok(false),
            Err(e) => Err(store_error(e)),
        }
    }

    async fn network_remove(
        &self,
        names: &[String],
        options: NetworkRmOptions,
    ) -> Result<Vec<NetworkRmReport>> {
        let mut out = Vec::new();
        for name in names {
            out.push(self.remove_one(name, &options).await?);
        }
        Ok(out)
    }

    async fn network_prune(&self, options: NetworkPruneOptions) -> Result<Vec<NetworkPruneReport>> {
        let filters = NetworkFilters::parse(&options.filters, FilterUse::Prune)
            .map_err(|e| Error::invalid(e.to_string()))?;
        let store = self.network_store();
        let mut out = Vec::new();
        for n in store.list().map_err(store_error)? {
            if n.name == store.default_network().name
                || !filters.matches(&n, false)
                || !users::containers_on(self, &n.name)?.is_empty()
            {
                continue;
            }
            // As Podman's prune: removed without an event.
            let error = store
                .lock()
                .and_then(|_lock| store.remove(&n.name))
                .err()
                .map(store_error);
            if error.is_none() {
                forget_bridge(self.engine().config(), &n);
            }
            out.push(NetworkPruneReport {
                name: n.name.clone(),
                error,
            });
        }
        Ok(out)
    }

    async fn network_connect(
        &self,
        network: &str,
        container: &str,
        options: NetworkConnectOptions,
    ) -> Result<()> {
        connect::connect(self, network, container, options).await
    }

    async fn network_disconnect(&self, network: &str, container: &str, _force: bool) -> Result<()> {
        connect::disconnect(self, network, container).await
    }

    async fn network_reload(
        &self,
        containers: &[String],
        all: bool,
    ) -> Result<Vec<NetworkReloadReport>> {
        connect::reload(self, containers, all).await
    }

    async fn network_update(&self, network: &str, options: NetworkUpdateOptions) -> Result<()> {
        let parse = |list: &[String], what: &str| -> Result<Vec<std::net::IpAddr>> {
            list.iter()
                .map(|s| {
                    s.parse().map_err(|_| {
                        Error::invalid(format!(
                            "unable to parse ip {s} specified in {what}: invalid argument"
                        ))
                    })
                })
                .collect()
        };
        let add = parse(&options.add_dns_servers, "AddDNSServer")?;
        let drop = parse(&options.remove_dns_servers, "RemoveDNSServer")?;
        let config = self.engine().config();
        let store = store(config);
        let _lock = store.lock().map_err(store_error)?;
        let mut n = store.get(network).map_err(store_error)?;
        let before = n.network_dns_servers.clone().unwrap_or_default();
        let mut after: Vec<std::net::IpAddr> = before
            .iter()
            .filter(|s| !drop.contains(s))
            .copied()
            .collect();
        for s in add {
            if !after.contains(&s) {
                after.push(s);
            }
        }
        if after == before {
            return Ok(());
        }
        n.network_dns_servers = Some(after.clone()).filter(|a| !a.is_empty());
        if config.network.backend == crate::network::config::Backend::Netavark {
            let netavark = crate::rootless::netns::netavark(config, false)
                .map_err(|e| Error::new(ErrorKind::Other, e.to_string()))?;
            if let Some(netavark) = netavark {
                netavark
                    .update_dns(&n, &after)
                    .map_err(|e| Error::new(ErrorKind::Other, e.to_string()))?;
            }
        }
        store.replace(&n).map_err(store_error)
    }
}

#[cfg(test)]
mod tests {
    use rpod_api::network::NetworkListOptions;

    use super::*;
    use crate::state::NetworkAttachment;

    fn named(name: &str, subnet: &str) -> NetworkCreateOptions {
        NetworkCreateOptions {
            name: Some(name.into()),
            subnets: vec![subnet.into()],
            ..Default::default()
        }
    }

    /// A network with a container attached (a row of the attachment table:
    /// the container itself need not exist) blocks rm without --force,
    /// prune and dangling=true; --force removes its containers first.
    #[test]
    fn networks_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let fd = crate::front_door::test_engine(dir.path());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            fd.network_create(named("used", "10.213.9.0/24")).await.unwrap();
            fd.network_create(named("free", "10.213.10.0/24")).await.unwrap();
            fd.engine()
                .ctx()
                .db
                .attach_network(&NetworkAttachment {
                    container_id: "c".repeat(64),
                    network: "used".into(),
                    interface: "eth0".into(),
                    ipv4: Some("10.213.9.2".parse().unwrap()),
                    ..Default::default()
                })
                .unwrap();
            let dangling = fd
                .network_list(NetworkListOptions {
                    filters: vec!["dangling=true".into()],
                })
                .await
                .unwrap();
            let names: Vec<&str> = dangling.iter().map(|n| n.name.as_str()).collect();
            assert_eq!(names, ["free"]);
            let e = fd
                .network_remove(&["used".into()], NetworkRmOptions::default())
                .await
                .unwrap_err();
            assert_eq!(e.kind, ErrorKind::InUse);
            assert_eq!(
                e.message,
                "\"used\" has associated containers with it. Use -f to forcibly delete containers and pods: network is being used"
            );
            let pruned = fd.network_prune(NetworkPruneOptions::default()).await.unwrap();
            assert_eq!(pruned.len(), 1);
            assert_eq!(pruned[0].name, "free");
            // Only running containers are shown; this one has no record.
            let (found, _) = fd.network_inspect(&["used".into()]).await.unwrap();
            assert!(found[0].containers.is_empty());
            let force = NetworkRmOptions {
                force: true,
                timeout: Some(0),
            };
            let removed = fd.network_remove(&["used".into()], force).await.unwrap();
            assert_eq!(removed[0].err, None);
            assert!(!fd.network_exists("used").await.unwrap());
            // Nothing stays attached to the removed network.
            fd.network_create(named("used", "10.213.9.0/24")).await.unwrap();
            let removed = fd
                .network_remove(&["used".into()], NetworkRmOptions::default())
                .await
                .unwrap();
            assert_eq!(removed[0].err, None);
        });
    }
}
