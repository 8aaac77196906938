//! The container's generated /etc/hosts, /etc/resolv.conf, /etc/hostname and
//! /run/.containerenv.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use super::SpecError;
use crate::container::options::NetworkMode;

/// Host files the container's versions are derived from.
const HOST_HOSTS: &str = "/etc/hosts";
const HOST_RESOLV: &str = "/etc/resolv.conf";

/// Podman's fallback nameservers when the host has only local ones.
const DEFAULT_NAMESERVERS: [&str; 2] = ["8.8.8.8", "8.8.4.4"];

/// Where the generated files live on the host (bind-mounted by the spec).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtcFiles {
    /// Mounted at /etc/hosts.
    pub hosts: PathBuf,
    /// Mounted at /etc/resolv.conf.
    pub resolv_conf: PathBuf,
    /// Mounted at /etc/hostname.
    pub hostname: PathBuf,
    /// Mounted at /run/.containerenv: empty, as Podman's for an
    /// unprivileged container (tools test for it to know they run in a
    /// container).
    pub containerenv: PathBuf,
}

/// Writes `hosts`, `resolv.conf` and `hostname` into `dir` (created if
/// missing) from the host's files, the way Podman does for `network`.
#[cfg(test)]
pub fn write_etc_files(
    dir: &Path,
    hostname: &str,
    network: &NetworkMode,
) -> Result<EtcFiles, SpecError> {
    write_etc_files_with(dir, hostname, network, &EtcNet::default())
}

/// What networking adds to the generated files: the container's own
/// addresses and names, `host.containers.internal`, `--add-host`, the base
/// hosts file, and DNS servers, search domains and options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EtcNet {
    /// The container's addresses, each with its names (hostname, container
    /// name, aliases).
    pub own: Vec<(IpAddr, Vec<String>)>,
    /// `host.containers.internal` and `host.docker.internal` (the first
    /// network's gateway).
    pub host_internal: Option<IpAddr>,
    /// `--add-host` entries, first in the file as Podman writes them.
    pub add_hosts: Vec<(IpAddr, Vec<String>)>,
    /// The base entries instead of the host's /etc/hosts (`--hosts-file`).
    pub base_hosts: Option<String>,
    /// `--no-hosts`: the image's file (given as `base_hosts`) unchanged.
    pub no_hosts: bool,
    /// Nameservers that replace the host's: the networks' DNS (aardvark-dns)
    /// or `--dns`.
    pub nameservers: Vec<IpAddr>,
    /// `--dns-search` (replaces the host's).
    pub search: Vec<String>,
    /// `--dns-option` (replaces the host's).
    pub options: Vec<String>,
}

/// As [`write_etc_files`], with networking's entries.
pub fn write_etc_files_with(
    dir: &Path,
    hostname: &str,
    network: &NetworkMode,
    net: &EtcNet,
) -> Result<EtcFiles, SpecError> {
    std::fs::create_dir_all(dir).map_err(|e| SpecError::io("mkdir", dir, e))?;
    let files = EtcFiles {
        hosts: dir.join("hosts"),
        resolv_conf: dir.join("resolv.conf"),
        hostname: dir.join("hostname"),
        containerenv: dir.join(".containerenv"),
    };
    let host_hosts = match &net.base_hosts {
        Some(base) => base.clone(),
        None => read_optional(Path::new(HOST_HOSTS))?,
    };
    let host_resolv = read_optional(Path::new(HOST_RESOLV))?;
    let hosts = if net.no_hosts {
        host_hosts
    } else {
        hosts_content_with(&host_hosts, hostname, network, net)
    };
    write(&files.hosts, &hosts)?;
    write(
        &files.resolv_conf,
        &dns_overrides(&resolv_content(&host_resolv, network), net),
    )?;
    write(&files.hostname, &format!("{hostname}\n"))?;
    write(&files.containerenv, "")?;
    Ok(files)
}

