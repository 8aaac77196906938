//! `generate systemd`: units that pass `systemd-analyze verify`, and the
//! pieces the `--new` unit relies on (`--cidfile`, `--replace`,
//! `--sdnotify=conmon`).

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
    let (code, err) = w.env.fails(&["run", "--sdnotify=container", &img, "true"]);
    assert_eq!(code, 125, "{err}");
}
