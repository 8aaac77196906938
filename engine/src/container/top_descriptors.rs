//! psgo's descriptors (what Podman's `top` understands): their AIX codes,
//! headers, and the formatting of the security columns (capability sets,
//! seccomp mode, LSM label) and of the start time.

/// `(name, AIX code, header)`, psgo's full list.
pub(crate) const DESCRIPTORS: &[(&str, &str, &str)] = &[
    ("args", "%a", "COMMAND"),
    ("capamb", "", "AMBIENT CAPS"),
    ("capbnd", "", "BOUNDING CAPS"),
    ("capeff", "", "EFFECTIVE CAPS"),
    ("capinh", "", "INHERITED CAPS"),
    ("capprm", "", "PERMITTED CAPS"),
    ("comm", "%c", "COMMAND"),
    ("etime", "%t", "ELAPSED"),
    ("group", "%G", "GROUP"),
    ("groups", "", "GROUPS"),
    ("hgroup", "", "HGROUP"),
    ("hgroups", "", "HGROUPS"),
    ("hpid", "", "HPID"),
    ("huid", "", "HUID"),
    ("huser", "", "HUSER"),
    ("label", "", "LABEL"),
    ("nice", "%n", "NI"),
    ("pcpu", "%C", "%CPU"),
    ("pgid", "%r", "PGID"),
    ("pid", "%p", "PID"),
    ("ppid", "%P", "PPID"),
    ("rgroup", "%g", "RGROUP"),
    ("rss", "", "RSS"),
    ("ruser", "%u", "RUSER"),
    ("seccomp", "", "SECCOMP"),
    ("state", "", "STATE"),
    ("stime", "", "STIME"),
    ("time", "%x", "TIME"),
    ("tty", "%y", "TTY"),
    ("uid", "", "UID"),
    ("user", "%U", "USER"),
    ("vsz", "%z", "VSZ"),
];

/// The descriptor a name or AIX code (`%p`) stands for.
pub(crate) fn normalize(d: &str) -> Option<&'static str> {
    let d = d.trim();
    DESCRIPTORS
        .iter()
        .find(|(n, c, _)| *n == d || (!c.is_empty() && *c == d))
        .map(|(n, _, _)| *n)
}

pub(crate) fn header(name: &str) -> &'static str {
    DESCRIPTORS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map_or("?", |(_, _, h)| *h)
}

/// Capability names by bit, as psgo prints them.
const CAPS: [&str; 41] = [
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
];

/// A capability mask as psgo prints it: `full` for every known
/// capability, `none` for none, else the sorted names.
pub(crate) fn caps_text(mask: u64) -> String {
    const FULL: u64 = (1 << CAPS.len()) - 1;
    if mask == FULL {
        return "full".into();
    }
    let mut names: Vec<&str> = (0..64)
        .filter(|bit| (mask >> bit) & 1 == 1)
        .map(|bit| CAPS.get(bit).copied().unwrap_or("unknown"))
        .collect();
    if names.is_empty() {
        return "none".into();
    }
    names.sort_unstable();
    names.join(",")
}

/// The `Seccomp:` mode's name.
pub(crate) fn seccomp_text(mode: &str) -> &'static str {
    match mode {
        "0" => "disabled",
        "1" => "strict",
        "2" => "filter",
        _ => "?",
    }
}

/// The process's LSM label (`/proc/PID/attr/current`), `?` where the host
/// has no labelling.
pub(crate) fn label(host_pid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{host_pid}/attr/current"))
        .map(|s| s.trim_end_matches(['\n', '\0']).to_owned())
        .unwrap_or_else(|_| "?".into())
}

/// The start time as Go prints a `time.Time` (`2026-12-05 02:30:00 +0000
/// UTC`), from the boot time and the start in clock ticks.
pub(crate) fn start_time(start_ticks: u64, hz: u64) -> String {
    let boot: i64 = std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("btime "))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0);
    let secs = boot + i64::try_from(start_ticks / hz.max(1)).unwrap_or(0);
    rpod_api::GoTime::from_unix_nanos(secs.saturating_mul(1_000_000_000)).go_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes() {
        assert_eq!(normalize("%p"), Some("pid"));
        assert_eq!(normalize("capeff"), Some("capeff"));
        assert_eq!(normalize("%q"), None);
        assert_eq!(header("capbnd"), "BOUNDING CAPS");
    }

    #[test]
    fn capability_sets_as_psgo_prints_them() {
        assert_eq!(caps_text(0), "none");
        assert_eq!(caps_text(0x1FF_FFFF_FFFF), "full");
        assert_eq!(caps_text(0b1 | 0b10_0000), "CHOWN,KILL");
        assert_eq!(seccomp_text("2"), "filter");
    }
}
