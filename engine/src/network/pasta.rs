//! `--network pasta[:OPTS]`: user-mode networking by pasta (Debian's
//! `passt`), which copies the host's addresses and routes into the
//! container's namespace, forwards the published ports (`-t`/`-u`) and DNS
//! queries sent to 169.254.1.1, as Podman runs it. pasta puts itself in the
//! background once the namespace is configured and quits when the
//! namespace file is removed.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::process::{Command, Stdio};

use super::helper_proc::{self, HelperError};
use super::types::PortMapping;

/// Where the container sends DNS queries; pasta forwards them to the host's
/// resolver.
pub const DNS_FORWARD: IpAddr = IpAddr::V4(Ipv4Addr::new(169, 254, 1, 1));

/// pasta's arguments for `netns`: the published ports (or `none`), DNS
/// forwarding, the pid file, then containers.conf's `pasta_options` and the
/// user's `pasta:` options. A port option the user gives replaces the
/// `none` default of its kind, as in Podman.
pub fn args(
    netns: &Path,
    pid_file: &Path,
    ports: &[PortMapping],
    conf_opts: &[String],
    user_opts: &[String],
) -> Vec<String> {
    let extra: Vec<String> = conf_opts.iter().chain(user_opts).cloned().collect();
    let given = |short: &str, long: &str| {
        extra
            .iter()
            .any(|o| o == short || o == long || o.starts_with(&format!("{long}=")))
    };
    let mut a = vec![
        "--config-net".to_owned(),
        // Debian 12's pasta cannot join the namespace after dropping to
        // `nobody`: it keeps root's identity, as rootful Podman's does.
        "--runas".into(),
        "0".into(),
    ];
    let mut tcp = false;
    let mut udp = false;
    for m in ports {
        let host = if m.host_ip.is_empty() {
            String::new()
        } else {
            format!("{}/", m.host_ip)
        };
        let range = |p: u16| {
            if m.range > 1 {
                format!("{p}-{}", p + m.range - 1)
            } else {
                p.to_string()
            }
        };
        let spec = format!("{host}{}:{}", range(m.host_port), range(m.container_port));
        for proto in m.protocol.split(',') {
            match proto {
                "udp" => {
                    udp = true;
                    a.extend(["-u".into(), spec.clone()]);
                }
                _ => {
                    tcp = true;
                    a.extend(["-t".into(), spec.clone()]);
                }
            }
        }
    }
    for (done, short, long) in [
        (tcp, "-t", "--tcp-ports"),
        (udp, "-u", "--udp-ports"),
        (false, "-T", "--tcp-ns"),
        (false, "-U", "--udp-ns"),
    ] {
        if !done && !given(short, long) {
            a.extend([short.into(), "none".into()]);
        }
    }
    if !given("--map-gw", "--map-gw") {
        a.push("--no-map-gw".into());
    }
    a.extend(["--dns-forward".into(), DNS_FORWARD.to_string()]);
    a.extend(extra);
    a.extend([
        "--pid".into(),
        pid_file.display().to_string(),
        "--netns".into(),
        netns.display().to_string(),
    ]);
    a
}

/// Runs pasta with `args` (it returns once the namespace is configured and
/// it has gone to the background); returns the pid it wrote.
pub fn start(args: &[String], pid_file: &Path, log: &Path) -> Result<i32, HelperError> {
    let exe = helper_proc::find("pasta")?;
    let _ = std::fs::remove_file(pid_file);
    let out = helper_proc::log_file(log)?;
    let status = Command::new(&exe)
        .args(args)
        .stdin(Stdio::null())
        .stdout(out.try_clone().map_err(|e| HelperError::io(log, e))?)
        .stderr(out)
        .status()
        .map_err(|e| HelperError::io(&exe, e))?;
    let pid = std::fs::read_to_string(pid_file)
        .ok()
        .and_then(|s| s.trim().parse::<i32>().ok());
    match pid {
        Some(pid) if status.success() => Ok(pid),
        _ => Err(HelperError::Failed {
            name: "pasta",
            log: helper_proc::read_log(log),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_and_defaults() {
        let ports = vec![
            PortMapping {
                host_ip: "127.0.0.1".into(),
                container_port: 80,
                host_port: 8080,
                range: 1,
                protocol: "tcp".into(),
            },
            PortMapping {
                host_ip: String::new(),
                container_port: 53,
                host_port: 5300,
                range: 2,
                protocol: "udp".into(),
            },
        ];
        let a = args(Path::new("/ns"), Path::new("/p"), &ports, &[], &[]).join(" ");
        assert!(a.contains("-t 127.0.0.1/8080:80"), "{a}");
        assert!(a.contains("-u 5300-5301:53-54"), "{a}");
        assert!(a.contains("-T none -U none"), "{a}");
        assert!(!a.contains("-t none"), "{a}");
        assert!(a.contains("--no-map-gw --dns-forward 169.254.1.1"), "{a}");
        assert!(a.ends_with("--pid /p --netns /ns"), "{a}");
        let user = vec!["-T".to_string(), "8000".to_string(), "--map-gw".to_string()];
        let a = args(Path::new("/ns"), Path::new("/p"), &[], &[], &user).join(" ");
        assert!(a.contains("-t none -u none -U none"), "{a}");
        assert!(!a.contains("--no-map-gw"), "{a}");
        assert!(a.contains("-T 8000 --map-gw"), "{a}");
    }
}
