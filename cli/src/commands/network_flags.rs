//! The networking flags of `create`/`run` (`--network`, `-p`, `--dns`,
//! `--add-host`, ...), handed to the engine as given: it parses and checks
//! them with Podman's rules and messages.

use clap::Args;
use rpod_api::container_run::NetworkSpec;

use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args, Default, Clone)]
pub struct NetworkFlags {
    /// Connect a container to a network (bridge, none, host, container:ID, ns:PATH, NAME[,NAME2])
    #[arg(long = "network", alias = "net")]
    pub network: Vec<String>,
    /// Specify a static IPv4 address for the container
    #[arg(long)]
    pub ip: Vec<String>,
    /// Specify a static IPv6 address for the container
    #[arg(long)]
    pub ip6: Vec<String>,
    /// Container MAC address (e.g. 92:d0:c6:0a:29:33)
    #[arg(long)]
    pub mac_address: Option<String>,
    /// Add network-scoped alias for the container
    #[arg(long)]
    pub network_alias: Vec<String>,
    /// Publish a container's port, or a range of ports, to the host
    #[arg(short = 'p', long)]
    pub publish: Vec<String>,
    /// Publish all exposed ports to random ports on the host interface
    #[arg(short = 'P', long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub publish_all: Option<bool>,
    /// Expose a port or a range of ports
    #[arg(long)]
    pub expose: Vec<String>,
    /// Set custom DNS servers
    #[arg(long)]
    pub dns: Vec<String>,
    /// Set custom DNS search domains
    #[arg(long)]
    pub dns_search: Vec<String>,
    /// Set custom DNS options
    #[arg(long, alias = "dns-opt")]
    pub dns_option: Vec<String>,
    /// Add a custom host-to-IP mapping (host:ip)
    #[arg(long)]
    pub add_host: Vec<String>,
    /// Do not create /etc/hosts within the container, instead use the version from the image
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub no_hosts: Option<bool>,
    /// Base file to create the /etc/hosts file inside the container
    #[arg(long)]
    pub hosts_file: Option<String>,
}

impl NetworkFlags {
    /// The request's networking part; Podman's CLI-level conflicts first.
    pub fn to_spec(&self) -> CliResult<NetworkSpec> {
        let no_hosts = self.no_hosts.unwrap_or(false);
        if no_hosts && !self.add_host.is_empty() {
            return Err(CliError::usage(
                "--no-hosts and --add-host cannot be set together",
            ));
        }
        if no_hosts && self.hosts_file.is_some() {
            return Err(CliError::usage(
                "--no-hosts and --hosts-file cannot be set together",
            ));
        }
        Ok(NetworkSpec {
            modes: self.network.clone(),
            ips: self.ip.iter().chain(&self.ip6).cloned().collect(),
            mac_address: self.mac_address.clone(),
            aliases: self.network_alias.clone(),
            publish: self.publish.clone(),
            publish_all: self.publish_all.unwrap_or(false),
            expose: self.expose.clone(),
            dns: self.dns.clone(),
            dns_search: self.dns_search.clone(),
            dns_options: self.dns_option.clone(),
            add_hosts: self.add_host.clone(),
            no_hosts,
            hosts_file: self.hosts_file.clone(),
        })
    }
}
