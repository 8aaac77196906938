//! Network namespaces that outlive any process: a new namespace bind-mounted on
//! a file under the run root (as `ip netns add` does under /run/netns), with its
//! loopback up. The runtime joins it by path; netavark configures it by path;
//! removing it is an unmount and an unlink, by any later rpod process.

use std::fs::OpenOptions;
use std::io;
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{unshare, CloneFlags};

/// A failed namespace operation, naming the path.
#[derive(Debug, thiserror::Error)]
#[error("{what} network namespace {path}: {source}")]
pub struct NetnsError {
    what: &'static str,
    path: PathBuf,
    #[source]
    source: io::Error,
}

fn fail<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> NetnsError + 'a {
    move |source| NetnsError {
        what,
        path: path.to_owned(),
        source,
    }
}

/// Creates a network namespace bound to `path` (its directory is created; the
/// file must not exist) with `lo` up. On failure nothing is left at `path`.
pub fn create(path: &Path) -> Result<(), NetnsError> {
    create_file(path)?;
    let target = path.to_owned();
    // unshare(CLONE_NEWNET) moves only the calling thread: do it on a thread of
    // its own that ends once the namespace is bound to the file.
    let bound = std::thread::spawn(move || -> io::Result<()> {
        unshare(CloneFlags::CLONE_NEWNET)?;
        mount(
            Some("/proc/thread-self/ns/net"),
            &target,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )?;
        loopback_up()
    })
    .join()
    .unwrap_or_else(|_| Err(io::Error::other("the namespace thread panicked")));
    if let Err(e) = bound {
        let _ = remove(path);
        return Err(fail("creating", path)(e));
    }
    Ok(())
}

/// Like [`create`], but the namespace is owned by the pinned user
/// namespace at `userns` (a container's own): the runtime joins that user
/// namespace first and can then join this one, also for `exec`, and the
/// container's root may configure it. The backend sets it up as root of
/// the host, as any other.
pub fn create_owned(path: &Path, userns: &Path) -> Result<(), NetnsError> {
    create_file(path)?;
    let owner = std::fs::File::open(userns).map_err(fail("opening the owner of", path))?;
    let bound = crate::idmap::Holder::spawn(Some(owner.as_fd()), libc::CLONE_NEWNET)
        .map_err(io::Error::other)
        .and_then(|holder| {
            let ns = format!("/proc/{}/ns/net", holder.pid());
            mount(
                Some(ns.as_str()),
                path,
                None::<&str>,
                MsFlags::MS_BIND,
                None::<&str>,
            )?;
            holder.release();
            let target = path.to_owned();
            std::thread::spawn(move || -> io::Result<()> {
                let f = std::fs::File::open(&target)?;
                nix::sched::setns(f, CloneFlags::CLONE_NEWNET)?;
                loopback_up()
            })
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the namespace thread panicked")))
        });
    if let Err(e) = bound {
        let _ = remove(path);
        return Err(fail("creating", path)(e));
    }
    Ok(())
}

/// The empty file a namespace is bound on (its directory created).
fn create_file(path: &Path) -> Result<(), NetnsError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail("creating", path))?;
    }
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(path)
        .map_err(fail("creating", path))?;
    Ok(())
}

/// Unmounts and deletes the namespace file; a missing file is no error.
pub fn remove(path: &Path) -> Result<(), NetnsError> {
    match umount2(path, MntFlags::MNT_DETACH) {
        Ok(()) | Err(nix::errno::Errno::EINVAL) | Err(nix::errno::Errno::ENOENT) => {}
        Err(e) => return Err(fail("unmounting", path)(e.into())),
    }
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(fail("removing", path)(e)),
    }
}

/// Whether `path` is a mounted namespace, of any kind (a crash may leave the
/// file without the mount, or the mount of a namespace nothing else uses).
pub fn is_mounted(path: &Path) -> bool {
    nix::sys::statfs::statfs(path)
        .map(|s| s.filesystem_type() == nix::sys::statfs::NSFS_MAGIC)
        .unwrap_or(false)
}

/// Sets `IFF_UP` on `lo` in the calling thread's network namespace.
fn loopback_up() -> io::Result<()> {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

    // SAFETY: socket(2) has no memory-safety preconditions; the result is
    // checked before use.
    let raw = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `raw` is a new descriptor that nothing else owns.
    let sock = unsafe { OwnedFd::from_raw_fd(raw) };
    // SAFETY: ifreq is a plain C struct for which all-zero bytes are valid.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().zip(b"lo\0") {
        *dst = *src as libc::c_char;
    }
    // SAFETY: SIOCGIFFLAGS reads the name from and writes the flags into `req`,
    // a valid, exclusively borrowed ifreq for the duration of the call.
    if unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFFLAGS, &mut req) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: SIOCGIFFLAGS filled the flags member of the union.
    unsafe { req.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short };
    // SAFETY: SIOCSIFFLAGS only reads `req`, valid for the duration of the call.
    if unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCSIFFLAGS, &req) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_then_remove() {
        let dir = tempfile::tempdir().unwrap();
        let ns = dir.path().join("netns/ns1");
        create(&ns).unwrap();
        assert!(is_mounted(&ns));
        // lo is up inside: 127.0.0.1 exists only on an up loopback.
        let path = ns.clone();
        let bound = std::thread::spawn(move || {
            let f = std::fs::File::open(&path).unwrap();
            nix::sched::setns(f, CloneFlags::CLONE_NEWNET).unwrap();
            std::net::UdpSocket::bind("127.0.0.1:0").map(|_| ())
        })
        .join()
        .unwrap();
        assert!(bound.is_ok(), "{bound:?}");
        assert!(create(&ns).is_err(), "the file exists");
        remove(&ns).unwrap();
        assert!(!ns.exists());
        remove(&ns).unwrap();
    }
}