/// Podman's /etc/hosts: `--add-host` entries, then the base file's entries
/// (comments and blank lines dropped), then `localhost`,
/// `host.containers.internal` and the container's own addresses, each with
/// only the names the entries before did not give already.
fn hosts_content_with(base: &str, hostname: &str, network: &NetworkMode, net: &EtcNet) -> String {
    let mut user: Vec<HostEntry> = net
        .add_hosts
        .iter()
        .map(|(ip, names)| (ip.to_string(), names.clone()))
        .collect();
    user.extend(parse_hosts(base));
    let mut out = String::new();
    let mut taken = std::collections::HashSet::new();
    for (ip, names) in &user {
        taken.extend(names.iter().cloned());
        out.push_str(&host_line(ip, names));
    }
    let localhost = vec!["localhost".to_owned()];
    let mut ours: Vec<HostEntry> = vec![
        ("127.0.0.1".into(), localhost.clone()),
        ("::1".into(), localhost),
    ];
    if let Some(ip) = net.host_internal {
        ours.push((
            ip.to_string(),
            vec![
                "host.containers.internal".to_owned(),
                "host.docker.internal".to_owned(),
            ],
        ));
    }
    ours.extend(
        net.own
            .iter()
            .map(|(ip, names)| (ip.to_string(), names.clone())),
    );
    if net.own.is_empty() && *network == NetworkMode::None {
        ours.push(("127.0.0.1".into(), vec![hostname.to_owned()]));
    }
    for (ip, names) in ours {
        let free: Vec<String> = names.into_iter().filter(|n| !taken.contains(n)).collect();
        if !free.is_empty() {
            out.push_str(&host_line(&ip, &free));
        }
    }
    out
}

/// An address and its names, as a line of a hosts file.
pub(crate) type HostEntry = (String, Vec<String>);

/// `IP<TAB>NAME NAME...` and a newline, as Podman writes hosts lines.
pub(crate) fn host_line(ip: &str, names: &[String]) -> String {
    format!("{ip}\t{}\n", names.join(" "))
}

/// The entries of a hosts file: comments dropped, lines without a name
/// skipped.
pub(crate) fn parse_hosts(text: &str) -> Vec<HostEntry> {
    text.lines()
        .filter_map(|line| {
            let data = line.split('#').next().unwrap_or("");
            let mut fields = data.split_whitespace();
            let ip = fields.next()?;
            let names: Vec<String> = fields.map(str::to_owned).collect();
            (!names.is_empty()).then(|| (ip.to_owned(), names))
        })
        .collect()
}

/// Replaces the nameservers, search domains and options of `resolv` by
/// those `net` gives (each only when given).
fn dns_overrides(resolv: &str, net: &EtcNet) -> String {
    let mut out = String::new();
    let replaced = |key: &str| match key {
        "nameserver" => !net.nameservers.is_empty(),
        "search" | "domain" => !net.search.is_empty(),
        "options" => !net.options.is_empty(),
        _ => false,
    };
    if !net.search.is_empty() {
        out.push_str(&format!("search {}\n", net.search.join(" ")));
    }
    for ns in &net.nameservers {
        out.push_str(&format!("nameserver {ns}\n"));
    }
    for l in resolv.lines() {
        if !replaced(l.split_whitespace().next().unwrap_or("")) {
            out.push_str(l);
            out.push('\n');
        }
    }
    if !net.options.is_empty() {
        out.push_str(&format!("options {}\n", net.options.join(" ")));
    }
    out
}

fn read_optional(path: &Path) -> Result<String, SpecError> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(s),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(SpecError::io("read", path, e)),
    }
}

fn write(path: &Path, content: &str) -> Result<(), SpecError> {
    std::fs::write(path, content).map_err(|e| SpecError::io("write", path, e))
}

