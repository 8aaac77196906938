//! pod-monitor keeping the runtime in the foreground (`runc run` without
//! `--detach`) for a held first run: the runtime deletes its own state at
//! the exit, the exit code and output are the process's, stop and kill
//! reach the process, and a killed runtime leaves the run to the monitor.
#![allow(clippy::unwrap_used)] // test code: a failed step is a failed test

use std::time::{Duration, Instant};

use super::env::{is_monitor, TestCtr};
use crate::container::procfs;
use crate::monitor::{AttachStream, Packet};
use rpod_proto::attach::MAX_PACKET;

/// A container whose monitor may run the runtime in the foreground.
fn foreground_ctr(tag: &str, args: &[&str]) -> TestCtr {
    let mut c = TestCtr::new(tag, args, false, false);
    c.cfg.foreground_run = true;
    c
}

/// The marker of a delete run by the monitor after the exit.
fn deleting_marker(c: &TestCtr) -> std::path::PathBuf {
    c.cfg
        .exit_file
        .with_file_name(rpod_proto::RUNTIME_DELETING_FILE)
}

/// The runtime processes (`runc`) whose parent is `parent`.
fn runtime_children(parent: i32) -> Vec<i32> {
    procfs::all_processes()
        .unwrap()
        .into_iter()
        .filter(|p| p.host_ppid == parent && p.comm.starts_with("runc"))
        .map(|p| p.host_pid)
        .collect()
}

/// Whether `pid` is a zombie (exited, not yet reaped).
fn is_zombie(pid: i32) -> bool {
    procfs::read_proc(pid).is_some_and(|p| p.state == "Z")
}

/// Reads attach output until it contains `text`.
fn wait_output(stream: &AttachStream, text: &str, c: &TestCtr) {
    let mut buf = vec![0u8; MAX_PACKET];
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains(text) {
        match stream.recv(&mut buf).unwrap() {
            Packet::Output { len, .. } => seen.extend_from_slice(&buf[1..=len]),
            Packet::Eof => panic!("container ended early: {}", c.log()),
        }
    }
}

/// Held: the runtime stays in the foreground and has deleted the state by
/// the time the exit is published (no delete by the monitor after it).
/// Not held: the runtime detaches, and the state stays for the engine.
#[test]
fn a_held_foreground_run_has_no_runtime_state_left_at_its_exit() {
    for held in [true, false] {
        let mut c = foreground_ctr("fg", &["sh", "-c", "echo out; echo err >&2; exit 3"]);
        let pending = c.spawn().unwrap();
        let mut waiter = c.client();
        if held {
            waiter.hold_cleanup().unwrap();
        }
        let pid = pending.run().unwrap();
        assert!(pid > 0);
        let exit = waiter.wait_exit().unwrap();
        assert_eq!(exit.code, 3, "{exit:?} {}", c.log());
        let log = c.log();
        assert!(log.contains(" stdout F out"), "{log}");
        assert!(log.contains(" stderr F err"), "{log}");
        let state = c.runtime_root.join(&c.id);
        assert!(!deleting_marker(&c).exists());
        assert_eq!(!state.exists(), held, "runtime state after the exit");
        if held {
            waiter.cleanup_done().unwrap();
        }
        drop(waiter);
        c.wait_monitor_gone();
    }
}

/// A failure to start is reported as a detached run's: the runtime's
/// message in create's words, the monitor gone, no state.
#[test]
fn a_foreground_run_that_cannot_start_reports_the_runtime_error() {
    let mut c = foreground_ctr("fgfail", &["/nonexistent-binary"]);
    let pending = c.spawn().unwrap();
    let mut waiter = c.client();
    waiter.hold_cleanup().unwrap();
    let err = pending.run().unwrap_err().to_string();
    assert!(err.contains("runc create failed"), "{err}");
    assert!(err.contains("/nonexistent-binary"), "{err}");
    drop(waiter);
    c.wait_monitor_gone();
}

