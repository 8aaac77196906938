//! pod-monitor with real runc: output, exit, detachment, stop, failures,
//! exec sessions. Needs root, runc and a built pod-monitor
//! (`cargo build -p pod-monitor`).
#![allow(clippy::unwrap_used)] // test code: a failed step is a failed test

use std::fs;
use std::time::{Duration, Instant};

use super::env::{is_monitor, ppid_and_sid, wait_pid_gone, TestCtr};
use crate::monitor::{monitor_alive, read_exit_file, AttachStream, MonitorError, Packet};
use rpod_proto::attach::MAX_PACKET;
use rpod_proto::{MonitorMode, MonitorState};

/// Timestamp of a k8s-file line parses as RFC3339Nano.
fn check_k8s_line(line: &str) {
    let (ts, _) = line.split_once(' ').unwrap();
    assert_eq!(ts.len(), 35, "timestamp {ts:?} in {line:?}");
    assert!(chrono::DateTime::parse_from_rfc3339(ts).is_ok(), "{ts}");
}

#[test]
fn output_and_exit_code_are_recorded() {
    let mut c = TestCtr::new(
        "exit",
        &[
            "sh",
            "-c",
            "echo hello; echo -n partial; echo oops >&2; exit 42",
        ],
        false,
        false,
    );
    let marker = c.cleanup_marker();
    let pending = c.spawn().unwrap();
    let mut early = c.client();
    assert_eq!(early.status().unwrap().state, MonitorState::Waiting);
    let pid = pending.go().unwrap();
    assert!(pid > 0);
    let mut waiter = c.client();
    c.runc_start();
    let exit = waiter.wait_exit().unwrap();
    assert_eq!(exit.code, 42);
    assert_eq!(exit.signal, None);
    assert!(!exit.oom);
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap();
    assert!(exit.finished_at > 0 && exit.finished_at <= now);
    assert_eq!(
        read_exit_file(&c.cfg.exit_file).unwrap(),
        Some(exit.clone())
    );
    // Status (on an older connection) reports the exit as well, while the
    // monitor may still be cleaning up; it may also be gone already.
    if let Ok(st) = early.status() {
        assert_eq!(st.state, MonitorState::Exited);
        assert_eq!(st.exit, Some(exit.clone()));
        assert_eq!(st.pid, pid);
    }

    let log = c.log();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 3, "{log}");
    for l in &lines {
        check_k8s_line(l);
    }
    assert!(
        lines.iter().any(|l| l.ends_with(" stdout F hello")),
        "{log}"
    );
    assert!(
        lines.iter().any(|l| l.ends_with(" stdout P partial")),
        "{log}"
    );
    assert!(lines.iter().any(|l| l.ends_with(" stderr F oops")), "{log}");

    c.wait_monitor_gone();
    assert_eq!(fs::read_to_string(&marker).unwrap(), "done\n");
    assert!(!c.cfg.socket_path.exists());
    assert!(!c.cfg.attach_path.exists());
    // delete_on_exit removed the runtime's state.
    assert!(!c.runc(&["state", &c.id]).status.success());
    assert!(!monitor_alive(&c.cfg.monitor_pid_file));
}

#[test]
fn container_outlives_the_spawner() {
    let mut c = TestCtr::new(
        "detached",
        &["sh", "-c", "echo one; sleep 1; echo two; exit 3"],
        false,
        false,
    );
    let pending = c.spawn().unwrap();
    let mon = pending.monitor_pid;
    let (ppid, sid) = ppid_and_sid(mon);
    assert_ne!(
        ppid,
        std::process::id() as i32,
        "monitor must not be our child"
    );
    let (_, our_sid) = ppid_and_sid(std::process::id() as i32);
    assert_ne!(sid, our_sid, "monitor must be in its own session");
    pending.go().unwrap();
    c.runc_start();
    // Nothing of ours is attached now: no client, no sync socket.
    assert!(monitor_alive(&c.cfg.monitor_pid_file));
    assert!(is_monitor(mon));
    assert_eq!(
        fs::read_to_string(&c.cfg.monitor_pid_file).unwrap(),
        mon.to_string()
    );
    c.wait_monitor_gone();
    let exit = read_exit_file(&c.cfg.exit_file)
        .unwrap()
        .expect("exit file");
    assert_eq!(exit.code, 3);
    let log = c.log();
    assert!(
        log.contains(" stdout F one\n") && log.contains(" stdout F two\n"),
        "{log}"
    );
}

#[test]
fn dropping_the_pending_monitor_ends_it() {
    let mut c = TestCtr::new("nogo", &["true"], false, false);
    let pending = c.spawn().unwrap();
    assert!(c.cfg.socket_path.exists() && c.cfg.attach_path.exists());
    drop(pending);
    c.wait_monitor_gone();
    assert!(!c.cfg.socket_path.exists());
    assert!(!c.cfg.attach_path.exists());
    assert!(
        !c.runc(&["state", &c.id]).status.success(),
        "runtime never ran"
    );
}

