//! Bad input: a one-line error naming the cause, a non-zero exit, and a
//! consistent state afterwards.

mod common;

use std::time::Duration;

use common::{busybox, world};
use rpod_tests::{unique_name, wait_until, Registry, TestEnv};

fn images(env: &TestEnv) -> String {
    env.ok(&["images", "-q"])
}

#[test]
fn unknown_image_and_tag() {
    let w = world(&["busybox"]);
    let addr = w.registry.addr();
    let (code, err) = w.env.fails(&["pull", &format!("{addr}/nope:latest")]);
    assert_eq!(code, 125);
    assert!(
        err.contains("manifest unknown") || err.contains("not found"),
        "{err}"
    );
    let (code, err) = w.env.fails(&["pull", &format!("{addr}/busybox:nope")]);
    assert_eq!(code, 125, "{err}");
    assert_eq!(
        err.lines().filter(|l| l.starts_with("Error:")).count(),
        1,
        "{err}"
    );
    assert_eq!(images(&w.env), "");
    let (code, err) = w
        .env
        .fails(&["run", "--rm", &format!("{addr}/nope"), "true"]);
    assert_eq!(code, 125, "{err}");
    assert_eq!(w.env.ok(&["ps", "-aq"]), "", "no orphan container row");
}

#[test]
fn invalid_reference_and_unresolvable_short_name() {
    let env = TestEnv::new();
    let (code, err) = env.fails(&["pull", "UPPER/Case"]);
    assert_eq!(code, 125);
    assert!(err.contains("invalid reference format"), "{err}");
    let (code, err) = env.fails(&["pull", "busybox"]);
    assert_eq!(code, 125);
    assert!(err.contains("short-name \"busybox\""), "{err}");
}

#[test]
fn registry_down() {
    let registry = Registry::start();
    let addr = registry.addr();
    let env = TestEnv::with_registry(&registry);
    drop(registry);
    let (code, err) = env.fails(&["pull", &format!("{addr}/busybox:latest")]);
    assert_eq!(code, 125);
    assert!(
        err.contains("connection refused") || err.contains("Connection refused"),
        "{err}"
    );
    assert_eq!(images(&env), "");
}

#[test]
fn garbled_layer_is_refused_and_nothing_is_stored() {
    let w = world(&["busybox"]);
    let digest = rpod_tests::fixtures::digest("busybox");
    let _ = digest;
    // Corrupt every layer blob of the pushed image in the registry's storage.
    let manifest = std::process::Command::new("skopeo")
        .args([
            "inspect",
            "--raw",
            "--tls-verify=false",
            &format!("docker://{}", w.images[0]),
        ])
        .output()
        .unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(&manifest.stdout).unwrap();
    for layer in manifest["layers"].as_array().unwrap() {
        let blob = w.registry.blob_path(layer["digest"].as_str().unwrap());
        let mut bytes = std::fs::read(&blob).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0xff;
        std::fs::write(&blob, bytes).unwrap();
    }
    let (code, err) = w.env.fails(&["pull", &w.images[0]]);
    assert_eq!(code, 125);
    assert!(err.to_lowercase().contains("digest"), "{err}");
    assert_eq!(images(&w.env), "");
    let storage = w.env.root().join("storage");
    let visible: Vec<_> = std::fs::read_dir(storage.join("layers"))
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        visible.iter().all(|n| n.to_string_lossy().starts_with('.')),
        "layers visible: {visible:?}"
    );
}

#[test]
fn pull_killed_halfway_leaves_a_consistent_store() {
    let w = world(&["busybox"]);
    for delay_ms in [5u64, 30, 80] {
        let mut child = w.env.cmd(&["pull", "-q", &w.images[0]]).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        // Either the image is complete and usable, or not there at all.
        if images(&w.env).is_empty() {
            continue;
        }
        assert_eq!(
            w.env.ok(&["run", "--rm", &w.images[0], "echo", "ok"]),
            "ok\n"
        );
    }
    w.env.ok(&["pull", "-q", &w.images[0]]);
    assert_eq!(
        w.env.ok(&["run", "--rm", &w.images[0], "echo", "ok"]),
        "ok\n"
    );
}

