//! A reboot (every process gone, the run root empty): containers are
//! reported exited, and the boot command (`rpod-restart.service`) starts
//! exactly the `--restart always` ones again.

mod common;
mod survival_util;

use common::{busybox, inspect, state_of};
use rpod_tests::unique_name;

#[test]
fn the_boot_command_restarts_always_containers_after_a_reboot() {
    let (w, img) = busybox();
    let always = unique_name("always");
    let unless = unique_name("unless");
    let plain = unique_name("plain");
    for (name, policy) in [
        (&always, "always"),
        (&unless, "unless-stopped"),
        (&plain, "no"),
    ] {
        w.env.ok(&[
            "run",
            "-d",
            "--restart",
            policy,
            "--name",
            name,
            &img,
            "sleep",
            "300",
        ]);
    }
    // The reboot: monitors, containers, runtime state, mounts and the
    // tmpfs run root are gone.
    for name in [&always, &unless, &plain] {
        survival_util::kill9(
            inspect(&w.env, name)["State"]["ConmonPid"]
                .as_i64()
                .unwrap(),
        );
    }
    rpod_tests::cleanup::kill_processes_under(w.env.dir());
    rpod_tests::cleanup::delete_runtime_containers(&w.env.runroot());
    rpod_tests::cleanup::unmount_under(w.env.dir());
    std::fs::remove_dir_all(w.env.runroot()).unwrap();
    std::fs::create_dir(w.env.runroot()).unwrap();

    let ps = w.env.ok(&["ps", "-a", "--format", "{{.Names}} {{.State}}"]);
    for name in [&always, &unless, &plain] {
        assert!(ps.contains(&format!("{name} exited")), "{ps}");
    }
    // What contrib/systemd/rpod-restart.service runs at boot.
    let out = w
        .env
        .ok(&["start", "--all", "--filter", "restart-policy=always"]);
    // Podman prints the IDs of the containers it picked itself.
    let always_id = w.env.ok(&["inspect", "--format", "{{.Id}}", &always]);
    assert_eq!(out.trim(), always_id.trim());
    assert_eq!(state_of(&w.env, &always), "running");
    assert_eq!(state_of(&w.env, &unless), "exited");
    assert_eq!(state_of(&w.env, &plain), "exited");
    // The policy is live again: the restarted container still restarts.
    let pid = inspect(&w.env, &always)["State"]["Pid"].as_i64().unwrap();
    survival_util::kill9(pid);
    rpod_tests::wait_until(std::time::Duration::from_secs(20), "a restart", || {
        inspect(&w.env, &always)["RestartCount"] == 1 && state_of(&w.env, &always) == "running"
    });
    // And the unit's ExecStop stops them.
    w.env.ok(&[
        "stop",
        "--all",
        "--filter",
        "restart-policy=always",
        "-t",
        "0",
    ]);
    assert_eq!(state_of(&w.env, &always), "exited");
}

#[test]
fn the_shipped_boot_unit_passes_systemd_analyze_verify() {
    let unit = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../contrib/systemd/rpod-restart.service");
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(&unit).unwrap();
    // verify checks that the executable exists: point it at the test build.
    let text = text.replace(
        "/usr/bin/rpod",
        &rpod_tests::rpod_bin().display().to_string(),
    );
    let copy = dir.path().join("rpod-restart.service");
    std::fs::write(&copy, text).unwrap();
    let out = std::process::Command::new("systemd-analyze")
        // The man page is not installed where tests run.
        .args(["verify", "--man=no"])
        .arg(&copy)
        .output()
        .expect("systemd-analyze (Debian package systemd) is needed");
    assert!(out.status.success(), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
