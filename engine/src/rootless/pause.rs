//! The pause process: the holder of the user's user and mount
//! namespaces. A child of the first rootless command unshares both, waits
//! until its parent has written the id maps (through `newuidmap` and
//! `newgidmap`, or a single mapping of the user when it has no subordinate
//! ids), then sleeps in `pause(2)` in a session of its own until killed
//! (`system migrate`).

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::Command;

use nix::unistd::{ForkResult, Pid};

use super::RootlessError;
use crate::idmap::subid_ranges;

/// The `comm` of a pause process (how a pid file's pid is recognised).
pub const PAUSE_NAME: &str = "rpod-pause";

/// The host ids a namespace maps: the user to 0, its subordinate ranges
/// from 1 on.
pub struct Mappings {
    pub uid: u32,
    pub gid: u32,
    pub user: String,
    pub sub_uids: Vec<(u32, u32)>,
    pub sub_gids: Vec<(u32, u32)>,
}

impl Mappings {
    /// The user's ranges in `/etc/subuid` and `/etc/subgid`.
    pub fn of_user(uid: u32, gid: u32) -> Mappings {
        let user = nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
            .ok()
            .flatten()
            .map(|u| u.name)
            .unwrap_or_else(|| uid.to_string());
        let ranges = |file: &str| {
            subid_ranges(std::path::Path::new(file), &user, Some(uid))
                .into_iter()
                .map(|r| (r.start, r.count))
                .collect::<Vec<_>>()
        };
        Mappings {
            sub_uids: ranges("/etc/subuid"),
            sub_gids: ranges("/etc/subgid"),
            uid,
            gid,
            user,
        }
    }

    /// `INSIDE OUTSIDE COUNT` triples for newuidmap/newgidmap.
    fn tool_args(own: u32, ranges: &[(u32, u32)]) -> Vec<String> {
        let mut args = vec!["0".to_string(), own.to_string(), "1".to_string()];
        let mut inside = 1u32;
        for &(start, count) in ranges {
            args.extend([inside.to_string(), start.to_string(), count.to_string()]);
            inside = inside.saturating_add(count);
        }
        args
    }
}

/// Forks the pause process; returns its pid once its namespaces exist and
/// carry their id maps.
pub fn spawn(maps: &Mappings) -> Result<Pid, RootlessError> {
    let (from_child_r, from_child_w) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(io("creating a pipe"))?;
    let (to_child_r, to_child_w) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(io("creating a pipe"))?;
    // SAFETY: the caller (`enter_user_namespace`) runs before any thread is
    // started and checked that this process has exactly one thread; the
    // child nevertheless makes only async-signal-safe calls (raw syscalls
    // through libc: unshare, read, write, close, setsid, prctl, open, dup2,
    // chdir, pause, _exit) and never returns.
    match unsafe { nix::unistd::fork() }.map_err(io("forking the pause process"))? {
        ForkResult::Child => {
            drop_raw(from_child_r.as_raw_fd());
            drop_raw(to_child_w.as_raw_fd());
            child(from_child_w.as_raw_fd(), to_child_r.as_raw_fd())
        }
        ForkResult::Parent { child } => {
            drop(from_child_w);
            drop(to_child_r);
            match parent(child, maps, from_child_r, to_child_w) {
                Ok(()) => Ok(child),
                Err(e) => {
                    let _ = nix::sys::signal::kill(child, nix::sys::signal::Signal::SIGKILL);
                    let _ = nix::sys::wait::waitpid(child, None);
                    Err(e)
                }
            }
        }
    }
}

/// Forks a pause process in the namespaces this process is in (it joined
/// those of a running container's monitor, the old pause process being
/// gone): they are held again, and later commands join it.
pub fn spawn_here() -> Result<Pid, RootlessError> {
    // SAFETY: called, as `spawn`, by `enter_user_namespace` while this
    // process has one thread; the child only makes async-signal-safe calls
    // (see `hold`) and never returns.
    match unsafe { nix::unistd::fork() }.map_err(io("forking the pause process"))? {
        ForkResult::Child => hold(),
        ForkResult::Parent { child } => Ok(child),
    }
}

fn io(what: &'static str) -> impl FnOnce(nix::errno::Errno) -> RootlessError {
    move |e| RootlessError::io(what)(e.into())
}

