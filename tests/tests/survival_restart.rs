//! Restart policies are enforced by the monitor alone: no rpod process is
//! needed for a container to come back, and `stop` ends it for good.

mod common;
mod survival_util;

use std::time::{Duration, Instant};

use common::{alive, busybox, inspect, state_of};
use rpod_tests::{unique_name, wait_until};
use survival_util::{event_statuses, kill9, rpod_processes};

#[test]
fn on_failure_3_restarts_exactly_three_times_without_any_rpod_process() {
    let (w, img) = busybox();
    let name = unique_name("onfail");
    let id = w
        .env
        .ok(&[
            "run",
            "-d",
            "--restart",
            "on-failure:3",
            "--name",
            &name,
            &img,
            "sh",
            "-c",
            "echo run; sleep 0.3; exit 1",
        ])
        .trim()
        .to_owned();
    let c = inspect(&w.env, &name);
    let monitor = c["State"]["ConmonPid"].as_i64().unwrap();
    assert_eq!(c["HostConfig"]["RestartPolicy"]["Name"], "on-failure");
    assert_eq!(c["HostConfig"]["RestartPolicy"]["MaximumRetryCount"], 3);
    // Until the final exit, the monitor does everything alone.
    let restart_file = w
        .env
        .root()
        .join("containers")
        .join(&id)
        .join("restart.json");
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut saw_restarting = false;
    while alive(monitor) {
        assert!(Instant::now() < deadline, "the monitor never finished");
        let st: serde_json::Value = std::fs::read(&restart_file)
            .ok()
            .and_then(|d| serde_json::from_slice(&d).ok())
            .unwrap_or_default();
        if st["count"].as_u64().unwrap_or(0) < 3 {
            assert_eq!(rpod_processes(&w.env), Vec::<i32>::new(), "{st}");
        }
        saw_restarting |= st["restarting"] == true;
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(saw_restarting);
    let c = inspect(&w.env, &name);
    assert_eq!(c["State"]["Status"], "exited", "{c}");
    assert_eq!(c["State"]["ExitCode"], 1);
    assert_eq!(c["RestartCount"], 3);
    assert_eq!(w.env.ok(&["logs", &name]), "run\n".repeat(4));
    let statuses = event_statuses(&w.env, &id);
    assert_eq!(
        statuses.iter().filter(|s| *s == "died").count(),
        4,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| *s == "restart").count(),
        3,
        "{statuses:?}"
    );
    // A user start resets the count.
    w.env.ok(&["start", &name]);
    assert_eq!(inspect(&w.env, &name)["RestartCount"], 0);
}

#[test]
fn always_comes_back_after_a_kill_and_stop_ends_it_for_good() {
    let (w, img) = busybox();
    let name = unique_name("always");
    w.env.ok(&[
        "run",
        "-d",
        "--restart",
        "always",
        "--name",
        &name,
        &img,
        "sh",
        "-c",
        "echo up; exec sleep 300",
    ]);
    let c = inspect(&w.env, &name);
    let first = c["State"]["Pid"].as_i64().unwrap();
    let monitor = c["State"]["ConmonPid"].as_i64().unwrap();
    assert!(alive(first));
    kill9(first);
    wait_until(
        Duration::from_secs(20),
        "the container to come back",
        || {
            let c = inspect(&w.env, &name);
            let pid = c["State"]["Pid"].as_i64().unwrap();
            c["State"]["Status"] == "running" && pid != first && alive(pid)
        },
    );
    let c = inspect(&w.env, &name);
    assert_eq!(c["RestartCount"], 1);
    assert_eq!(c["State"]["ConmonPid"].as_i64().unwrap(), monitor);
    let ps = w.env.ok(&["ps", "--format", "{{.Names}} {{.Status}}"]);
    assert!(ps.contains(&format!("{name} Up")), "{ps}");
    let second = c["State"]["Pid"].as_i64().unwrap();
    w.env.ok(&["stop", "-t", "1", &name]);
    assert_eq!(state_of(&w.env, &name), "exited");
    assert!(!alive(second));
    wait_until(Duration::from_secs(10), "the monitor to finish", || {
        !alive(monitor)
    });
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(state_of(&w.env, &name), "exited");
    assert_eq!(inspect(&w.env, &name)["RestartCount"], 1);
    assert_eq!(w.env.ok(&["logs", &name]), "up\nup\n");
}

#[test]
fn kill_disables_the_policy_and_no_never_restarts() {
    let (w, img) = busybox();
    let name = unique_name("killed");
    w.env.ok(&[
        "run",
        "-d",
        "--restart",
        "always",
        "--name",
        &name,
        &img,
        "sleep",
        "300",
    ]);
    w.env.ok(&["kill", &name]);
    common::wait_state(&w.env, &name, "exited");
    assert_eq!(inspect(&w.env, &name)["RestartCount"], 0);
    let no = unique_name("no");
    w.env
        .ok(&["run", "-d", "--restart", "no", "--name", &no, &img, "false"]);
    common::wait_state(&w.env, &no, "exited");
    assert_eq!(inspect(&w.env, &no)["RestartCount"], 0);
    let out = w.env.run(&["create", "--restart", "sometimes", &img]);
    assert_eq!(out.status.code(), Some(125));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid restart policy"));
}

/// `wait` on a container whose restart policy keeps running it returns
/// the code of a run's exit (Podman #18572) instead of waiting for a
/// final exit that never comes; the container goes on restarting.
#[test]
fn wait_returns_at_a_run_exit_of_a_restarting_container() {
    let (w, img) = common::busybox();
    for policy in ["always", "on-failure"] {
        let name = rpod_tests::unique_name("rwait");
        let restart = format!("--restart={policy}");
        w.env
            .ok(&["run", "-d", &restart, "--name", &name, &img, "false"]);
        assert_eq!(w.env.ok(&["wait", &name]), "1\n", "{policy}");
        w.env.ok(&["rm", "-f", "-t0", &name]);
    }
}
