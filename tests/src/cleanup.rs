//! Forceful cleanup of everything a test left under its directory: processes, runtime
//! state, mounts. Every function here is best-effort and never panics, so it can run
//! from a `Drop` while a test is unwinding.

use std::collections::{BTreeSet, HashMap};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::command::try_run;

/// How long killed processes get to disappear before the next step.
const KILL_WAIT: Duration = Duration::from_secs(5);

/// Whether `haystack` contains `needle` as a byte substring.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// State letter and parent pid from `/proc/PID/stat` (the comm field may contain spaces
/// and parentheses, so parse after the last `)`).
fn stat_of(pid: i32) -> Option<(u8, i32)> {
    let stat = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    let rest = std::str::from_utf8(&stat[close + 1..]).ok()?;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.bytes().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((state, ppid))
}

/// Whether a pid is gone or a zombie (dead, waiting to be reaped).
fn is_dead(pid: i32) -> bool {
    !matches!(stat_of(pid), Some((state, _)) if state != b'Z' && state != b'X')
}

/// All pids currently listed in `/proc`.
fn all_pids() -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
        .collect()
}

/// What identifies a test directory in another process's view of the system.
struct Target<'a> {
    dir: &'a Path,
    /// `dir` relative to the root of the filesystem holding it, as the root field of a
    /// bind mount shows it in mountinfo (equal to `dir` when that filesystem is `/`).
    fs_relative: PathBuf,
    own_mnt_ns: Option<PathBuf>,
}

impl<'a> Target<'a> {
    fn new(dir: &'a Path) -> Self {
        Target {
            dir,
            fs_relative: fs_relative_path(dir),
            own_mnt_ns: std::fs::read_link("/proc/self/ns/mnt").ok(),
        }
    }

    fn in_text(&self, text: &[u8]) -> bool {
        contains(text, self.dir.as_os_str().as_bytes())
            || contains(text, self.fs_relative.as_os_str().as_bytes())
    }

    /// Whether process `pid` refers to the directory: in its argv or environment, through
    /// its cwd or root directory, or, for a process in another mount namespace (a
    /// container after pivot_root), through the mount at its `/` (an overlay whose
    /// lowerdir/upperdir options name the directory, or a bind mount of a directory in it).
    /// Other mounts of a foreign namespace are ignored: a namespace that merely copied the
    /// host's mount table (another test's container before its pivot_root) is not ours.
    fn mentioned_by(&self, pid: i32) -> bool {
        let proc_dir = PathBuf::from(format!("/proc/{pid}"));
        let needle = self.dir.as_os_str().as_bytes();
        for file in ["cmdline", "environ"] {
            if std::fs::read(proc_dir.join(file)).is_ok_and(|b| contains(&b, needle)) {
                return true;
            }
        }
        for link in ["cwd", "root"] {
            if std::fs::read_link(proc_dir.join(link)).is_ok_and(|t| t.starts_with(self.dir)) {
                return true;
            }
        }
        let mnt_ns = std::fs::read_link(proc_dir.join("ns/mnt")).ok();
        if mnt_ns.is_none() || mnt_ns == self.own_mnt_ns {
            return false;
        }
        std::fs::read(proc_dir.join("mountinfo")).is_ok_and(|info| {
            info.split(|&b| b == b'\n')
                .filter(|line| line.split(|&b| b == b' ').nth(4) == Some(b"/".as_slice()))
                .any(|root_mount| self.in_text(root_mount))
        })
    }
}

/// `dir` as seen from the root of its filesystem: the root field of the mount holding it
/// (longest mount point that is a prefix) joined with the rest of the path.
fn fs_relative_path(dir: &Path) -> PathBuf {
    let Ok(info) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return dir.to_path_buf();
    };
    info.lines()
        .filter_map(|line| {
            let mut fields = line.split(' ');
            let root = unescape_mount_path(fields.nth(3)?);
            let mount_point = unescape_mount_path(fields.next()?);
            let rest = dir.strip_prefix(&mount_point).ok()?.to_path_buf();
            // A mount at `dir` itself gives no name to recognise it by.
            if rest.as_os_str().is_empty() {
                return None;
            }
            Some((mount_point.components().count(), root.join(rest)))
        })
        .max_by_key(|(depth, _)| *depth)
        .map(|(_, path)| path)
        .unwrap_or_else(|| dir.to_path_buf())
}

/// Pids that must never be killed: this process and its ancestors.
fn protected_pids() -> BTreeSet<i32> {
    let mut protected = BTreeSet::from([1, std::process::id() as i32]);
    let mut pid = std::process::id() as i32;
    while let Some((_, ppid)) = stat_of(pid) {
        if ppid <= 1 || !protected.insert(ppid) {
            break;
        }
        pid = ppid;
    }
    protected
}

