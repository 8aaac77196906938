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
}
