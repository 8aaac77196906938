//! The descriptors above stderr that this process inherited from its caller.
//! `run --preserve-fds N` passes descriptors 3..3+N into the container; only
//! inherited ones qualify, never one rpod opened itself (its database, a lock
//! file). The caller notes them first thing in `main`, before rpod opens
//! anything; a process that never noted them (the REST service) has none.

use std::os::fd::{BorrowedFd, RawFd};
use std::sync::OnceLock;

static INHERITED: OnceLock<Vec<RawFd>> = OnceLock::new();

/// The first descriptor `--preserve-fds` passes.
pub(crate) const FIRST: RawFd = 3;

/// Notes the descriptors above stderr open now. Call it before the process
/// opens any file of its own; later calls change nothing.
pub fn note() {
    let _ = INHERITED.set(scan());
}

/// Open descriptors ≥ 3, from /proc/self/fd. The listing's own descriptor is
/// closed again before the probe, so it is not counted.
fn scan() -> Vec<RawFd> {
    let listed: Vec<RawFd> = match std::fs::read_dir("/proc/self/fd") {
        Ok(dir) => dir
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .filter(|&fd| fd >= FIRST)
            .collect(),
        Err(_) => return Vec::new(),
    };
    listed.into_iter().filter(|&fd| is_open(fd)).collect()
}

fn is_open(fd: RawFd) -> bool {
    // SAFETY: F_GETFD only reads the descriptor's flags; an unused number
    // fails with EBADF and changes nothing.
    unsafe { libc::fcntl(fd, libc::F_GETFD) != -1 }
}

/// Descriptors 3..3+n, each inherited and still open; else the first one
/// that is not, in Podman's words.
pub(crate) fn preserved(n: u32) -> Result<Vec<BorrowedFd<'static>>, String> {
    let inherited = INHERITED.get().map(Vec::as_slice).unwrap_or_default();
    let mut out = Vec::new();
    for i in 0..n {
        let fd = FIRST.saturating_add(RawFd::try_from(i).unwrap_or(RawFd::MAX));
        if !inherited.contains(&fd) || !is_open(fd) {
            return Err(format!(
                "file descriptor {fd} is not available - the preserve-fds option requires that all file descriptors must be passed"
            ));
        }
        // SAFETY: the descriptor was open when the process started, this
        // process never opened it itself, and rpod never closes inherited
        // descriptors, so it stays valid for the process's life.
        out.push(unsafe { BorrowedFd::borrow_raw(fd) });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptors_opened_later_are_not_inherited() {
        note();
        let file = std::fs::File::open("/proc/self/status").unwrap();
        let fd = std::os::fd::AsRawFd::as_raw_fd(&file);
        let n = u32::try_from(fd - FIRST + 1).unwrap();
        let err = preserved(n).unwrap_err();
        assert!(
            err.starts_with("file descriptor ") && err.contains("is not available"),
            "{err}"
        );
        assert!(preserved(0).unwrap().is_empty());
    }
}
