//! `--network slirp4netns[:OPTS]`: user-mode networking by slirp4netns
//! plumbed into the container's persistent namespace, as Podman runs it
//! (`--configure`, MTU 65520, host loopback disabled, IPv6 unless
//! `enable_ipv6=false`), ports forwarded through its API socket.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use ipnet::Ipv4Net;

use super::helper_proc::{self, HelperError};
use super::types::PortMapping;

/// slirp4netns's default network.
const DEFAULT_CIDR: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 0);
const MTU: u32 = 65520;
/// The descriptors slirp4netns gets: closing the first makes it exit, it
/// writes `1` on the second once the interface is configured.
const EXIT_FD: i32 = 3;
const READY_FD: i32 = 4;

/// `slirp4netns:` options, with Podman's names and defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlirpOptions {
    pub allow_host_loopback: bool,
    pub cidr: Ipv4Net,
    pub enable_ipv6: bool,
    pub mtu: u32,
    pub outbound_addr: Option<String>,
    pub outbound_addr6: Option<String>,
}

impl Default for SlirpOptions {
    fn default() -> Self {
        SlirpOptions {
            allow_host_loopback: false,
            cidr: Ipv4Net::new(DEFAULT_CIDR, 24).unwrap_or_default(),
            enable_ipv6: true,
            mtu: MTU,
            outbound_addr: None,
            outbound_addr6: None,
        }
    }
}

impl SlirpOptions {
    /// The container's address (the 100th of the network, as slirp4netns
    /// assigns it).
    pub fn guest_ip(&self) -> IpAddr {
        self.nth(100)
    }

    /// The host as the container sees it.
    pub fn gateway(&self) -> IpAddr {
        self.nth(2)
    }

    /// slirp4netns's DNS forwarder (the host's servers follow it, as in
    /// Podman).
    pub fn nameservers(&self) -> Vec<IpAddr> {
        vec![self.nth(3)]
    }

    fn nth(&self, n: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(u32::from(self.cidr.network()) + n))
    }

    fn args(&self) -> Vec<String> {
        let mut a = vec![
            "--configure".into(),
            format!("--mtu={}", self.mtu),
            "--enable-sandbox".into(),
            "--enable-seccomp".into(),
            format!("--exit-fd={EXIT_FD}"),
            format!("--ready-fd={READY_FD}"),
        ];
        if !self.allow_host_loopback {
            a.push("--disable-host-loopback".into());
        }
        if self.enable_ipv6 {
            a.push("--enable-ipv6".into());
        }
        if self.cidr.network() != DEFAULT_CIDR || self.cidr.prefix_len() != 24 {
            a.push(format!("--cidr={}", self.cidr));
        }
        if let Some(o) = &self.outbound_addr {
            a.push(format!("--outbound-addr={o}"));
        }
        if let Some(o) = &self.outbound_addr6 {
            a.push(format!("--outbound-addr6={o}"));
        }
        a
    }
}

/// Reads `slirp4netns:` options with Podman's messages.
pub fn parse_options(opts: &[String]) -> Result<SlirpOptions, String> {
    let mut o = SlirpOptions::default();
    for opt in opts.iter().filter(|o| !o.is_empty()) {
        let (key, value) = opt
            .split_once('=')
            .ok_or_else(|| format!("invalid slirp4netns option: {opt:?}"))?;
        let flag = || match value {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(format!("cannot parse {key} value {value:?}")),
        };
        match key {
            "allow_host_loopback" => o.allow_host_loopback = flag()?,
            "enable_ipv6" => o.enable_ipv6 = flag()?,
            "cidr" => {
                let net: Ipv4Net = value
                    .parse()
                    .map_err(|_| format!("invalid cidr {value:?}"))?;
                o.cidr = net.trunc();
            }
            "mtu" => {
                o.mtu = value
                    .parse()
                    .map_err(|_| format!("cannot parse mtu value {value:?}"))?
            }
            "outbound_addr" => o.outbound_addr = Some(value.to_owned()),
            "outbound_addr6" => o.outbound_addr6 = Some(value.to_owned()),
            "port_handler" => match value {
                "slirp4netns" => {}
                "rootlesskit" => {
                    return Err("slirp4netns port_handler=rootlesskit is not supported yet: rpod forwards ports through slirp4netns itself (port_handler=slirp4netns, see docs/compatibility.md)".into())
                }
                _ => return Err(format!("unknown port_handler for slirp4netns: {value:?}")),
            },
            _ => return Err(format!("unknown option for slirp4netns: {opt:?}")),
        }
    }
    Ok(o)
}

/// A running slirp4netns: its pid, and the descriptor whose closing ends it
/// (held by the container's monitor).
#[derive(Debug)]
pub struct Started {
    pub pid: i32,
    pub exit_fd: OwnedFd,
}

