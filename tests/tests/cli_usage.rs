//! The command line as Podman's: usage errors (exit 125, Podman's words),
//! global flags, `--log-level`, `--out`/`--noout`, closed pipes.

mod common;

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;

use common::busybox;
use rpod_tests::{run_with_timeout, TestEnv};

fn stderr_of(env: &TestEnv, args: &[&str]) -> (i32, String) {
    env.fails(args)
}

#[test]
fn usage_errors_exit_125_in_podmans_words() {
    let env = TestEnv::new();
    let (code, err) = stderr_of(&env, &["run", "--invalid", "img"]);
    assert_eq!(code, 125);
    assert_eq!(
        err,
        "Error: unknown flag: --invalid\nSee 'rpod run --help'\n"
    );
    let (code, err) = stderr_of(&env, &["run", "-h"]);
    assert_eq!(code, 125);
    assert_eq!(
        err,
        "Error: flag needs an argument: 'h' in -h\nSee 'rpod run --help'\n"
    );
    let (code, err) = stderr_of(&env, &["bad", "--invalid"]);
    assert_eq!(code, 125);
    assert_eq!(err, "Error: unknown flag: --invalid\nSee 'rpod --help'\n");
    let (code, err) = stderr_of(&env, &["container", "ps", "-Z"]);
    assert_eq!(code, 125);
    assert!(
        err.starts_with("Error: unknown shorthand flag: 'Z' in -Z\n"),
        "{err}"
    );
    // --remote is only a flag of rpod itself, before the command.
    let (code, err) = stderr_of(&env, &["version", "--remote"]);
    assert_eq!(code, 125);
    assert_eq!(
        err,
        "Error: unknown flag: --remote\nSee 'rpod version --help'\n"
    );
    // Remote mode: the local store flags are refused; a service that is not
    // there is named.
    let (code, err) = stderr_of(&env, &["--url", "unix:///x", "ps"]);
    assert_eq!(code, 125);
    assert!(
        err.contains("--root is not available in remote mode"),
        "{err}"
    );
    let out = run_with_timeout(
        std::process::Command::new(rpod_tests::rpod_bin())
            .args(["--url", "unix:///nonexistent/rpod.sock", "ps"])
            .stdin(Stdio::null()),
        std::time::Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(125));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "unable to connect to rpod socket: failed to connect: dial unix /nonexistent/rpod.sock: connect: no such file or directory"
        ),
        "{err}"
    );
    let (code, err) = stderr_of(&env, &["--remote"]);
    assert_eq!(code, 125);
    assert!(err.contains("Usage:"), "{err}");
}

