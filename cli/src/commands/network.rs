//! `network create|ls|inspect|rm|prune|exists|connect|disconnect|reload`:
//! and `update`: flags into the front door's network requests, its reports
//! printed as Podman's.

use crate::prep::Lazy;
use clap::{Args, Subcommand};
use rpod_api::network::{
    Network, NetworkConnectOptions, NetworkCreateOptions, NetworkListOptions, NetworkPruneOptions,
    NetworkRmOptions, NetworkUpdateOptions,
};
use rpod_api::ErrorKind;
use serde::Serialize;

use super::common::{open_front_door, print_typed_listing, FailureCodes, Globals};
use super::inspect;
use crate::cli_error::{CliError, CliResult};
use crate::format::{self, GoMethods, GoValue, HeaderMap, ToTemplate};

#[derive(Debug, Subcommand)]
pub enum NetworkCommand {
    /// Add container to a network
    Connect(Lazy<NetworkConnectArgs>),
    /// Disconnect a container from a network
    Disconnect(Lazy<NetworkDisconnectArgs>),
    /// Reload firewall rules for one or more containers
    Reload(Lazy<NetworkReloadArgs>),
    /// Update an existing podman network
    Update(Lazy<NetworkUpdateArgs>),
    /// Create networks for containers and pods
    Create(Lazy<NetworkCreateArgs>),
    /// Check if network exists
    Exists(Lazy<NetworkExistsArgs>),
    /// Inspect network
    Inspect(Lazy<NetworkInspectArgs>),
    /// List networks
    #[command(alias = "list")]
    Ls(Lazy<NetworkLsArgs>),
    /// Prune unused networks
    Prune(Lazy<NetworkPruneArgs>),
    /// Remove networks
    #[command(alias = "remove")]
    Rm(Lazy<NetworkRmArgs>),
    #[command(external_subcommand)]
    Other(Vec<String>),
}

#[derive(Debug, Args)]
pub struct NetworkCreateArgs {
    /// driver to manage the network
    #[arg(short = 'd', long, default_value = "bridge")]
    driver: String,
    /// Set driver specific options (default [])
    #[arg(short = 'o', long = "opt")]
    opt: Vec<String>,
    /// IPv4 or IPv6 gateway for the subnet
    #[arg(long, value_delimiter = ',')]
    gateway: Vec<String>,
    /// restrict external access from this network
    #[arg(long)]
    internal: bool,
    /// allocate container IP from range
    #[arg(long = "ip-range")]
    ip_range: Vec<String>,
    /// set metadata on a network
    #[arg(long)]
    label: Vec<String>,
    /// enable IPv6 networking
    #[arg(long)]
    ipv6: bool,
    /// subnets in CIDR format
    #[arg(long)]
    subnet: Vec<String>,
    /// interface name which is used by the driver
    #[arg(long = "interface-name")]
    interface_name: Option<String>,
    /// disable dns plugin
    #[arg(long = "disable-dns")]
    disable_dns: bool,
    /// Don't fail if network already exists
    #[arg(long)]
    ignore: bool,
    /// DNS servers this network will use
    #[arg(long, value_delimiter = ',')]
    dns: Vec<String>,
    /// IP Address Management Driver
    #[arg(long = "ipam-driver")]
    ipam_driver: Option<String>,
    /// static routes
    #[arg(long)]
    route: Vec<String>,
    name: Option<String>,
}

#[derive(Debug, Args)]
pub struct NetworkConnectArgs {
    /// network scoped alias for container
    #[arg(long)]
    alias: Vec<String>,
    /// set a static ipv4 address for this container network
    #[arg(long)]
    ip: Option<String>,
    /// set a static ipv6 address for this container network
    #[arg(long)]
    ip6: Option<String>,
    /// set a static mac address for this container network
    #[arg(long = "mac-address")]
    mac_address: Option<String>,
    network: String,
    container: String,
}

#[derive(Debug, Args)]
pub struct NetworkDisconnectArgs {
    /// force removal of container from network
    #[arg(short = 'f', long)]
    force: bool,
    network: String,
    container: String,
}

#[derive(Debug, Args)]
pub struct NetworkUpdateArgs {
    /// add network level nameservers
    #[arg(long = "dns-add")]
    dns_add: Vec<String>,
    /// remove network level nameservers
    #[arg(long = "dns-drop")]
    dns_drop: Vec<String>,
    network: String,
}

