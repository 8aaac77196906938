//! Rootless networking: containers get a network namespace of their own
//! from pasta (the default, Podman 5's) or slirp4netns
//! (containers.conf's `default_rootless_network_cmd`); bridge networks
//! need netavark in a rootless network namespace, which rpod has not.

use crate::config::ContainersConf;
use crate::container::NetworkMode;

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

/// Refuses what a rootless rpod cannot give a container.
pub fn check_mode(mode: &NetworkMode) -> Result<(), String> {
    if super::is_rootless() && *mode == NetworkMode::Bridge {
        return Err(
            "bridge networks are not supported by rootless rpod yet (use --network pasta or slirp4netns; see docs/rootless.md)"
                .into(),
        );
    }
    Ok(())
}
