//! OCI hooks against real runc: a prestart hook sees the container's state
//! on stdin, a poststop hook runs after the container exits when no rpod
//! command is running (the monitor's cleanup runs it), restarts keep the
//! hooks, `precreate` edits the spec, and a bad hook file creates nothing.

mod common;

use std::path::Path;
use std::time::Duration;

use common::busybox;
use serde_json::Value;

/// A hook `NAME.json` in `dir` running `NAME.sh` (the given shell body) at
/// `stages`.
fn hook(dir: &Path, name: &str, body: &str, when: &str, stages: &str) {
    let prog = dir.join(format!("{name}.sh"));
    std::fs::write(&prog, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&prog, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::write(
        dir.join(format!("{name}.json")),
        format!(
            r#"{{"version":"1.0.0","hook":{{"path":"{}"}},"when":{when},"stages":{stages}}}"#,
            prog.display()
        ),
    )
    .unwrap();
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}: {text}", path.display()))
}

#[test]
fn prestart_and_poststop_hooks() {
    let (w, img) = busybox();
    let env = &w.env;
    let hooks = env.dir().join("hooks");
    let out = env.dir().join("out");
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::create_dir_all(&out).unwrap();
    let o = out.display();
    hook(
        &hooks,
        "10-pre",
        &format!("cat > {o}/prestart.json"),
        r#"{"always":true}"#,
        r#"["prestart"]"#,
    );
    hook(
        &hooks,
        "20-post",
        &format!("cat > {o}/poststop.tmp && mv {o}/poststop.tmp {o}/poststop.json"),
        r#"{"always":true}"#,
        r#"["poststop"]"#,
    );
    // Matches only containers whose command is /bin/nothing-like-this.
    hook(
        &hooks,
        "30-never",
        &format!("touch {o}/never"),
        r#"{"commands":["^/bin/nothing-like-this$"]}"#,
        r#"["prestart"]"#,
    );
    let gate = env.dir().join("gate");
    std::fs::create_dir_all(&gate).unwrap();
    let hooks_dir = hooks.display().to_string();
    let id = env
        .ok(&[
            "--hooks-dir",
            &hooks_dir,
            "run",
            "-d",
            "-v",
            &format!("{}:/gate", gate.display()),
            &img,
            "sh",
            "-c",
            "while [ ! -e /gate/go ]; do sleep 0.1; done",
        ])
        .trim()
        .to_owned();
    let pre = read_json(&out.join("prestart.json"));
    assert_eq!(pre["id"], id.as_str(), "{pre}");
    assert!(pre["pid"].as_i64().unwrap_or(0) > 0, "{pre}");
    assert!(pre["bundle"].as_str().unwrap_or("").contains(&id), "{pre}");
    assert!(!out.join("poststop.json").exists());
    assert!(
        !out.join("never").exists(),
        "a hook that does not match never runs"
    );

    // The poststop hook also notes whether the container's root filesystem
    // is still mounted: as in Podman, the runtime's delete (which runs the
    // hook) comes before the unmount. The script runs at the hook's time,
    // so it can be rewritten now that the id is known.
    let merged = env.root().join(format!("storage/containers/{id}/merged"));
    hook(
        &hooks,
        "20-post",
        &format!(
            "cat > {o}/poststop.tmp\n\
             grep -q ' {} ' /proc/self/mountinfo && touch {o}/root-mounted\n\
             mv {o}/poststop.tmp {o}/poststop.json",
            merged.display()
        ),
        r#"{"always":true}"#,
        r#"["poststop"]"#,
    );
    // No rpod command runs from here on: the container exits, its monitor
    // runs the cleanup, the runtime's delete runs the poststop hook.
    std::fs::write(gate.join("go"), "").unwrap();
    rpod_tests::wait_until(Duration::from_secs(60), "the poststop hook", || {
        out.join("poststop.json").exists()
    });
    let post = read_json(&out.join("poststop.json"));
    assert_eq!(post["id"], id.as_str(), "{post}");
    assert!(
        out.join("root-mounted").exists(),
        "the poststop hook ran after the root filesystem was unmounted"
    );
    assert_eq!(
        env.ok(&["inspect", "--format", "{{.State.Status}}", &id])
            .trim(),
        "exited"
    );
}

#[test]
fn restarts_keep_hooks_and_precreate_edits_the_spec() {
    let (w, img) = busybox();
    let env = &w.env;
    let hooks = env.dir().join("hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let log = env.dir().join("log");
    hook(
        &hooks,
        "count",
        &format!("cat > /dev/null; echo ran >> {}", log.display()),
        r#"{"always":true}"#,
        r#"["prestart", "poststop"]"#,
    );
    let hooks_dir = hooks.display().to_string();
    env.ok(&[
        "run",
        "-d",
        "--restart=on-failure:2",
        "--name",
        "r1",
        "--hooks-dir",
        &hooks_dir,
        &img,
        "false",
    ]);
    rpod_tests::wait_until(Duration::from_secs(60), "three runs' hooks", || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .count()
            == 6
    });
    env.ok(&["wait", "r1"]);
    env.ok(&["rm", "r1"]);
    assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 6);

    // precreate: the spec on stdin, the changed spec on stdout.
    let pre = env.dir().join("pre");
    std::fs::create_dir_all(&pre).unwrap();
    hook(
        &pre,
        "host",
        r#"sed 's/"hostname":"[^"]*"/"hostname":"from-hook"/'"#,
        r#"{"annotations":{"^io\\.container\\.manager$":"rpod"}}"#,
        r#"["precreate"]"#,
    );
    let out = env.ok(&[
        "--hooks-dir",
        &pre.display().to_string(),
        "run",
        "--rm",
        &img,
        "hostname",
    ]);
    assert_eq!(out.trim(), "from-hook");
}

#[test]
fn bad_hook_files_create_nothing() {
    let (w, img) = busybox();
    let env = &w.env;
    let hooks = env.dir().join("hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::write(hooks.join("bad.json"), "{ not json").unwrap();
    let hooks_dir = hooks.display().to_string();
    let (code, err) = env.fails(&[
        "--hooks-dir",
        &hooks_dir,
        "run",
        "--name",
        "x",
        &img,
        "true",
    ]);
    assert_eq!(code, 125);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "Error: parsing hook \"{}/bad.json\": version check:",
            hooks_dir
        )),
        "{err}"
    );
    std::fs::write(
        hooks.join("bad.json"),
        r#"{"version":"1.0.0","hook":{"path":"/bin/true"},"stages":["sometime"]}"#,
    )
    .unwrap();
    let (code, err) = env.fails(&["--hooks-dir", &hooks_dir, "create", &img, "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("unknown stage \"sometime\""), "{err}");
    assert_eq!(env.ok(&["ps", "-a", "-q"]), "", "nothing was created");
}
