//! `-u user[:group]` resolution against the container's own /etc/passwd and
//! /etc/group, with runc's/Podman's rules (names or numbers, first match
//! wins, unknown numeric ids allowed, supplementary groups only when the
//! group is implicit).

use std::path::Path;

use super::{rootfs, SpecError};

/// The identity a container process runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecUser {
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Primary gid first, then supplementary groups from /etc/group.
    pub additional_gids: Vec<u32>,
    /// Home directory from passwd, `/` when unknown.
    pub home: String,
}

struct PasswdEntry<'a> {
    name: &'a str,
    uid: u32,
    gid: u32,
    home: &'a str,
}

struct GroupEntry<'a> {
    name: &'a str,
    gid: u32,
    members: Vec<&'a str>,
}

fn parse_passwd(text: &str) -> impl Iterator<Item = PasswdEntry<'_>> {
    text.lines().filter_map(|line| {
        if line.trim_start().starts_with('#') {
            return None;
        }
        let f: Vec<&str> = line.split(':').collect();
        if f.len() < 4 || f[0].is_empty() {
            return None;
        }
        Some(PasswdEntry {
            name: f[0],
            uid: f[2].parse().ok()?,
            gid: f[3].parse().ok()?,
            home: f.get(5).copied().unwrap_or(""),
        })
    })
}

fn parse_group(text: &str) -> impl Iterator<Item = GroupEntry<'_>> {
    text.lines().filter_map(|line| {
        if line.trim_start().starts_with('#') {
            return None;
        }
        let f: Vec<&str> = line.split(':').collect();
        if f.len() < 3 || f[0].is_empty() {
            return None;
        }
        Some(GroupEntry {
            name: f[0],
            gid: f[2].parse().ok()?,
            members: f
                .get(3)
                .map(|m| m.split(',').filter(|s| !s.is_empty()).collect())
                .unwrap_or_default(),
        })
    })
}

fn numeric(s: &str, whole: &str) -> Result<Option<u32>, SpecError> {
    if s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse()
            .map(Some)
            .map_err(|_| SpecError::InvalidUser(whole.to_owned()))
    } else {
        Ok(None)
    }
}

/// Resolves `spec` (`""`, `name`, `uid`, `name:group`, `uid:gid`, ...)
/// against the rootfs's /etc/passwd and /etc/group, read without following
/// symlinks out of the rootfs. An empty user means root.
pub fn resolve_user(rootfs_dir: &Path, spec: &str) -> Result<ExecUser, SpecError> {
    let (user_arg, group_arg) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g).filter(|g| !g.is_empty())),
        None => (spec, None),
    };
    let user_arg = if user_arg.is_empty() { "0" } else { user_arg };
    let passwd = rootfs::read_file(rootfs_dir, "/etc/passwd")?.unwrap_or_default();
    let group = rootfs::read_file(rootfs_dir, "/etc/group")?.unwrap_or_default();

    let found = parse_passwd(&passwd).find(|e| e.name == user_arg || e.uid.to_string() == user_arg);
    let (uid, mut gid, home, name) = match &found {
        Some(e) => (
            e.uid,
            e.gid,
            if e.home.is_empty() { "/" } else { e.home },
            Some(e.name),
        ),
        None => match numeric(user_arg, spec)? {
            Some(uid) => (uid, 0, "/", None),
            None => return Err(SpecError::UserNotFound(user_arg.to_owned())),
        },
    };

    let mut supplementary = Vec::new();
    match group_arg {
        Some(g) => {
            gid = match parse_group(&group).find(|e| e.name == g || e.gid.to_string() == g) {
                Some(e) => e.gid,
                None => match numeric(g, spec)? {
                    Some(n) => n,
                    None => return Err(SpecError::GroupNotFound(g.to_owned())),
                },
            };
        }
        None => {
            if let Some(name) = name {
                supplementary = parse_group(&group)
                    .filter(|e| e.members.contains(&name))
                    .map(|e| e.gid)
                    .collect();
            }
        }
    }
    let mut additional_gids = vec![gid];
    for g in supplementary {
        if !additional_gids.contains(&g) {
            additional_gids.push(g);
        }
    }
    Ok(ExecUser {
        uid,
        gid,
        additional_gids,
        home: home.to_owned(),
    })
}

/// `--group-add` values as gids: names from the rootfs's /etc/group, or
/// numbers (which need no entry).
pub fn resolve_groups(rootfs_dir: &Path, groups: &[String]) -> Result<Vec<u32>, SpecError> {
    if groups.is_empty() {
        return Ok(Vec::new());
    }
    let group = rootfs::read_file(rootfs_dir, "/etc/group")?.unwrap_or_default();
    groups
        .iter()
        .map(|g| match parse_group(&group).find(|e| e.name == g) {
            Some(e) => Ok(e.gid),
            None => numeric(g, g)?.ok_or_else(|| SpecError::GroupNotFound(g.clone())),
        })
        .collect()
}

