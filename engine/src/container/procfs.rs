//! The host's /proc as `top` and `pod top` read it: one reader of a
//! process's stat, status and cmdline, the set of all processes, a
//! process tree, and the clock both compute CPU and elapsed times with.

use rpod_api::{Error, Result};

/// One process as /proc shows it from the host.
pub struct Proc {
    pub host_pid: i32,
    pub host_ppid: i32,
    /// The PID inside the innermost PID namespace.
    pub pid: i32,
    pub comm: String,
    pub state: String,
    pub pgid: i32,
    pub tty_nr: u64,
    pub nice: i64,
    pub ticks: u64,
    pub start_ticks: u64,
    pub vsz_kib: u64,
    pub rss_kib: u64,
    pub uids: [u32; 2],
    pub gids: [u32; 2],
    /// Supplementary groups (`Groups:`).
    pub groups: Vec<u32>,
    /// Capability masks: inheritable, permitted, effective, bounding,
    /// ambient (`CapInh:` ... `CapAmb:`).
    pub caps: [u64; 5],
    /// `Seccomp:` mode (0 disabled, 1 strict, 2 filter; `?` unknown).
    pub seccomp: String,
    pub args: Vec<String>,
}

/// One process, if /proc still shows it.
pub fn read_proc(pid: i32) -> Option<Proc> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (head, tail) = stat.rsplit_once(')')?;
    let comm = head.split_once('(')?.1.to_owned();
    let f: Vec<&str> = tail.split_whitespace().collect();
    // Fields after the command, counted from `state` (field 3) as 0.
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.split_whitespace().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let ids = |key: &str| {
        let v = line(key);
        let at = |i: usize| v.get(i).and_then(|x| x.parse().ok()).unwrap_or(0);
        [at(0), at(1)]
    };
    let nspid = line("NSpid:")
        .last()
        .and_then(|v| v.parse().ok())
        .unwrap_or(pid);
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let args = cmdline
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let page_kib = nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .unwrap_or(4096) as u64
        / 1024;
    Some(Proc {
        host_pid: pid,
        host_ppid: num(1) as i32,
        pid: nspid,
        comm,
        state: f.first().copied().unwrap_or("?").to_owned(),
        pgid: num(2) as i32,
        tty_nr: num(4) as u64,
        nice: num(16),
        ticks: (num(11) + num(12)) as u64,
        start_ticks: num(19) as u64,
        vsz_kib: num(20) as u64 / 1024,
        rss_kib: num(21) as u64 * page_kib,
        uids: ids("Uid:"),
        gids: ids("Gid:"),
        groups: line("Groups:")
            .iter()
            .filter_map(|g| g.parse().ok())
            .collect(),
        caps: ["CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:"].map(|k| {
            line(k)
                .first()
                .and_then(|m| u64::from_str_radix(m, 16).ok())
                .unwrap_or(0)
        }),
        seccomp: line("Seccomp:")
            .first()
            .map_or_else(|| "?".to_owned(), |m| (*m).to_owned()),
        args,
    })
}

/// Every process the host's /proc lists (those that vanish meanwhile are
/// skipped).
pub fn all_processes() -> Result<Vec<Proc>> {
    Ok(std::fs::read_dir("/proc")
        .map_err(|e| Error::other(format!("reading /proc: {e}")))?
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(read_proc)
        .collect())
}

/// Host pids of `init` and all its descendants among `all`.
pub fn descendants(init: i32, all: &[Proc]) -> Vec<i32> {
    let mut keep = vec![init];
    loop {
        let before = keep.len();
        for p in all {
            if keep.contains(&p.host_ppid) && !keep.contains(&p.host_pid) {
                keep.push(p.host_pid);
            }
        }
        if keep.len() == before {
            return keep;
        }
    }
}

/// Clock ticks per second (`CLK_TCK`).
pub fn clock_ticks() -> u64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .unwrap_or(100) as u64
}

/// Seconds since boot (`/proc/uptime`).
pub fn uptime_secs() -> f64 {
    std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0)
}
