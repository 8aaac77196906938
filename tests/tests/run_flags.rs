//! `run`/`create` flags as Podman's: what is implemented behaves as
//! Podman, what is not is refused by name (never accepted and ignored).

mod common;

use common::busybox;

#[test]
fn env_globs_label_files_and_last_flag_wins() {
    let (w, img) = busybox();
    let mut cmd = w.env.cmd(&[
        "run",
        "--rm",
        "-e",
        "RPODTESTGLOB*",
        "-e",
        "NOT*SET",
        "-e",
        "A=1",
        "-e",
        "A=2",
        &img,
        "env",
    ]);
    cmd.env("RPODTESTGLOB", "base")
        .env("RPODTESTGLOB_x", "x")
        .env("rpodtestglob_lower", "no")
        .env("NOTREALLYSET", "no");
    let out = rpod_tests::run_with_timeout(&mut cmd, rpod_tests::DEFAULT_COMMAND_TIMEOUT);
    let env = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(env.lines().any(|l| l == "RPODTESTGLOB=base"), "{env}");
    assert!(env.lines().any(|l| l == "RPODTESTGLOB_x=x"), "{env}");
    assert!(!env.contains("rpodtestglob_lower"), "{env}");
    assert!(!env.contains("NOTREALLYSET"), "{env}");
    assert!(env.lines().any(|l| l == "A=2"), "{env}");

    let file = w.env.dir().join("labels");
    std::fs::write(&file, "a=1\n# comment\n\nb=2\n").unwrap();
    w.env.ok(&[
        "create",
        "--name",
        "lf",
        "--label-file",
        &file.display().to_string(),
        "-l",
        "b=3",
        &img,
    ]);
    let labels = w.env.ok(&[
        "inspect",
        "--format",
        "{{.Config.Labels.a}} {{.Config.Labels.b}}",
        "lf",
    ]);
    assert_eq!(labels.trim(), "1 3");
}

