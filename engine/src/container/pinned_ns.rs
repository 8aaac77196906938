//! IPC and UTS namespaces that outlive any process: new namespaces
//! bind-mounted on files (one per kind) in a directory, the UTS one with
//! its host and domain name already set. A pod's infra container and its
//! members join them by path, so members need not wait for the infra's
//! process to exist. Removing them is an unmount and an unlink, by any
//! later rpod process; missing files are no error.

use std::fs::OpenOptions;
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{unshare, CloneFlags};

/// The kinds that can be pinned here (the network namespace has its own
/// module, [`crate::network::netns`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PinKind {
    Ipc,
    Uts,
}

impl PinKind {
    /// The name of the namespace in /proc/<pid>/ns and in `--share`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            PinKind::Ipc => "ipc",
            PinKind::Uts => "uts",
        }
    }

    fn flag(self) -> CloneFlags {
        match self {
            PinKind::Ipc => CloneFlags::CLONE_NEWIPC,
            PinKind::Uts => CloneFlags::CLONE_NEWUTS,
        }
    }

    pub(crate) const ALL: [PinKind; 2] = [PinKind::Ipc, PinKind::Uts];
}

/// A failed pin operation, naming the path.
#[derive(Debug, thiserror::Error)]
#[error("{what} pinned namespace {path}: {source}")]
pub struct PinError {
    what: &'static str,
    path: PathBuf,
    #[source]
    source: io::Error,
}

fn fail<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> PinError + 'a {
    move |source| PinError {
        what,
        path: path.to_owned(),
        source,
    }
}

/// The file namespace `kind` is bound on, in `dir`.
pub(crate) fn path(dir: &Path, kind: PinKind) -> PathBuf {
    dir.join(kind.name())
}

/// The names a new UTS namespace gets.
#[derive(Debug, Clone, Default)]
pub(crate) struct UtsNames {
    pub hostname: String,
    pub domainname: Option<String>,
}

/// Creates one new namespace of each of `kinds` (in one `unshare`) and
/// binds each on its file in `dir` (created; the files must not exist).
/// A new UTS namespace gets `names` first. On failure nothing is left.
pub(crate) fn create(dir: &Path, kinds: &[PinKind], names: &UtsNames) -> Result<(), PinError> {
    if kinds.is_empty() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(fail("creating", dir))?;
    if let Some(file) = kinds.iter().map(|k| path(dir, *k)).find(|f| f.exists()) {
        return Err(fail("creating", &file)(io::ErrorKind::AlreadyExists.into()));
    }
    for kind in kinds {
        let file = path(dir, *kind);
        if let Err(e) = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&file)
        {
            remove_kinds(dir, kinds);
            return Err(fail("creating", &file)(e));
        }
    }
    let flags = kinds.iter().fold(CloneFlags::empty(), |f, k| f | k.flag());
    let (targets, names) = (
        kinds
            .iter()
            .map(|k| (*k, path(dir, *k)))
            .collect::<Vec<_>>(),
        names.clone(),
    );
    // unshare(2) of IPC and UTS moves only the calling thread: do it on a
    // thread of its own that ends once the namespaces are bound.
    let bound = std::thread::spawn(move || -> Result<(), (PathBuf, io::Error)> {
        let first = targets[0].1.clone();
        unshare(flags).map_err(|e| (first.clone(), e.into()))?;
        if flags.contains(CloneFlags::CLONE_NEWUTS) {
            nix::unistd::sethostname(&names.hostname).map_err(|e| (first.clone(), e.into()))?;
            if let Some(domain) = names.domainname.as_deref().filter(|d| !d.is_empty()) {
                set_domainname(domain).map_err(|e| (first.clone(), e))?;
            }
        }
        for (kind, target) in &targets {
            let source = format!("/proc/thread-self/ns/{}", kind.name());
            mount(
                Some(source.as_str()),
                target,
                None::<&str>,
                MsFlags::MS_BIND,
                None::<&str>,
            )
            .map_err(|e| (target.clone(), e.into()))?;
        }
        Ok(())
    })
    .join()
    .unwrap_or_else(|_| {
        Err((
            dir.to_owned(),
            io::Error::other("the namespace thread panicked"),
        ))
    });
    if let Err((file, e)) = bound {
        remove_kinds(dir, kinds);
        return Err(fail("creating", &file)(e));
    }
    Ok(())
}

/// setdomainname(2) in the calling thread's UTS namespace.
fn set_domainname(name: &str) -> io::Result<()> {
    // SAFETY: the pointer and length describe `name`'s bytes, valid for
    // the duration of the call; the kernel only reads them.
    let rc = unsafe { libc::setdomainname(name.as_ptr().cast(), name.len()) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Unmounts and deletes every pinned namespace in `dir`, then `dir` if it
/// is empty. Idempotent; a failure is logged (a removal must complete).
/// Returns whether nothing is left.
pub(crate) fn remove(dir: &Path) -> bool {
    let clean = remove_kinds(dir, &PinKind::ALL);
    match std::fs::remove_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => tracing::debug!("removing {}: {e}", dir.display()),
    }
    clean
}

/// Unmounts and deletes the pins of `kinds` in `dir`.
fn remove_kinds(dir: &Path, kinds: &[PinKind]) -> bool {
    let mut clean = true;
    for &kind in kinds {
        let file = path(dir, kind);
        match umount2(&file, MntFlags::MNT_DETACH) {
            Ok(()) | Err(nix::errno::Errno::EINVAL) | Err(nix::errno::Errno::ENOENT) => {}
            Err(e) => {
                tracing::warn!("unmounting {}: {e}", file.display());
                clean = false;
                continue;
            }
        }
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!("removing {}: {e}", file.display());
                clean = false;
            }
        }
    }
    clean
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::netns::is_mounted;

    #[test]
    fn create_sets_names_then_remove_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let pins = dir.path().join("ns");
        let names = UtsNames {
            hostname: "podhost".into(),
            domainname: Some("example.test".into()),
        };
        create(&pins, &PinKind::ALL, &names).unwrap();
        for kind in PinKind::ALL {
            assert!(is_mounted(&path(&pins, kind)), "{kind:?}");
        }
        // The names are those of the pinned UTS namespace, not the host's.
        let uts = path(&pins, PinKind::Uts);
        let seen = std::thread::spawn(move || {
            let f = std::fs::File::open(&uts).unwrap();
            nix::sched::setns(f, CloneFlags::CLONE_NEWUTS).unwrap();
            let host = nix::unistd::gethostname().unwrap();
            // /proc/sys answers for the reading thread's namespace.
            let domain = std::fs::read_to_string("/proc/sys/kernel/domainname").unwrap();
            (
                host.to_string_lossy().into_owned(),
                domain.trim_end().to_owned(),
            )
        })
        .join()
        .unwrap();
        assert_eq!(seen, ("podhost".to_owned(), "example.test".to_owned()));
        assert!(
            create(&pins, &[PinKind::Ipc], &names).is_err(),
            "the file exists"
        );
        assert!(
            is_mounted(&path(&pins, PinKind::Ipc)),
            "a refused create kept the pin"
        );
        assert!(remove(&pins));
        assert!(!pins.exists());
        assert!(remove(&pins), "removing twice is no error");
    }
}
