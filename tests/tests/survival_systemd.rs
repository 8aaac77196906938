//! `generate systemd`: units that pass `systemd-analyze verify`, and the
//! pieces the `--new` unit relies on (`--cidfile`, `--replace`,
//! `--sdnotify=conmon`), pods with their members, `--sdnotify=container`
//! and `--sdnotify=healthy`.

mod common;

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::time::Duration;

use common::{busybox, inspect};
use rpod_tests::unique_name;

fn verify(unit: &Path) {
    let out = std::process::Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(unit)
        .output()
        .expect("systemd-analyze (Debian package systemd) is needed");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}: {}\n{}",
        unit.display(),
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(unit).unwrap()
    );
}

#[test]
fn generated_units_pass_systemd_analyze_verify() {
    let (w, img) = busybox();
    let name = unique_name("svc");
    let id = w
        .env
        .ok(&[
            "create",
            "--name",
            &name,
            "-e",
            "GREETING=hello world",
            "-e",
            "COST=$5 100%",
            "--health-cmd",
            "test -e /tmp",
            "--stop-timeout",
            "7",
            &img,
            "sh",
            "-c",
            "echo \"$GREETING\"; sleep 300",
        ])
        .trim()
        .to_owned();
    let dir = tempfile::tempdir().unwrap();
    // Printed, by id.
    let unit = w.env.ok(&["generate", "systemd", &name]);
    assert!(
        unit.contains(&format!("# container-{id}.service")),
        "{unit}"
    );
    assert!(unit.contains("Type=forking"), "{unit}");
    assert!(unit.contains(&format!("start {id}\n")), "{unit}");
    assert!(unit.contains("TimeoutStopSec=67"), "{unit}");
    assert!(
        unit.contains(&format!(
            "PIDFile={}",
            w.env
                .runroot()
                .join("containers")
                .join(&id)
                .join("monitor.pid")
                .display()
        )),
        "{unit}"
    );
    let path = dir.path().join(format!("container-{id}.service"));
    std::fs::write(&path, &unit).unwrap();
    verify(&path);
    // --files --new --name, written into the current directory.
    let mut cmd = w.env.cmd(&[
        "generate",
        "systemd",
        "--new",
        "--files",
        "--name",
        "--restart-policy",
        "always",
        "-t",
        "3",
        &name,
    ]);
    cmd.current_dir(dir.path());
    let out = rpod_tests::run_with_timeout(&mut cmd, Duration::from_secs(30));
    assert!(out.status.success(), "{out:?}");
    let written = String::from_utf8(out.stdout).unwrap();
    let file = dir.path().join(format!("container-{name}.service"));
    assert_eq!(written.trim(), file.display().to_string());
    let text = std::fs::read_to_string(&file).unwrap();
    for want in [
        "Type=notify",
        "NotifyAccess=all",
        "Restart=always",
        "--cidfile=%t/%n.ctr-id",
        "--sdnotify=conmon",
        "--replace",
        "\"GREETING=hello world\"",
        "\"COST=$$5 100%%\"",
        "stop --ignore -t 3",
    ] {
        assert!(text.contains(want), "{want} missing:\n{text}");
    }
    verify(&file);
    let (code, _) = w.env.fails(&[
        "generate",
        "systemd",
        "--restart-policy",
        "sometimes",
        &name,
    ]);
    assert_eq!(code, 125);
}

