//! Driving netavark as Podman 4+ does: the container's [`NetworkOptions`] as
//! JSON on stdin of `netavark --config RUN_DIR setup|teardown NETNS`; `setup`
//! prints a [`StatusBlock`] per network. RUN_DIR is rpod's own (netavark keeps
//! aardvark-dns's configuration there), so rpod and Podman never share it.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::IpAddr;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::types::{Network, NetworkOptions, StatusBlock};

/// Where distributions install netavark and aardvark-dns (Podman's
/// `helper_binaries_dir` defaults), before `$PATH`.
const HELPER_DIRS: [&str; 4] = [
    "/usr/local/libexec/podman",
    "/usr/local/lib/podman",
    "/usr/libexec/podman",
    "/usr/lib/podman",
];

/// A failed netavark call.
#[derive(Debug, thiserror::Error)]
pub enum NetavarkError {
    #[error("netavark not found in {dirs} or $PATH", dirs = HELPER_DIRS.join(", "))]
    NotFound,
    #[error("running {binary}: {source}")]
    Spawn {
        binary: PathBuf,
        source: std::io::Error,
    },
    /// netavark's own message (`netavark: ...`, as Podman prints it).
    #[error("netavark: {0}")]
    Failed(String),
    #[error("netavark printed an invalid status: {0}")]
    BadOutput(serde_json::Error),
}

/// One netavark installation and the run directory rpod gives it.
#[derive(Clone, Debug)]
pub struct Netavark {
    pub binary: PathBuf,
    /// aardvark-dns, when installed (DNS-enabled networks need it).
    pub aardvark: Option<PathBuf>,
    /// `--config`: netavark's state, aardvark-dns's configuration.
    pub run_dir: PathBuf,
    /// Rootless: the user's rootless network namespace, which netavark
    /// and aardvark-dns run in (their bridges, firewall rules and DNS
    /// server live there); `None`: the host's.
    pub inside: Option<PathBuf>,
}

/// The first `name` in the helper directories, else on `$PATH`.
pub fn find_helper(name: &str) -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = HELPER_DIRS
        .iter()
        .map(|d| Path::new(d).join(name))
        .collect();
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path).map(|d| d.join(name)));
    }
    candidates.into_iter().find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

impl Netavark {
    /// The installed netavark, keeping its state in `run_dir`.
    pub fn find(run_dir: PathBuf) -> Result<Netavark, NetavarkError> {
        Ok(Netavark {
            binary: find_helper("netavark").ok_or(NetavarkError::NotFound)?,
            aardvark: find_helper("aardvark-dns"),
            run_dir,
            inside: None,
        })
    }

    /// This netavark, run inside the network namespace at `netns`.
    pub fn inside(mut self, netns: Option<PathBuf>) -> Netavark {
        self.inside = netns;
        self
    }

    /// A command for `binary`, entering [`Netavark::inside`] when set.
    /// iptables takes its lock under /run, which the user cannot write:
    /// `XTABLES_LOCKFILE` puts it beside the namespace. When that
    /// directory holds a `resolv.conf` (the rootless namespace's: pasta's
    /// DNS forwarder), the command gets a mount namespace of its own with
    /// that file on /etc/resolv.conf, so aardvark-dns forwards the names
    /// it does not know there, as Podman's rootless-netns does.
    fn command(&self, binary: &Path) -> Result<Command, NetavarkError> {
        let mut cmd = Command::new(binary);
        let Some(ns) = &self.inside else {
            return Ok(cmd);
        };
        let file = std::fs::File::open(ns).map_err(|source| NetavarkError::Spawn {
            binary: ns.clone(),
            source,
        })?;
        let dir = ns.parent().unwrap_or(Path::new("/"));
        cmd.env("XTABLES_LOCKFILE", dir.join("xtables.lock"));
        let resolv = dir.join("resolv.conf");
        let resolv = resolv
            .exists()
            .then(|| std::ffi::CString::new(resolv.as_os_str().as_encoded_bytes()).ok())
            .flatten();
        let fd = file.as_raw_fd();
        // SAFETY: the closure runs in the forked child before exec and
        // makes only async-signal-safe calls (setns, unshare, mount) on a
        // descriptor the parent keeps open (`file` lives until the command
        // is spawned: it moves into the closure, which the Command owns)
        // and on NUL-terminated strings built before the fork.
        unsafe {
            cmd.pre_exec(move || {
                let _keep = &file;
                if libc::setns(fd, libc::CLONE_NEWNET) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // Without it (no /etc/resolv.conf to cover, say) the
                // helpers use the host's resolvers: not worth failing on.
                if let Some(resolv) = &resolv {
                    let _ = libc::unshare(libc::CLONE_NEWNS) == 0
                        && libc::mount(
                            std::ptr::null(),
                            c"/".as_ptr(),
                            std::ptr::null(),
                            libc::MS_REC | libc::MS_PRIVATE,
                            std::ptr::null(),
                        ) == 0
                        && libc::mount(
                            resolv.as_ptr(),
                            c"/etc/resolv.conf".as_ptr(),
                            std::ptr::null(),
                            libc::MS_BIND,
                            std::ptr::null(),
                        ) == 0;
                }
                Ok(())
            });
        }
        Ok(cmd)
    }

