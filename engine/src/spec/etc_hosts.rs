//! Changes to a running container's generated /etc/hosts and
//! /etc/resolv.conf (network connect and disconnect, members of a pod
//! joining its shared file), as Podman makes them. Files are rewritten in
//! place: they are bind-mounted, so their inode must stay.

use std::collections::HashSet;
use std::io;
use std::net::IpAddr;
use std::path::Path;

use super::etc_files::{host_line, parse_hosts, HostEntry};

/// Entries as the hosts file spells them.
fn spelled(entries: &[(IpAddr, Vec<String>)]) -> Vec<HostEntry> {
    entries
        .iter()
        .map(|(ip, names)| (ip.to_string(), names.clone()))
        .collect()
}

/// Whether `entry` is one of `entries`: the same address and at least
/// one common name.
fn matches(entry: &HostEntry, entries: &[HostEntry]) -> bool {
    entries
        .iter()
        .any(|(ip, names)| *ip == entry.0 && entry.1.iter().any(|n| names.contains(n)))
}

fn read(file: &Path) -> io::Result<String> {
    std::fs::read_to_string(file)
}

/// Appends `new`, each with only the names the file does not have yet.
pub fn add(file: &Path, new: &[(IpAddr, Vec<String>)]) -> io::Result<()> {
    let text = read(file)?;
    let taken: HashSet<String> = parse_hosts(&text).into_iter().flat_map(|e| e.1).collect();
    let mut out = text;
    for (ip, names) in spelled(new) {
        let free: Vec<String> = names.into_iter().filter(|n| !taken.contains(n)).collect();
        if !free.is_empty() {
            out.push_str(&host_line(&ip, &free));
        }
    }
    std::fs::write(file, out)
}

/// Appends `new` when the file still has one of `existing` (the
/// container's entries on its other networks), so entries a user replaced
/// are left alone; with no `existing`, as [`add`].
pub fn add_if_exists(
    file: &Path,
    existing: &[(IpAddr, Vec<String>)],
    new: &[(IpAddr, Vec<String>)],
) -> io::Result<()> {
    if existing.is_empty() {
        return add(file, new);
    }
    let text = read(file)?;
    let existing = spelled(existing);
    if !parse_hosts(&text).iter().any(|e| matches(e, &existing)) {
        return Ok(());
    }
    let mut out = text;
    for (ip, names) in spelled(new) {
        out.push_str(&host_line(&ip, &names));
    }
    std::fs::write(file, out)
}

/// Drops the entries matching one of `gone` (address and a name).
pub fn remove(file: &Path, gone: &[(IpAddr, Vec<String>)]) -> io::Result<()> {
    let gone = spelled(gone);
    let out: String = parse_hosts(&read(file)?)
        .into_iter()
        .filter(|e| !matches(e, &gone))
        .map(|(ip, names)| host_line(&ip, &names))
        .collect();
    std::fs::write(file, out)
}

/// Puts `servers` first among the nameservers (those it has already stay
/// where they are).
pub fn add_nameservers(file: &Path, servers: &[IpAddr]) -> io::Result<()> {
    let text = read(file)?;
    let have: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("nameserver"))
        .map(str::trim)
        .collect();
    let new: String = servers
        .iter()
        .map(ToString::to_string)
        .filter(|s| !have.contains(&s.as_str()))
        .map(|s| format!("nameserver {s}\n"))
        .collect();
    let mut out = String::new();
    let mut placed = false;
    for line in text.lines() {
        if !placed && line.starts_with("nameserver") {
            out.push_str(&new);
            placed = true;
        }
        out.push_str(line);
        out.push('\n');
    }
    if !placed {
        out.push_str(&new);
    }
    std::fs::write(file, out)
}

/// Drops the `nameserver` lines of `servers`.
pub fn remove_nameservers(file: &Path, servers: &[IpAddr]) -> io::Result<()> {
    let gone: Vec<String> = servers.iter().map(ToString::to_string).collect();
    let out: String = read(file)?
        .lines()
        .filter(|l| {
            l.strip_prefix("nameserver")
                .is_none_or(|s| !gone.iter().any(|g| g == s.trim()))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(file, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(ip: &str, names: &[&str]) -> (IpAddr, Vec<String>) {
        (
            ip.parse().unwrap(),
            names.iter().map(|n| n.to_string()).collect(),
        )
    }

    #[test]
    fn connect_and_disconnect_entries() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("hosts");
        std::fs::write(&f, "127.0.0.1\tlocalhost\n10.1.0.2\th c\n").unwrap();
        // A second network of the same container: both names again.
        add_if_exists(
            &f,
            &[e("10.1.0.2", &["h", "c"])],
            &[e("10.2.0.2", &["h", "c"])],
        )
        .unwrap();
        assert_eq!(
            std::fs::read_to_string(&f).unwrap(),
            "127.0.0.1\tlocalhost\n10.1.0.2\th c\n10.2.0.2\th c\n"
        );
        remove(&f, &[e("10.1.0.2", &["h", "c"])]).unwrap();
        assert_eq!(
            std::fs::read_to_string(&f).unwrap(),
            "127.0.0.1\tlocalhost\n10.2.0.2\th c\n"
        );
        // No network left: a plain add gives only names not there yet.
        remove(&f, &[e("10.2.0.2", &["h"])]).unwrap();
        add_if_exists(&f, &[], &[e("10.1.0.9", &["h", "localhost"])]).unwrap();
        assert_eq!(
            std::fs::read_to_string(&f).unwrap(),
            "127.0.0.1\tlocalhost\n10.1.0.9\th\n"
        );
    }

    #[test]
    fn nameservers_added_first_and_removed() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("resolv.conf");
        std::fs::write(&f, "search x\nnameserver 10.0.0.1\noptions a\n").unwrap();
        let ns: IpAddr = "10.2.0.1".parse().unwrap();
        add_nameservers(&f, &[ns]).unwrap();
        assert_eq!(
            std::fs::read_to_string(&f).unwrap(),
            "search x\nnameserver 10.2.0.1\nnameserver 10.0.0.1\noptions a\n"
        );
        remove_nameservers(&f, &[ns]).unwrap();
        assert_eq!(
            std::fs::read_to_string(&f).unwrap(),
            "search x\nnameserver 10.0.0.1\noptions a\n"
        );
    }
}
