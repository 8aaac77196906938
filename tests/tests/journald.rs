//! `--log-driver journald` and `--events-backend journald`: the monitor
//! sends each line to journald with conmon's fields, `logs` reads them back
//! (with `--tail`, and `--follow` ending at the container's `died` event),
//! and events go to and come from the journal.
//!
//! Needs a journal: when none listens on /run/systemd/journal/socket (no
//! systemd as PID 1), the test starts a standalone systemd-journald as the
//! conformance runner does, and stops it at the end.

mod common;

use std::process::{Child, Command, Stdio};

use common::{busybox, inspect};
use rpod_tests::unique_name;
use serde_json::Value;

/// A journald this test started (stopped on drop), or none when one was
/// already listening.
struct Journald(Option<Child>);

impl Drop for Journald {
    fn drop(&mut self) {
        if let Some(c) = &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn journal_answers() -> bool {
    Command::new("systemd-cat")
        .args(["-t", "rpod-tests", "true"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn ensure_journald() -> Journald {
    if journal_answers() {
        return Journald(None);
    }
    let child = Command::new("/lib/systemd/systemd-journald")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("no journal listens and /lib/systemd/systemd-journald cannot start");
    let guard = Journald(Some(child));
    rpod_tests::wait_until(
        std::time::Duration::from_secs(10),
        "journald to listen",
        journal_answers,
    );
    guard
}

/// `journalctl ARGS` (its stdout).
fn journalctl(args: &[&str]) -> String {
    let out = Command::new("journalctl")
        .args(["--no-pager", "--quiet"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "journalctl {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn journald_log_driver_and_events_backend() {
    let _journald = ensure_journald();
    let (w, img) = busybox();
    let env = &w.env;

    // The monitor sends each line with conmon's fields.
    let name = unique_name("jlog");
    let pidfile = env.dir().join("monitor.pid");
    let pidfile_s = pidfile.display().to_string();
    let out = env.ok(&[
        "run",
        "--name",
        &name,
        "--log-driver=none",
        "--log-driver",
        "journald",
        "--conmon-pidfile",
        &pidfile_s,
        &img,
        "sh",
        "-c",
        "echo out-1; echo err-1 >&2; echo out-2",
    ]);
    assert!(out.contains("out-1\n"), "{out}");
    let c = inspect(env, &name);
    assert_eq!(c["HostConfig"]["LogConfig"]["Type"], "journald");
    assert_eq!(c["HostConfig"]["LogConfig"]["Path"], "");
    let id = c["Id"].as_str().unwrap().to_owned();
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    // stdout and stderr are separate pipes: only each one's order is kept.
    let by_pid = journalctl(&["--output=cat", &format!("_PID={}", pid.trim())]);
    let mut lines: Vec<&str> = by_pid.lines().collect();
    lines.sort();
    assert_eq!(lines, ["err-1", "out-1", "out-2"], "{by_pid}");
    let entries: Vec<Value> = journalctl(&["--output=json", &format!("CONTAINER_ID_FULL={id}")])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 3);
    let by_message = |m: &str| entries.iter().find(|e| e["MESSAGE"] == m).unwrap();
    let err = by_message("err-1");
    assert_eq!(err["PRIORITY"], "3");
    assert_eq!(by_message("out-1")["PRIORITY"], "6");
    assert_eq!(err["CONTAINER_ID"], id[..12]);
    assert_eq!(err["CONTAINER_NAME"], name.as_str());
    assert_eq!(err["SYSLOG_IDENTIFIER"], name.as_str());
    assert!(err.get("CONTAINER_PARTIAL_MESSAGE").is_none());

    // `logs` reads them back; --tail counts lines.
    let out = env.run(&["logs", &name]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "out-1\nout-2\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "err-1\n");
    let out = env.run(&["logs", "--tail", "1", &name]);
    let last = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(last == "out-2\n" || last == "err-1\n", "{last}");

    // Following needs the container's events in the journal too.
    let (code, err) = env.fails(&["logs", "-f", &name]);
    assert_eq!(code, 125);
    assert_eq!(
        err,
        "Error: using --follow with the journald --log-driver but without the journald --events-backend (file) is not supported\n"
    );
    env.ok(&["rm", &name]);

    // With the journald events backend: `logs -f` of a restarted container
    // shows both runs and ends at its last `died`.
    let jb = ["--events-backend", "journald"];
    let name = unique_name("jfollow");
    let mut run = jb.to_vec();
    run.extend([
        "run",
        "--log-driver",
        "journald",
        "--name",
        &name,
        &img,
        "seq",
        "1",
        "3",
    ]);
    env.ok(&run);
    let mut start = jb.to_vec();
    start.extend(["start", "-a", &name]);
    env.ok(&start);
    let mut follow = jb.to_vec();
    follow.extend(["logs", "-f", &name]);
    assert_eq!(env.ok(&follow), "1\n2\n3\n1\n2\n3\n");
    let mut events = jb.to_vec();
    let filter = format!("container={name}");
    events.extend([
        "events",
        "--stream=false",
        "--since",
        "5m",
        "--filter",
        &filter,
        "--format",
        "{{.Status}} {{.Name}}",
    ]);
    let got = env.ok(&events);
    let statuses: Vec<&str> = got.lines().map(|l| l.split(' ').next().unwrap()).collect();
    assert_eq!(statuses.first(), Some(&"create"), "{got}");
    assert_eq!(
        statuses.iter().filter(|s| **s == "died").count(),
        2,
        "{got}"
    );
    assert!(
        got.lines().all(|l| l.ends_with(&format!(" {name}"))),
        "{got}"
    );
    let c = inspect(env, &name);
    let id = c["Id"].as_str().unwrap();
    let raw = journalctl(&[
        "--output=cat",
        "SYSLOG_IDENTIFIER=rpod",
        &format!("PODMAN_ID={id}"),
        "PODMAN_EVENT=died",
    ]);
    assert_eq!(raw.lines().count(), 2, "{raw}");
    let mut info = jb.to_vec();
    info.extend(["info", "--format", "{{.Host.EventLogger}}"]);
    assert_eq!(env.ok(&info), "journald\n");
    env.ok(&["rm", &name]);
}