#[test]
fn log_levels_as_podman() {
    let env = TestEnv::new();
    let (code, err) = stderr_of(&env, &["--log-level=telepathic", "version"]);
    assert_eq!(code, 1);
    assert!(
        err.starts_with("Log Level \"telepathic\" is not supported"),
        "{err}"
    );
    let out = env.run(&["--log-level=debug", "version"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(" level=debug "), "{err}");
    assert!(err.contains(" level=info "), "{err}");
    assert!(!err.contains(" level=trace "), "{err}");
    let out = env.run(&["--log-level=warn", "version"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains(" level="));
    let out = env.run(&["-D", "version"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains(" level=debug "));
    let (code, err) = stderr_of(&env, &["--debug", "--log-level=panic", "version"]);
    assert_eq!(code, 1);
    assert_eq!(err, "Setting --log-level and --debug is not allowed\n");
}

#[test]
fn out_and_noout_redirect_stdout() {
    let env = TestEnv::new();
    let file = env.dir().join("out.json");
    let stdout = env.ok(&[
        "--out",
        &file.display().to_string(),
        "version",
        "--format",
        "json",
    ]);
    assert_eq!(stdout, "");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert!(v["Client"]["Version"].is_string(), "{v}");
    assert_eq!(env.ok(&["--noout", "version"]), "");
}

#[test]
fn refused_global_flags_name_themselves() {
    let env = TestEnv::new();
    for (args, want) in [
        (
            &["--cgroup-manager", "bogus", "ps"][..],
            "invalid cgroup manager \"bogus\"",
        ),
        (&["--storage-opt", "overlay.x=y", "ps"][..], "--storage-opt"),
        (
            &["--module", "x.conf", "ps"][..],
            "--module is not supported yet",
        ),
    ] {
        let (code, err) = stderr_of(&env, args);
        assert_eq!(code, 125, "{args:?}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    env.ok(&["--storage-opt=", "--cgroup-manager=cgroupfs", "ps"]);
}

/// `--cgroup-manager systemd` and rpod.conf's `cgroup_manager = "systemd"`:
/// accepted and reported, every start refused (runc's and Podman's words
/// where systemd does not run, as on this host), nothing left behind.
#[test]
fn systemd_cgroup_manager_is_reported_and_refuses_starts() {
    let (mut w, img) = busybox();
    let pid1 = std::fs::read_to_string("/proc/1/comm").unwrap_or_default();
    let want = if pid1.trim() == "systemd" {
        "the systemd cgroup manager is not supported yet"
    } else {
        "systemd cgroup flag passed, but systemd support for managing cgroups is not available"
    };
    let flag = ["--cgroup-manager", "systemd"];
    let info = w.env.ok(&[
        flag[0],
        flag[1],
        "info",
        "--format",
        "{{.Host.CgroupManager}}",
    ]);
    assert_eq!(info.trim(), "systemd");
    assert_eq!(
        w.env
            .ok(&["info", "--format", "{{.Host.CgroupManager}}"])
            .trim(),
        "cgroupfs"
    );
    let (code, err) = w.env.fails(&[
        flag[0],
        flag[1],
        "run",
        "--name",
        "sd1",
        "--network",
        "none",
        &img,
        "true",
    ]);
    assert_eq!(code, 126, "{err}");
    assert_eq!(err, format!("Error: {want}\n"));
    // The container stays created, with nothing mounted or running.
    let state = w
        .env
        .ok(&["inspect", "--format", "{{.State.Status}}", "sd1"]);
    assert_eq!(state.trim(), "created");
    assert!(rpod_tests::cleanup::mounts_under(w.env.dir()).is_empty());
    assert!(rpod_tests::cleanup::processes_under(w.env.dir()).is_empty());
    // The same from rpod.conf; the flag wins over the file.
    w.env
        .add_rpod_conf("[engine]\ncgroup_manager = \"systemd\"\n");
    let (code, err) = w.env.fails(&["start", "sd1"]);
    assert_eq!(code, 125, "{err}");
    assert!(err.contains(want), "{err}");
    w.env.ok(&["--cgroup-manager", "cgroupfs", "start", "sd1"]);
    w.env
        .ok(&["--cgroup-manager", "cgroupfs", "rm", "-f", "sd1"]);
}

#[test]
fn events_backend_none_and_tmpdir() {
    let (w, img) = busybox();
    let tmp = w.env.dir().join("tmpdir");
    let tmp_s = tmp.display().to_string();
    w.env.ok(&[
        "--tmpdir", &tmp_s, "run", "--rm", "--name", "ev1", &img, "true",
    ]);
    let log = std::fs::read_to_string(tmp.join("events/events.log")).unwrap();
    assert!(log.contains("ev1"), "{log}");
    let events = w.env.ok(&[
        "--tmpdir",
        &tmp_s,
        "events",
        "--stream=false",
        "--format",
        "{{.Status}}",
    ]);
    assert!(events.contains("start"), "{events}");
    w.env.ok(&[
        "--events-backend",
        "none",
        "run",
        "--rm",
        "--name",
        "ev2",
        &img,
        "true",
    ]);
    let default_log = w.env.root().join("events/events.log");
    let text = std::fs::read_to_string(default_log).unwrap_or_default();
    assert!(!text.contains("ev2"), "{text}");
}

#[test]
fn closed_stdout_ends_quietly() {
    let env = TestEnv::new();
    for _ in 0..5 {
        let mut cmd = env.cmd(&["info", "--format", "json"]);
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let status = child.wait().unwrap();
        assert!(
            status.success() || status.signal() == Some(libc::SIGPIPE),
            "{status:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn completion_scripts_and_help() {
    let env = TestEnv::new();
    let bash = env.ok(&["completion", "bash"]);
    assert!(bash.contains("_rpod()"), "{}", &bash[..200.min(bash.len())]);
    assert!(bash.contains("--storage-driver"));
    let fish = env.ok(&["completion", "fish"]);
    assert!(fish.contains("complete -c rpod"));
    let file = env.dir().join("rpod.zsh");
    env.ok(&["completion", "-f", &file.display().to_string(), "zsh"]);
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .contains("#compdef rpod"));
    let (code, _) = env.fails(&["completion", "ksh"]);
    assert_eq!(code, 125);
    let help = env.ok(&["help"]);
    assert!(
        help.contains("Usage:") && help.contains("completion"),
        "{help}"
    );
    let help = env.ok(&["run", "--help"]);
    assert!(help.contains("--log-driver"), "{help}");
    // Every command has --help, and -h where -h is not one of its flags.
    for args in [
        &["ps", "--help"][..],
        &["ps", "-h"],
        &["cp", "--help"],
        &["volume", "ls", "--help"],
        &["pod", "ps", "-h"],
        &["network", "--help"],
    ] {
        let help = env.ok(args);
        assert!(help.contains("Usage:"), "{args:?}: {help}");
    }
    let help = env.ok(&["ps", "--help"]);
    assert!(help.contains("--all"), "{help}");
}

#[test]
fn runtime_flags_reach_the_runtime() {
    let (w, img) = common::busybox();
    let (code, err) = w
        .env
        .fails(&["--runtime-flag", "invalidflag", "run", "--rm", &img, "true"]);
    assert_ne!(code, 0);
    assert!(err.contains("invalidflag"), "{err}");
    w.env
        .ok(&["--runtime-flag", "debug", "run", "--rm", &img, "true"]);
}

#[test]
fn help_offers_remote_unless_a_connection_is_named() {
    let env = TestEnv::new();
    assert!(env.ok(&["--help"]).contains(" --remote "));
    assert!(!env
        .ok(&["--url", "unix:///x", "--help"])
        .contains(" --remote "));
    let mut cmd = env.cmd(&["--help"]);
    cmd.env("CONTAINER_HOST", "unix:///x");
    let out = rpod_tests::run_with_timeout(&mut cmd, rpod_tests::DEFAULT_COMMAND_TIMEOUT);
    assert!(!String::from_utf8_lossy(&out.stdout).contains(" --remote "));
}

#[test]
fn switches_take_an_explicit_boolean_as_pflag() {
    let (w, img) = busybox();
    let id = w.env.ok(&["create", &img, "true"]);
    let id = id.trim();
    // `--all=false` is no `--all`; `-a`, `--all` and `--all=true` are.
    assert_eq!(w.env.ok(&["ps", "-q", "--all=false"]), "");
    for all in ["-a", "--all", "--all=true", "--all=1"] {
        assert_eq!(w.env.ok(&["ps", "-q", all]).trim(), &id[..12], "{all}");
    }
    // `--tty=false -i` runs without a terminal (no warning either).
    let out = w
        .env
        .run(&["run", "--rm", "--tty=false", "-i", &img, "echo", "hi"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hi\n");
    let (code, err) = w.env.fails(&["ps", "--all=maybe"]);
    assert_eq!(code, 125, "{err}");
}

#[test]
fn save_compress_is_refused_not_ignored() {
    let env = TestEnv::new();
    let out = env.dir().join("x.tar");
    let out = out.to_str().unwrap();
    let (code, err) = env.fails(&["save", "--compress", "-o", out, "busybox"]);
    assert_eq!(code, 125);
    assert!(
        err.contains("--compress can only be set when --format is 'oci-dir' or 'docker-dir'"),
        "{err}"
    );
    let (code, err) = env.fails(&[
        "save",
        "--compress",
        "--format",
        "oci-dir",
        "-o",
        out,
        "busybox",
    ]);
    assert_eq!(code, 125);
    assert!(err.contains("--compress is not supported yet"), "{err}");
    assert!(!std::path::Path::new(out).exists());
}
