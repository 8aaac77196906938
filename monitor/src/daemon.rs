//! Detaching from the engine: double fork, new session, subreaper.

use std::fs::OpenOptions;
use std::io;
use std::os::fd::AsRawFd;

use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{fork, setsid, ForkResult};

/// Double-forks so the monitor is neither a child of the engine nor a
/// session leader that could reacquire a terminal. Returns only in the
/// grandchild; the original process exits once the grandchild exists
/// (so the engine reaps it at once), the intermediate exits right away.
pub fn daemonize() -> io::Result<()> {
    // SAFETY: the monitor is single-threaded at this point (no thread has
    // been spawned yet), so the child may run arbitrary code after fork.
    match unsafe { fork() }? {
        ForkResult::Parent { child } => {
            // The intermediate exits only after forking the grandchild.
            let code = match waitpid(child, None) {
                Ok(WaitStatus::Exited(_, 0)) => 0,
                _ => 1,
            };
            // SAFETY: _exit skips atexit handlers and stdio flushing of the
            // state shared with the grandchild; nothing else runs after.
            unsafe { libc::_exit(code) }
        }
        ForkResult::Child => {}
    }
    setsid()?;
    // SAFETY: still single-threaded (the fork above copied only the
    // calling thread and no thread was started since).
    match unsafe { fork() } {
        Ok(ForkResult::Parent { .. }) => {
            // SAFETY: see above; the intermediate has nothing to clean up.
            unsafe { libc::_exit(0) }
        }
        // SAFETY: as above.
        Err(_) => unsafe { libc::_exit(1) },
        Ok(ForkResult::Child) => {}
    }
    Ok(())
}

/// Points stdin, stdout and stderr at /dev/null.
pub fn null_stdio() -> io::Result<()> {
    let null = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")?;
    for target in 0..3 {
        // SAFETY: dup2 onto 0..2 replaces the standard descriptors, which
        // this process owns; `null` stays valid for the call.
        if unsafe { libc::dup2(null.as_raw_fd(), target) } == -1 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Makes this process the reaper of orphaned descendants (the runtime's
/// container process once `runtime create` exits).
pub fn set_subreaper() -> io::Result<()> {
    // SAFETY: PR_SET_CHILD_SUBREAPER takes a plain integer argument.
    if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
