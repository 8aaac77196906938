//! A container on `--network slirp4netns|pasta`: its persistent namespace
//! plumbed by the helper, its published ports forwarded by it, its /etc
//! files' entries; and [`teardown`], which any later rpod process can run
//! from what [`setup`] left in the run directory (the helper's pid, the
//! port mappings), so the helper never outlives its container. slirp4netns
//! also ends by itself when the container's monitor goes: the monitor holds
//! the write end of its exit pipe.

use std::collections::BTreeMap;
use std::net::{IpAddr, UdpSocket};
use std::path::PathBuf;

use super::network::{self as net, NetSetup};
use super::paths::ContainerPaths;
use super::{ContainerError, NetworkMode};
use crate::engine::EngineCtx;
use crate::network::types::NetworkOptions;
use crate::network::{helper_proc, netns, pasta, port_reserve, slirp, NetworkError};
use crate::spec::EtcNet;
use crate::state::ContainerRecord;

fn pid_file(paths: &ContainerPaths) -> PathBuf {
    paths.run_dir.join("network-helper.pid")
}

fn log_file(paths: &ContainerPaths) -> PathBuf {
    paths.run_dir.join("network-helper.log")
}

/// slirp4netns's API socket: short (a socket path has at most 107 bytes).
fn api_socket(ctx: &EngineCtx, id: &str) -> PathBuf {
    let short: String = id.chars().take(12).collect();
    ctx.config
        .network_run_dir()
        .join(format!("slirp4netns-{short}.sock"))
}

/// Whether `mode` is plumbed by a user-mode helper.
pub(crate) fn is_usermode(mode: &NetworkMode) -> bool {
    matches!(mode, NetworkMode::Slirp4netns(_) | NetworkMode::Pasta(_))
}

/// Starts the helper on a new namespace for `rec` and forwards its ports.
pub(crate) fn setup(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
    paths: &ContainerPaths,
    image_config: &[u8],
) -> Result<NetSetup, ContainerError> {
    // Bound and released again: a port in use fails here, and `-p 80` gets
    // a free host port; the helper binds them itself.
    let reserved =
        port_reserve::reserve(&net::port_specs(rec, image_config)).map_err(NetworkError::from)?;
    let mappings = reserved.mappings.clone();
    drop(reserved.sockets);
    let ns = ctx.config.netns_path(&rec.id);
    netns::remove(&ns).map_err(NetworkError::from)?;
    // Owned by the container's own user namespace when it has one (the
    // runtime joins that first, then this one).
    match super::placement::user_namespace(ctx, rec, paths)?.path() {
        Some(owner) => netns::create_owned(&ns, owner),
        None => netns::create(&ns),
    }
    .map_err(NetworkError::from)?;
    let options = NetworkOptions {
        container_id: rec.id.clone(),
        container_name: rec.name.clone(),
        networks: BTreeMap::new(),
        network_info: BTreeMap::new(),
        port_mappings: Some(mappings.clone()).filter(|m| !m.is_empty()),
        dns_servers: None,
    };
    if let Err(e) = crate::storage::atomic::write_json(&net::options_file(paths), &options) {
        let _ = netns::remove(&ns);
        return Err(ContainerError::Storage(e));
    }
    let started = start_helper(ctx, rec, paths, &ns, &mappings);
    let (etc_src, held) = match started {
        Ok(s) => s,
        Err(e) => {
            teardown(ctx, rec, paths);
            return Err(e);
        }
    };
    let mut etc = EtcNet::default();
    let names = net::hosts_names(rec);
    etc.own = etc_src
        .own
        .into_iter()
        .map(|ip| (ip, names.clone()))
        .collect();
    let custom_dns =
        !net::conf_dns_servers(ctx).is_empty() || !rec.options.net.dns_servers.is_empty();
    let nameservers = if custom_dns {
        Vec::new()
    } else {
        etc_src
            .nameservers
            .into_iter()
            .chain(host_nameservers(etc_src.ipv6))
            .collect()
    };
    net::dns_entries(ctx, rec, &mut etc, nameservers, Vec::new());
    etc.host_internal = net::host_internal_ip(ctx, etc_src.host_internal);
    etc.add_hosts = net::add_host_entries(&rec.options.net.add_hosts, etc.host_internal);
    Ok(NetSetup {
        netns: Some(ns),
        etc,
        held_ports: held,
    })
}

/// What the helper gives the container's /etc files.
struct HelperEtc {
    own: Vec<IpAddr>,
    nameservers: Vec<IpAddr>,
    host_internal: Option<IpAddr>,
    /// The host's IPv6 nameservers are kept.
    ipv6: bool,
}

