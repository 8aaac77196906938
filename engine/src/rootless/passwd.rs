//! `--userns=keep-id` (without `uid=`/`gid=`) makes the container run as
//! the user, as Podman: the user's passwd and group entries are added to
//! the container's `/etc/passwd` and `/etc/group` when the image has no
//! entry of that name or id, so `id -un`, `whoami` and `$HOME` work.

use std::io::{Read, Write};
use std::path::Path;

use rustix::fs::OFlags;
use serde::{Deserialize, Serialize};

use crate::storage::in_root::InRoot;

/// The user's entries, taken from the host's passwd and group files when
/// the container is created.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserEntry {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub gecos: String,
    pub home: String,
    /// The name of the user's primary group (none when the host has no
    /// group entry for it).
    #[serde(default)]
    pub group: Option<String>,
}

/// The entry of the user rootless rpod acts for; `None` for root, or when
/// the host knows no name for the user.
pub fn current_user() -> Option<UserEntry> {
    if !super::is_rootless() {
        return None;
    }
    let uid = nix::unistd::Uid::from_raw(super::host_uid());
    let user = nix::unistd::User::from_uid(uid).ok().flatten()?;
    let gid = super::host_gid();
    let group = nix::unistd::Group::from_gid(nix::unistd::Gid::from_raw(gid))
        .ok()
        .flatten()
        .map(|g| g.name);
    Some(UserEntry {
        name: user.name,
        uid: uid.as_raw(),
        gid,
        gecos: user.gecos.to_string_lossy().into_owned(),
        home: user.dir.display().to_string(),
        group,
    })
}

/// Adds `user`'s entries to the container's files under `rootfs` when
/// missing (a restart finds them there). `workdir`: the container's
/// working directory, its home when the user's own is not in the rootfs
/// (as Podman).
pub fn add_entries(rootfs: &Path, user: &UserEntry, workdir: Option<&str>) -> std::io::Result<()> {
    let root = InRoot::new(rootfs)?;
    let passwd = read(&root, "etc/passwd")?;
    if !has_entry(&passwd, &user.name, user.uid) {
        let home = if root.open(Path::new(&user.home), OFlags::PATH).is_ok() {
            user.home.as_str()
        } else {
            workdir.filter(|w| !w.is_empty()).unwrap_or("/")
        };
        let line = format!(
            "{}:*:{}:{}:{}:{home}:/bin/sh\n",
            user.name, user.uid, user.gid, user.gecos
        );
        append(&root, "etc/passwd", &passwd, &line)?;
    }
    if let Some(group) = &user.group {
        let groups = read(&root, "etc/group")?;
        if !has_entry(&groups, group, user.gid) {
            let line = format!("{group}:x:{}:{}\n", user.gid, user.name);
            append(&root, "etc/group", &groups, &line)?;
        }
    }
    Ok(())
}

/// Whether a `name:x:id:...` file has an entry of `name` or `id`.
fn has_entry(text: &str, name: &str, id: u32) -> bool {
    let id = id.to_string();
    text.lines().any(|l| {
        let mut f = l.split(':');
        let n = f.next();
        let i = f.nth(1);
        n == Some(name) || i == Some(id.as_str())
    })
}

/// The file's text; empty when the image has none.
fn read(root: &InRoot, rel: &str) -> std::io::Result<String> {
    match root.open(Path::new(rel), OFlags::RDONLY) {
        Ok(fd) => {
            let mut text = String::new();
            std::fs::File::from(fd).read_to_string(&mut text)?;
            Ok(text)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(e),
    }
}

fn append(root: &InRoot, rel: &str, old: &str, line: &str) -> std::io::Result<()> {
    let fd = root.open(
        Path::new(rel),
        OFlags::WRONLY | OFlags::APPEND | OFlags::CREATE,
    )?;
    let mut f = std::fs::File::from(fd);
    let sep = if old.is_empty() || old.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    f.write_all(format!("{sep}{line}").as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> UserEntry {
        UserEntry {
            name: "alice".into(),
            uid: 1001,
            gid: 1001,
            gecos: "Alice".into(),
            home: "/home/alice".into(),
            group: Some("alice".into()),
        }
    }

    #[test]
    fn entries_are_added_once() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("etc")).unwrap();
        std::fs::write(d.path().join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh").unwrap();
        add_entries(d.path(), &user(), Some("/work")).unwrap();
        add_entries(d.path(), &user(), Some("/work")).unwrap();
        assert_eq!(
            std::fs::read_to_string(d.path().join("etc/passwd")).unwrap(),
            "root:x:0:0:root:/root:/bin/sh\nalice:*:1001:1001:Alice:/work:/bin/sh\n"
        );
        assert_eq!(
            std::fs::read_to_string(d.path().join("etc/group")).unwrap(),
            "alice:x:1001:alice\n"
        );
    }

    #[test]
    fn an_image_user_of_that_id_is_kept() {
        assert!(has_entry("bob:x:1001:1001::/:/bin/sh\n", "alice", 1001));
        assert!(has_entry("alice:x:5:5::/:/bin/sh\n", "alice", 1001));
        assert!(!has_entry("bob:x:1002:1001::/:/bin/sh\n", "alice", 1001));
    }
}
