//! `run --rm` leaves its container's monitor to finish on its own: the
//! foreground removes the container while the monitor still runs its
//! cleanup command, and must not take that monitor for a stale one and
//! SIGKILL it (a kill and a wait on every run, and a monitor that never
//! reports how its cleanup went).

mod common;

use std::time::{Duration, Instant};

use common::busybox;

/// Runs `run --rm` several times (the foreground and the monitor's cleanup
/// race for the container's lock; the foreground wins most runs), with
/// this process as the child subreaper, so every pod-monitor re-parents
/// here and its end status can be read.
#[test]
fn run_rm_never_kills_its_own_monitor() {
    const RUNS: usize = 5;
    let (w, img) = busybox();
    // SAFETY: plain prctl(2) on this process; no memory is passed.
    let rc = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    assert_eq!(rc, 0, "PR_SET_CHILD_SUBREAPER");
    for _ in 0..RUNS {
        assert_eq!(w.env.ok(&["run", "--rm", &img, "echo", "ok"]), "ok\n");
    }
    // Each monitor ends once its cleanup command (which finds the
    // container gone) has ended.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut monitors = Vec::new();
    while monitors.len() < RUNS {
        match reap_one() {
            Some((comm, status)) if comm == "pod-monitor" => monitors.push(status),
            Some(_) => {}
            None => {
                assert!(
                    Instant::now() < deadline,
                    "only {} of {RUNS} monitors ended: {monitors:?}",
                    monitors.len()
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
    for status in &monitors {
        assert!(
            libc::WIFEXITED(*status),
            "a monitor was killed (wait status {status:#x}, signal {}): all {monitors:?}",
            libc::WTERMSIG(*status)
        );
    }
    assert_eq!(w.env.ok(&["ps", "-aq"]), "", "--rm containers are gone");
}

/// Reaps one ended descendant re-parented to this process, if any: its
/// command name and wait status. Children this process started itself (the
/// registry) do not end while the test runs.
fn reap_one() -> Option<(String, i32)> {
    // SAFETY: an all-zero siginfo_t is a valid value for waitid to fill.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: waitid(2) with a valid, exclusively borrowed siginfo_t;
    // WNOWAIT leaves the zombie to be read and reaped below.
    let rc = unsafe {
        libc::waitid(
            libc::P_ALL,
            0,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        )
    };
    // SAFETY: waitid filled `info` for a child event (or left it zeroed).
    let pid = unsafe { info.si_pid() };
    if rc != 0 || pid == 0 {
        return None;
    }
    // A zombie keeps its command name.
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_owned();
    let mut status = 0;
    // SAFETY: waitpid(2) on the zombie found above, with a valid pointer.
    let reaped = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(reaped, pid, "reaping {pid} ({comm})");
    Some((comm, status))
}