#[test]
fn stop_escalates_to_sigkill() {
    let mut c = TestCtr::new(
        "stop",
        &["sh", "-c", "trap '' TERM; echo ready; sleep 100"],
        false,
        false,
    );
    let pending = c.spawn().unwrap();
    // Wait for "ready" on an attach stream: a signal sent before the trap
    // is set would hit the runtime's init instead.
    let stream = AttachStream::connect(&c.cfg.attach_path).unwrap();
    pending.go().unwrap();
    c.runc_start();
    let mut buf = vec![0u8; MAX_PACKET];
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("ready") {
        match stream.recv(&mut buf).unwrap() {
            Packet::Output { len, .. } => seen.extend_from_slice(&buf[1..=len]),
            Packet::Eof => panic!("container ended early: {}", c.log()),
        }
    }
    let mut client = c.client();
    let started = Instant::now();
    client.stop(libc::SIGTERM, 1).unwrap();
    let exit = client.wait_exit().unwrap();
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(900), "{took:?} {exit:?}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert_eq!(exit.code, 137);
    assert_eq!(exit.signal, Some(9));
    assert_eq!(read_exit_file(&c.cfg.exit_file).unwrap(), Some(exit));
}

#[test]
fn kill_delivers_a_signal() {
    let mut c = TestCtr::new("kill", &["sleep", "100"], false, false);
    c.run();
    let mut client = c.client();
    client.kill(libc::SIGKILL).unwrap();
    let exit = c.exit_record();
    assert_eq!((exit.code, exit.signal), (137, Some(9)));
    // After the exit the process is gone: Kill is refused, Stop is a no-op.
    if let Ok(mut again) = crate::monitor::MonitorClient::connect(&c.cfg.socket_path) {
        if let Err(e) = again.kill(libc::SIGTERM) {
            assert!(
                matches!(e, MonitorError::Remote(_) | MonitorError::Protocol { .. }),
                "{e}"
            );
        }
    }
}

#[test]
fn runtime_failure_is_reported_verbatim() {
    let mut c = TestCtr::new("fail", &["/nonexistent-binary"], false, false);
    let pending = c.spawn().unwrap();
    let mon = pending.monitor_pid;
    let err = pending.go().unwrap_err();
    let MonitorError::Runtime(msg) = &err else {
        panic!("expected a runtime error, got {err:?}");
    };
    assert!(msg.contains("/nonexistent-binary"), "{msg}");
    assert!(msg.contains("no such file or directory"), "{msg}");
    assert!(
        wait_pid_gone(mon, Duration::from_secs(10)),
        "monitor {mon} still running"
    );
    assert!(!c.cfg.socket_path.exists());
    assert!(!c.cfg.attach_path.exists());
    // The runtime's error never lands in the container log.
    assert!(!c.log().contains("nonexistent"), "{}", c.log());
    assert_eq!(read_exit_file(&c.cfg.exit_file).unwrap(), None);
}

#[test]
fn bad_config_fails_at_spawn() {
    let mut c = TestCtr::new("badcfg", &["true"], false, false);
    c.cfg.socket_path = c.path("no-such-dir/ctl.sock");
    let cfg = c.cfg.clone();
    let err = c.spawn_cfg(&cfg.clone()).unwrap_err();
    assert!(matches!(err, MonitorError::Config { .. }), "{err}");
    // Config written fine, but the control socket cannot be bound.
    c.cfg.socket_path = c.path("ctl.sock");
    c.cfg.attach_path = c.path("no-such-dir/attach.sock");
    let err = c.spawn().unwrap_err();
    let MonitorError::Startup(msg) = &err else {
        panic!("{err:?}")
    };
    assert!(msg.contains("attach socket"), "{msg}");
    assert!(!c.cfg.socket_path.exists(), "control socket left behind");
}

#[test]
fn exec_session_records_its_exit_code() {
    let mut c = TestCtr::new("exec", &["sleep", "100"], false, false);
    c.run();
    let process = serde_json::json!({
        "terminal": false,
        "user": {"uid": 0, "gid": 0},
        "args": ["sh", "-c", "echo from-exec; echo err-exec >&2; exit 7"],
        "env": ["PATH=/bin"],
        "cwd": "/",
    });
    let process_path = c.path("exec-process.json");
    fs::write(&process_path, serde_json::to_vec(&process).unwrap()).unwrap();
    let mut cfg = c.cfg.clone();
    cfg.mode = MonitorMode::Exec {
        exec_id: "e1".into(),
        process: process_path,
    };
    cfg.log_path = Some(c.path("exec.log"));
    cfg.socket_path = c.path("exec.sock");
    cfg.attach_path = c.path("exec-attach.sock");
    cfg.pid_file = c.path("exec.pid");
    cfg.monitor_pid_file = c.path("exec-monitor.pid");
    cfg.exit_file = c.path("exec-exit.json");
    cfg.delete_on_exit = false;
    let pending = c.spawn_cfg(&cfg).unwrap();
    let mon = pending.monitor_pid;
    let pid = pending.go().unwrap();
    assert!(pid > 0);
    assert!(wait_pid_gone(mon, Duration::from_secs(20)));
    let exit = read_exit_file(&cfg.exit_file)
        .unwrap()
        .expect("exec exit file");
    assert_eq!(exit.code, 7);
    let log = fs::read_to_string(c.path("exec.log")).unwrap();
    assert!(log.contains(" stdout F from-exec\n"), "{log}");
    assert!(log.contains(" stderr F err-exec\n"), "{log}");
    // The container itself is untouched.
    let state = c.runc(&["state", &c.id]);
    assert!(String::from_utf8_lossy(&state.stdout).contains("\"running\""));
    assert!(c.log().is_empty());
}