fn drop_raw(fd: i32) {
    // SAFETY: close(2) is async-signal-safe; the fd is this process's copy
    // of a pipe end it does not use.
    unsafe { libc::close(fd) };
}

fn parent(
    child: Pid,
    maps: &Mappings,
    from_child: OwnedFd,
    to_child: OwnedFd,
) -> Result<(), RootlessError> {
    let mut status = [0u8; 1];
    let mut from_child = std::fs::File::from(from_child);
    from_child
        .read_exact(&mut status)
        .map_err(RootlessError::io("waiting for the pause process"))?;
    if status[0] != 0 {
        return Err(RootlessError::io("creating the user namespace")(
            std::io::Error::from_raw_os_error(i32::from(status[0])),
        ));
    }
    if maps.sub_uids.is_empty() || maps.sub_gids.is_empty() {
        tracing::error!(
            "cannot find UID/GID for user {}: no subuid ranges found for user {:?} in /etc/subuid - check rootless mode in man pages.",
            maps.user,
            maps.user
        );
        tracing::warn!("Using rootless single mapping into the namespace. This might break some images. Check /etc/subuid and /etc/subgid for adding sub*ids if not using a network user");
        single_mapping(child, maps)?;
    } else {
        map_tool("newuidmap", child, maps.uid, &maps.sub_uids)?;
        map_tool("newgidmap", child, maps.gid, &maps.sub_gids)?;
    }
    let mut to_child = std::fs::File::from(to_child);
    to_child
        .write_all(&[0])
        .map_err(RootlessError::io("releasing the pause process"))
}

fn map_tool(
    tool: &'static str,
    child: Pid,
    own: u32,
    ranges: &[(u32, u32)],
) -> Result<(), RootlessError> {
    let out = Command::new(tool)
        .arg(child.to_string())
        .args(Mappings::tool_args(own, ranges))
        .output()
        .map_err(RootlessError::io(format!("running {tool}")))?;
    if out.status.success() {
        return Ok(());
    }
    Err(RootlessError::IdMapTool {
        tool,
        stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
    })
}

/// The user's own uid and gid only (an unprivileged process may write
/// that much itself once setgroups is denied).
fn single_mapping(child: Pid, maps: &Mappings) -> Result<(), RootlessError> {
    let proc_dir = format!("/proc/{child}");
    for (file, text) in [
        ("setgroups", "deny\n".to_string()),
        ("uid_map", format!("0 {} 1\n", maps.uid)),
        ("gid_map", format!("0 {} 1\n", maps.gid)),
    ] {
        let path = format!("{proc_dir}/{file}");
        std::fs::write(&path, text).map_err(RootlessError::io(format!("writing {path}")))?;
    }
    Ok(())
}

/// The pause process after fork: only async-signal-safe calls.
fn child(report: i32, wait: i32) -> ! {
    // SAFETY: every call below is a plain system call through libc, safe
    // after fork; the buffers are on this stack; the function never
    // returns (it ends in pause(2) or _exit(2)).
    unsafe {
        let status: u8 = if libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNS) == 0 {
            0
        } else {
            u8::try_from(*libc::__errno_location()).unwrap_or(u8::MAX)
        };
        libc::write(report, (&status as *const u8).cast(), 1);
        if status != 0 {
            libc::_exit(1);
        }
        let mut go = 0u8;
        if libc::read(wait, (&mut go as *mut u8).cast(), 1) != 1 {
            libc::_exit(1);
        }
    }
    hold()
}

/// The pause process's life after fork: a session of its own, its name,
/// no files, pause(2) until killed. Only async-signal-safe calls.
fn hold() -> ! {
    // SAFETY: plain system calls through libc, safe after fork; the
    // function never returns.
    unsafe {
        libc::setsid();
        libc::prctl(
            libc::PR_SET_NAME,
            c"rpod-pause".as_ptr() as libc::c_ulong,
            0,
            0,
            0,
        );
        libc::chdir(c"/".as_ptr());
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if null >= 0 {
            libc::dup2(null, 0);
            libc::dup2(null, 1);
            libc::dup2(null, 2);
        }
        libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32);
        loop {
            libc::pause();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_args_follow_each_other() {
        assert_eq!(
            Mappings::tool_args(1001, &[(100000, 65536), (300000, 10)]),
            ["0", "1001", "1", "1", "100000", "65536", "65537", "300000", "10"]
        );
    }
}