#[test]
fn name_in_use() {
    let (w, img) = busybox();
    let name = unique_name("dup");
    w.env.ok(&["create", "--name", &name, &img, "true"]);
    let (code, err) = w.env.fails(&["create", "--name", &name, &img, "true"]);
    assert_eq!(code, 125);
    assert!(
        err.contains(&format!("the container name \"{name}\" is already in use")),
        "{err}"
    );
    assert_eq!(w.env.ok(&["ps", "-aq"]).lines().count(), 1);
}

#[test]
fn rm_running_without_force() {
    let (w, img) = busybox();
    let name = unique_name("busy");
    w.env
        .ok(&["run", "-d", "--name", &name, &img, "sleep", "300"]);
    let (code, err) = w.env.fails(&["rm", &name]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cannot remove container") && err.contains("without force"),
        "{err}"
    );
    assert_eq!(common::state_of(&w.env, &name), "running");
    w.env.ok(&["rm", "-f", "-t", "0", &name]);
    assert_eq!(w.env.ok(&["ps", "-aq"]), "");
    let (code, err) = w.env.fails(&["rm", &name]);
    assert_eq!(code, 1, "{err}");
    // `rm` has its own word order in Podman.
    assert!(err.contains("no container with ID or name"), "{err}");
}

#[test]
fn invalid_flag_values_create_nothing() {
    let (w, img) = busybox();
    for args in [
        vec!["run", "--log-opt", "max-size=lots", &img, "true"],
        // `relative` is a volume name (created on use, as Podman); a bad
        // option or name is refused before anything exists.
        vec!["run", "-v", "relative:/x:bogus", &img, "true"],
        vec!["run", "-v", "bad$name:/x", &img, "true"],
        vec!["run", "-v", "/nonexistent-rpod-path:/x", &img, "true"],
        vec!["run", "--network", "slirp4netns:bogus=1", &img, "true"],
        vec!["run", "--network", "no-such-net", &img, "true"],
        vec!["run", "-p", "1:2:3:4", &img, "true"],
        vec!["run", "--add-host", "db:nope", &img, "true"],
        vec!["run", "--name", "bad/name", &img, "true"],
        vec!["run", "--stop-signal", "NOPE", &img, "true"],
        vec!["run", "-w", "relative", &img, "true"],
        vec!["kill", "-s", "NOPE", "x"],
        vec!["no-such-command"],
    ] {
        let (code, err) = w.env.fails(&args);
        assert_eq!(code, 125, "{args:?}: {err}");
        assert!(err.starts_with("Error: "), "{args:?}: {err}");
    }
    assert_eq!(w.env.ok(&["ps", "-aq"]), "");
    assert_eq!(w.env.ok(&["volume", "ls", "-q"]), "");
    let (code, err) = w.env.fails(&["search", "x"]);
    assert_eq!(code, 125);
    assert!(err.contains("not implemented yet"), "{err}");
}

#[test]
fn log_level_is_checked_and_debug_goes_to_stderr() {
    let env = TestEnv::new();
    // Podman checks the level before anything else and exits 1.
    let (code, err) = env.fails(&["--log-level", "loud", "ps"]);
    assert_eq!(code, 1);
    assert!(
        err.starts_with("Log Level \"loud\" is not supported"),
        "{err}"
    );
    let out = env.run(&["--log-level", "debug", "ps"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("CONTAINER ID"));
    // No warning in a normal run: scripts treat any warning as a failure.
    let out = env.run(&["ps", "-a"]);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn operations_on_missing_containers() {
    let env = TestEnv::new();
    for cmd in ["stop", "kill", "pause", "unpause", "start", "wait", "logs"] {
        let (code, err) = env.fails(&[cmd, "ghost"]);
        assert_eq!(code, 125, "{cmd}: {err}");
        assert!(
            err.contains("no container with name or ID \"ghost\" found"),
            "{cmd}: {err}"
        );
    }
}

#[test]
fn exec_in_stopped_container_is_refused() {
    let (w, img) = busybox();
    let name = unique_name("stopped");
    w.env.ok(&["run", "--name", &name, &img, "true"]);
    wait_until(Duration::from_secs(10), "exited", || {
        common::state_of(&w.env, &name) == "exited"
    });
    let (code, err) = w.env.fails(&["exec", &name, "true"]);
    assert_eq!(code, 125);
    assert!(
        err.contains("can only create exec sessions on running containers"),
        "{err}"
    );
}