/// Live processes that refer to `dir` (argv, environment, cwd, root, or the mount at `/`
/// of a foreign mount namespace, such as a container's root filesystem) plus all their
/// descendants.
pub fn processes_under(dir: &Path) -> BTreeSet<i32> {
    let target = Target::new(dir);
    let protected = protected_pids();
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    let mut matched = Vec::new();
    for pid in all_pids() {
        if protected.contains(&pid) {
            continue;
        }
        let Some((state, ppid)) = stat_of(pid) else {
            continue;
        };
        if state == b'Z' || state == b'X' {
            continue;
        }
        children.entry(ppid).or_default().push(pid);
        if target.mentioned_by(pid) {
            matched.push(pid);
        }
    }
    let mut found = BTreeSet::new();
    while let Some(pid) = matched.pop() {
        if found.insert(pid) {
            matched.extend(children.get(&pid).into_iter().flatten().copied());
        }
    }
    found
}

/// SIGKILLs every process that mentions `dir` and their descendants, rescanning until none
/// is left (processes may fork while being killed), and waits (bounded) for them to die.
/// Returns the pids killed.
pub fn kill_processes_under(dir: &Path) -> BTreeSet<i32> {
    let mut killed = BTreeSet::new();
    for _round in 0..10 {
        let found = processes_under(dir);
        if found.is_empty() {
            break;
        }
        for &pid in &found {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
        let deadline = Instant::now() + KILL_WAIT;
        while !found.iter().all(|&pid| is_dead(pid)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        killed.extend(found);
    }
    killed
}

/// For each OCI runtime state directory `<runroot>/runc` and `<runroot>/crun` that exists,
/// force-deletes every container the runtime still lists there.
pub fn delete_runtime_containers(runroot: &Path) {
    for runtime in ["runc", "crun"] {
        let state_root = runroot.join(runtime);
        if !state_root.is_dir() {
            continue;
        }
        let mut list = Command::new(runtime);
        list.arg("--root")
            .arg(&state_root)
            .args(["list", "-q"])
            .stdin(Stdio::null());
        let Ok(out) = try_run(&mut list, Duration::from_secs(10)) else {
            continue;
        };
        for id in String::from_utf8_lossy(&out.stdout).split_whitespace() {
            let mut delete = Command::new(runtime);
            delete
                .arg("--root")
                .arg(&state_root)
                .args(["delete", "--force", id])
                .stdin(Stdio::null());
            if let Err(e) = try_run(&mut delete, Duration::from_secs(10)) {
                eprintln!("rpod-tests cleanup: {runtime} delete --force {id}: {e}");
            }
        }
    }
}

/// Decodes the octal escapes (`\040` etc.) the kernel uses in `/proc/*/mountinfo` paths.
fn unescape_mount_path(field: &str) -> PathBuf {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes.get(i + 1..i + 4).and_then(|d| {
            d.iter()
                .all(|c| (b'0'..=b'7').contains(c))
                .then(|| d.iter().fold(0u32, |acc, c| acc * 8 + u32::from(c - b'0')))
        });
        match (bytes[i], octal) {
            (b'\\', Some(value)) if value <= 0xff => {
                out.push(value as u8);
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    PathBuf::from(OsStr::from_bytes(&out))
}

/// Mount points at or under `dir` in this process's mount namespace, in mountinfo order
/// (a later line may be stacked on an earlier one).
pub fn mounts_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(info) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    info.lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(unescape_mount_path)
        .filter(|mount_point| mount_point.starts_with(dir))
        .collect()
}

/// Lazily unmounts (MNT_DETACH) every mount at or under `dir`, deepest and most recent
/// first, repeating while stacked mounts remain. Returns the mounts still present.
pub fn unmount_under(dir: &Path) -> Vec<PathBuf> {
    for _round in 0..20 {
        let mut mounts: Vec<(usize, PathBuf)> = mounts_under(dir).into_iter().enumerate().collect();
        if mounts.is_empty() {
            return Vec::new();
        }
        mounts.sort_by(|(ia, a), (ib, b)| {
            let depth = |p: &PathBuf| p.components().count();
            depth(b).cmp(&depth(a)).then(ib.cmp(ia))
        });
        for (_, mount_point) in mounts {
            let _ = nix::mount::umount2(&mount_point, nix::mount::MntFlags::MNT_DETACH);
        }
    }
    mounts_under(dir)
}

/// Deletes the network interface `name` (a test root's bridge that its last
/// container did not take with it). Best effort.
pub fn delete_bridge(name: &str) {
    if !Path::new("/sys/class/net").join(name).exists() {
        return;
    }
    let mut cmd = Command::new("ip");
    cmd.args(["link", "del", name])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Err(e) = try_run(&mut cmd, Duration::from_secs(10)) {
        eprintln!("rpod-tests cleanup: ip link del {name}: {e}");
    }
}
