//! Crash recovery: every step of create/start/stop/rm can be cut off by
//! SIGKILL (fault injection through `RPOD_FAULT`); afterwards `ps -a` is
//! consistent and `rm -f` cleans every mount, monitor and lock.

mod common;
mod survival_util;

use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use common::{alive, busybox, inspect, World};
use rpod_tests::{unique_name, wait_until};
use survival_util::{kill9, lock_files, monitor_processes};

/// Runs `args` with the fault at `step`; the command must die by SIGKILL.
fn die_at(w: &World, step: &str, args: &[&str]) {
    let mut cmd = w.env.cmd(args);
    cmd.env("RPOD_FAULT", step)
        .stdin(std::process::Stdio::null());
    let out = rpod_tests::run_with_timeout(&mut cmd, Duration::from_secs(60));
    assert_eq!(
        out.status.signal(),
        Some(9),
        "rpod {args:?} did not die at {step}: {out:?}"
    );
}

/// `ps -a` lists `name` in one of `states`; then `rm -f` leaves nothing.
fn check_and_clean(w: &World, step: &str, name: &str, states: &[&str]) {
    let ps = w.env.ok(&["ps", "-a", "--format", "{{.Names}} {{.State}}"]);
    let state = ps
        .lines()
        .find(|l| l.split(' ').next() == Some(name))
        .map_or("gone", |l| l.split(' ').nth(1).unwrap());
    assert!(
        states.contains(&state),
        "{step}: unexpected state {state} in\n{ps}"
    );
    // What ps says must agree with the process table.
    if state == "running" {
        let c = inspect(&w.env, name);
        assert!(alive(c["State"]["Pid"].as_i64().unwrap()), "{step}: {c}");
    }
    // A removal the monitor's cleanup finished meanwhile is fine too.
    let out = w.env.run(&["rm", "-f", "-t", "0", name]);
    assert!(
        out.status.success() || states.contains(&"gone"),
        "{step}: rm -f: {out:?}"
    );
    assert!(
        !w.env
            .ok(&["ps", "-a", "--format", "{{.Names}}"])
            .contains(name),
        "{step}"
    );
    wait_until(
        Duration::from_secs(20),
        &format!("{step}: monitors gone"),
        || monitor_processes(&w.env).is_empty(),
    );
    assert!(
        common::mounts(&w.env).is_empty(),
        "{step}: {:?}",
        common::mounts(&w.env)
    );
    assert_eq!(
        lock_files(&w.env),
        Vec::<std::path::PathBuf>::new(),
        "{step}"
    );
    let runc = w.env.runroot().join("runc");
    let left: Vec<_> = std::fs::read_dir(&runc)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{step}: runtime state left: {left:?}");
    let run_dirs: Vec<_> = std::fs::read_dir(w.env.runroot().join("containers"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(run_dirs.is_empty(), "{step}: run dirs left: {run_dirs:?}");
}

#[test]
fn create_and_start_cut_off_at_every_step() {
    let (w, img) = busybox();
    let name = unique_name("crash");
    die_at(
        &w,
        "create.after-insert",
        &["create", "--name", &name, &img, "sleep", "300"],
    );
    check_and_clean(&w, "create.after-insert", &name, &["created"]);
    // `start` of a created container creates and starts it in one runtime
    // invocation (`runc run --detach`): cut off after it, before the row
    // is written, the row still says created (the next start or rm -f
    // kills the process with the runtime's state). A terminal container
    // started attached is created first (initialized), so its terminal
    // can be sized before it starts, then started by `runtime start`.
    for (tty, step, states) in [
        (false, "start.after-mount", &["created"][..]),
        (false, "start.after-spawn", &["created"]),
        (false, "start.after-create", &["created"]),
        (true, "start.after-create", &["created"]),
        (true, "start.before-runtime-start", &["initialized"]),
        (true, "start.after-runtime-start", &["running"]),
    ] {
        let name = unique_name("crash");
        if tty {
            w.env
                .ok(&["create", "-t", "--name", &name, &img, "sleep", "300"]);
            die_at(&w, step, &["start", "-a", &name]);
        } else {
            w.env.ok(&["create", "--name", &name, &img, "sleep", "300"]);
            die_at(&w, step, &["start", &name]);
        }
        check_and_clean(&w, step, &name, states);
    }
    // After a cut-off start, a new start works (no stale monitor writes
    // into the new run's files).
    let name = unique_name("crash");
    w.env.ok(&["create", "--name", &name, &img, "sleep", "300"]);
    die_at(&w, "start.after-create", &["start", &name]);
    w.env.ok(&["start", &name]);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(common::state_of(&w.env, &name), "running");
    check_and_clean(&w, "restart after crash", &name, &["running"]);
}

#[test]
fn stop_and_rm_cut_off_at_every_step() {
    let (w, img) = busybox();
    for (args, step, states) in [
        (
            &["stop", "-t", "1"][..],
            "stop.after-mark",
            &["running"][..],
        ),
        (
            &["stop", "-t", "1"],
            "stop.after-signal",
            &["running", "stopping", "exited"],
        ),
        (&["stop", "-t", "1"], "stop.after-exit", &["exited"]),
        (
            &["rm", "-f", "-t", "0"],
            "rm.after-mark",
            &["removing", "gone"],
        ),
        (
            &["rm", "-f", "-t", "0"],
            "rm.after-release",
            &["removing", "gone"],
        ),
        (
            &["rm", "-f", "-t", "0"],
            "rm.after-storage",
            &["removing", "gone"],
        ),
        (
            &["rm", "-f", "-t", "0"],
            "rm.before-delete-row",
            &["removing", "gone"],
        ),
    ] {
        let name = unique_name("crash");
        w.env
            .ok(&["run", "-d", "--name", &name, &img, "sleep", "300"]);
        let mut full = args.to_vec();
        full.push(&name);
        die_at(&w, step, &full);
        check_and_clean(&w, step, &name, states);
    }
}

#[test]
fn a_killed_monitor_is_reported_truthfully_and_stop_cleans_up() {
    let (w, img) = busybox();
    let name = unique_name("nomon");
    w.env
        .ok(&["run", "-d", "--name", &name, &img, "sleep", "300"]);
    let c = inspect(&w.env, &name);
    let pid = c["State"]["Pid"].as_i64().unwrap();
    kill9(c["State"]["ConmonPid"].as_i64().unwrap());
    // Never "running" without its monitor, and never "exited" while the
    // process still runs: the orphan is killed when the death is noticed.
    wait_until(Duration::from_secs(10), "exited", || {
        common::state_of(&w.env, &name) == "exited"
    });
    assert!(!alive(pid));
    let c = inspect(&w.env, &name);
    assert_eq!(c["State"]["ExitCode"], -1);
    assert!(c["State"]["Error"]
        .as_str()
        .unwrap()
        .contains("pod-monitor"));
    w.env.ok(&["stop", &name]);
    assert!(common::mounts(&w.env).is_empty());
    w.env.ok(&["start", &name]);
    assert_eq!(common::state_of(&w.env, &name), "running");
    check_and_clean(&w, "after monitor death", &name, &["running"]);
}

#[test]
fn stop_that_finds_the_monitor_dead_fails_once_as_podman() {
    let (w, img) = busybox();
    let name = unique_name("stopdead");
    w.env
        .ok(&["run", "-d", "--name", &name, &img, "sleep", "300"]);
    let c = inspect(&w.env, &name);
    let (pid, monitor) = (
        c["State"]["Pid"].as_i64().unwrap(),
        c["State"]["ConmonPid"].as_i64().unwrap(),
    );
    kill9(monitor);
    wait_until(Duration::from_secs(10), "monitor gone", || !alive(monitor));
    // The stop is the first to notice: Podman's error, 125; the container
    // is exited and cleaned up all the same.
    let (code, err) = w.env.fails(&["stop", "-t0", &name]);
    assert_eq!(code, 125);
    assert!(
        err.contains(
            "conmon exited prematurely, exit code could not be retrieved: conmon process killed"
        ),
        "{err}"
    );
    assert_eq!(common::state_of(&w.env, &name), "exited");
    assert!(!alive(pid));
    assert!(common::mounts(&w.env).is_empty());
    // Only once: a second stop of the exited container succeeds.
    assert_eq!(w.env.ok(&["stop", "-t0", &name]).trim(), name);
    w.env.ok(&["rm", &name]);
}