/// `user`'s supplementary groups with `extra` appended, each gid once.
pub fn with_groups(mut user: ExecUser, extra: &[u32]) -> ExecUser {
    for g in extra {
        if !user.additional_gids.contains(g) {
            user.additional_gids.push(*g);
        }
    }
    user
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn rootfs() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("etc")).unwrap();
        std::fs::write(
            d.path().join("etc/passwd"),
            "# comment\nroot:x:0:0:root:/root:/bin/sh\nbroken line\n\
             app:x:1000:1001:App:/home/app:/bin/sh\nnohome:x:1002:1002::\n",
        )
        .unwrap();
        std::fs::write(
            d.path().join("etc/group"),
            "root:x:0:root\nwheel:x:10:root,app\napp:x:1001:\nstaff:x:50:app\nother:x:60:\n",
        )
        .unwrap();
        d
    }

    #[test]
    fn group_add_by_name_or_number() {
        let r = rootfs();
        let names = ["staff".to_string(), "7".to_string(), "wheel".to_string()];
        assert_eq!(resolve_groups(r.path(), &names).unwrap(), vec![50, 7, 10]);
        assert!(matches!(
            resolve_groups(r.path(), &["ghosts".to_string()]),
            Err(SpecError::GroupNotFound(g)) if g == "ghosts"
        ));
        let u = with_groups(resolve_user(r.path(), "").unwrap(), &[10, 3, 3]);
        assert_eq!(u.additional_gids, vec![0, 10, 3]);
    }

    #[test]
    fn default_is_root_with_its_groups() {
        let r = rootfs();
        let u = resolve_user(r.path(), "").unwrap();
        assert_eq!((u.uid, u.gid, u.home.as_str()), (0, 0, "/root"));
        assert_eq!(u.additional_gids, vec![0, 10]);
    }

    #[test]
    fn by_name_and_by_uid() {
        let r = rootfs();
        for spec in ["app", "1000"] {
            let u = resolve_user(r.path(), spec).unwrap();
            assert_eq!((u.uid, u.gid, u.home.as_str()), (1000, 1001, "/home/app"));
            assert_eq!(u.additional_gids, vec![1001, 10, 50]);
        }
        assert_eq!(resolve_user(r.path(), "nohome").unwrap().home, "/");
    }

    #[test]
    fn explicit_group_drops_supplementary() {
        let r = rootfs();
        let u = resolve_user(r.path(), "app:other").unwrap();
        assert_eq!((u.uid, u.gid), (1000, 60));
        assert_eq!(u.additional_gids, vec![60]);
        let u = resolve_user(r.path(), "1000:4242").unwrap();
        assert_eq!((u.uid, u.gid), (1000, 4242));
    }

    #[test]
    fn unknown_numeric_uid_is_allowed_with_gid_0() {
        let r = rootfs();
        let u = resolve_user(r.path(), "4321").unwrap();
        assert_eq!((u.uid, u.gid, u.home.as_str()), (4321, 0, "/"));
        assert_eq!(u.additional_gids, vec![0]);
    }

    #[test]
    fn unknown_names_fail_like_podman() {
        let r = rootfs();
        assert_eq!(
            resolve_user(r.path(), "ghost").unwrap_err().to_string(),
            "unable to find user ghost: no matching entries in passwd file"
        );
        assert_eq!(
            resolve_user(r.path(), "app:ghosts")
                .unwrap_err()
                .to_string(),
            "unable to find group ghosts: no matching entries in group file"
        );
        assert!(matches!(
            resolve_user(r.path(), "99999999999"),
            Err(SpecError::InvalidUser(_))
        ));
    }

    #[test]
    fn symlinked_passwd_pointing_outside_is_not_read() {
        let host = tempfile::tempdir().unwrap();
        std::fs::write(
            host.path().join("passwd"),
            "hostonly:x:777:777::/host:/bin/sh\n",
        )
        .unwrap();
        let r = tempfile::tempdir().unwrap();
        std::fs::create_dir(r.path().join("etc")).unwrap();
        symlink(host.path().join("passwd"), r.path().join("etc/passwd")).unwrap();
        assert!(matches!(
            resolve_user(r.path(), "hostonly"),
            Err(SpecError::UserNotFound(_))
        ));
        // Without a passwd file numeric users still work.
        assert_eq!(resolve_user(r.path(), "5").unwrap().uid, 5);
    }
}
