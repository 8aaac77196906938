//! Health checks scheduled by the monitor: status in ps/inspect, events,
//! `healthcheck run`, and the on-failure actions.

mod common;
mod survival_util;

use std::time::Duration;

use common::{busybox, inspect, state_of};
use rpod_tests::{unique_name, wait_until};

fn health(env: &rpod_tests::TestEnv, name: &str) -> String {
    inspect(env, name)["State"]["Health"]["Status"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

/// `run -d --name NAME FLAGS... IMAGE CMD...`: the container's id.
fn run_detached(env: &rpod_tests::TestEnv, name: &str, flags: &[&str], cmd: &[&str]) -> String {
    let mut args = vec!["run", "-d", "--name", name];
    args.extend_from_slice(flags);
    args.extend_from_slice(cmd);
    env.ok(&args).trim().to_owned()
}

#[test]
fn status_follows_the_check_and_is_shown_everywhere() {
    let (w, img) = busybox();
    let name = unique_name("hc");
    let id = w
        .env
        .ok(&[
            "run",
            "-d",
            "--name",
            &name,
            "--health-cmd",
            "test -e /tmp/ok",
            "--health-interval",
            "1s",
            "--health-retries",
            "2",
            &img,
            "sh",
            "-c",
            "touch /tmp/ok; sleep 300",
        ])
        .trim()
        .to_owned();
    let c = inspect(&w.env, &name);
    assert_eq!(
        c["Config"]["Healthcheck"]["Test"],
        serde_json::json!(["CMD-SHELL", "test -e /tmp/ok"])
    );
    assert_eq!(c["Config"]["Healthcheck"]["Interval"], 1_000_000_000u64);
    wait_until(Duration::from_secs(15), "healthy", || {
        health(&w.env, &name) == "healthy"
    });
    // Podman's older name, a method of the state.
    let fmt = "{{.State.Healthcheck.Status}} {{.State.Healthcheck.FailingStreak}}";
    assert_eq!(
        w.env.ok(&["inspect", "--format", fmt, &name]).trim(),
        "healthy 0"
    );
    let ps = w.env.ok(&["ps", "--format", "{{.Names}} {{.Status}}"]);
    assert!(
        ps.contains(&format!("{name} Up")) && ps.contains("(healthy)"),
        "{ps}"
    );
    assert_eq!(
        w.env.run(&["healthcheck", "run", &name]).status.code(),
        Some(0)
    );

    w.env.ok(&["exec", &name, "rm", "/tmp/ok"]);
    let out = w.env.run(&["healthcheck", "run", &name]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "unhealthy\n");
    wait_until(Duration::from_secs(15), "unhealthy", || {
        health(&w.env, &name) == "unhealthy"
    });
    let c = inspect(&w.env, &name);
    let log = c["State"]["Health"]["Log"].as_array().unwrap();
    assert!(log.last().unwrap()["ExitCode"] == 1, "{c}");
    assert!(c["State"]["Health"]["FailingStreak"].as_u64().unwrap() >= 2);
    let events = survival_util::events(&w.env);
    let statuses: Vec<&str> = events
        .iter()
        .filter(|e| e["ID"] == id && e["Status"] == "health_status")
        .map(|e| e["health_status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.contains(&"healthy") && statuses.contains(&"unhealthy"),
        "{statuses:?}"
    );
    // The container keeps running with on-failure=none.
    assert_eq!(state_of(&w.env, &name), "running");

    let plain = unique_name("nohc");
    w.env
        .ok(&["run", "-d", "--name", &plain, &img, "sleep", "300"]);
    let out = w.env.run(&["healthcheck", "run", &plain]);
    assert_eq!(out.status.code(), Some(125));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no defined healthcheck"));
}

#[test]
fn on_failure_kill_and_restart() {
    let (w, img) = busybox();
    let killed = unique_name("hckill");
    w.env.ok(&[
        "run",
        "-d",
        "--name",
        &killed,
        "--health-cmd",
        "false",
        "--health-interval",
        "1s",
        "--health-retries",
        "1",
        "--health-on-failure",
        "kill",
        &img,
        "sleep",
        "300",
    ]);
    let restarted = unique_name("hcrestart");
    w.env.ok(&[
        "run",
        "-d",
        "--name",
        &restarted,
        "--health-cmd",
        "test -e /tmp/ok",
        "--health-interval",
        "1s",
        "--health-retries",
        "1",
        "--health-on-failure",
        "restart",
        &img,
        "sleep",
        "300",
    ]);
    common::wait_state(&w.env, &killed, "exited");
    assert_eq!(inspect(&w.env, &killed)["State"]["ExitCode"], 137);
    wait_until(Duration::from_secs(20), "a health restart", || {
        inspect(&w.env, &restarted)["RestartCount"]
            .as_u64()
            .unwrap_or(0)
            >= 1
    });
    assert_eq!(
        inspect(&w.env, &restarted)["HealthcheckOnFailureAction"],
        serde_json::Value::Null
    );
    assert_eq!(
        inspect(&w.env, &restarted)["Config"]["HealthcheckOnFailureAction"],
        "restart"
    );
    let (code, err) = w.env.fails(&[
        "create",
        "--health-cmd",
        "true",
        "--health-on-failure",
        "explode",
        &img,
    ]);
    assert_eq!(code, 125, "{err}");
    let (code, err) = w.env.fails(&["create", "--health-on-failure=kill", &img]);
    assert_eq!(code, 125, "{err}");
    assert!(
        err.contains("cannot set on-failure action to kill without a health check"),
        "{err}"
    );
}

#[test]
fn the_startup_check_runs_first_restarts_on_failures_and_hands_over() {
    let (w, img) = busybox();
    let name = unique_name("hcstartup");
    let flags = [
        "--health-cmd=test -e /tmp/ok",
        "--health-interval=1s",
        "--health-startup-cmd=test -e /tmp/started",
        "--health-startup-interval=1s",
        "--health-startup-retries=2",
        "--health-startup-success=2",
    ];
    run_detached(&w.env, &name, &flags, &[&img, "sleep", "300"]);
    let c = inspect(&w.env, &name);
    let startup = &c["Config"]["StartupHealthCheck"];
    assert_eq!(
        startup["Test"],
        serde_json::json!(["CMD-SHELL", "test -e /tmp/started"])
    );
    assert_eq!(startup["Interval"], 1_000_000_000u64);
    assert_eq!(startup["Retries"], 2);
    assert_eq!(startup["Successes"], 2);
    let tmpl = "{{.Config.StartupHealthCheck.Interval}} {{.Config.HealthLogDestination}} {{.Config.HealthMaxLogCount}} {{.Config.HealthMaxLogSize}}";
    assert_eq!(
        w.env.ok(&["inspect", "--format", tmpl, &name]).trim(),
        "1s local 5 500"
    );
    // Two failed startup checks in a row restart the container.
    wait_until(Duration::from_secs(30), "a startup-check restart", || {
        inspect(&w.env, &name)["RestartCount"].as_u64().unwrap_or(0) >= 1
    });
    // The container keeps restarting until the startup check passes: the
    // exec may meet it between two runs.
    wait_until(Duration::from_secs(30), "an exec between restarts", || {
        w.env
            .run(&["exec", &name, "touch", "/tmp/ok", "/tmp/started"])
            .status
            .success()
    });
    // The first success already reads healthy (as Podman); two in a row
    // pass the startup check, and the regular one follows.
    wait_until(Duration::from_secs(30), "three successful checks", || {
        let c = inspect(&w.env, &name);
        let log = c["State"]["Health"]["Log"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        health(&w.env, &name) == "healthy"
            && log.len() >= 3
            && log[log.len() - 3..].iter().all(|e| e["ExitCode"] == 0)
    });
    w.env.ok(&["exec", &name, "rm", "/tmp/started"]);
    let out = w.env.run(&["healthcheck", "run", &name]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the regular check runs once the startup check passed"
    );
    w.env.ok(&["update", "--no-healthcheck", &name]);
    assert_eq!(
        w.env
            .ok(&[
                "inspect",
                "--format",
                "{{.Config.StartupHealthCheck}} {{.Config.Healthcheck.Test}}",
                &name
            ])
            .trim(),
        "<nil> [NONE]"
    );
}

#[test]
fn the_log_goes_to_its_destination_with_its_count_and_size() {
    let (w, img) = busybox();
    let dir = w.env.dir().join("hclogs");
    std::fs::create_dir_all(&dir).unwrap();
    let name = unique_name("hclog");
    let (code, err) = w.env.fails(&[
        "create",
        "--health-cmd",
        "true",
        "--health-log-destination",
        "/nonexistent-rpod-dir",
        &img,
    ]);
    assert_eq!(code, 125, "{err}");
    assert!(
        err.contains("HealthCheck Log '/nonexistent-rpod-dir' destination error"),
        "{err}"
    );
    let flags = [
        "--health-cmd=echo hello",
        "--health-interval=disable",
        "--health-max-log-count=2",
        "--health-max-log-size=3",
    ];
    let id = run_detached(&w.env, &name, &flags, &[&img, "sleep", "300"]);
    w.env.ok(&[
        "update",
        "--health-log-destination",
        dir.to_str().unwrap(),
        &name,
    ]);
    for _ in 0..3 {
        w.env.ok(&["healthcheck", "run", &name]);
    }
    let file = dir.join(format!("{id}-healthcheck.log"));
    let log: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let entries = log["Log"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{log}");
    assert_eq!(entries[1]["Output"], "hel");
    let c = inspect(&w.env, &name);
    assert_eq!(
        c["State"]["Health"]["Log"], log["Log"],
        "inspect reads the same log"
    );
    assert_eq!(c["Config"]["HealthLogDestination"], dir.to_str().unwrap());
    assert_eq!(c["Config"]["HealthcheckMaxLogCount"], 2);
    // `healthcheck run` reports the run (as Podman), not the status: the
    // first failure of three allowed reads `unhealthy` while the status
    // is still `starting`.
    let fresh = unique_name("hcfresh");
    let flags = ["--health-cmd=exit 1", "--health-interval=disable"];
    run_detached(&w.env, &fresh, &flags, &[&img, "sleep", "300"]);
    let out = w.env.run(&["healthcheck", "run", &fresh]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "unhealthy\n");
    assert_eq!(health(&w.env, &fresh), "starting");
}

#[test]
fn a_check_cut_off_by_a_stop_reads_stopped() {
    let (w, img) = busybox();
    let name = unique_name("hcstop");
    let msg = unique_name("hcmsg");
    let check = format!("sleep 20; echo {msg}");
    run_detached(
        &w.env,
        &name,
        &["--health-cmd", &check],
        &[
            &img,
            "sh",
            "-c",
            "trap 'exit 0' TERM; while true; do sleep 0.1; done",
        ],
    );
    let run = w
        .env
        .cmd(&["healthcheck", "run", &name])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The check is under way (its `sleep 20` runs in the container).
    wait_until(Duration::from_secs(10), "the check runs", || {
        w.env.ok(&["top", &name, "args"]).contains("sleep 20")
    });
    w.env.ok(&["stop", &name]);
    let out = run.wait_with_output().unwrap();
    // Podman: the run reports `stopped` and exits 1.
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "stopped\n");
    let c = inspect(&w.env, &name);
    assert_eq!(c["State"]["Status"], "exited");
    assert_eq!(c["State"]["Health"]["Status"], "stopped");
    assert_eq!(c["State"]["Health"]["FailingStreak"], 0);
    let log = c["State"]["Health"]["Log"].to_string();
    assert!(!log.contains(&msg), "{log}");
}

#[test]
fn a_run_that_triggers_the_on_failure_action_returns_after_it() {
    let (w, img) = busybox();
    let pause = [
        "sh",
        "-c",
        "trap 'exit 0' TERM; while true; do sleep 0.1; done",
    ];
    let mut cmd = vec![img.as_str()];
    cmd.extend(pause);
    let killed = unique_name("hcrunkill");
    let restarted = unique_name("hcrunrestart");
    for (name, action) in [(&killed, "kill"), (&restarted, "restart")] {
        run_detached(
            &w.env,
            name,
            &[
                "--health-cmd",
                "test ! -e /uh-oh",
                "--health-retries=1",
                "--health-interval=disable",
                "--health-on-failure",
                action,
            ],
            &cmd,
        );
        assert_eq!(w.env.ok(&["healthcheck", "run", name]), "");
        w.env.ok(&["exec", name, "touch", "/uh-oh"]);
        let (code, out) = w.env.fails(&["healthcheck", "run", name]);
        assert_eq!(code, 1, "{out}");
    }
    // Podman's `healthcheck run` returns once the action took the
    // container down: killed, it is exited at once ...
    let c = inspect(&w.env, &killed);
    assert_eq!(c["State"]["Status"], "exited");
    assert_eq!(c["State"]["ExitCode"], 137);
    // ... restarted, it runs again with a fresh health state.
    let c = inspect(&w.env, &restarted);
    assert_eq!(c["RestartCount"], 1);
    assert_eq!(c["State"]["Status"], "running");
    assert_eq!(c["State"]["Health"]["FailingStreak"], 0);
    assert_eq!(c["State"]["Health"]["Status"], "starting");
}
