//! Joining the user's namespace, or creating it first: done once, at the
//! start of `main`, while the process has one thread (setns(2) into a user
//! namespace refuses a multi-threaded caller).

use std::fs::File;
use std::io::Write;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use nix::sched::{setns, CloneFlags};
use nix::unistd::Pid;

use super::pause::{self, Mappings, PAUSE_NAME};
use super::{dirs, RootlessError, ROOTLESS_UID_ENV};

/// What [`enter_user_namespace`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entered {
    /// Real root: nothing to do.
    Root,
    /// Already inside the user's namespace (a process started by rpod).
    Inside,
    /// Joined the namespace of the user's pause process (created now when
    /// `created`).
    Joined { created: bool },
}

/// For an ordinary user: join the namespace held by the user's pause
/// process, creating it first when there is none (or it is gone). Must be
/// called before any thread is started; afterwards this process is root
/// in the user's namespace, with the working directory it had.
pub fn enter_user_namespace() -> Result<Entered, RootlessError> {
    if nix::unistd::geteuid().is_root() {
        return Ok(if super::is_rootless() {
            Entered::Inside
        } else {
            Entered::Root
        });
    }
    let threads = std::fs::read_dir("/proc/self/task")
        .map(|d| d.count())
        .unwrap_or(1);
    if threads > 1 {
        return Err(RootlessError::Threaded(threads));
    }
    let uid = nix::unistd::getuid().as_raw();
    let gid = nix::unistd::getgid().as_raw();
    let dir = dirs::run_root(uid)?;
    create_private_dir(&dir)?;
    let lock = dir.join("pause.lock");
    let lock_file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock)
        .map_err(RootlessError::io(format!("opening {}", lock.display())))?;
    lock_file
        .lock()
        .map_err(RootlessError::io(format!("locking {}", lock.display())))?;
    let pid_file = dir.join("pause.pid");
    let cwd = std::env::current_dir().ok();
    let mut created = false;
    match live_pause(&pid_file, uid) {
        Some(pid) => join(pid)?,
        // The pause process was killed while containers run: their
        // namespaces are the user's still (as Podman joins conmon's).
        None => match live_monitor(&dir, uid) {
            Some(monitor) => {
                join(monitor)?;
                write_pid_file(&pid_file, pause::spawn_here()?)?;
                tracing::debug!(
                    "joined the namespace of monitor {monitor}, pause process restarted"
                );
            }
            None => {
                let pid = pause::spawn(&Mappings::of_user(uid, gid))?;
                write_pid_file(&pid_file, pid)?;
                created = true;
                join(pid)?;
            }
        },
    }
    drop(lock_file);
    // The process is still single-threaded: nothing reads the environment
    // concurrently.
    std::env::set_var(ROOTLESS_UID_ENV, uid.to_string());
    restore_cwd(cwd.as_deref());
    Ok(Entered::Joined { created })
}

/// Stops the user's pause process (`system migrate`): the next command
/// creates the namespace again, with the id ranges configured then.
/// Returns whether one was running.
pub fn stop_pause_process() -> Result<bool, RootlessError> {
    let uid = super::host_uid();
    let pid_file = dirs::run_root(uid)?.join("pause.pid");
    let Some(pid) = live_pause(&pid_file, uid) else {
        let _ = std::fs::remove_file(&pid_file);
        return Ok(false);
    };
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL)
        .map_err(|e| RootlessError::io(format!("stopping the pause process {pid}"))(e.into()))?;
    let _ = std::fs::remove_file(&pid_file);
    Ok(true)
}

fn create_private_dir(dir: &Path) -> Result<(), RootlessError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(RootlessError::io(format!("creating {}", dir.display())))
}

/// The pid in `pid_file` when it is a live pause process of this user
/// (checked by name and owner, so a reused pid is never joined).
fn live_pause(pid_file: &Path, uid: u32) -> Option<Pid> {
    let pid: i32 = std::fs::read_to_string(pid_file)
        .ok()?
        .trim()
        .parse()
        .ok()?;
    if !alive_as(pid, PAUSE_NAME) {
        return None;
    }
    // Seen from inside the namespace the user is root.
    let own = if super::is_rootless() { 0 } else { uid };
    (real_uid(pid)? == own).then_some(Pid::from_raw(pid))
}

/// A live pod-monitor of a container under run root `dir` (its
/// `containers/ID/monitor.pid`), owned by the user and in a user namespace
/// of its own: the user's namespace, held by the container.
fn live_monitor(dir: &Path, uid: u32) -> Option<Pid> {
    let own_ns = std::fs::read_link("/proc/self/ns/user").ok()?;
    std::fs::read_dir(dir.join("containers"))
        .ok()?
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("monitor.pid")).ok())
        .filter_map(|t| t.trim().parse::<i32>().ok())
        .find(|&pid| {
            alive_as(pid, "pod-monitor")
                && real_uid(pid) == Some(uid)
                && std::fs::read_link(format!("/proc/{pid}/ns/user")).is_ok_and(|ns| ns != own_ns)
        })
        .map(Pid::from_raw)
}

/// Whether `pid` runs (a zombie, whose parent did not reap it, holds no
/// namespace) under the name `comm`.
fn alive_as(pid: i32, comm: &str) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // `PID (COMM) STATE ...`: the name may hold spaces and parentheses.
    let Some((name, rest)) = stat.split_once(" (").and_then(|(_, r)| r.rsplit_once(") ")) else {
        return false;
    };
    name == comm && !matches!(rest.chars().next(), Some('Z' | 'X'))
}

fn real_uid(pid: i32) -> Option<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn write_pid_file(path: &Path, pid: Pid) -> Result<(), RootlessError> {
    let tmp = path.with_extension("pid.tmp");
    let write = || -> std::io::Result<()> {
        let mut f = File::create(&tmp)?;
        writeln!(f, "{pid}")?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(RootlessError::io(format!("writing {}", path.display())))
}

fn join(pid: Pid) -> Result<(), RootlessError> {
    let open = |ns: &str| {
        let p = PathBuf::from(format!("/proc/{pid}/ns/{ns}"));
        File::open(&p).map_err(RootlessError::io(format!("opening {}", p.display())))
    };
    let user = open("user")?;
    let mnt = open("mnt")?;
    setns(user.as_fd(), CloneFlags::CLONE_NEWUSER).map_err(|e| {
        RootlessError::io(format!("joining the user namespace of pause process {pid}"))(e.into())
    })?;
    setns(mnt.as_fd(), CloneFlags::CLONE_NEWNS).map_err(|e| {
        RootlessError::io(format!(
            "joining the mount namespace of pause process {pid}"
        ))(e.into())
    })?;
    Ok(())
}

/// setns(2) into a mount namespace moves the working directory to its
/// root: go back to the directory the command was started in.
fn restore_cwd(cwd: Option<&Path>) {
    if let Some(cwd) = cwd {
        if let Err(e) = std::env::set_current_dir(cwd) {
            tracing::warn!(
                "cannot return to {} inside the user namespace: {e}",
                cwd.display()
            );
        }
    }
}
