//! The user namespace of a container run by root: none (the host's), one
//! of its own with the host's mappings (`--userns=keep-id`: identity, so
//! the image's files need no id shifting), or an existing one joined. The
//! runtime needs the mappings even for a joined namespace (runc reads the
//! root user's host id from them): they are read from
//! `/proc/PID/{uid,gid}_map` of a process in it.

use std::path::{Path, PathBuf};

use oci_spec::runtime::{
    LinuxIdMapping, LinuxIdMappingBuilder, LinuxNamespaceBuilder, LinuxNamespaceType, MountBuilder,
    Spec,
};

use super::SpecError;

/// What user namespace a container gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserNs {
    /// The host's.
    Host,
    /// Its own, pinned on a file by the engine with these mappings.
    Pinned {
        path: PathBuf,
        maps: crate::idmap::IdMaps,
    },
    /// An existing one, `/proc/PID/ns/user`.
    Join(PathBuf),
}

impl UserNs {
    /// The namespace's file, unless it is the host's.
    pub fn path(&self) -> Option<&Path> {
        match self {
            UserNs::Host => None,
            UserNs::Pinned { path, .. } | UserNs::Join(path) => Some(path),
        }
    }
}

/// Adds the user namespace and its mappings to `spec`.
pub fn apply_user_namespace(spec: &mut Spec, userns: &UserNs) -> Result<(), SpecError> {
    let (path, uids, gids) = match userns {
        UserNs::Host => return Ok(()),
        UserNs::Pinned { path, maps } => (path.clone(), oci_maps(&maps.uid)?, oci_maps(&maps.gid)?),
        UserNs::Join(p) => {
            let proc_dir = proc_dir_of(p)?;
            (
                p.clone(),
                read_map(&proc_dir.join("uid_map"))?,
                read_map(&proc_dir.join("gid_map"))?,
            )
        }
    };
    let Some(linux) = spec.linux_mut() else {
        return Ok(());
    };
    let mut namespaces = linux.namespaces().clone().unwrap_or_default();
    namespaces.retain(|n| n.typ() != LinuxNamespaceType::User);
    namespaces.push(
        LinuxNamespaceBuilder::default()
            .typ(LinuxNamespaceType::User)
            .path(path)
            .build()?,
    );
    linux.set_namespaces(Some(namespaces));
    linux.set_uid_mappings(Some(uids));
    linux.set_gid_mappings(Some(gids));
    let own_netns = linux
        .namespaces()
        .iter()
        .flatten()
        .any(|n| n.typ() == LinuxNamespaceType::Network && n.path().is_none());
    if !own_netns {
        // sysfs can only be mounted in a network namespace the user
        // namespace owns (one the runtime makes with it); the host's or
        // one made before (rpod's bridge networking) gets a bind of /sys,
        // as Podman does.
        bind_sys(spec)?;
    }
    Ok(())
}

fn bind_sys(spec: &mut Spec) -> Result<(), SpecError> {
    let Some(mounts) = spec.mounts_mut() else {
        return Ok(());
    };
    for m in mounts.iter_mut() {
        if m.destination() == Path::new("/sys") && m.typ().as_deref() == Some("sysfs") {
            *m = MountBuilder::default()
                .destination("/sys")
                .typ("bind")
                .source("/sys")
                .options(
                    ["rbind", "nosuid", "noexec", "nodev", "ro"]
                        .map(String::from)
                        .to_vec(),
                )
                .build()?;
        }
    }
    Ok(())
}

fn oci_maps(maps: &[crate::idmap::IdMap]) -> Result<Vec<LinuxIdMapping>, SpecError> {
    maps.iter()
        .map(|m| {
            Ok(LinuxIdMappingBuilder::default()
                .container_id(m.container)
                .host_id(m.host)
                .size(m.size)
                .build()?)
        })
        .collect()
}

/// `/proc/PID` of a `/proc/PID/ns/user` path.
fn proc_dir_of(path: &Path) -> Result<PathBuf, SpecError> {
    let s = path.to_string_lossy();
    let pid = s
        .strip_prefix("/proc/")
        .and_then(|r| r.strip_suffix("/ns/user"))
        .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    match pid {
        Some(pid) => Ok(PathBuf::from(format!("/proc/{pid}"))),
        None => Err(SpecError::UserNamespace(format!(
            "--userns=ns:{s}: rpod joins a user namespace by a /proc/PID/ns/user path (the runtime needs the namespace's id mappings)"
        ))),
    }
}

/// The mappings of a `/proc/PID/uid_map` (or `gid_map`) file.
fn read_map(path: &Path) -> Result<Vec<LinuxIdMapping>, SpecError> {
    let text = std::fs::read_to_string(path).map_err(|e| SpecError::io("read", path, e))?;
    parse_map(&text)
        .ok_or_else(|| SpecError::UserNamespace(format!("{}: malformed id map", path.display())))
}

fn parse_map(text: &str) -> Option<Vec<LinuxIdMapping>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut f = l.split_whitespace().map(|n| n.parse::<u32>().ok());
            let (Some(Some(container)), Some(Some(host)), Some(Some(size))) =
                (f.next(), f.next(), f.next())
            else {
                return None;
            };
            LinuxIdMappingBuilder::default()
                .container_id(container)
                .host_id(host)
                .size(size)
                .build()
                .ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_parse_and_join_paths_need_a_pid() {
        let m = parse_map("         0          0 4294967295\n").unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(
            (m[0].container_id(), m[0].host_id(), m[0].size()),
            (0, 0, 4294967295)
        );
        assert!(parse_map("0 x 1\n").is_none());
        assert_eq!(
            proc_dir_of(Path::new("/proc/42/ns/user")).unwrap(),
            PathBuf::from("/proc/42")
        );
        assert!(proc_dir_of(Path::new("/run/userns/x")).is_err());
    }

    #[test]
    fn pinned_namespace_is_joined_with_its_maps() {
        let m = crate::idmap::IdMap {
            container: 0,
            host: 200000,
            size: 5000,
        };
        let mut spec = Spec::default();
        let ns = UserNs::Pinned {
            path: PathBuf::from("/run/x/userns"),
            maps: crate::idmap::IdMaps {
                uid: vec![m],
                gid: vec![m],
            },
        };
        apply_user_namespace(&mut spec, &ns).unwrap();
        let linux = spec.linux().as_ref().unwrap();
        assert!(linux
            .namespaces()
            .as_ref()
            .unwrap()
            .iter()
            .any(|n| n.typ() == LinuxNamespaceType::User
                && n.path().as_deref() == Some(Path::new("/run/x/userns"))));
        let uid = &linux.uid_mappings().as_ref().unwrap()[0];
        assert_eq!(
            (uid.container_id(), uid.host_id(), uid.size()),
            (0, 200000, 5000)
        );
        let mut host = Spec::default();
        apply_user_namespace(&mut host, &UserNs::Host).unwrap();
        assert_eq!(host, Spec::default());
    }
}