/// Resident memory of a monitor with an idle running container, with one
/// attach client and one control connection served. Prints VmRSS; run
/// with `RPOD_MONITOR=target/release/pod-monitor` for release numbers.
#[test]
fn idle_monitor_memory_is_small() {
    let mut c = TestCtr::new("rss", &["sh", "-c", "echo hi; sleep 100"], false, true);
    c.run();
    let mut client = c.client();
    let status = client.status().unwrap();
    let mut session = c.session();
    let mut input = rpod_api::container_run::AttachSession::take_input(&mut session).unwrap();
    input.send(b"x\n").unwrap();
    assert_eq!(client.status().unwrap().state, MonitorState::Running);
    let proc_status = fs::read_to_string(format!("/proc/{}/status", status.monitor_pid)).unwrap();
    let rss_kib: u64 = proc_status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    println!("pod-monitor VmRSS: {rss_kib} KiB");
    assert!(rss_kib < 4096, "pod-monitor uses {rss_kib} KiB");
    client.kill(libc::SIGKILL).unwrap();
    assert_eq!(client.wait_exit().unwrap().code, 137);
}

#[test]
fn oom_kill_is_detected() {
    let mut c = TestCtr::new(
        "oom",
        &[
            "sh",
            "-c",
            "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived",
        ],
        false,
        false,
    );
    let path = c.bundle.join("config.json");
    let mut spec: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    spec["linux"]["resources"]["memory"] =
        serde_json::json!({"limit": 16 * 1024 * 1024, "swap": 16 * 1024 * 1024});
    fs::write(&path, serde_json::to_vec(&spec).unwrap()).unwrap();
    c.run();
    let exit = c.exit_record();
    assert_eq!(exit.signal, Some(9), "{exit:?} {}", c.log());
    assert!(exit.oom, "{exit:?}");
    assert!(!c.log().contains("survived"));
}

/// `run --rm` in the foreground holds the monitor's cleanup command back
/// while it removes the container: the command runs once the holder hangs
/// up without saying it removed the container, and not at all after
/// `CleanupDone`.
#[test]
fn a_held_cleanup_waits_for_its_holder() {
    for removed in [false, true] {
        let mut c = TestCtr::new("hold", &["sh", "-c", "exit 0"], false, false);
        let marker = c.cleanup_marker();
        let pending = c.spawn().unwrap();
        let mut holder = c.client();
        holder.hold_cleanup().unwrap();
        pending.go().unwrap();
        c.runc_start();
        assert_eq!(holder.wait_exit().unwrap().code, 0);
        std::thread::sleep(Duration::from_millis(300));
        assert!(!marker.exists(), "the cleanup ran while held");
        let monitor = c.monitor_pid.expect("monitor pid");
        assert!(is_monitor(monitor), "the monitor left while held");
        if removed {
            holder.cleanup_done().unwrap();
        }
        drop(holder);
        c.wait_monitor_gone();
        assert_eq!(marker.exists(), !removed, "removed: {removed}");
    }
}

/// The monitor leaves a finished run's runtime state to the engine, held
/// or not: the engine's removal (or cleanup) deletes it, under the
/// container's lock, while it releases the rest.
#[test]
fn a_finished_run_keeps_its_runtime_state_for_the_engine() {
    for held in [true, false] {
        let mut c = TestCtr::new("kept", &["sh", "-c", "exit 0"], false, false);
        let pending = c.spawn().unwrap();
        let mut waiter = c.client();
        if held {
            waiter.hold_cleanup().unwrap();
        }
        pending.run().unwrap();
        assert_eq!(waiter.wait_exit().unwrap().code, 0);
        let state = c.runtime_root.join(&c.id);
        assert!(state.exists(), "held: {held}");
        if held {
            waiter.cleanup_done().unwrap();
        }
        drop(waiter);
        c.wait_monitor_gone();
        if held {
            // The holder removed the container: no cleanup ran either.
            assert!(state.exists());
        }
    }
}