/// `stop` reaches the process (through its pidfd) while the runtime waits
/// for it in the foreground; the exit is the runtime's 137.
#[test]
fn stop_reaches_a_foreground_runs_process() {
    let mut c = foreground_ctr(
        "fgstop",
        &["sh", "-c", "trap '' TERM; echo ready; sleep 100"],
    );
    let pending = c.spawn().unwrap();
    let stream = AttachStream::connect(&c.cfg.attach_path).unwrap();
    let mut waiter = c.client();
    waiter.hold_cleanup().unwrap();
    pending.run().unwrap();
    assert_eq!(
        runtime_children(c.monitor_pid.unwrap()).len(),
        1,
        "no foreground runtime"
    );
    wait_output(&stream, "ready", &c);
    let started = Instant::now();
    c.client().stop(libc::SIGTERM, 1).unwrap();
    let exit = waiter.wait_exit().unwrap();
    assert!(started.elapsed() >= Duration::from_millis(900), "{exit:?}");
    assert_eq!(exit.code, 137, "{exit:?}");
    assert!(!c.runtime_root.join(&c.id).exists());
    waiter.cleanup_done().unwrap();
    drop(waiter);
    c.wait_monitor_gone();
}

/// The foreground runtime killed under a running process: the process,
/// now the monitor's child, runs on; its own exit is recorded, and the
/// state the runtime left is deleted by the monitor after it.
#[test]
fn a_killed_foreground_runtime_leaves_the_run_to_the_monitor() {
    let mut c = foreground_ctr("fgkill", &["sh", "-c", "echo ready; sleep 1; exit 7"]);
    let pending = c.spawn().unwrap();
    let stream = AttachStream::connect(&c.cfg.attach_path).unwrap();
    let mut waiter = c.client();
    waiter.hold_cleanup().unwrap();
    pending.run().unwrap();
    wait_output(&stream, "ready", &c);
    let runtimes = runtime_children(c.monitor_pid.unwrap());
    assert_eq!(runtimes.len(), 1, "no foreground runtime");
    // SAFETY: kill(2) of the runtime process found above.
    assert_eq!(unsafe { libc::kill(runtimes[0], libc::SIGKILL) }, 0);
    let exit = waiter.wait_exit().unwrap();
    assert_eq!(exit.code, 7, "{exit:?} {}", c.log());
    let deadline = Instant::now() + Duration::from_secs(20);
    while deleting_marker(&c).exists() {
        assert!(Instant::now() < deadline, "delete still running");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(!c.runtime_root.join(&c.id).exists(), "state left");
    assert!(
        is_monitor(c.monitor_pid.unwrap()),
        "monitor left before its holder"
    );
    waiter.cleanup_done().unwrap();
    drop(waiter);
    c.wait_monitor_gone();
}

/// The runtime's exit and its pid file arrive in the same poll round (the
/// monitor is stopped from the runtime's start until the runtime has
/// exited): the exit found through the pid file ends the run, and the
/// watch's stale readiness, handled after it, must not start it again.
#[test]
fn a_runtime_exit_and_its_pid_file_seen_together_end_the_run() {
    // The process lives long enough for the poll below to see the runtime
    // (with `true`, a whole run fit between two scans of /proc on a loaded
    // host); the monitor stays stopped until the runtime has exited.
    let mut c = foreground_ctr("fgrace", &["sleep", "0.5"]);
    let pending = c.spawn().unwrap();
    let monitor = c.monitor_pid.unwrap();
    let mut waiter = c.client();
    waiter.hold_cleanup().unwrap();
    let runner = std::thread::spawn(move || pending.run());
    let deadline = Instant::now() + Duration::from_secs(20);
    let runtime = loop {
        if let Some(&pid) = runtime_children(monitor).first() {
            break pid;
        }
        assert!(Instant::now() < deadline, "the runtime never started");
        std::thread::sleep(Duration::from_micros(200));
    };
    // SAFETY: kill(2) of the test's own monitor process.
    assert_eq!(unsafe { libc::kill(monitor, libc::SIGSTOP) }, 0);
    while !is_zombie(runtime) {
        if Instant::now() > deadline {
            // SAFETY: as above.
            unsafe { libc::kill(monitor, libc::SIGCONT) };
            panic!("the runtime never exited");
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    // SAFETY: as above.
    assert_eq!(unsafe { libc::kill(monitor, libc::SIGCONT) }, 0);
    assert!(runner.join().unwrap().unwrap() > 0);
    let mut late = false;
    let exit = waiter
        .wait_exit_or_else(Duration::from_secs(10), || {
            late = true;
            // SAFETY: as above; ends the wait of a monitor stuck running.
            unsafe { libc::kill(monitor, libc::SIGKILL) };
        })
        .ok();
    assert!(!late, "the run never ended: {exit:?}");
    assert_eq!(exit.unwrap().code, 0);
    waiter.cleanup_done().unwrap();
    drop(waiter);
    c.wait_monitor_gone();
}