#[derive(Debug, Args)]
pub struct NetworkReloadArgs {
    /// reload network for all running containers
    #[arg(short = 'a', long)]
    all: bool,
    /// Act on the latest container podman is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct NetworkLsArgs {
    /// Pretty-print networks to JSON or using a Go template
    #[arg(long, overrides_with = "format", allow_hyphen_values = true)]
    format: Option<String>,
    /// display only names
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Do not truncate the network ID
    #[arg(long)]
    no_trunc: bool,
    /// Provide filter values (e.g. 'name=podman')
    #[arg(short = 'f', long)]
    filter: Vec<String>,
    /// Do not print headers
    #[arg(short = 'n', long)]
    noheading: bool,
}

#[derive(Debug, Args)]
pub struct NetworkInspectArgs {
    /// Pretty-print network to JSON or using a Go template
    #[arg(
        short = 'f',
        long,
        overrides_with = "format",
        allow_hyphen_values = true
    )]
    format: Option<String>,
    #[arg(required = true)]
    networks: Vec<String>,
}

#[derive(Debug, Args)]
pub struct NetworkRmArgs {
    /// remove any containers using network
    #[arg(short = 'f', long)]
    force: bool,
    /// Seconds to wait for running containers to stop before killing the container
    #[arg(short = 't', long = "time", allow_negative_numbers = true)]
    time: Option<i64>,
    #[arg(required = true)]
    networks: Vec<String>,
}

#[derive(Debug, Args)]
pub struct NetworkPruneArgs {
    /// do not prompt for confirmation
    #[arg(short = 'f', long)]
    force: bool,
    /// Provide filter values (e.g. 'label=<key>=<value>')
    #[arg(long)]
    filter: Vec<String>,
}

#[derive(Debug, Args)]
pub struct NetworkExistsArgs {
    network: String,
}

pub async fn dispatch(g: &Globals, c: NetworkCommand) -> CliResult {
    match c {
        NetworkCommand::Connect(Lazy(a)) => connect(g, a).await,
        NetworkCommand::Disconnect(Lazy(a)) => {
            open_front_door(g)?
                .network_disconnect(&a.network, &a.container, a.force)
                .await?;
            Ok(0)
        }
        NetworkCommand::Reload(Lazy(a)) => reload(g, a).await,
        NetworkCommand::Update(Lazy(a)) => {
            let options = NetworkUpdateOptions {
                add_dns_servers: a.dns_add,
                remove_dns_servers: a.dns_drop,
            };
            open_front_door(g)?
                .network_update(&a.network, options)
                .await?;
            println!("{}", a.network);
            Ok(0)
        }
        NetworkCommand::Create(Lazy(a)) => create(g, a).await,
        NetworkCommand::Exists(Lazy(a)) => exists(g, a).await,
        NetworkCommand::Inspect(Lazy(a)) => {
            inspect::networks(g, &a.networks, a.format.as_deref()).await
        }
        NetworkCommand::Ls(Lazy(a)) => ls(g, a).await,
        NetworkCommand::Prune(Lazy(a)) => prune(g, a).await,
        NetworkCommand::Rm(Lazy(a)) => rm(g, a).await,
        NetworkCommand::Other(args) => other(&args),
    }
}

/// Unknown subcommands.
fn other(args: &[String]) -> CliResult {
    let name = args.first().map(String::as_str).unwrap_or("");
    Err(CliError::usage(format!(
        "unrecognized command `rpod network {name}`\nTry 'rpod network --help' for more information"
    )))
}

async fn connect(g: &Globals, a: NetworkConnectArgs) -> CliResult {
    let options = NetworkConnectOptions {
        aliases: a.alias,
        static_ips: a.ip.into_iter().chain(a.ip6).collect(),
        static_mac: a.mac_address,
    };
    open_front_door(g)?
        .network_connect(&a.network, &a.container, options)
        .await?;
    Ok(0)
}

async fn reload(g: &Globals, a: NetworkReloadArgs) -> CliResult {
    let given = usize::from(a.all) + usize::from(a.latest) + usize::from(!a.containers.is_empty());
    if given == 0 {
        return Err(CliError::usage("you must provide at least one name or id"));
    }
    if given > 1 {
        return Err(CliError::usage(
            "--all, --latest, and containers cannot be used together",
        ));
    }
    let containers = if a.latest {
        let latest = open_front_door(g)?
            .container_list(rpod_api::container::ContainerListOptions {
                latest: true,
                ..Default::default()
            })
            .await?;
        match latest.into_iter().next() {
            Some(c) => vec![c.id],
            None => return Err(CliError::usage("no such container")),
        }
    } else {
        a.containers
    };
    let mut codes = FailureCodes::default();
    let reports = open_front_door(g)?
        .network_reload(&containers, a.all)
        .await?;
    for r in reports {
        match r.err {
            None => println!("{}", r.id),
            Some(e) => codes.fail_msg(&e.message, 125),
        }
    }
    codes.finish()
}