#[test]
fn tz_mounts_the_zone_on_etc_localtime() {
    let (w, img) = busybox();
    let out = w.env.ok(&[
        "run",
        "--rm",
        "--tz=Iceland",
        "--tz=America/New_York",
        &img,
        "date",
        "-d",
        "@1600000000",
    ]);
    assert!(out.contains("EDT"), "{out}");
    let (code, err) = w
        .env
        .fails(&["run", "--rm", "--tz=Nowhere/Atlantis", &img, "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("unknown time zone Nowhere/Atlantis"), "{err}");
}

#[test]
fn log_driver_none_and_invalid() {
    let (w, img) = busybox();
    let out = w.env.ok(&[
        "run",
        "--name",
        "ln",
        "--log-driver",
        "none",
        &img,
        "echo",
        "hi",
    ]);
    assert_eq!(out, "hi\n");
    let (code, err) = w.env.fails(&["logs", "ln"]);
    assert_eq!(code, 125);
    assert!(
        err.contains("this container is using the 'none' log driver, cannot read logs"),
        "{err}"
    );
    let t = w.env.ok(&[
        "inspect",
        "--format",
        "{{.HostConfig.LogConfig.Type}}:{{.HostConfig.LogConfig.Path}}",
        "ln",
    ]);
    assert_eq!(t.trim(), "none:");
    w.env.ok(&[
        "run",
        "--name",
        "lj",
        "--log-driver",
        "json-file",
        &img,
        "echo",
        "hj",
    ]);
    assert_eq!(w.env.ok(&["logs", "lj"]), "hj\n");
    let (code, err) = w.env.fails(&["run", "--log-driver=Invalid", &img, "true"]);
    assert_eq!(code, 125);
    assert_eq!(
        err,
        "Error: running container create option: invalid log driver: invalid argument\n"
    );
}

#[test]
fn rmi_removes_the_image_unless_in_use() {
    let (w, img) = busybox();
    // An image whose only name is rmi-me:1 (rmi of one of several names
    // only untags it, in use or not).
    w.env.ok(&["tag", &img, "localhost/rmi-me:1"]);
    w.env.ok(&["rmi", &img]);
    w.env
        .ok(&["run", "--name", "user", "localhost/rmi-me:1", "true"]);
    let out = w.env.run(&["run", "--rmi", "localhost/rmi-me:1", "true"]);
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("image is in use by a container"),
        "{out:?}"
    );
    w.env.ok(&["image", "exists", "localhost/rmi-me:1"]);
    w.env.ok(&["rm", "user"]);
    w.env.ok(&["run", "--rmi", "localhost/rmi-me:1", "true"]);
    let (code, _) = w.env.fails(&["image", "exists", "localhost/rmi-me:1"]);
    assert_eq!(code, 1);
    assert_eq!(w.env.ok(&["ps", "-aq"]), "", "--rmi implies --rm");
    w.env.ok(&["pull", "-q", &img]);
    let (code, err) = w.env.fails(&["run", "--rmi", "--rm=false", &img, "true"]);
    assert_eq!(code, 125);
    assert!(
        err.contains("the --rmi option does not work without --rm"),
        "{err}"
    );
    // Detached: the container's cleanup takes the image; `stop` of a
    // running one does it before it returns.
    w.env.ok(&["tag", &img, "localhost/rmi-me:2"]);
    w.env.ok(&["rmi", &img]);
    let id = w
        .env
        .ok(&["run", "-d", "--rmi", "localhost/rmi-me:2", "sleep", "60"]);
    let id = id.trim();
    assert_eq!(
        w.env.ok(&[
            "inspect",
            "--format",
            "{{.HostConfig.AutoRemoveImage}} {{.HostConfig.AutoRemove}}",
            id
        ]),
        "true true\n"
    );
    w.env.ok(&["stop", "-t0", id]);
    let (code, _) = w.env.fails(&["image", "exists", "localhost/rmi-me:2"]);
    assert_eq!(code, 1);
}

#[test]
fn unimplemented_flags_are_refused_by_name() {
    let (w, img) = busybox();
    for (flag, want) in [
        ("--preserve-fd=3", "--preserve-fd is not supported yet"),
        (
            "--link-local-ip=169.254.0.9",
            "--link-local-ip is not supported yet",
        ),
        (
            "--mount=type=artifact,src=x,dst=/x",
            "--mount type=artifact is not supported yet",
        ),
        ("--pidfile=/tmp/x", "--pidfile is not supported yet"),
        (
            "--log-driver=passthrough",
            "--log-driver passthrough is not supported yet",
        ),
    ] {
        let (code, err) = w.env.fails(&["run", "--rm", flag, &img, "true"]);
        assert_eq!(code, 125, "{flag}");
        assert!(err.contains(want), "{flag}: {err}");
    }
    let (code, err) = w.env.fails(&["create", "--cpu-period=1", "--cpus=2", &img]);
    assert_eq!(code, 125);
    assert_eq!(
        err,
        "Error: --cpu-period and --cpus cannot be set together\n"
    );
    let dir = w.env.dir().display().to_string();
    for opt in ["idmap", "no-dereference"] {
        let (code, err) = w.env.fails(&[
            "run",
            "--rm",
            "-v",
            &format!("{dir}:/x:{opt}"),
            &img,
            "true",
        ]);
        assert_eq!(code, 125);
        assert!(err.contains("is not supported"), "{err}");
    }
    let out = w
        .env
        .run(&["run", "--rm", "--kernel-memory", "100", &img, "true"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains("The --kernel-memory flag is no longer supported. This flag is a noop."));
    assert_eq!(w.env.ok(&["ps", "-aq"]), "", "nothing left by refused runs");
}

#[test]
fn conmon_pidfile_names_the_monitor() {
    let (w, img) = busybox();
    let pidfile = w.env.dir().join("monitor.pid");
    w.env.ok(&[
        "run",
        "-d",
        "--name",
        "cp",
        "--conmon-pidfile",
        &pidfile.display().to_string(),
        &img,
        "sleep",
        "100",
    ]);
    let from_file = std::fs::read_to_string(&pidfile).unwrap();
    let from_inspect = w
        .env
        .ok(&["inspect", "--format", "{{.State.ConmonPid}}", "cp"]);
    assert_eq!(from_file.trim(), from_inspect.trim());
    // As conmon's, the file outlives the monitor: still the pid once the
    // container has exited and its exit cleanup has run.
    w.env.ok(&["stop", "-t0", "cp"]);
    w.env.ok(&["wait", "cp"]);
    w.env.ok(&["container", "cleanup", "cp"]);
    assert_eq!(
        std::fs::read_to_string(&pidfile).unwrap().trim(),
        from_inspect.trim()
    );
    w.env.ok(&["rm", "-f", "-t0", "cp"]);
}

#[test]
fn leading_slash_names_and_pod_new_undone_on_failure() {
    let (w, img) = busybox();
    w.env.ok(&["create", "--name", "/slashed", &img]);
    let names = w.env.ok(&["ps", "-a", "--format", "{{.Names}}"]);
    assert_eq!(names.trim(), "slashed");
    let (code, _) = w.env.fails(&["create", "--name", "bad/name", &img]);
    assert_eq!(code, 125);
    let (code, err) = w.env.fails(&[
        "run",
        "--rm",
        "--pod",
        "new:podnew",
        "--name",
        "slashed",
        &img,
        "true",
    ]);
    assert_eq!(code, 125);
    assert!(err.contains("already in use"), "{err}");
    let (code, _) = w.env.fails(&["pod", "exists", "podnew"]);
    assert_eq!(code, 1, "the pod made for the failed container is removed");
    w.env.ok(&["rm", "/slashed"]);
    assert_eq!(w.env.ok(&["ps", "-aq"]), "");
}

#[test]
fn logs_of_several_containers_are_prefixed_and_followed_together() {
    let (w, img) = busybox();
    let id1 = w.env.ok(&[
        "run",
        "-d",
        "--name",
        "l1",
        &img,
        "sh",
        "-c",
        "echo a1; echo a2",
    ]);
    let id2 = w.env.ok(&[
        "run",
        "-d",
        "--name",
        "l2",
        &img,
        "sh",
        "-c",
        "sleep 1; echo b1; echo b2",
    ]);
    let out = w.env.ok(&["logs", "-f", "l1", "l2"]);
    let (s1, s2) = (&id1.trim()[..12], &id2.trim()[..12]);
    for want in [
        format!("{s1} a1"),
        format!("{s1} a2"),
        format!("{s2} b1"),
        format!("{s2} b2"),
    ] {
        assert!(out.lines().any(|l| l == want), "{want:?} in {out}");
    }
    assert_eq!(w.env.ok(&["logs", "--names", "l1"]), "l1 a1\nl1 a2\n");
    assert_eq!(w.env.ok(&["logs", "l1"]), "a1\na2\n");
    // --until with a duration is ahead of now: -f follows that long.
    w.env.ok(&[
        "run",
        "-d",
        "--name",
        "l3",
        &img,
        "sh",
        "-c",
        "while :; do echo x; sleep 0.2; done",
    ]);
    let start = std::time::Instant::now();
    let out = w.env.ok(&["logs", "--until", "2s", "-f", "l3"]);
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
    assert!(out.lines().count() >= 2, "{out}");
    assert_eq!(w.env.ok(&["logs", "--since", "-1s", "l1"]), "");
    w.env.ok(&["rm", "-f", "-t0", "l3"]);
}

#[test]
fn containerenv_exists_and_is_empty_unless_run_is_mounted() {
    let (w, img) = busybox();
    for extra in [&[][..], &["--read-only"][..]] {
        let mut args = vec!["run", "--rm"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&[&img, "stat", "-c", "%s", "/run/.containerenv"]);
        assert_eq!(w.env.ok(&args).trim(), "0", "{extra:?}");
    }
    let dir = w.env.dir().join("run-mount");
    std::fs::create_dir_all(&dir).unwrap();
    let vol = format!("{}:/run", dir.display());
    let out = w
        .env
        .run(&["run", "--rm", "-v", &vol, &img, "ls", "-A", "/run"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "");
}

#[test]
fn umask_and_group_add_for_the_process_and_exec_sessions() {
    let (w, img) = busybox();
    let out = w.env.ok(&[
        "run",
        "--rm",
        "--umask",
        "0724",
        &img,
        "grep",
        "Umask",
        "/proc/self/status",
    ]);
    assert!(out.contains("0724"), "{out}");
    let def = w
        .env
        .ok(&["run", "--rm", &img, "grep", "Umask", "/proc/self/status"]);
    assert!(def.contains("0022"), "{def}");
    let bad = w.env.run(&["run", "--rm", "--umask", "999", &img, "true"]);
    assert_eq!(bad.status.code(), Some(125));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("invalid umask string 999: invalid argument")
    );

    w.env.ok(&[
        "run",
        "-d",
        "--name",
        "ga",
        "--umask",
        "0027",
        "--group-add",
        "1,2,3",
        &img,
        "sleep",
        "60",
    ]);
    let groups = w.env.ok(&["exec", "--user", "root:root", "ga", "id", "-G"]);
    assert_eq!(groups.trim(), "0 1 2 3");
    let umask = w
        .env
        .ok(&["exec", "ga", "grep", "Umask", "/proc/self/status"]);
    assert!(umask.contains("0027"), "{umask}");
    let inspected = w.env.ok(&[
        "inspect",
        "--format",
        "{{.Config.Umask}} {{.HostConfig.GroupAdd}}",
        "ga",
    ]);
    assert_eq!(inspected.trim(), "0027 [1 2 3]");
    w.env.ok(&["rm", "-f", "-t", "0", "ga"]);

    let missing = w
        .env
        .run(&["run", "--rm", "--group-add", "no-such-group", &img, "true"]);
    assert_ne!(missing.status.code(), Some(0));
}

#[test]
fn log_size_is_decimal_and_shown_as_podman_does() {
    let (w, img) = busybox();
    w.env.ok(&[
        "create",
        "--name",
        "ls1",
        "--log-opt",
        "max-size=1.091m",
        &img,
        "true",
    ]);
    let size = w.env.ok(&[
        "inspect",
        "--format",
        "{{.HostConfig.LogConfig.Size}}",
        "ls1",
    ]);
    assert_eq!(size.trim(), "1.091MB");
    w.env.ok(&[
        "create",
        "--name",
        "ls2",
        "--log-opt",
        "max-size=8000",
        &img,
        "true",
    ]);
    let size = w.env.ok(&[
        "inspect",
        "--format",
        "{{.HostConfig.LogConfig.Size}}",
        "ls2",
    ]);
    assert_eq!(size.trim(), "8kB");
    w.env.ok(&["create", "--name", "ls3", &img, "true"]);
    let size = w.env.ok(&[
        "inspect",
        "--format",
        "{{.HostConfig.LogConfig.Size}}",
        "ls3",
    ]);
    assert_eq!(size.trim(), "0B");
}

#[test]
fn timeout_unsetenv_and_missing_workdir_as_podman() {
    let (w, img) = busybox();
    // --timeout: the monitor kills the process; exit code -1 (255).
    let out = w
        .env
        .run(&["run", "--name", "to", "--timeout", "1", &img, "sleep", "60"]);
    assert_eq!(out.status.code(), Some(255));
    let state = w.env.ok(&[
        "inspect",
        "--format",
        "{{.State.Status}} {{.State.ExitCode}}",
        "to",
    ]);
    assert_eq!(state.trim(), "exited -1");

    // --unsetenv drops defaults (image, built-in); -e still applies.
    let env = w
        .env
        .ok(&["run", "--rm", "--unsetenv", "container", &img, "env"]);
    assert!(!env.contains("container="), "{env}");
    assert!(env.contains("PATH="), "{env}");
    let env = w.env.ok(&[
        "run",
        "--rm",
        "-t=false",
        "--unsetenv-all",
        "-e",
        "TERM=abc",
        &img,
        // No PATH: the command needs its full path.
        "/bin/env",
    ]);
    assert!(env.contains("TERM=abc"), "{env}");
    assert!(
        !env.contains("PATH=") && !env.contains("container="),
        "{env}"
    );

    // A --workdir the image lacks is not created: 126 and Podman's words;
    // under a bind mount it is the runtime's to make.
    let (code, err) = w
        .env
        .fails(&["run", "--rm", "--workdir", "/i/do/not/exist", &img, "pwd"]);
    assert_eq!(code, 126);
    assert!(
        err.starts_with("Error: workdir \"/i/do/not/exist\" does not exist on container "),
        "{err}"
    );
    // Its monitor, started while the container was prepared, is gone with
    // its sockets.
    let runroot = w.env.runroot().display().to_string();
    let monitors: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|p| std::fs::read(p.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains("pod-monitor") && c.contains(&runroot))
        .collect();
    assert!(monitors.is_empty(), "{monitors:?}");
    let sockets: Vec<_> = std::fs::read_dir(w.env.runroot().join("s"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(sockets.is_empty(), "{sockets:?}");
    let dir = w.env.dir().display().to_string();
    let pwd = w.env.ok(&[
        "run",
        "--rm",
        "--workdir",
        "/notinimage/sub",
        "-v",
        &format!("{dir}:/notinimage"),
        &img,
        "pwd",
    ]);
    assert_eq!(pwd.trim(), "/notinimage/sub");
    // An OCI runtime failure in run is 126 too (not found: 127).
    let (code, _) = w.env.fails(&["run", "--rm", &img, "/no/such/cmd"]);
    assert_eq!(code, 127);
}

#[test]
fn negative_stop_timeout_waits_and_image_name_is_the_one_given() {
    let (w, img) = busybox();
    // -t -1: no SIGKILL; the process ends on its own after SIGTERM.
    w.env.ok(&[
        "run",
        "-d",
        "--name",
        "st",
        &img,
        "sh",
        "-c",
        "trap 'exit 7' TERM; while true; do sleep 0.1; done",
    ]);
    assert_eq!(w.env.ok(&["stop", "-t", "-1", "st"]).trim(), "st");
    let code = w
        .env
        .ok(&["inspect", "--format", "{{.State.ExitCode}}", "st"]);
    assert_eq!(code.trim(), "7");
    assert_eq!(w.env.ok(&["rm", "-t", "-1", "-f", "st"]).trim(), "st");

    // .ImageName: the name create resolved, not the image's first name.
    w.env.ok(&["tag", &img, "localhost/other/name:v1"]);
    w.env
        .ok(&["create", "--name", "in", "other/name:v1", "true"]);
    let name = w.env.ok(&["inspect", "--format", "{{.ImageName}}", "in"]);
    assert_eq!(name.trim(), "localhost/other/name:v1");
}

/// `--runtime /full/path` stays a path in `{{.OCIRuntime}}`; the default
/// runtime shows by name.
#[test]
fn runtime_path_is_kept_in_inspect() {
    let (w, img) = busybox();
    let out = std::process::Command::new("sh")
        .args(["-c", "command -v runc"])
        .output()
        .unwrap();
    let runc = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(runc.starts_with('/'), "runc not found: {runc:?}");
    let by_path = rpod_tests::unique_name("rtpath");
    w.env.ok(&[
        "create",
        "--name",
        &by_path,
        "--runtime",
        &runc,
        &img,
        "true",
    ]);
    let plain = rpod_tests::unique_name("rtname");
    w.env.ok(&["create", "--name", &plain, &img, "true"]);
    let runtime = |n: &str| w.env.ok(&["inspect", "--format", "{{.OCIRuntime}}", n]);
    assert_eq!(runtime(&by_path), format!("{runc}\n"));
    assert_eq!(runtime(&plain), "runc\n");
    w.env.ok(&["rm", &by_path, &plain]);
}

/// `--default-mounts-file`: each `HOST:CONTAINER` line mounts the host
/// path (read-only) into the container; a missing file or host path is
/// skipped without a word.
#[test]
fn default_mounts_file_mounts_its_lines() {
    let (w, img) = busybox();
    let dir = w.env.dir();
    let conf = dir.join("mounts.conf");
    let flag = format!("--default-mounts-file={}", conf.display());
    let out = w.env.run(&["run", "--rm", &flag, &img, "echo", "none"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "none\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    let host = dir.join("subscription");
    std::fs::create_dir(&host).unwrap();
    std::fs::write(host.join("token"), "s3cret\n").unwrap();
    std::fs::write(
        &conf,
        format!("/nonexistent/x:/x\n{}:/run/secrets\n", host.display()),
    )
    .unwrap();
    let out = w
        .env
        .run(&["run", "--rm", &flag, &img, "cat", "/run/secrets/token"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "s3cret\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    let (code, _) = w
        .env
        .fails(&["run", "--rm", &flag, &img, "touch", "/run/secrets/new"]);
    assert_eq!(code, 1, "the mount is read-only");
}

/// `run --attach/-a STREAM`: only the named streams reach the caller (all
/// are logged); with no output stream the container's ID is printed.
#[test]
fn run_attach_copies_only_the_chosen_streams() {
    let (w, img) = busybox();
    let name = rpod_tests::unique_name("attach");
    let out = w.env.run(&[
        "run",
        "--name",
        &name,
        "-a",
        "stderr",
        &img,
        "sh",
        "-c",
        "echo out; echo err >&2",
    ]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "err\n");
    let logs = w.env.run(&["logs", &name]);
    assert_eq!(String::from_utf8_lossy(&logs.stdout), "out\n");
    w.env.ok(&["rm", &name]);
    let out = w.env.ok(&[
        "run", "--name", &name, "--attach", "stdin", &img, "echo", "hello",
    ]);
    let id = w.env.ok(&["inspect", "--format", "{{.Id}}", &name]);
    assert_eq!(out, id);
    w.env.ok(&["rm", &name]);
    let (code, err) = w.env.fails(&["run", "--rm", "-a", "tty", &img, "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("invalid stream \"tty\" for --attach"), "{err}");
    let (code, err) = w.env.fails(&["create", "-a", "stdout", &img, "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("--attach is not supported yet"), "{err}");
}

/// `inspect -l` / `container inspect --latest`: the container created last.
#[test]
fn inspect_latest() {
    let (w, img) = busybox();
    let first = rpod_tests::unique_name("first");
    let last = rpod_tests::unique_name("last");
    w.env.ok(&["create", "--name", &first, &img, "true"]);
    w.env.ok(&["create", "--name", &last, &img, "true"]);
    let want = format!("{last}\n");
    assert_eq!(w.env.ok(&["inspect", "-l", "--format", "{{.Name}}"]), want);
    assert_eq!(
        w.env
            .ok(&["container", "inspect", "--latest", "--format", "{{.Name}}"]),
        want
    );
    let (code, err) = w.env.fails(&["inspect", "-l", &first]);
    assert_eq!(code, 125);
    assert!(
        err.contains("--latest and containers cannot be used together"),
        "{err}"
    );
}

#[test]
fn container_cleanup_rm_rmi_latest_and_exec_conflicts() {
    let (w, img) = busybox();
    // A copy of the image under its own name, so removing it leaves the
    // world's image alone.
    let copy = rpod_tests::unique_name("localhost/cleanup-rmi");
    w.env.ok(&["tag", &img, &copy]);
    let name = rpod_tests::unique_name("clean");
    w.env.ok(&["run", "--name", &name, &copy, "true"]);
    w.env
        .ok(&["container", "cleanup", "--rm", "--rmi", "--latest"]);
    let (code, _) = w.env.fails(&["container", "exists", &name]);
    assert_eq!(code, 1, "--rm removed the container");
    let (code, _) = w.env.fails(&["image", "exists", &copy]);
    assert_eq!(code, 1, "--rmi removed its image");
    w.env.ok(&["image", "exists", &img]);
    for (args, msg) in [
        (
            vec!["--all", "--exec=foo"],
            "--all and --exec cannot be set together",
        ),
        (
            vec!["--exec=foo", "--all"],
            "--all and --exec cannot be set together",
        ),
        (
            vec!["--exec=foo", "--rmi", "foo"],
            "--exec and --rmi cannot be set together",
        ),
        (
            vec!["--rmi", "--exec=foo", "foo"],
            "--exec and --rmi cannot be set together",
        ),
    ] {
        let mut full = vec!["container", "cleanup"];
        full.extend(args);
        let (code, err) = w.env.fails(&full);
        assert_eq!(code, 125);
        assert_eq!(err.trim(), format!("Error: {msg}"));
    }
}

/// Ports given to a mode without ports: the engine drops them and its
/// create report carries Podman's warning, which the CLI prints.
#[test]
fn ports_into_network_none_are_dropped_with_podmans_warning() {
    let (w, img) = busybox();
    let warning = "Port mappings have been discarded because \"none\" network namespace mode does not support them";
    let out = w.env.run(&[
        "run",
        "--rm",
        "--network",
        "none",
        "-p",
        "8080:80",
        &img,
        "true",
    ]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stderr).trim(), warning);
    let out = w
        .env
        .run(&["create", "--network", "none", "-p", "8080:80", &img]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stderr).trim(), warning);
    let id = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let ports = w
        .env
        .ok(&["inspect", "--format", "{{.HostConfig.PortBindings}}", &id]);
    assert_eq!(ports.trim(), "map[]");
}

/// `cmd` with `files` on its descriptors 3, 4, ... (as a shell's `3<FILE`).
fn with_fds(cmd: &mut std::process::Command, files: &[std::fs::File]) {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let raw: Vec<i32> = files.iter().map(AsRawFd::as_raw_fd).collect();
    let mut copies = vec![0; raw.len()];
    // SAFETY: fcntl and dup2 are async-signal-safe; the vectors were sized
    // before the fork. Sources are copied above the targets first.
    unsafe {
        cmd.pre_exec(move || {
            for (slot, fd) in copies.iter_mut().zip(&raw) {
                *slot = libc::fcntl(*fd, libc::F_DUPFD_CLOEXEC, 100);
            }
            for (i, copy) in copies.iter().enumerate() {
                if libc::dup2(*copy, 3 + i as i32) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
}

#[test]
fn preserve_fds_passes_the_callers_descriptors_and_only_those() {
    let (w, img) = busybox();
    let file = w.env.dir().join("fd4");
    std::fs::write(&file, "through fd 4\n").unwrap();
    let open = || {
        vec![
            std::fs::File::open("/dev/null").unwrap(),
            std::fs::File::open(&file).unwrap(),
        ]
    };
    // Attached and detached: fd 4 is the file in the container; rpod's own
    // descriptors (its database, the monitor's sockets) do not follow.
    let mut cmd = w.env.cmd(&[
        "run",
        "--rm",
        "--preserve-fds=2",
        &img,
        "sh",
        "-c",
        "cat <&4; ls /proc/self/fd | wc -l",
    ]);
    let files = open();
    with_fds(&mut cmd, &files);
    let out = rpod_tests::run_with_timeout(&mut cmd, rpod_tests::DEFAULT_COMMAND_TIMEOUT);
    drop(files);
    assert!(out.status.success(), "{out:?}");
    // 0-4 and the listing's own descriptor.
    assert_eq!(String::from_utf8_lossy(&out.stdout), "through fd 4\n6\n");

    let mut cmd = w.env.cmd(&[
        "run",
        "-d",
        "--preserve-fds=2",
        &img,
        "sh",
        "-c",
        "cat <&4 > /tmp/got; sleep 100",
    ]);
    let files = open();
    with_fds(&mut cmd, &files);
    let out = rpod_tests::run_with_timeout(&mut cmd, rpod_tests::DEFAULT_COMMAND_TIMEOUT);
    drop(files);
    assert!(out.status.success(), "{out:?}");
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    rpod_tests::wait_until(std::time::Duration::from_secs(20), "fd 4 read", || {
        w.env.run(&["exec", &id, "cat", "/tmp/got"]).stdout == b"through fd 4\n"
    });
    // exec passes them too.
    let mut cmd = w
        .env
        .cmd(&["exec", "--preserve-fds=2", &id, "sh", "-c", "cat <&4"]);
    let files = open();
    with_fds(&mut cmd, &files);
    let out = rpod_tests::run_with_timeout(&mut cmd, rpod_tests::DEFAULT_COMMAND_TIMEOUT);
    drop(files);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "through fd 4\n",
        "{out:?}"
    );
    let (code, err) = w.env.fails(&["exec", "--preserve-fds=1", &id, "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("file descriptor 3 is not available"), "{err}");
    w.env.ok(&["rm", "-f", "-t0", &id]);

    // Descriptors the caller did not pass: Podman's error, nothing created.
    let (code, err) = w
        .env
        .fails(&["run", "--rm", "--preserve-fds=2", &img, "true"]);
    assert_eq!(code, 125);
    assert_eq!(
        err,
        "Error: file descriptor 3 is not available - the preserve-fds option requires that all file descriptors must be passed\n"
    );
    assert_eq!(w.env.ok(&["ps", "-aq"]), "");
    // `create` has no such flag (as Podman's).
    let (code, err) = w.env.fails(&["create", "--preserve-fds=1", &img]);
    assert_eq!(code, 125);
    assert!(err.contains("unknown flag: --preserve-fds"), "{err}");
}

#[test]
fn no_hostname_keeps_the_images_file_and_mtab_links_to_proc_mounts() {
    let (w, img) = busybox();
    // An image without /etc/hostname and /etc/mtab (made by commit).
    w.env.ok(&[
        "run",
        "--no-hostname",
        "--name",
        "strip",
        &img,
        "rm",
        "-f",
        "/etc/hostname",
        "/etc/mtab",
    ]);
    w.env.ok(&["commit", "-q", "strip", "stripped"]);
    w.env.ok(&["rm", "strip"]);
    let out = w
        .env
        .ok(&["run", "--rm", "stripped", "cat", "/etc/hostname"]);
    assert!(
        !out.trim().is_empty(),
        "a hostname file is mounted by default"
    );
    let out = w.env.run(&[
        "run",
        "--rm",
        "--no-hostname",
        "stripped",
        "ls",
        "/etc/hostname",
    ]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("/etc/hostname: No such file or directory"),
        "{out:?}"
    );
    let out = w.env.run(&[
        "run",
        "--rm",
        "--no-hostname=false",
        "stripped",
        "ls",
        "/etc/hostname",
    ]);
    assert!(out.status.success(), "{out:?}");
    // Podman's /etc/mtab where the image has none, and diff does not show it.
    let link = w
        .env
        .ok(&["run", "--name", "mt", "stripped", "readlink", "/etc/mtab"]);
    assert_eq!(link.trim(), "/proc/mounts");
    let diff = w.env.ok(&["diff", "mt"]);
    assert!(!diff.contains("/etc/mtab"), "{diff}");
    w.env.ok(&["rm", "mt"]);
}
