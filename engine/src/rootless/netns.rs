//! The rootless network namespace (Podman's "rootless-netns"): one
//! network namespace per user, in which netavark builds the bridges,
//! firewall rules and aardvark-dns of the user's bridge networks. pasta
//! gives it outside connectivity (the host's addresses and routes, DNS
//! forwarded from 169.254.1.1, the resolver netavark's aardvark-dns is
//! given); containers' published ports reach it
//! through [`super::portfwd`]. It is bound on a file under the run root,
//! in the user's mount namespace, made by the first container that needs
//! it and removed (pasta leaving with it) when the last one is torn down.

use std::path::{Path, PathBuf};

use crate::config::EngineConfig;
use crate::network::helper_proc;
use crate::network::netns;
use crate::network::pasta;
use crate::network::NetworkError;

/// The namespace's directory under the run root.
fn dir(config: &EngineConfig) -> PathBuf {
    config.runroot.join("rootless-netns")
}

/// The file the namespace is bound on.
pub fn path(config: &EngineConfig) -> PathBuf {
    path_under(&config.runroot)
}

/// The file the namespace is bound on, for the run root `runroot`.
pub fn path_under(runroot: &Path) -> PathBuf {
    runroot.join("rootless-netns").join("netns")
}

fn pid_file(config: &EngineConfig) -> PathBuf {
    dir(config).join("pasta.pid")
}

fn pasta_pid(config: &EngineConfig) -> Option<i32> {
    std::fs::read_to_string(pid_file(config))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The namespace when it exists with its pasta running.
pub fn existing(config: &EngineConfig) -> Option<PathBuf> {
    let ns = path(config);
    let alive = pasta_pid(config).is_some_and(|pid| helper_proc::serves(pid, &ns));
    (netns::is_mounted(&ns) && alive).then_some(ns)
}

/// The user's rootless network namespace, created (with its pasta) when
/// there is none. The caller holds the network backend lock.
pub fn ensure(config: &EngineConfig) -> Result<PathBuf, NetworkError> {
    if let Some(ns) = existing(config) {
        return Ok(ns);
    }
    remove(config);
    let ns = path(config);
    netns::create(&ns)?;
    // What netavark's helpers see as /etc/resolv.conf: pasta's DNS
    // forwarder, which reaches the host's resolver whatever it is.
    let resolv = dir(config).join("resolv.conf");
    if let Err(e) = std::fs::write(&resolv, format!("nameserver {}\n", pasta::DNS_FORWARD)) {
        let _ = netns::remove(&ns);
        return Err(NetworkError::Io {
            path: resolv,
            source: e,
        });
    }
    let pid_file = pid_file(config);
    let args = pasta::args(
        &ns,
        &pid_file,
        &[],
        &config.containers_conf.network.pasta_options,
        &[],
    );
    if let Err(e) = pasta::start(&args, &pid_file, &dir(config).join("pasta.log")) {
        let _ = netns::remove(&ns);
        return Err(e.into());
    }
    tracing::debug!("created the rootless network namespace {}", ns.display());
    Ok(ns)
}

/// Removes the namespace and stops its pasta (aardvark-dns leaves with
/// its last name, torn down by netavark before).
pub fn remove(config: &EngineConfig) {
    let ns = path(config);
    if let Some(pid) = pasta_pid(config) {
        helper_proc::stop(pid, &ns);
    }
    let _ = std::fs::remove_file(pid_file(config));
    if let Err(e) = netns::remove(&ns) {
        tracing::warn!("{e}");
    }
}

/// Whether `ns` is a container's namespace set up in the rootless
/// network namespace (its netavark options are recorded).
pub fn in_use_by(options_file: &Path, ns: &Path) -> bool {
    options_file.exists() && netns::is_mounted(ns)
}

/// netavark as this engine runs it: rootless, inside the user's rootless
/// network namespace (created first when `create`). `None` when rootless,
/// not creating, and no such namespace exists: nothing of netavark's is
/// set up to be undone.
pub fn netavark(
    config: &EngineConfig,
    create: bool,
) -> Result<Option<crate::network::netavark::Netavark>, NetworkError> {
    let inside = if !super::is_rootless() {
        None
    } else if create {
        Some(ensure(config)?)
    } else {
        let ns = path(config);
        if !netns::is_mounted(&ns) {
            return Ok(None);
        }
        Some(ns)
    };
    Ok(Some(
        crate::network::netavark::Netavark::find(config.network_run_dir())?.inside(inside),
    ))
}