    /// Configures the container's interfaces in `netns`, publishes its ports
    /// and registers its names with aardvark-dns.
    pub fn setup(
        &self,
        netns: &Path,
        options: &NetworkOptions,
    ) -> Result<BTreeMap<String, StatusBlock>, NetavarkError> {
        let (options, names) = under_backend_names(options);
        let dns = options.network_info.values().any(|n| n.dns_enabled);
        if dns {
            self.forget_dead_aardvark();
        }
        let out = self.call("setup", netns, &options)?;
        if dns {
            self.ensure_aardvark()?;
        }
        let status: BTreeMap<String, StatusBlock> =
            serde_json::from_slice(&out).map_err(NetavarkError::BadOutput)?;
        Ok(status
            .into_iter()
            .map(|(k, v)| (names.get(&k).cloned().unwrap_or(k), v))
            .collect())
    }

    /// Undoes [`Netavark::setup`]: interfaces, firewall rules, DNS entries; the
    /// bridge goes with its last container.
    pub fn teardown(&self, netns: &Path, options: &NetworkOptions) -> Result<(), NetavarkError> {
        if options.network_info.values().any(|n| n.dns_enabled) {
            // netavark's teardown signals aardvark-dns to drop the names and
            // fails when none runs: one that died is started again first
            // (and leaves once it has no names left).
            self.forget_dead_aardvark();
            if let Err(e) = self.ensure_aardvark() {
                tracing::debug!("{e}");
            }
        }
        self.call("teardown", netns, &under_backend_names(options).0)
            .map(drop)
    }

    /// `netavark update`: aardvark-dns forwards the names it does not know
    /// on `network` to `servers` from now on. Nothing to do while no
    /// container of the network is set up (aardvark-dns has no file for it).
    pub fn update_dns(&self, network: &Network, servers: &[IpAddr]) -> Result<(), NetavarkError> {
        let name = backend_name(network);
        if !self.run_dir.join("aardvark-dns").join(&name).exists() {
            return Ok(());
        }
        if servers.is_empty() {
            return Err(NetavarkError::Failed(format!(
                "netavark 1.4 cannot take the last DNS server from network {} while containers use it",
                network.name
            )));
        }
        let mut cmd = self.command(&self.binary)?;
        cmd.arg("--config").arg(&self.run_dir);
        if let Some(a) = &self.aardvark {
            cmd.arg("--aardvark-binary").arg(a);
        }
        cmd.arg("update");
        for s in servers {
            cmd.arg("--network-dns-servers").arg(s.to_string());
        }
        let out = cmd
            .arg(&name)
            .stdin(Stdio::null())
            .output()
            .map_err(|source| NetavarkError::Spawn {
                binary: self.binary.clone(),
                source,
            })?;
        if out.status.success() {
            return Ok(());
        }
        Err(NetavarkError::Failed(failure_message(
            &out.stdout,
            &out.stderr,
        )))
    }

    /// aardvark-dns's directory and pid file under the run directory.
    fn aardvark_pid_file(&self) -> PathBuf {
        self.run_dir.join("aardvark-dns").join("aardvark.pid")
    }

    /// The pid aardvark-dns recorded, if that process still lives.
    fn live_aardvark(&self) -> Option<i32> {
        let pid: i32 = std::fs::read_to_string(self.aardvark_pid_file())
            .ok()?
            .trim()
            .parse()
            .ok()?;
        Path::new(&format!("/proc/{pid}")).exists().then_some(pid)
    }

    /// Removes the pid file of an aardvark-dns that is gone (killed, or
    /// from before a reboot): netavark would signal that pid instead of
    /// starting a server, and fail its teardown on it.
    fn forget_dead_aardvark(&self) {
        if self.live_aardvark().is_none() {
            let _ = std::fs::remove_file(self.aardvark_pid_file());
        }
    }

