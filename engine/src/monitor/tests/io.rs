//! pod-monitor with real runc: terminals, attach streams, the control
//! protocol's error handling and log rotation. Needs root, runc and a
//! built pod-monitor (`cargo build -p pod-monitor`).
#![allow(clippy::unwrap_used)] // test code: a failed step is a failed test


use std::fs;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use super::env::TestCtr;
use crate::monitor::{pump, read_exit_file, AttachEnd, AttachStream, MonitorError, Packet};
use rpod_proto::attach::MAX_PACKET;
use rpod_proto::frame::encode;
use rpod_proto::{read_frame, MonitorState, Reply, Request, PROTO_VERSION};

/// A pipe whose read end carries `data` followed by EOF.
fn input_pipe(data: &[u8]) -> OwnedFd {
    let (r, w) = nix::unistd::pipe().unwrap();
    let mut w = fs::File::from(w);
    w.write_all(data).unwrap();
    drop(w);
    r
}

/// A pipe fed `chunks` one write at a time, with a pause between them so
/// that each is a read of its own (as keystrokes are).
fn typed_pipe(chunks: &'static [&'static [u8]]) -> (OwnedFd, std::thread::JoinHandle<()>) {
    let (r, w) = nix::unistd::pipe().unwrap();
    let mut w = fs::File::from(w);
    let writer = std::thread::spawn(move || {
        for c in chunks {
            if w.write_all(c).is_err() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    });
    (r, writer)
}

/// Reads every output packet of an attach stream until the monitor
/// closes it.
fn collect_output(stream: AttachStream) -> Vec<u8> {
    let mut buf = vec![0u8; MAX_PACKET];
    let mut out = Vec::new();
    loop {
        match stream.recv(&mut buf).unwrap() {
            Packet::Eof => return out,
            Packet::Output { len, .. } => out.extend_from_slice(&buf[1..=len]),
        }
    }
}

#[test]
fn terminal_mode_gives_a_pty() {
    let mut c = TestCtr::new("tty", &["tty"], true, false);
    c.run();
    let exit = c.exit_record();
    assert_eq!(exit.code, 0);
    let log = c.log();
    let line = log.lines().next().unwrap_or_default();
    assert!(line.contains(" stdout F /dev/pts/"), "{log}");
}

#[test]
fn attach_forwards_stdin_and_half_close_ends_cat() {
    let mut c = TestCtr::new("cat", &["cat"], false, true);
    let pending = c.spawn().unwrap();
    // Attach before Go, as `run -a` does, so no output is missed.
    let mut client = c.client();
    let path = client.attach_path().unwrap();
    assert_eq!(path, c.cfg.attach_path);
    let watcher = AttachStream::connect(&path).unwrap();
    let main = AttachStream::connect(&path).unwrap();
    let watch = std::thread::spawn(move || collect_output(watcher));
    pending.go().unwrap();
    c.runc_start();
    let input = input_pipe(b"hello attach\nsecond line\n");
    let mut out = Vec::new();
    let mut err = Vec::new();
    let end = pump(main, Some(input.as_fd()), &mut out, &mut err, None).unwrap();
    assert_eq!(end, AttachEnd::Eof);
    assert_eq!(out, b"hello attach\nsecond line\n");
    assert!(err.is_empty());
    assert_eq!(watch.join().unwrap(), b"hello attach\nsecond line\n");
    let exit = read_exit_file(&c.cfg.exit_file)
        .unwrap()
        .expect("cat exited");
    assert_eq!(exit.code, 0);
    assert!(c.log().contains(" stdout F second line\n"));
}

#[test]
fn detach_keys_leave_the_container_running() {
    let mut c = TestCtr::new("detach", &["cat"], false, true);
    c.run();
    let stream = AttachStream::connect(&c.cfg.attach_path).unwrap();
    // The keys count when typed one by one (as in Podman); the same bytes
    // inside a longer read are data.
    let (input, writer) = typed_pipe(&[b"abc\n", b"x\x10\x11y\n", b"\x10", b"\x11", b"ignored\n"]);
    let mut out = Vec::new();
    let mut err = Vec::new();
    let keys = crate::monitor::parse_detach_keys("ctrl-p,ctrl-q").unwrap();
    let end = pump(stream, Some(input.as_fd()), &mut out, &mut err, Some(&keys)).unwrap();
    assert_eq!(end, AttachEnd::Detached);
    drop(input);
    writer.join().unwrap();
    // stdin stays open: cat keeps running; a new client can still feed it.
    let mut client = c.client();
    assert_eq!(client.status().unwrap().state, MonitorState::Running);
    let again = AttachStream::connect(&c.cfg.attach_path).unwrap();
    let input = input_pipe(b"more\n");
    let end = pump(again, Some(input.as_fd()), &mut out, &mut err, Some(&keys)).unwrap();
    assert_eq!(end, AttachEnd::Eof);
    let log = c.log();
    assert!(
        log.contains(" stdout F abc\n")
            && log.contains(" stdout F x\x10\x11y\n")
            && log.contains(" stdout F more\n"),
        "{log}"
    );
    assert!(!log.contains("ignored"), "{log}");
}

#[test]
fn terminal_resize_and_input() {
    let mut c = TestCtr::new(
        "resize",
        &["sh", "-c", "read x; stty size; exit 5"],
        true,
        true,
    );
    c.run();
    let mut client = c.client();
    client.resize(40, 100).unwrap();
    let stream = AttachStream::connect(&c.cfg.attach_path).unwrap();
    stream.send_input(b"go\n").unwrap();
    let out = String::from_utf8_lossy(&collect_output(stream)).into_owned();
    assert!(out.contains("40 100"), "{out:?}");
    assert_eq!(c.exit_record().code, 5);
}

#[test]
fn resize_without_terminal_is_unsupported() {
    let mut c = TestCtr::new("noresize", &["sleep", "100"], false, false);
    c.run();
    let err = c.client().resize(10, 10).unwrap_err();
    assert!(
        matches!(&err, MonitorError::Unsupported(r) if r == "Resize"),
        "{err}"
    );
}

fn raw_frame(stream: &mut UnixStream, payload: &[u8]) {
    let mut buf = (payload.len() as u32).to_le_bytes().to_vec();
    buf.extend_from_slice(payload);
    stream.write_all(&buf).unwrap();
}

fn hello(path: &std::path::Path) -> UnixStream {
    let mut s = UnixStream::connect(path).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(
        &encode(&Request::Hello {
            version: PROTO_VERSION,
        })
        .unwrap(),
    )
    .unwrap();
    let r: Reply = read_frame(&mut s).unwrap();
    assert_eq!(
        r,
        Reply::Hello {
            version: PROTO_VERSION
        }
    );
    s
}

#[test]
fn protocol_errors_are_contained() {
    let mut c = TestCtr::new("proto", &["sleep", "100"], false, false);
    let pid = c.run();

    // Unknown request: typed Unsupported, connection still serves.
    let mut s = hello(&c.cfg.socket_path);
    raw_frame(&mut s, br#"{"v":9,"type":"Teleport","where":"mars"}"#);
    let r: Reply = read_frame(&mut s).unwrap();
    assert_eq!(
        r,
        Reply::Unsupported {
            request: "Teleport".into()
        }
    );
    s.write_all(&encode(&Request::Status).unwrap()).unwrap();
    match read_frame::<_, Reply>(&mut s).unwrap() {
        Reply::Status {
            state,
            pid: p,
            monitor_pid,
            exit,
        } => {
            assert_eq!(state, MonitorState::Running);
            assert_eq!(p, pid);
            assert_eq!(Some(monitor_pid), c.monitor_pid);
            assert_eq!(exit, None);
        }
        other => panic!("{other:?}"),
    }
    s.write_all(&encode(&Request::ReopenLog).unwrap()).unwrap();
    assert_eq!(read_frame::<_, Reply>(&mut s).unwrap(), Reply::Ok);

    // Garbled JSON: Error, then the connection is closed.
    let mut g = hello(&c.cfg.socket_path);
    raw_frame(&mut g, b"{{{{{");
    assert!(matches!(
        read_frame::<_, Reply>(&mut g).unwrap(),
        Reply::Error { .. }
    ));
    let mut rest = Vec::new();
    assert_eq!(g.read_to_end(&mut rest).unwrap(), 0);

    // Oversized header: Error without reading the body, then closed.
    let mut o = hello(&c.cfg.socket_path);
    o.write_all(&(64u32 << 20).to_le_bytes()).unwrap();
    match read_frame::<_, Reply>(&mut o).unwrap() {
        Reply::Error { message } => assert!(message.contains("exceeds"), "{message}"),
        other => panic!("{other:?}"),
    }

    // A first request other than Hello is refused.
    let mut n = UnixStream::connect(&c.cfg.socket_path).unwrap();
    n.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    n.write_all(&encode(&Request::Status).unwrap()).unwrap();
    assert!(matches!(
        read_frame::<_, Reply>(&mut n).unwrap(),
        Reply::Error { .. }
    ));

    // A silent client neither blocks nor confuses others.
    let _silent = UnixStream::connect(&c.cfg.socket_path).unwrap();
    let mut client = c.client();
    assert_eq!(client.status().unwrap().pid, pid);
    client.kill(libc::SIGKILL).unwrap();
    assert_eq!(c.exit_record().code, 137);
}

#[test]
fn log_rotates_by_size() {
    let mut c = TestCtr::new(
        "rotate",
        &[
            "sh",
            "-c",
            "i=0; while [ $i -lt 60 ]; do echo line-$i; i=$((i+1)); done",
        ],
        false,
        false,
    );
    c.cfg.log_max_size = Some(400);
    c.cfg.log_max_files = 3;
    c.run();
    assert_eq!(c.exit_record().code, 0);
    let log = c.cfg.log_path.clone().unwrap();
    let numbered = |n: u32| rpod_proto::log_format::rotated_path(&log, n);
    for p in [log.clone(), numbered(1), numbered(2)] {
        let len = fs::metadata(&p).unwrap().len();
        assert!(len > 0 && len <= 400, "{}: {len}", p.display());
    }
    assert!(!numbered(3).exists());
    let live = fs::read_to_string(&log).unwrap();
    assert!(live.ends_with(" stdout F line-59\n"), "{live}");
    let older = fs::read_to_string(numbered(1)).unwrap();
    let last_older = older.lines().last().unwrap();
    let first_live = live.lines().next().unwrap();
    let n = |l: &str| l.rsplit('-').next().unwrap().parse::<u32>().unwrap();
    assert_eq!(
        n(last_older) + 1,
        n(first_live),
        "rotation lost or duplicated a line"
    );
}

#[test]
fn bulk_data_through_attach_does_not_deadlock() {
    // 4 MiB through `cat`: input and output both exceed every socket and
    // pipe buffer, so the pump, the monitor and cat must all keep moving.
    let mut c = TestCtr::new("bulk", &["cat"], false, true);
    let data: Vec<u8> = (0..65536u32)
        .flat_map(|i| format!("{i:063}\n").into_bytes())
        .collect();
    let input_path = c.path("input.bin");
    fs::write(&input_path, &data).unwrap();
    let pending = c.spawn().unwrap();
    let stream = AttachStream::connect(&c.cfg.attach_path).unwrap();
    pending.go().unwrap();
    c.runc_start();
    let input = fs::File::open(&input_path).unwrap();
    let mut out = Vec::new();
    let mut err = Vec::new();
    let end = pump(stream, Some(input.as_fd()), &mut out, &mut err, None).unwrap();
    assert_eq!(end, AttachEnd::Eof);
    assert_eq!(out.len(), data.len());
    assert!(out == data, "output differs from input");
    // The log reassembles to the same bytes (F adds the newline back).
    let mut rebuilt = Vec::new();
    for line in c.log().lines() {
        let mut f = line.splitn(4, ' ');
        let (_, stream, tag, text) = (f.next(), f.next(), f.next(), f.next().unwrap_or(""));
        assert_eq!(stream, Some("stdout"));
        rebuilt.extend_from_slice(text.as_bytes());
        if tag == Some("F") {
            rebuilt.push(b'\n');
        }
    }
    assert!(rebuilt == data, "log content differs from input");
}