/// `KEY=VALUE` pairs (`--label`, `--opt`); a bare `KEY` has an empty value.
fn key_values(items: &[String]) -> std::collections::BTreeMap<String, String> {
    items
        .iter()
        .map(|s| match s.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (s.clone(), String::new()),
        })
        .collect()
}

fn create_request(a: NetworkCreateArgs) -> NetworkCreateOptions {
    NetworkCreateOptions {
        name: a.name,
        driver: Some(a.driver),
        subnets: a.subnet,
        gateways: a.gateway,
        ranges: a.ip_range,
        ipv6: a.ipv6,
        internal: a.internal,
        disable_dns: a.disable_dns,
        labels: key_values(&a.label),
        options: key_values(&a.opt),
        interface_name: a.interface_name,
        dns_servers: a.dns,
        ignore_if_exists: a.ignore,
    }
}

async fn create(g: &Globals, a: NetworkCreateArgs) -> CliResult {
    check_ipam_and_routes(a.ipam_driver.as_deref(), &a.route)?;
    let network = open_front_door(g)?
        .network_create(create_request(a))
        .await?;
    println!("{}", network.name);
    Ok(0)
}

/// `--ipam-driver`: rpod allocates as `host-local` (the default, what
/// every rpod network uses); `--route`: netavark 1.4 has no routes.
fn check_ipam_and_routes(ipam: Option<&str>, routes: &[String]) -> CliResult<()> {
    match ipam {
        None | Some("" | "host-local") => {}
        Some("dhcp" | "none") => {
            return Err(CliError::usage(format!(
                "--ipam-driver {} is not supported yet: rpod allocates addresses itself (host-local); see docs/compatibility.md",
                ipam.unwrap_or_default()
            )))
        }
        Some(other) => {
            return Err(CliError::usage(format!(
                "unsupported ipam driver \"{other}\""
            )))
        }
    }
    if !routes.is_empty() {
        return Err(CliError::usage(
            "--route is not supported yet: static routes need netavark 1.6 or later; this host's netavark (Debian 12) is 1.4",
        ));
    }
    Ok(())
}

async fn exists(g: &Globals, a: NetworkExistsArgs) -> CliResult {
    match open_front_door(g)?.network_exists(&a.network).await? {
        true => Ok(0),
        false => Err(CliError::Exit(1)),
    }
}

/// Podman's `network ls` rows (ListPrintReports): the network with `ID`
/// (12 characters unless `--no-trunc`) and `Labels` (`k=v,...`) as methods.
#[derive(Clone, Debug, Serialize, ToTemplate)]
#[go(type = "network.ListPrintReports", methods)]
struct ListRow {
    #[serde(flatten)]
    #[go(embed)]
    n: Network,
    #[serde(skip)]
    #[go(skip)]
    no_trunc: bool,
}

impl GoMethods for ListRow {
    fn arity(&self, name: &str) -> Option<usize> {
        matches!(name, "ID" | "Labels").then_some(0)
    }

