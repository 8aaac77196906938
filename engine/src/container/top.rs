//! `top`'s process table, built from the host's /proc: Podman's (psgo's)
//! AIX-style descriptors read from /proc, PIDs as seen inside the container.
//! Arguments that are not descriptors (`-eo pid,comm`) are handed to the
//! host's ps(1) run inside the container's PID namespace with its own /proc,
//! as Podman does. `pod top` shares the /proc reader ([`super::procfs`]).

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use rpod_api::{Error, Result};

use super::procfs::{all_processes, clock_ticks, descendants, uptime_secs, Proc};
use super::top_descriptors::{
    caps_text, header, label, normalize, seccomp_text, start_time, DESCRIPTORS,
};

/// Ids joined with commas, each through `f`.
fn join_ids(ids: &[u32], f: impl Fn(u32) -> String) -> String {
    ids.iter().map(|&i| f(i)).collect::<Vec<_>>().join(",")
}

/// psgo's default descriptors.
const DEFAULT_DESCRIPTORS: &[&str] = &[
    "user", "pid", "ppid", "pcpu", "etime", "tty", "time", "args",
];

/// The descriptors `top` reads itself, sorted.
pub(crate) fn descriptors() -> Vec<String> {
    let mut names: Vec<String> = DESCRIPTORS
        .iter()
        .map(|(n, _, _)| (*n).to_owned())
        .collect();
    names.sort_unstable();
    names
}

/// The process table of the container whose first process is `pid`: a header line
/// and a line per process, cells separated by tabs.
pub(crate) fn table(pid: i32, descriptors: &[String]) -> Result<Vec<String>> {
    // Comma-separated descriptors are accepted too.
    let split: Vec<String> = descriptors
        .iter()
        .flat_map(|d| d.split(','))
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let known: Option<Vec<&str>> = split.iter().map(|d| normalize(d)).collect();
    let text = if let Some(known) = known {
        let wanted: Vec<&str> = if known.is_empty() {
            DEFAULT_DESCRIPTORS.to_vec()
        } else {
            known
        };
        descriptor_table(pid, &wanted)?
    } else {
        ps_in_namespace(pid, descriptors)?
    };
    Ok(text.lines().map(str::to_owned).collect())
}

/// The psgo table of the container whose first process is `pid` (the lines
/// of [`table`]); a name that is not a descriptor fails as in psgo
/// (`'NAME': unknown descriptor`): `pod top` has no ps(1) fallback.
pub(crate) fn descriptors_table(pid: i32, descriptors: &[String]) -> Result<Vec<String>> {
    let mut wanted = Vec::new();
    for d in descriptors
        .iter()
        .flat_map(|d| d.split(','))
        .filter(|s| !s.is_empty())
    {
        wanted.push(normalize(d).ok_or_else(|| {
            Error::new(
                rpod_api::ErrorKind::InvalidArgument,
                format!("'{d}': unknown descriptor"),
            )
        })?);
    }
    if wanted.is_empty() {
        wanted = DEFAULT_DESCRIPTORS.to_vec();
    }
    Ok(descriptor_table(pid, &wanted)?
        .lines()
        .map(str::to_owned)
        .collect())
}

/// The processes of the container whose first process is `pid`: every
/// process of its PID namespace, or its descendants when it shares the
/// host's.
fn container_processes(pid: i32) -> Result<Vec<Proc>> {
    let ns = |p: &str| std::fs::read_link(format!("/proc/{p}/ns/pid")).ok();
    let target = ns(&pid.to_string())
        .ok_or_else(|| Error::other(format!("reading the PID namespace of process {pid}")))?;
    let own = ns("self");
    let all = all_processes()?;
    let mut procs: Vec<Proc> = if own.as_ref() != Some(&target) {
        all.into_iter()
            .filter(|p| ns(&p.host_pid.to_string()).as_ref() == Some(&target))
            .collect()
    } else {
        let keep = descendants(pid, &all);
        all.into_iter()
            .filter(|p| keep.contains(&p.host_pid))
            .collect()
    };
    procs.sort_by_key(|p| p.pid);
    Ok(procs)
}

/// Names of ids from a passwd or group file (`name:x:id:...`).
fn id_names(path: &Path) -> HashMap<u32, String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            let id = f.nth(1)?.parse().ok()?;
            Some((id, name.to_owned()))
        })
        .collect()
}