    /// Starts aardvark-dns as netavark does, when netavark's `setup` left
    /// none running. netavark 1.4 starts it through `systemd-run --scope`
    /// whenever /run/systemd/system exists and ignores that command's
    /// failure, so on a host with that directory but no systemd manager
    /// nothing would answer DNS.
    fn ensure_aardvark(&self) -> Result<(), NetavarkError> {
        let Some(aardvark) = &self.aardvark else {
            return Ok(());
        };
        if self.live_aardvark().is_some() {
            return Ok(());
        }
        let config = self.run_dir.join("aardvark-dns");
        tracing::debug!("starting {} for {}", aardvark.display(), config.display());
        // `run` forks the server into the background and exits; the
        // server keeps its stdio, so none of it may be a pipe we wait on.
        let status = self
            .command(aardvark)?
            .arg("--config")
            .arg(&config)
            .args(["-p", "53", "run"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|source| NetavarkError::Spawn {
                binary: aardvark.clone(),
                source,
            })?;
        if !status.success() {
            return Err(NetavarkError::Failed(format!(
                "{} --config {} run: {status}",
                aardvark.display(),
                config.display()
            )));
        }
        Ok(())
    }

    fn call(
        &self,
        verb: &str,
        netns: &Path,
        options: &NetworkOptions,
    ) -> Result<Vec<u8>, NetavarkError> {
        let spawn_err = |source| NetavarkError::Spawn {
            binary: self.binary.clone(),
            source,
        };
        std::fs::create_dir_all(&self.run_dir).map_err(spawn_err)?;
        let mut cmd = self.command(&self.binary)?;
        cmd.arg("--config").arg(&self.run_dir);
        if let Some(a) = &self.aardvark {
            cmd.arg("--aardvark-binary").arg(a);
        }
        cmd.arg(verb)
            .arg(netns)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(spawn_err)?;
        let input = serde_json::to_vec(options).map_err(NetavarkError::BadOutput)?;
        if let Some(mut stdin) = child.stdin.take() {
            // netavark may fail (and exit) before reading: its status says why.
            match stdin.write_all(&input) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(spawn_err(e)),
                _ => {}
            }
        }
        let out = child.wait_with_output().map_err(spawn_err)?;
        if out.status.success() {
            return Ok(out.stdout);
        }
        Err(NetavarkError::Failed(failure_message(
            &out.stdout,
            &out.stderr,
        )))
    }
}

/// The name netavark knows a network by. netavark 1.4 names a network's
/// firewall chains after a hash of its name (`NETAVARK-<sha512[..13]>`), so
/// rpod's default network `podman` would share Podman's chains on the same
/// host, as would two rpod roots. A bridge network goes to netavark under its
/// bridge's name, which is unique on the host; other drivers (macvlan sets
/// up no firewall chains) keep theirs.
fn backend_name(network: &Network) -> String {
    match &network.network_interface {
        Some(bridge) if network.driver == "bridge" => format!("rpod-{bridge}"),
        _ => network.name.clone(),
    }
}

/// `options` with every network under its [`backend_name`], and the way
/// back from those names to rpod's.
fn under_backend_names(options: &NetworkOptions) -> (NetworkOptions, BTreeMap<String, String>) {
    let mut out = options.clone();
    let mut back = BTreeMap::new();
    out.networks.clear();
    out.network_info.clear();
    for (name, info) in &options.network_info {
        let backend = backend_name(info);
        if let Some(per) = options.networks.get(name) {
            out.networks.insert(backend.clone(), per.clone());
        }
        let mut info = info.clone();
        info.name = backend.clone();
        out.network_info.insert(backend.clone(), info);
        back.insert(backend, name.clone());
    }
    (out, back)
}

/// netavark reports errors as `{"error": "..."}` on stdout; older versions and
/// panics write text to stderr.
fn failure_message(stdout: &[u8], stderr: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Failure {
        error: String,
    }
    if let Ok(f) = serde_json::from_slice::<Failure>(stdout) {
        return f.error;
    }
    let text = String::from_utf8_lossy(stderr);
    let text = text.trim();
    if text.is_empty() {
        String::from_utf8_lossy(stdout).trim().to_owned()
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bridge_networks_reach_netavark_under_their_bridge_name() {
        let options: NetworkOptions = serde_json::from_value(serde_json::json!({
            "container_id": "c", "container_name": "n",
            "networks": {"podman": {"interface_name": "eth0"}, "mv": {"interface_name": "eth1"}},
            "network_info": {
                "podman": {"name": "podman", "id": "1", "driver": "bridge", "network_interface": "rpod0"},
                "mv": {"name": "mv", "id": "2", "driver": "macvlan", "network_interface": "eth0"}
            }
        }))
        .unwrap();
        let (sent, back) = under_backend_names(&options);
        assert_eq!(
            sent.networks.keys().collect::<Vec<_>>(),
            ["mv", "rpod-rpod0"]
        );
        assert_eq!(sent.network_info["rpod-rpod0"].name, "rpod-rpod0");
        assert_eq!(sent.network_info["rpod-rpod0"].id, "1");
        assert_eq!(back["rpod-rpod0"], "podman");
        assert_eq!(back["mv"], "mv");
    }

    #[test]
    fn failure_messages() {
        assert_eq!(failure_message(br#"{"error":"boom"}"#, b"ignored"), "boom");
        assert_eq!(failure_message(b"", b" stderr text\n"), "stderr text");
        assert_eq!(failure_message(b"plain", b""), "plain");
    }
}
