//! The containers ecosystem's configuration files a Podman user already has
//! (`CONTAINERS_STORAGE_CONF`, containers.conf and its overrides) and the
//! global flags that go with them.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::busybox;
use rpod_tests::{monitor_bin, rpod_bin, run_with_timeout, TestEnv, DEFAULT_COMMAND_TIMEOUT};

/// rpod without `--root`/`--runroot`, with the test's registries.conf and
/// `extra_env`.
fn bare(env: &TestEnv, extra_env: &[(&str, &Path)], args: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(rpod_bin());
    cmd.args(args)
        .env("CONTAINERS_REGISTRIES_CONF", env.registries_conf())
        .env("REGISTRY_AUTH_FILE", env.auth_file())
        .env("RPOD_MONITOR", monitor_bin())
        .env_remove("CONTAINERS_STORAGE_CONF")
        .env_remove("CONTAINERS_CONF")
        .env_remove("CONTAINERS_CONF_OVERRIDE")
        .stdin(Stdio::null());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let out = run_with_timeout(&mut cmd, DEFAULT_COMMAND_TIMEOUT);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn storage_conf_sets_roots_and_driver_and_flags_win() {
    let (w, img) = busybox();
    let dir = w.env.dir();
    let conf = dir.join("storage.conf");
    std::fs::write(
        &conf,
        format!(
            "[storage]\ndriver = \"vfs\"\ngraphroot = \"{0}/sroot\"\nrunroot = \"{0}/srun\"\n\
             [storage.options]\nmount_program = \"/nonexistent\"\n",
            dir.display()
        ),
    )
    .unwrap();
    let env = [("CONTAINERS_STORAGE_CONF", conf.as_path())];
    let (code, _, err) = bare(&w.env, &env, &["pull", "-q", &img]);
    assert_eq!(code, 0, "{err}");
    assert!(
        dir.join("sroot/db.sqlite").exists(),
        "graphroot is rpod's root"
    );
    let (code, out, err) = bare(
        &w.env,
        &env,
        &[
            "run",
            "--name",
            "vfs1",
            &img,
            "sh",
            "-c",
            "echo hi > /f; cat /f",
        ],
    );
    assert_eq!((code, out.as_str()), (0, "hi\n"), "{err}");
    let (_, driver, err) = bare(
        &w.env,
        &env,
        &["inspect", "--format", "{{.GraphDriver.Name}}", "vfs1"],
    );
    assert_eq!(driver.trim(), "vfs", "{err}");
    assert!(
        std::fs::read_dir(dir.join("srun")).is_ok(),
        "runroot comes from the file"
    );
    // A flag beats the file: --root names another (empty) store.
    let (code, out, err) = bare(
        &w.env,
        &env,
        &["--root", &w.env.root().display().to_string(), "ps", "-aq"],
    );
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    let (code, _, err) = bare(&w.env, &env, &["rm", "-f", "vfs1"]);
    assert_eq!(code, 0, "{err}");
    // --storage-driver beats the file's driver; unknown drivers are refused.
    let (code, _, err) = bare(&w.env, &env, &["--storage-driver", "zfs", "ps"]);
    assert_eq!(code, 125);
    assert!(err.contains("unsupported storage driver \"zfs\""), "{err}");
}

#[test]
fn storage_conf_named_but_missing_is_an_error_and_default_file_is_never_read() {
    let env = TestEnv::new();
    let missing = env.dir().join("nope.conf");
    let (code, _, err) = bare(
        &env,
        &[("CONTAINERS_STORAGE_CONF", missing.as_path())],
        &["--root", &env.root().display().to_string(), "ps"],
    );
    assert_eq!(code, 125, "{err}");
    assert!(err.contains("nope.conf"), "{err}");
}