/// Starts slirp4netns on `netns` (configured and ready when this returns),
/// logging to `log`, with its API socket at `api_socket`.
pub fn start(
    netns: &Path,
    opts: &SlirpOptions,
    api_socket: &Path,
    log: &Path,
) -> Result<Started, HelperError> {
    let exe = helper_proc::find("slirp4netns")?;
    let _ = std::fs::remove_file(api_socket);
    if let Some(dir) = api_socket.parent() {
        std::fs::create_dir_all(dir).map_err(|e| HelperError::io(dir, e))?;
    }
    let (exit_read, exit_write) = helper_proc::pipe()?;
    let (ready_read, ready_write) = helper_proc::pipe()?;
    let log_file = helper_proc::log_file(log)?;
    let mut cmd = Command::new(&exe);
    cmd.args(opts.args())
        .arg(format!("--api-socket={}", api_socket.display()))
        .arg("--netns-type=path")
        .arg(netns)
        .arg("tap0")
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().map_err(|e| HelperError::io(log, e))?)
        .stderr(log_file);
    let (exit_raw, ready_raw) = (exit_read.as_raw_fd(), ready_write.as_raw_fd());
    // SAFETY: runs between fork and exec; it calls only async-signal-safe
    // functions (setsid, fcntl, dup2) on descriptors that stay open in the
    // parent until spawn returns. Both sources are first copied above fd 10
    // (the pipe may sit on 3 or 4 itself), then onto 3 and 4, which dup2
    // leaves inheritable.
    unsafe {
        cmd.pre_exec(move || {
            let exit_copy = libc::fcntl(exit_raw, libc::F_DUPFD_CLOEXEC, 10);
            let ready_copy = libc::fcntl(ready_raw, libc::F_DUPFD_CLOEXEC, 10);
            if libc::setsid() == -1
                || exit_copy == -1
                || ready_copy == -1
                || libc::dup2(exit_copy, EXIT_FD) == -1
                || libc::dup2(ready_copy, READY_FD) == -1
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn().map_err(|e| HelperError::io(&exe, e))?;
    let pid = helper_proc::reap_in_background(child);
    drop((exit_read, ready_write));
    let mut byte = [0u8; 1];
    let ready = matches!(std::fs::File::from(ready_read).read(&mut byte), Ok(1));
    if !ready {
        drop(exit_write);
        return Err(HelperError::Failed {
            name: "slirp4netns",
            log: helper_proc::read_log(log),
        });
    }
    Ok(Started {
        pid,
        exit_fd: exit_write,
    })
}

/// Forwards every host port of `mappings` to the container through the API
/// socket of a started slirp4netns.
pub fn forward_ports(api_socket: &Path, mappings: &[PortMapping]) -> Result<(), HelperError> {
    for m in mappings {
        let host_addr = if m.host_ip.is_empty() {
            "0.0.0.0"
        } else {
            m.host_ip.as_str()
        };
        for i in 0..m.range.max(1) {
            for proto in m.protocol.split(',') {
                let request = serde_json::json!({
                    "execute": "add_hostfwd",
                    "arguments": {
                        "proto": proto,
                        "host_addr": host_addr,
                        "host_port": m.host_port + i,
                        "guest_port": m.container_port + i,
                    }
                });
                api_call(api_socket, &request)?;
            }
        }
    }
    Ok(())
}

fn api_call(socket: &Path, request: &serde_json::Value) -> Result<(), HelperError> {
    let io = |e| HelperError::io(socket, e);
    let mut s = UnixStream::connect(socket).map_err(io)?;
    s.write_all(request.to_string().as_bytes()).map_err(io)?;
    s.shutdown(std::net::Shutdown::Write).map_err(io)?;
    let mut reply = String::new();
    s.read_to_string(&mut reply).map_err(io)?;
    let v: serde_json::Value = serde_json::from_str(&reply).unwrap_or_default();
    if let Some(err) = v.get("error") {
        let desc = err
            .get("desc")
            .and_then(|d| d.as_str())
            .unwrap_or("unknown error");
        return Err(HelperError::Refused(format!(
            "failed to expose ports via slirp4netns: {desc}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(v: &[&str]) -> Result<SlirpOptions, String> {
        parse_options(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn options_and_addresses() {
        let d = p(&[]).unwrap();
        assert_eq!(d.guest_ip().to_string(), "10.0.2.100");
        assert_eq!(
            d.nameservers()
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>(),
            ["10.0.2.3"]
        );
        assert!(d.args().contains(&"--disable-host-loopback".to_string()));
        let o = p(&[
            "cidr=10.5.0.7/24",
            "enable_ipv6=false",
            "allow_host_loopback=true",
            "mtu=1500",
            "port_handler=slirp4netns",
        ])
        .unwrap();
        assert_eq!(o.guest_ip().to_string(), "10.5.0.100");
        assert_eq!(o.gateway().to_string(), "10.5.0.2");
        assert_eq!(o.nameservers().len(), 1);
        let args = o.args();
        assert!(args.contains(&"--cidr=10.5.0.0/24".to_string()));
        assert!(args.contains(&"--mtu=1500".to_string()));
        assert!(!args.contains(&"--disable-host-loopback".to_string()));
    }

    #[test]
    fn bad_options() {
        assert_eq!(
            p(&["foo=bar"]).unwrap_err(),
            "unknown option for slirp4netns: \"foo=bar\""
        );
        assert!(p(&["cidr=nope"]).is_err());
        assert!(p(&["enable_ipv6=maybe"]).is_err());
        assert!(p(&["port_handler=rootlesskit"])
            .unwrap_err()
            .contains("not supported yet"));
    }
}