fn start_helper(
    ctx: &EngineCtx,
    rec: &ContainerRecord,
    paths: &ContainerPaths,
    ns: &std::path::Path,
    mappings: &[crate::network::types::PortMapping],
) -> Result<(HelperEtc, Vec<std::os::fd::OwnedFd>), ContainerError> {
    let helper_err = |e: helper_proc::HelperError| ContainerError::from(NetworkError::from(e));
    let conf = &ctx.config.containers_conf;
    match &rec.options.network {
        NetworkMode::Slirp4netns(opts) => {
            // containers.conf's options apply when the container gives none.
            let opts = if opts.is_empty() {
                &conf.engine.network_cmd_options
            } else {
                opts
            };
            let o = slirp::parse_options(opts).map_err(NetworkError::Refused)?;
            let socket = api_socket(ctx, &rec.id);
            let started = slirp::start(ns, &o, &socket, &log_file(paths)).map_err(helper_err)?;
            write_pid(paths, started.pid)?;
            let forwarded = slirp::forward_ports(&socket, mappings);
            let _ = std::fs::remove_file(&socket);
            forwarded.map_err(helper_err)?;
            let host_internal = if o.allow_host_loopback {
                Some(o.gateway())
            } else {
                local_ip()
            };
            Ok((
                HelperEtc {
                    own: vec![o.guest_ip()],
                    nameservers: o.nameservers(),
                    host_internal,
                    ipv6: o.enable_ipv6,
                },
                vec![started.exit_fd],
            ))
        }
        NetworkMode::Pasta(opts) => {
            let pid_path = paths.run_dir.join("pasta.pid");
            let args = pasta::args(ns, &pid_path, mappings, &conf.network.pasta_options, opts);
            let pid = pasta::start(&args, &pid_path, &log_file(paths)).map_err(helper_err)?;
            write_pid(paths, pid)?;
            let own = local_ip();
            Ok((
                HelperEtc {
                    own: own.into_iter().collect(),
                    nameservers: vec![pasta::DNS_FORWARD],
                    // The host's address is the container's own here.
                    host_internal: None,
                    ipv6: true,
                },
                Vec::new(),
            ))
        }
        _ => Ok((
            HelperEtc {
                own: Vec::new(),
                nameservers: Vec::new(),
                host_internal: None,
                ipv6: true,
            },
            Vec::new(),
        )),
    }
}

fn write_pid(paths: &ContainerPaths, pid: i32) -> Result<(), ContainerError> {
    let file = pid_file(paths);
    std::fs::write(&file, format!("{pid}\n")).map_err(|e| ContainerError::Io {
        path: file,
        source: e,
    })
}

/// The host's address towards its default route (the address pasta gives
/// the container, and `host.containers.internal` of slirp4netns without
/// host loopback, as Podman picks them). Connecting a UDP socket sends
/// nothing.
fn local_ip() -> Option<IpAddr> {
    let s = UdpSocket::bind("0.0.0.0:0").ok()?;
    s.connect("198.51.100.1:9").ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_unspecified() && !ip.is_loopback()).then_some(ip)
}

/// The host's nameservers (loopback ones dropped: the container cannot
/// reach them), after the helper's own.
fn host_nameservers(ipv6: bool) -> Vec<IpAddr> {
    std::fs::read_to_string("/etc/resolv.conf")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            (f.next() == Some("nameserver")).then(|| f.next())?
        })
        .filter_map(|s| s.split('%').next()?.parse::<IpAddr>().ok())
        .filter(|ip| !ip.is_loopback() && (ipv6 || ip.is_ipv4()))
        .collect()
}

/// Stops the helper and removes the namespace and the files [`setup`]
/// wrote. Idempotent; failures are logged.
pub(crate) fn teardown(ctx: &EngineCtx, rec: &ContainerRecord, paths: &ContainerPaths) {
    let ns = ctx.config.netns_path(&rec.id);
    let pid_path = pid_file(paths);
    if let Some(pid) = std::fs::read_to_string(&pid_path)
        .ok()
        .and_then(|s| s.trim().parse::<i32>().ok())
    {
        helper_proc::stop(pid, &ns);
    }
    if let Err(e) = netns::remove(&ns) {
        tracing::warn!(container = %rec.id, "{e}");
    }
    let _ = std::fs::remove_file(api_socket(ctx, &rec.id));
    for f in [
        pid_path,
        net::options_file(paths),
        paths.run_dir.join("pasta.pid"),
    ] {
        if let Err(e) = std::fs::remove_file(&f) {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(container = %rec.id, "removing {}: {e}", f.display());
            }
        }
    }
}