fn is_loopback(ns: &str) -> bool {
    // Zone suffixes (fe80::1%eth0) do not parse; they are not loopback.
    ns.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Host network: the host's file as is. Own network namespace: the host's
/// file without loopback nameservers (unreachable from the container),
/// falling back to Podman's public defaults when none remain.
pub(crate) fn resolv_content(host: &str, network: &NetworkMode) -> String {
    if *network == NetworkMode::Host {
        return host.to_owned();
    }
    let mut out = String::new();
    let mut servers = 0;
    for line in host.lines() {
        let mut f = line.split_whitespace();
        if f.next() == Some("nameserver") {
            match f.next() {
                Some(ns) if !is_loopback(ns) => servers += 1,
                _ => continue,
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    if servers == 0 {
        for ns in DEFAULT_NAMESERVERS {
            out.push_str(&format!("nameserver {ns}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_for_network_none_adds_hostname_on_loopback() {
        let none = |base| hosts_content_with(base, "abc", &NetworkMode::None, &EtcNet::default());
        assert_eq!(
            none("127.0.0.1 localhost\n# c\n10.0.0.1 db # the db\n"),
            "127.0.0.1\tlocalhost\n10.0.0.1\tdb\n127.0.0.1\tabc\n"
        );
        assert_eq!(
            none(""),
            "127.0.0.1\tlocalhost\n::1\tlocalhost\n127.0.0.1\tabc\n"
        );
    }

    #[test]
    fn names_of_the_base_file_are_not_repeated() {
        let net = EtcNet {
            own: vec![("10.79.0.2".parse().unwrap(), vec!["h1".into(), "h1".into()])],
            host_internal: Some("10.9.9.9".parse().unwrap()),
            ..Default::default()
        };
        let out = hosts_content_with("10.1.1.1 h1\n", "h1", &NetworkMode::Bridge, &net);
        assert_eq!(
            out,
            "10.1.1.1\th1\n127.0.0.1\tlocalhost\n::1\tlocalhost\n10.9.9.9\thost.containers.internal host.docker.internal\n"
        );
    }

    #[test]
    fn resolv_drops_loopback_nameservers_in_own_netns() {
        let host = "search example.com\nnameserver 127.0.0.53\nnameserver ::1\nnameserver 10.0.0.2\noptions ndots:2\n";
        assert_eq!(
            resolv_content(host, &NetworkMode::None),
            "search example.com\nnameserver 10.0.0.2\noptions ndots:2\n"
        );
        assert_eq!(
            resolv_content("nameserver 127.0.0.1\n", &NetworkMode::None),
            "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"
        );
        assert_eq!(resolv_content(host, &NetworkMode::Host), host);
    }

    #[test]
    fn network_entries_and_dns_overrides() {
        let net = EtcNet {
            own: vec![(
                "10.79.0.2".parse().unwrap(),
                vec!["abc".into(), "web".into()],
            )],
            host_internal: Some("10.79.0.1".parse().unwrap()),
            add_hosts: vec![("1.2.3.4".parse().unwrap(), vec!["db".into()])],
            base_hosts: Some("127.0.0.1 localhost\n::1 localhost\n".into()),
            nameservers: vec!["10.79.0.1".parse().unwrap()],
            search: vec!["dns.podman".into()],
            options: vec!["ndots:1".into()],
            ..Default::default()
        };
        assert_eq!(
            hosts_content_with("127.0.0.1 localhost\n::1 localhost\n", "abc", &NetworkMode::Bridge, &net),
            "1.2.3.4\tdb\n127.0.0.1\tlocalhost\n::1\tlocalhost\n10.79.0.1\thost.containers.internal host.docker.internal\n10.79.0.2\tabc web\n"
        );
        assert_eq!(
            dns_overrides("search x\nnameserver 10.0.0.2\noptions a\n# c\n", &net),
            "search dns.podman\nnameserver 10.79.0.1\n# c\noptions ndots:1\n"
        );
        assert_eq!(
            dns_overrides("nameserver 10.0.0.2\n", &EtcNet::default()),
            "nameserver 10.0.0.2\n"
        );
    }

    #[test]
    fn writes_the_three_files() {
        let d = tempfile::tempdir().unwrap();
        let f = write_etc_files(&d.path().join("userdata"), "c0ffee", &NetworkMode::None).unwrap();
        assert_eq!(std::fs::read_to_string(&f.hostname).unwrap(), "c0ffee\n");
        assert!(std::fs::read_to_string(&f.hosts)
            .unwrap()
            .contains("127.0.0.1\tc0ffee\n"));
        let resolv = std::fs::read_to_string(&f.resolv_conf).unwrap();
        assert!(resolv.contains("nameserver"));
        assert!(!resolv.contains("nameserver 127."));
    }
}
