//! A child process that enters namespaces and sits there until released,
//! so the engine can write its maps and bind its `/proc/PID/ns/*` files.

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::path::Path;

use nix::fcntl::OFlag;
use nix::sys::wait::waitpid;
use nix::unistd::{pipe2, Pid};

use super::IdmapError;

/// The child; dropping it (or [`Holder::release`]) lets it exit and reaps it.
pub struct Holder {
    pid: Pid,
    release: Option<OwnedFd>,
}

impl Holder {
    /// Forks a child that joins the user namespace `join` (when given),
    /// then unshares `flags` (`CLONE_NEW*`), and waits.
    pub fn spawn(join: Option<BorrowedFd<'_>>, flags: libc::c_int) -> Result<Holder, IdmapError> {
        let io =
            |e: nix::errno::Errno| IdmapError::io("forking", Path::new("/proc/self"))(e.into());
        // Close-on-exec: a process another thread spawns meanwhile must
        // not keep the release pipe open.
        let (ready_r, ready_w) = pipe2(OFlag::O_CLOEXEC).map_err(io)?;
        let (release_r, release_w) = pipe2(OFlag::O_CLOEXEC).map_err(io)?;
        let (ready_w_raw, release_r_raw) = (ready_w.as_raw_fd(), release_r.as_raw_fd());
        let (ready_r_raw, release_w_raw) = (ready_r.as_raw_fd(), release_w.as_raw_fd());
        let join_raw = join.map(|f| f.as_raw_fd());
        // SAFETY: the child of this multi-threaded process only makes
        // async-signal-safe system calls (setns, unshare, write, read,
        // _exit) on descriptors it already holds, and never returns.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(io(nix::errno::Errno::last()));
        }
        if pid == 0 {
            // SAFETY: async-signal-safe calls only, on inherited
            // descriptors; the buffers are on this stack.
            unsafe {
                // Only the parent's end may keep the release pipe open.
                libc::close(release_w_raw);
                libc::close(ready_r_raw);
                let joined = join_raw.is_none_or(|fd| libc::setns(fd, libc::CLONE_NEWUSER) == 0);
                let status = u8::from(!(joined && libc::unshare(flags) == 0));
                libc::write(ready_w_raw, (&status as *const u8).cast(), 1);
                let mut b = 0u8;
                libc::read(release_r_raw, (&mut b as *mut u8).cast(), 1);
                libc::_exit(0);
            }
        }
        drop(ready_w);
        drop(release_r);
        let holder = Holder {
            pid: Pid::from_raw(pid),
            release: Some(release_w),
        };
        let mut status = [1u8; 1];
        match nix::unistd::read(&ready_r, &mut status).map_err(io)? {
            1 if status[0] == 0 => Ok(holder),
            _ => Err(IdmapError::Invalid(format!(
                "entering new namespaces (flags {flags:#x}): setns or unshare failed"
            ))),
        }
    }

    pub fn pid(&self) -> Pid {
        self.pid
    }

    pub fn release(mut self) {
        self.finish();
    }

    fn finish(&mut self) {
        if self.release.take().is_some() {
            let _ = waitpid(self.pid, None);
        }
    }
}

impl Drop for Holder {
    fn drop(&mut self) {
        self.finish();
    }
}
