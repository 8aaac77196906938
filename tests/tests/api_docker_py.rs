//! docker-py (the `docker` package from PyPI, installed by
//! packaging/install-deps.sh) against `rpod system service`:
//! tests/scripts/docker_py_client.py runs containers (detached and not),
//! streams logs, execs, waits, pulls, and uses volumes and networks, with
//! its own assertions; this test runs it and checks it passed every step.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use common::service::Service;
use rpod_tests::{run_with_timeout, unique_name};

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/docker_py_client.py")
}

#[test]
fn docker_py_runs_logs_execs_waits_pulls_volumes_and_networks() {
    let w = common::world(&["busybox"]);
    let img = w.images[0].clone();
    let sock = w.env.dir().join("api").join("rpod.sock");
    let _service = Service::start(&w.env, &sock, "0");
    let prefix = unique_name("dpy");
    let out = run_with_timeout(
        Command::new("python3").arg(script()).args([
            sock.to_str().unwrap(),
            &img,
            &prefix,
            "10.85.42.0/24",
        ]),
        Duration::from_secs(600),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "docker-py script failed ({})\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        out.status
    );
    for step in [
        "images.pull",
        "containers.run detach, logs(stream=True), exec_run",
        "wait",
        "volumes",
        "networks",
        "all passed",
    ] {
        assert!(stdout.contains(&format!("docker-py: {step}")), "{stdout}");
    }
    // Nothing the script made is left behind.
    let left = w.env.ok(&["ps", "-a", "--format", "{{.Names}}"]);
    assert!(!left.contains(&prefix), "{left}");
    let nets = w.env.ok(&["network", "ls", "--format", "{{.Name}}"]);
    assert!(!nets.contains(&prefix), "{nets}");
}