#[test]
fn new_unit_commands_cidfile_replace_and_sdnotify() {
    let (w, img) = busybox();
    let name = unique_name("notify");
    let dir = tempfile::tempdir().unwrap();
    let cidfile = dir.path().join("unit.ctr-id");
    let sock_path = dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let cid = format!("--cidfile={}", cidfile.display());
    let run = |w: &common::World| {
        let mut cmd = w.env.cmd(&[
            "run",
            &cid,
            "--rm",
            "--sdnotify=conmon",
            "--replace",
            "-d",
            "--name",
            &name,
            &img,
            "sleep",
            "300",
        ]);
        cmd.env("NOTIFY_SOCKET", &sock_path);
        let out = rpod_tests::run_with_timeout(&mut cmd, Duration::from_secs(30));
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let first = run(&w);
    assert_eq!(std::fs::read_to_string(&cidfile).unwrap(), first);
    let mut buf = [0u8; 256];
    let n = sock.recv(&mut buf).unwrap();
    let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
    let monitor = inspect(&w.env, &name)["State"]["ConmonPid"]
        .as_i64()
        .unwrap();
    assert_eq!(msg, format!("MAINPID={monitor}\nREADY=1\n"));
    // A second ExecStart (after a crash of the unit) replaces the container;
    // the cidfile of the old one must be gone first (ExecStopPost does that).
    std::fs::remove_file(&cidfile).unwrap();
    let second = run(&w);
    assert_ne!(first, second);
    let ps = w.env.ok(&["ps", "-a", "--format", "{{.ID}}"]);
    assert_eq!(ps.trim(), &second[..12]);
    // ExecStop and ExecStopPost.
    w.env.ok(&["stop", "--ignore", "-t", "0", &cid]);
    w.env.ok(&["rm", "-f", "--ignore", "-t", "0", &cid]);
    assert!(!cidfile.exists());
    assert_eq!(w.env.ok(&["ps", "-a", "-q"]), "");
    w.env.ok(&["stop", "--ignore", "-t", "0", &cid]);
    w.env.ok(&["rm", "-f", "--ignore", "-t", "0", &cid]);
    let (code, err) = w.env.fails(&["run", "--sdnotify=bogus", &img, "true"]);
    assert_eq!(code, 125, "{err}");
}

/// `--sdnotify=container`: the container gets `NOTIFY_SOCKET` (the
/// monitor's socket, mounted at /run/notify) and its `READY=1` reaches the
/// outer socket from the monitor. busybox has no client for unix datagram
/// sockets (its `nc` lacks `-U`), so the container runs the host's
/// `systemd-notify` with the host's /usr and libraries mounted read-only.
#[test]
fn sdnotify_container_relays_the_containers_ready() {
    let (w, img) = busybox();
    let name = unique_name("ctrnotify");
    let dir = tempfile::tempdir().unwrap();
    let trigger = dir.path().join("trigger");
    std::fs::create_dir(&trigger).unwrap();
    let sock_path = dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    let vol = format!("{}:/trigger", trigger.display());
    let script = "echo \"$NOTIFY_SOCKET\" > /trigger/env; \
                  while [ ! -e /trigger/go ]; do sleep 0.1; done; \
                  /usr/bin/systemd-notify --ready --no-block; sleep 300";
    let mut cmd = w.env.cmd(&[
        "run",
        "-d",
        "--sdnotify=container",
        "--name",
        &name,
        "-v",
        &vol,
        "-v",
        "/usr:/usr:ro",
        "-v",
        "/usr/lib:/lib:ro",
        "-v",
        "/usr/lib64:/lib64:ro",
        &img,
        "sh",
        "-c",
        script,
    ]);
    cmd.env("NOTIFY_SOCKET", &sock_path);
    let out = rpod_tests::run_with_timeout(&mut cmd, Duration::from_secs(30));
    assert!(out.status.success(), "{out:?}");
    rpod_tests::wait_until(Duration::from_secs(10), "the container script", || {
        trigger.join("env").exists()
    });
    assert_eq!(
        std::fs::read_to_string(trigger.join("env")).unwrap(),
        "/run/notify/notify.sock\n"
    );
    // Nobody says ready before the container does (rpod itself does not).
    sock.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut buf = [0u8; 256];
    assert!(
        sock.recv(&mut buf).is_err(),
        "notified before the container"
    );
    std::fs::write(trigger.join("go"), "").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let n = sock.recv(&mut buf).expect("READY=1 relayed");
    let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
    let monitor = inspect(&w.env, &name)["State"]["ConmonPid"]
        .as_i64()
        .unwrap();
    assert_eq!(msg, format!("MAINPID={monitor}\nREADY=1\n"));
    w.env.ok(&["rm", "-f", "-t", "0", &name]);
}

/// `--sdnotify=healthy`: `start` names the monitor as main pid at once,
/// then blocks; the monitor sends `READY=1` when the health check first
/// passes (here a manual `healthcheck run`), and `start` returns.
#[test]
fn sdnotify_healthy_is_ready_at_the_first_passing_check() {
    let (w, img) = busybox();
    let (code, err) = w.env.fails(&["create", "--sdnotify=healthy", &img]);
    assert_eq!(code, 125, "{err}");
    assert!(
        err.contains(
            "Error: invalid argument: sdnotify policy \"healthy\" requires a healthcheck to be set"
        ),
        "{err}"
    );
    let name = unique_name("healthynotify");
    w.env.ok(&[
        "create",
        "--name",
        &name,
        "--health-cmd=/bin/true",
        "--health-retries=1",
        "--health-interval=disable",
        "--sdnotify=healthy",
        &img,
        "sleep",
        "300",
    ]);
    let dir = tempfile::tempdir().unwrap();
    let sock_path = dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut start = w.env.cmd(&["start", &name]);
    start.env("NOTIFY_SOCKET", &sock_path);
    let mut start = start.spawn().unwrap();
    let mut buf = [0u8; 256];
    let n = sock.recv(&mut buf).expect("MAINPID from start");
    let monitor = inspect(&w.env, &name)["State"]["ConmonPid"]
        .as_i64()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&buf[..n]),
        format!("MAINPID={monitor}\n")
    );
    // No check runs on its own (interval disabled): start still waits.
    assert!(start.try_wait().unwrap().is_none(), "start returned early");
    assert_eq!(w.env.ok(&["healthcheck", "run", &name]), "");
    let n = sock.recv(&mut buf).expect("READY=1 from the monitor");
    assert_eq!(String::from_utf8_lossy(&buf[..n]), "READY=1\n");
    assert!(start.wait().unwrap().success());
    assert_eq!(
        inspect(&w.env, &name)["State"]["Status"],
        "running",
        "still running"
    );
    w.env.ok(&["rm", "-f", "-t", "0", &name]);
}

