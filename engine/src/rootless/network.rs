//! Rootless networking: containers get a network namespace of their own
//! from pasta (the default, Podman 5's) or slirp4netns
//! (containers.conf's `default_rootless_network_cmd`); bridge networks
//! run netavark in the user's rootless network namespace ([`super::netns`]).

use crate::config::ContainersConf;
use crate::container::NetworkMode;
use crate::network::ports::PortSpec;

/// The mode of a rootless container created without `--network`.
pub fn default_mode() -> Result<NetworkMode, String> {
    let conf = ContainersConf::load_from_env().map_err(|e| e.to_string())?;
    match conf
        .network
        .default_rootless_network_cmd
        .as_deref()
        .unwrap_or("pasta")
    {
        "" | "pasta" => Ok(NetworkMode::Pasta(Vec::new())),
        "slirp4netns" => Ok(NetworkMode::Slirp4netns(Vec::new())),
        other => Err(format!(
            "invalid default_rootless_network_cmd option \"{other}\": must be pasta or slirp4netns"
        )),
    }
}

/// Refuses what a rootless rpod cannot give a container: on a bridge
/// network (in the rootless network namespace) only TCP and UDP ports
/// are forwarded.
pub fn check_mode(mode: &NetworkMode, ports: &[PortSpec]) -> Result<(), String> {
    if super::is_rootless() && *mode == NetworkMode::Bridge {
        if let Some(p) = ports
            .iter()
            .find(|p| p.protocol.split(',').any(|x| x != "tcp" && x != "udp"))
        {
            return Err(not_forwarded(&p.protocol));
        }
    }
    Ok(())
}

/// The refusal of a port of protocol `proto` on a rootless bridge network.
pub fn not_forwarded(proto: &str) -> String {
    format!(
        "rootless bridge networks forward only TCP and UDP ports (not {proto}) in rpod yet: use --network pasta or slirp4netns"
    )
}