fn descriptor_table(pid: i32, wanted: &[&str]) -> Result<String> {
    let procs = container_processes(pid)?;
    let root = Path::new("/proc").join(pid.to_string()).join("root/etc");
    let users = id_names(&root.join("passwd"));
    let groups = id_names(&root.join("group"));
    let host_users = id_names(Path::new("/etc/passwd"));
    let host_groups = id_names(Path::new("/etc/group"));
    let name = |m: &HashMap<u32, String>, id: u32| m.get(&id).cloned().unwrap_or(id.to_string());
    let hz = clock_ticks();
    let uptime = uptime_secs();
    let inner_pid: HashMap<i32, i32> = procs.iter().map(|p| (p.host_pid, p.pid)).collect();
    let mut out = String::new();
    let headers: Vec<&str> = wanted.iter().map(|w| header(w)).collect();
    out.push_str(&headers.join("\t"));
    out.push('\n');
    for p in &procs {
        let elapsed = (uptime - p.start_ticks as f64 / hz as f64).max(0.0);
        let cpu_secs = p.ticks / hz;
        let cells: Vec<String> = wanted
            .iter()
            .map(|w| match *w {
                "args" if p.args.is_empty() => format!("[{}]", p.comm),
                "args" => p.args.join(" "),
                "comm" => p.comm.clone(),
                "etime" => rpod_api::time::go_duration(Duration::from_secs_f64(elapsed)),
                "capinh" => caps_text(p.caps[0]),
                "capprm" => caps_text(p.caps[1]),
                "capeff" => caps_text(p.caps[2]),
                "capbnd" => caps_text(p.caps[3]),
                "capamb" => caps_text(p.caps[4]),
                "group" => name(&groups, p.gids[1]),
                "groups" => join_ids(&p.groups, |g| name(&groups, g)),
                "hgroups" => join_ids(&p.groups, |g| g.to_string()),
                "label" => label(p.host_pid),
                "seccomp" => seccomp_text(&p.seccomp).to_owned(),
                "stime" => start_time(p.start_ticks, hz),
                "hgroup" => name(&host_groups, crate::rootless::host_gid_of(p.gids[1])),
                "hpid" => p.host_pid.to_string(),
                "huid" => crate::rootless::host_uid_of(p.uids[1]).to_string(),
                "huser" => name(&host_users, crate::rootless::host_uid_of(p.uids[1])),
                "nice" => p.nice.to_string(),
                "pcpu" => {
                    let pcpu = if elapsed > 0.0 {
                        100.0 * cpu_secs as f64 / elapsed
                    } else {
                        0.0
                    };
                    format!("{pcpu:.3}")
                }
                "pgid" => p.pgid.to_string(),
                "pid" => p.pid.to_string(),
                "ppid" => inner_pid
                    .get(&p.host_ppid)
                    .copied()
                    .unwrap_or(0)
                    .to_string(),
                "rgroup" => name(&groups, p.gids[0]),
                "rss" => p.rss_kib.to_string(),
                "ruser" => name(&users, p.uids[0]),
                "state" => p.state.clone(),
                "time" => rpod_api::time::go_duration(Duration::from_secs(cpu_secs)),
                "tty" => tty_name(p.tty_nr),
                "uid" => p.uids[1].to_string(),
                "user" => name(&users, p.uids[1]),
                "vsz" => p.vsz_kib.to_string(),
                _ => String::new(),
            })
            .collect();
        out.push_str(&cells.join("\t"));
        out.push('\n');
    }
    Ok(out)
}

/// The terminal of a `tty_nr` as ps names it (`pts/0`), `?` for none.
fn tty_name(tty_nr: u64) -> String {
    let major = (tty_nr >> 8) & 0xfff;
    let minor = (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00);
    match major {
        0 => "?".into(),
        136..=143 => format!("pts/{}", minor + (major - 136) * 256),
        4 if minor < 64 => format!("tty{minor}"),
        4 => format!("ttyS{}", minor - 64),
        _ => "?".into(),
    }
}

/// Runs the host's ps(1) with `args` in the PID namespace of `pid`, with a
/// /proc of that namespace (nsenter and unshare from util-linux do the
/// namespace work Podman does in a re-exec of itself). The ps process
/// itself is left out of the output, as Podman does.
fn ps_in_namespace(pid: i32, args: &[String]) -> Result<String> {
    let ps_args: Vec<String> = if args.len() == 1 {
        shlex::split(&args[0])
            .ok_or_else(|| Error::other(format!("parsing ps args: {}", args[0])))?
    } else {
        args.to_vec()
    };
    let out = std::process::Command::new("nsenter")
        .args([
            "-t",
            &pid.to_string(),
            "-p",
            "--",
            "unshare",
            "-m",
            "--mount-proc",
            "ps",
        ])
        .args(&ps_args)
        .env_clear()
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .output()
        .map_err(|e| {
            Error::other(format!(
                "could not execute ps(1) in the container pid namespace: {e}"
            ))
        })?;
    if !out.status.success() {
        return Err(Error::other(format!(
            "ps(1) failed with exit code {}: {}",
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).trim_end()
        )));
    }
    let cmd = args.join(" ");
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text
        .lines()
        .filter(|l| !l.contains(&cmd))
        .map(|l| format!("{l}\n"))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_as_go_prints_them() {
        assert_eq!(rpod_api::time::go_duration(Duration::ZERO), "0s");
        assert_eq!(
            rpod_api::time::go_duration(Duration::from_millis(1500)),
            "1.5s"
        );
        assert_eq!(
            rpod_api::time::go_duration(Duration::from_secs(120)),
            "2m0s"
        );
        assert_eq!(
            rpod_api::time::go_duration(Duration::from_secs(3723)),
            "1h2m3s"
        );
        assert_eq!(
            rpod_api::time::go_duration(Duration::from_micros(2500)),
            "2.5ms"
        );
        assert_eq!(
            rpod_api::time::go_duration(Duration::from_nanos(2_487_258_042)),
            "2.487258042s"
        );
    }

    #[test]
    fn tty_names() {
        assert_eq!(tty_name(0), "?");
        assert_eq!(tty_name((136 << 8) | 3), "pts/3");
        assert_eq!(tty_name((4 << 8) | 1), "tty1");
    }
}
