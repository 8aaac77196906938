//! A user namespace that outlives any process: a child unshares it, the
//! engine writes its mappings and bind-mounts `/proc/CHILD/ns/user` on a
//! file under the run root; the child then exits. The runtime joins the
//! namespace by that path, the container's network namespace is made
//! owned by it, and the root filesystem is idmapped with it.

use std::fs::OpenOptions;
use std::path::Path;

use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::unistd::Pid;

use super::holder::Holder;
use super::map::IdMaps;
use super::IdmapError;

/// Creates a user namespace with `maps` bound to `path` (which must not
/// exist). On failure nothing is left at `path`.
pub fn pin_userns(path: &Path, maps: &IdMaps) -> Result<(), IdmapError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(IdmapError::io("creating", dir))?;
    }
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(IdmapError::io("creating", path))?;
    let done = Holder::spawn(None, libc::CLONE_NEWUSER).and_then(|holder| {
        let result = write_maps_and_bind(holder.pid(), path, maps);
        holder.release();
        result
    });
    if done.is_err() {
        let _ = unpin_userns(path);
    }
    done
}

/// Unmounts and removes a pinned namespace file; a missing one is no error.
pub fn unpin_userns(path: &Path) -> Result<(), IdmapError> {
    match umount2(path, MntFlags::MNT_DETACH) {
        Ok(()) | Err(nix::errno::Errno::EINVAL) | Err(nix::errno::Errno::ENOENT) => {}
        Err(e) => return Err(IdmapError::io("unmounting", path)(e.into())),
    }
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(IdmapError::io("removing", path)(e))
        }
        _ => Ok(()),
    }
}

fn write_maps_and_bind(pid: Pid, path: &Path, maps: &IdMaps) -> Result<(), IdmapError> {
    let proc_dir = std::path::PathBuf::from(format!("/proc/{pid}"));
    for (file, map) in [("uid_map", &maps.uid), ("gid_map", &maps.gid)] {
        let text: String = map.iter().map(|m| m.proc_line()).collect();
        let p = proc_dir.join(file);
        // One write(2): the kernel takes a map only whole.
        std::fs::write(&p, text).map_err(IdmapError::io("writing", &p))?;
    }
    let ns = proc_dir.join("ns/user");
    mount(
        Some(&ns),
        path,
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .map_err(|e| IdmapError::io("binding the user namespace on", path)(e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::idmap::IdMap;

    #[test]
    fn pins_a_namespace_with_its_maps() {
        if !nix::unistd::geteuid().is_root() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let ns = dir.path().join("userns/x");
        let m = IdMap {
            container: 0,
            host: 300000,
            size: 100,
        };
        let maps = IdMaps {
            uid: vec![m],
            gid: vec![m],
        };
        pin_userns(&ns, &maps).unwrap();
        let st = nix::sys::statfs::statfs(&ns).unwrap();
        assert_eq!(st.filesystem_type(), nix::sys::statfs::NSFS_MAGIC);
        assert!(pin_userns(&ns, &maps).is_err(), "the file exists");
        unpin_userns(&ns).unwrap();
        assert!(!ns.exists());
        unpin_userns(&ns).unwrap();
    }
}