fn verify_all(paths: &[std::path::PathBuf]) {
    let out = std::process::Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .args(paths)
        .output()
        .expect("systemd-analyze (Debian package systemd) is needed");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn pod_units_with_members_and_new_pod_commands() {
    let (w, img) = busybox();
    let pod = unique_name("svcpod");
    let member = unique_name("member");
    w.env
        .ok(&["pod", "create", "--name", &pod, "--label", "app=web"]);
    let mid = w
        .env
        .ok(&[
            "create", "--pod", &pod, "--name", &member, &img, "sleep", "300",
        ])
        .trim()
        .to_owned();
    let dir = tempfile::tempdir().unwrap();
    for new in [false, true] {
        let mut args = vec!["generate", "systemd", "--files", "--name"];
        if new {
            args.push("--new");
        }
        args.push(&pod);
        let mut cmd = w.env.cmd(&args);
        cmd.current_dir(dir.path());
        let out = rpod_tests::run_with_timeout(&mut cmd, Duration::from_secs(30));
        assert!(out.status.success(), "{out:?}");
        let files: Vec<std::path::PathBuf> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(Into::into)
            .collect();
        let pod_unit = format!("pod-{pod}.service");
        let member_unit = format!("container-{member}.service");
        assert_eq!(
            files,
            vec![dir.path().join(&pod_unit), dir.path().join(&member_unit)]
        );
        let pod_text = std::fs::read_to_string(&files[0]).unwrap();
        let member_text = std::fs::read_to_string(&files[1]).unwrap();
        assert!(
            pod_text.contains(&format!("Wants={member_unit}\n")),
            "{pod_text}"
        );
        assert!(
            pod_text.contains(&format!("Before={member_unit}\n")),
            "{pod_text}"
        );
        assert!(pod_text.contains("Type=forking"), "{pod_text}");
        assert!(
            member_text.contains(&format!("BindsTo={pod_unit}\n")),
            "{member_text}"
        );
        assert!(
            member_text.contains(&format!("After={pod_unit}\n")),
            "{member_text}"
        );
        if new {
            for want in [
                "--infra-conmon-pidfile %t/",
                "--exit-policy=stop --replace",
                "--label app=web",
                &format!("PIDFile=%t/pod-{pod}.pid\n"),
                &format!("--pod-id-file %t/pod-{pod}.pod-id "),
            ] {
                assert!(pod_text.contains(want), "{want} missing:\n{pod_text}");
            }
            assert!(
                member_text.contains(&format!("--rm --pod {pod} --sdnotify=conmon")),
                "{member_text}"
            );
        } else {
            assert!(!member_text.contains("--pod"), "{member_text}");
            assert!(
                member_text.contains(&format!("start {member}\n")),
                "{member_text}"
            );
        }
        verify_all(&files);
    }
    // What the --new pod unit runs: replace the pod, link the infra pid
    // file, start; the member joins by pod name.
    let pidfile = dir.path().join("pod.pid");
    let idfile = dir.path().join("pod.pod-id");
    let create = |w: &common::World| {
        w.env
            .ok(&[
                "pod",
                "create",
                "--infra-conmon-pidfile",
                pidfile.to_str().unwrap(),
                "--pod-id-file",
                idfile.to_str().unwrap(),
                "--exit-policy=stop",
                "--replace",
                "--name",
                &pod,
            ])
            .trim()
            .to_owned()
    };
    let first = create(&w);
    assert!(!w.env.ok(&["ps", "-a", "-q", "--no-trunc"]).contains(&mid));
    let second = create(&w);
    assert_ne!(first, second);
    assert_eq!(std::fs::read_to_string(&idfile).unwrap(), second);
    assert_eq!(w.env.ok(&["pod", "ps", "-q", "--no-trunc"]).trim(), second);
    w.env.ok(&[
        "run",
        "--rm",
        "--pod",
        &pod,
        "--replace",
        "-d",
        "--name",
        &member,
        &img,
        "sleep",
        "300",
    ]);
    let infra = common::inspect(&w.env, &format!("{}-infra", &second[..12]));
    let monitor = infra["State"]["ConmonPid"].as_i64().unwrap();
    assert_eq!(
        std::fs::read_to_string(&pidfile).unwrap().trim(),
        monitor.to_string()
    );
    w.env.ok(&["pod", "stop", "--ignore", "-t", "0", &pod]);
    w.env.ok(&["pod", "rm", "--ignore", "-f", "-t", "0", &pod]);
    w.env.ok(&["pod", "rm", "--ignore", "-f", "-t", "0", &pod]);
    assert_eq!(w.env.ok(&["ps", "-a", "-q"]), "");
}
