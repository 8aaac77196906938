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
fn storage_conf_mount_program_mounts_roots_with_fuse_overlayfs() {
    let (w, img) = busybox();
    let dir = w.env.dir();
    let conf = dir.join("storage-fuse.conf");
    std::fs::write(
        &conf,
        format!(
            "[storage]\ndriver = \"overlay\"\ngraphroot = \"{0}/froot\"\nrunroot = \"{0}/frun\"\n\
             [storage.options.overlay]\nmount_program = \"/usr/bin/fuse-overlayfs\"\n",
            dir.display()
        ),
    )
    .unwrap();
    let env = [("CONTAINERS_STORAGE_CONF", conf.as_path())];
    let rpod = |args: &[&str]| {
        let (code, out, err) = bare(&w.env, &env, args);
        assert_eq!(code, 0, "rpod {args:?}: {err}");
        out
    };
    rpod(&["pull", "-q", &img]);
    let name = rpod_tests::unique_name("fuseroot");
    rpod(&[
        "run",
        "-d",
        "--name",
        &name,
        "--network",
        "none",
        &img,
        "sh",
        "-c",
        "[ -e /kept ] || echo first > /kept; exec sleep 1000",
    ]);
    let root_fs = || {
        let pid = rpod(&["inspect", "--format", "{{.State.Pid}}", &name]);
        std::fs::read_to_string(format!("/proc/{}/mounts", pid.trim()))
            .unwrap()
            .lines()
            .find(|l| l.split(' ').nth(1) == Some("/"))
            .and_then(|l| l.split(' ').nth(2).map(str::to_owned))
            .unwrap_or_default()
    };
    assert_eq!(root_fs(), "fuse.fuse-overlayfs");
    rpod(&["stop", "-t", "0", &name]);
    rpod(&["start", &name]);
    assert_eq!(root_fs(), "fuse.fuse-overlayfs");
    assert_eq!(rpod(&["exec", &name, "cat", "/kept"]), "first\n");
    rpod(&["rm", "-f", "-t", "0", &name]);
    let merged = dir.join("froot");
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap();
    assert!(
        !mounts.contains(&merged.display().to_string()),
        "nothing stays mounted: {mounts}"
    );
    rpod(&["rmi", "-af"]);
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

#[test]
fn containers_conf_env_read_only_and_log_driver_with_override_on_top() {
    let (w, img) = busybox();
    let dir = w.env.dir();
    let conf = dir.join("containers.conf");
    std::fs::write(
        &conf,
        "[containers]\nenv = [\"CONF1=conf1\", \"PATH=/not-the-image-path\"]\n\
         default_capabilities = [\"CHOWN\"]\n[engine.volume_plugins]\nv1 = \"x\"\n",
    )
    .unwrap();
    let over = dir.join("override.conf");
    std::fs::write(
        &over,
        "[containers]\nenv = [\"CONF2=conf2\"]\nread_only = true\nlog_driver = \"none\"\n",
    )
    .unwrap();
    let run = |env: &[(&str, &Path)], args: &[&str]| {
        let mut cmd = w.env.cmd(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        rpod_tests::run_with_timeout(&mut cmd, DEFAULT_COMMAND_TIMEOUT)
    };
    let only_conf = [("CONTAINERS_CONF", conf.as_path())];
    let out = run(&only_conf, &["run", "--rm", &img, "env"]);
    let env = String::from_utf8_lossy(&out.stdout);
    assert!(env.lines().any(|l| l == "CONF1=conf1"), "{env}");
    assert!(
        !env.contains("/not-the-image-path"),
        "the image's PATH wins over containers.conf: {env}"
    );
    let out = run(
        &only_conf,
        &["run", "--rm", "-e", "CONF1=user", &img, "env"],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("CONF1=user"));
    // The override replaces env (not merged) and adds read_only, log_driver.
    let both = [
        ("CONTAINERS_CONF", conf.as_path()),
        ("CONTAINERS_CONF_OVERRIDE", over.as_path()),
    ];
    let out = run(&both, &["run", "--rm", &img, "env"]);
    let env = String::from_utf8_lossy(&out.stdout);
    assert!(
        env.contains("CONF2=conf2") && !env.contains("CONF1"),
        "{env}"
    );
    let out = run(&both, &["run", "--rm", &img, "touch", "/x"]);
    assert_eq!(out.status.code(), Some(1), "read_only from containers.conf");
    let out = run(
        &both,
        &["run", "--rm", "--read-only=false", &img, "touch", "/x"],
    );
    assert!(out.status.success(), "the flag beats the file: {out:?}");
    let out = run(&both, &["create", "--name", "ld", &img]);
    assert!(out.status.success(), "{out:?}");
    let t = w.env.ok(&[
        "inspect",
        "--format",
        "{{.HostConfig.LogConfig.Type}}",
        "ld",
    ]);
    assert_eq!(t.trim(), "none");
    // A named file that does not exist is an error.
    let missing = dir.join("nope.conf");
    let out = run(&[("CONTAINERS_CONF", missing.as_path())], &["ps"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.conf"));
}

/// `w.env`'s rpod with containers.conf override `conf` (its text).
fn with_override(w: &common::World, conf: &str, args: &[&str]) -> std::process::Output {
    let path = w
        .env
        .dir()
        .join(format!("override-{}.conf", rpod_tests::unique_name("cc")));
    std::fs::write(&path, conf).unwrap();
    let mut cmd = w.env.cmd(args);
    cmd.env("CONTAINERS_CONF_OVERRIDE", &path);
    run_with_timeout(&mut cmd, DEFAULT_COMMAND_TIMEOUT)
}

#[test]
fn containers_conf_static_dir_and_oom_score_adj() {
    let (w, img) = busybox();
    // `static_dir` holds the state database: a container made with it is
    // invisible without it, and its exit (written by the cleanup the
    // monitor runs, which inherits the setting) is recorded there.
    let static_dir = w.env.dir().join("static");
    let conf = format!("[engine]\nstatic_dir = \"{}\"\n", static_dir.display());
    let name = rpod_tests::unique_name("static");
    let out = with_override(
        &w,
        &conf,
        &["run", "--name", &name, &img, "sh", "-c", "exit 4"],
    );
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    assert!(static_dir.join("db.sqlite").exists());
    let (code, _) = w.env.fails(&["container", "exists", &name]);
    assert_eq!(code, 1);
    let out = with_override(
        &w,
        &conf,
        &["inspect", "--format", "{{.State.ExitCode}}", &name],
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "4\n", "{out:?}");
    let out = with_override(&w, &conf, &["rm", &name]);
    assert!(out.status.success(), "{out:?}");

    // `oom_score_adj` is the default of `--oom-score-adj`, which wins.
    let conf = "[containers]\noom_score_adj = 7\n";
    let read = ["cat", "/proc/self/oom_score_adj"];
    let mut args = vec!["run", "--rm", &img];
    args.extend(read);
    let out = with_override(&w, conf, &args);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "7\n", "{out:?}");
    let mut args = vec!["run", "--rm", "--oom-score-adj=9", &img];
    args.extend(read);
    let out = with_override(&w, conf, &args);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "9\n", "{out:?}");
}

#[test]
fn containers_conf_default_ulimits_under_the_users() {
    let (w, img) = busybox();
    let conf = "[containers]\ndefault_ulimits = [\"nofile=345:456\", \"nproc=200:300\"]\n";
    let read = [
        "grep",
        "-E",
        "Max (open files|processes)",
        "/proc/self/limits",
    ];
    let limits = |extra: &[&str]| {
        let mut args = vec!["run", "--rm"];
        args.extend(extra);
        args.push(&img);
        args.extend(read);
        let out = with_override(&w, conf, &args);
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
    };
    // Both defaults apply.
    let l = limits(&[]);
    assert!(
        l.contains(&"Max open files 345 456 files".to_owned()),
        "{l:?}"
    );
    assert!(
        l.contains(&"Max processes 200 300 processes".to_owned()),
        "{l:?}"
    );
    // The user's --ulimit of one type wins; the other default stays.
    let l = limits(&["--ulimit", "nofile=100:200"]);
    assert!(
        l.contains(&"Max open files 100 200 files".to_owned()),
        "{l:?}"
    );
    assert!(
        l.contains(&"Max processes 200 300 processes".to_owned()),
        "{l:?}"
    );
    // `--ulimit host`: the host's limits, no default.
    let l = limits(&["--ulimit", "host"]);
    assert!(
        !l.contains(&"Max processes 200 300 processes".to_owned()),
        "{l:?}"
    );
    // A bad default is a clear error, nothing created.
    let bad = "[containers]\ndefault_ulimits = [\"nofile=abc\"]\n";
    let out = with_override(&w, bad, &["create", "--name", "badulimit", &img]);
    assert_eq!(out.status.code(), Some(125), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("containers.conf default_ulimits: invalid ulimit argument: nofile=abc"),
        "{out:?}"
    );
    let (code, _) = w.env.fails(&["container", "exists", "badulimit"]);
    assert_eq!(code, 1);
}

#[test]
fn containers_conf_default_capabilities_and_network_backend() {
    let (w, img) = busybox();
    // `default_capabilities` replaces the set `--cap-add`/`--cap-drop`
    // apply to (CAP_CHOWN is bit 0, CAP_KILL bit 5, CAP_NET_RAW bit 13).
    let conf = "[containers]\ndefault_capabilities = [\"CHOWN\", \"NET_RAW\"]\n";
    let capbnd = |extra: &[&str]| {
        let mut args = vec!["run", "--rm"];
        args.extend(extra);
        args.extend([img.as_str(), "grep", "CapBnd", "/proc/self/status"]);
        let out = with_override(&w, conf, &args);
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .last()
            .map(str::to_owned)
            .unwrap_or_default()
    };
    assert_eq!(capbnd(&[]), "0000000000002001");
    assert_eq!(
        capbnd(&["--cap-add", "KILL", "--cap-drop", "NET_RAW"]),
        "0000000000000021"
    );
    // Fixed at create: inspect of the container shows the set it was made
    // with, relative to Podman's default set.
    let out = with_override(&w, conf, &["create", "--name", "capconf", &img]);
    assert!(out.status.success(), "{out:?}");
    let add = w
        .env
        .ok(&["inspect", "--format", "{{.HostConfig.CapAdd}}", "capconf"]);
    assert_eq!(add.trim(), "[]");
    let bounding = w
        .env
        .ok(&["inspect", "--format", "{{.EffectiveCaps}}", "capconf"]);
    assert_eq!(bounding.trim(), "[CAP_CHOWN CAP_NET_RAW]");
    w.env.ok(&["rm", "capconf"]);
    let bad = "[containers]\ndefault_capabilities = [\"NOPE\"]\n";
    let out = with_override(&w, bad, &["create", "--name", "badcaps", &img]);
    assert_eq!(out.status.code(), Some(125), "{out:?}");
    let (code, _) = w.env.fails(&["container", "exists", "badcaps"]);
    assert_eq!(code, 1);

    // `[network] network_backend` chooses the backend; rpod.conf's own
    // setting wins over it; an unknown name is an error.
    let info =
        |conf: &str| with_override(&w, conf, &["info", "--format", "{{.Host.NetworkBackend}}"]);
    let out = info("[network]\nnetwork_backend = \"cni\"\n");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "cni\n", "{out:?}");
    let out = info("[network]\nnetwork_backend = \"slirp\"\n");
    assert_eq!(out.status.code(), Some(125), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unsupported network backend \"slirp\""),
        "{out:?}"
    );
}

#[test]
fn containers_conf_umask_is_the_default_umask() {
    let (w, img) = busybox();
    let conf = "[containers]\numask = \"0472\"\n";
    let out = with_override(&w, conf, &["run", "--rm", &img, "sh", "-c", "umask"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0472");
    // The user's --umask wins; inspect shows the one in force.
    let out = with_override(
        &w,
        conf,
        &["create", "--name", "umaskconf", "--umask", "0027", &img],
    );
    assert!(out.status.success(), "{out:?}");
    let umask = w
        .env
        .ok(&["inspect", "--format", "{{.Config.Umask}}", "umaskconf"]);
    assert_eq!(umask.trim(), "0027");
    w.env.ok(&["rm", "umaskconf"]);
    let bad = "[containers]\numask = \"0999\"\n";
    let out = with_override(&w, bad, &["create", "--name", "badumask", &img]);
    assert_eq!(out.status.code(), Some(125), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("invalid umask \"0999\" in containers.conf"),
        "{out:?}"
    );
    let (code, _) = w.env.fails(&["container", "exists", "badumask"]);
    assert_eq!(code, 1);
}