    fn call(&self, name: &str, _args: &[&str]) -> Result<GoValue, String> {
        Ok(match name {
            "ID" => {
                let len = if self.no_trunc { 64 } else { 12 };
                GoValue::Str(self.n.id.chars().take(len).collect())
            }
            "Labels" => GoValue::Str(
                self.n
                    .labels
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            other => return Err(format!("no method {other}")),
        })
    }
}

async fn ls(g: &Globals, a: NetworkLsArgs) -> CliResult {
    let networks = open_front_door(g)?
        .network_list(NetworkListOptions {
            filters: a.filter.clone(),
        })
        .await?;
    if a.quiet {
        for n in &networks {
            println!("{}", n.name);
        }
        return Ok(0);
    }
    if a.format.as_deref().is_some_and(format::is_json) {
        let v = serde_json::to_value(&networks).map_err(anyhow::Error::from)?;
        println!("{}", format::typed_json(&v, "  ", true));
        return Ok(0);
    }
    let headers = HeaderMap::new("ls")
        .with_all(&[
            ("Name", "name"),
            ("Driver", "driver"),
            ("Labels", "labels"),
            ("ID", "network id"),
        ])
        .row_type("network.ListPrintReports");
    let rows: Vec<GoValue> = networks
        .into_iter()
        .map(|n| {
            ListRow {
                n,
                no_trunc: a.no_trunc,
            }
            .to_template()
        })
        .collect();
    print_typed_listing(
        a.format.as_deref(),
        "table {{.ID}}\t{{.Name}}\t{{.Driver}}",
        &rows,
        &headers,
        a.noheading,
    )?;
    Ok(0)
}

/// Podman's exit code for a failed network removal: 1 no such network, 2
/// in use, else 125.
fn rm_code(kind: ErrorKind) -> i32 {
    match kind {
        ErrorKind::NoSuchNetwork => 1,
        ErrorKind::InUse => 2,
        _ => 125,
    }
}

async fn rm(g: &Globals, a: NetworkRmArgs) -> CliResult {
    if a.time.is_some() && !a.force {
        return Err(CliError::usage(
            "--force option must be specified to use the --time option",
        ));
    }
    // Podman converts the seconds to an unsigned number: -1 waits (nearly)
    // forever.
    let timeout = a
        .time
        .map(|t| u64::try_from(t).unwrap_or(u64::from(u32::MAX)));
    let options = NetworkRmOptions {
        force: a.force,
        timeout,
    };
    let mut codes = FailureCodes::default();
    let reports = match open_front_door(g)?
        .network_remove(&a.networks, options)
        .await
    {
        Ok(r) => r,
        Err(e) if a.force && e.kind == ErrorKind::NoSuchNetwork => return Ok(0),
        Err(e) => {
            codes.fail_msg(&e.message, rm_code(e.kind));
            return codes.finish();
        }
    };
    for r in reports {
        match r.err {
            None => println!("{}", r.name),
            Some(e) if a.force && e.kind == ErrorKind::NoSuchNetwork => {}
            Some(e) => codes.fail_msg(&e.message, rm_code(e.kind)),
        }
    }
    codes.finish()
}

async fn prune(g: &Globals, a: NetworkPruneArgs) -> CliResult {
    if !a.force
        && !super::system::confirm(
            "WARNING! This will remove all networks not used by at least one container.",
        )
    {
        return Ok(0);
    }
    let reports = open_front_door(g)?
        .network_prune(NetworkPruneOptions { filters: a.filter })
        .await?;
    let mut codes = FailureCodes::default();
    for r in reports {
        match r.error {
            None => println!("{}", r.name),
            Some(e) => codes.fail_msg(&e.message, 125),
        }
    }
    codes.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Origin;

    #[test]
    fn list_rows_offer_podmans_methods() {
        let row = |no_trunc| {
            ListRow {
                n: Network {
                    name: "n1".into(),
                    id: "0123456789abcdef".repeat(4),
                    driver: "bridge".into(),
                    labels: [
                        ("a".to_owned(), "1".to_owned()),
                        ("b".to_owned(), "".to_owned()),
                    ]
                    .into(),
                    ..Network::default()
                },
                no_trunc,
            }
            .to_template()
        };
        let h = HeaderMap::new("ls");
        let out = format::render_typed(
            Origin::User,
            "{{.ID}} {{.Name}} {{.Labels}}",
            &[row(false)],
            &h,
            false,
        )
        .unwrap();
        assert_eq!(out, "0123456789ab n1 a=1,b=\n");
        let out = format::render_typed(Origin::User, "{{.ID}}", &[row(true)], &h, false).unwrap();
        assert_eq!(out.trim_end().len(), 64);
        let headers = HeaderMap::new("ls").with_all(&[("ID", "network id")]);
        let out = format::render_typed(
            Origin::Podman,
            "table {{.ID}}\t{{.Name}}\t{{.Driver}}",
            &[row(false)],
            &headers,
            false,
        )
        .unwrap();
        assert!(
            out.starts_with("NETWORK ID    NAME        DRIVER\n"),
            "{out}"
        );
    }

    #[test]
    fn create_flags_into_the_request() {
        let r = create_request(NetworkCreateArgs {
            driver: "bridge".into(),
            opt: vec!["mtu=1400".into()],
            gateway: vec![],
            internal: true,
            ip_range: vec![],
            label: vec!["a=b".into(), "c".into()],
            ipv6: false,
            subnet: vec!["10.1.2.0/24".into()],
            interface_name: None,
            disable_dns: false,
            ignore: true,
            dns: vec![],
            ipam_driver: None,
            route: vec![],
            name: Some("n".into()),
        });
        assert_eq!(r.labels["c"], "");
        assert_eq!(r.options["mtu"], "1400");
        assert!(r.internal && r.ignore_if_exists);
    }

    #[test]
    fn ipam_driver_and_routes() {
        assert!(check_ipam_and_routes(Some("host-local"), &[]).is_ok());
        let err =
            |ipam, routes: &[String]| check_ipam_and_routes(ipam, routes).unwrap_err().to_string();
        assert!(err(Some("dhcp"), &[]).starts_with("--ipam-driver dhcp is not supported yet"));
        assert_eq!(err(Some("foo"), &[]), "unsupported ipam driver \"foo\"");
        assert!(err(None, &["10.9.0.0/24,10.9.0.1".to_string()])
            .starts_with("--route is not supported yet"));
    }
}
