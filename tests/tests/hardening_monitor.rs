//! A SIGKILLed pod-monitor: the workload is not tied to the monitor's life;
//! the next command makes the state honest (Podman's "conmon exited
//! prematurely" class: exited, exit code -1, `.State.Error` says why) and
//! `rm -f -t0` cleans up completely.

mod common;
mod survival_util;

use std::time::Duration;

use common::{alive, busybox, inspect};
use rpod_tests::wait_until;
use survival_util::monitor_processes;

fn kill9(pid: i64) {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    wait_until(Duration::from_secs(10), "monitor gone", || !alive(pid));
}

fn entries(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn rm_force_after_a_killed_monitor_cleans_up_completely() {
    let (w, img) = busybox();
    w.env
        .ok(&["run", "-d", "--name", "nomon", &img, "sleep", "1000"]);
    let c = inspect(&w.env, "nomon");
    let id = c["Id"].as_str().unwrap().to_owned();
    let pid = c["State"]["Pid"].as_i64().unwrap();
    kill9(c["State"]["ConmonPid"].as_i64().unwrap());
    // Not tied to the monitor: the workload outlives it.
    std::thread::sleep(Duration::from_millis(300));
    assert!(alive(pid), "the workload died with its monitor");

    // Straight to `rm -f -t0`, as Podman's "podman rm after killed conmon".
    w.env.ok(&["rm", "-f", "-t", "0", "nomon"]);
    let (code, err) = w.env.fails(&["container", "inspect", "nomon"]);
    assert_eq!(code, 125);
    assert!(err.contains("no such container \"nomon\""), "{err}");
    assert!(!alive(pid), "workload left running");
    assert!(
        common::mounts(&w.env).is_empty(),
        "{:?}",
        common::mounts(&w.env)
    );
    assert!(monitor_processes(&w.env).is_empty());
    let runroot = w.env.runroot();
    assert!(!runroot.join("containers").join(&id).exists());
    for dir in ["runc", "crun"] {
        assert!(
            !entries(&runroot.join(dir)).contains(&id),
            "runtime state of {id} left in {dir}"
        );
    }
    assert!(!entries(&runroot.join("locks"))
        .iter()
        .any(|l| l.starts_with(&id)));
    assert!(!w.env.root().join("storage/containers").join(&id).exists());
    assert!(!w.env.root().join("containers").join(&id).exists());

    // The history says how it ended: died (exit code -1) before removal.
    let statuses = w.env.event_statuses("nomon");
    let died = statuses.iter().position(|s| *s == "died");
    let removed = statuses.iter().position(|s| *s == "remove");
    assert!(
        died.is_some() && removed.is_some() && died < removed,
        "{statuses:?}"
    );
}

#[test]
fn the_next_command_after_a_killed_monitor_reports_the_truth() {
    let (w, img) = busybox();
    w.env
        .ok(&["run", "-d", "--name", "nomon", &img, "sleep", "1000"]);
    let c = inspect(&w.env, "nomon");
    let pid = c["State"]["Pid"].as_i64().unwrap();
    kill9(c["State"]["ConmonPid"].as_i64().unwrap());
    let ps = w.env.ok(&["ps", "-a", "--format", "{{.Names}} {{.State}}"]);
    assert_eq!(ps.trim(), "nomon exited");
    assert!(!alive(pid), "reported exited while the workload runs");
    let c = inspect(&w.env, "nomon");
    assert_eq!(c["State"]["ExitCode"], -1);
    let error = c["State"]["Error"].as_str().unwrap();
    assert!(
        error.contains("pod-monitor") && error.contains("exit code could not be retrieved"),
        "{error}"
    );
    w.env.ok(&["rm", "-f", "-t", "0", "nomon"]);
    assert!(
        common::mounts(&w.env).is_empty(),
        "{:?}",
        common::mounts(&w.env)
    );
}
