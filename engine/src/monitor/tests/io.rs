//! pod-monitor with real runc: terminals, attach streams, the control
//! protocol's error handling and log rotation. Needs root, runc and a
//! built pod-monitor (`cargo build -p pod-monitor`).
#![allow(clippy::unwrap_used)] // test code: a failed step is a failed test

use std::fs;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use rpod_api::container_run::{AttachEnd, AttachOutput, AttachSession};
use rpod_proto::attach::MAX_PACKET;
use rpod_proto::frame::encode;
use rpod_proto::{read_frame, MonitorState, Reply, Request, PROTO_VERSION};

use super::env::TestCtr;
use crate::front_door::container_run::session::MonitorSession;
use crate::monitor::{read_exit_file, AttachStream, MonitorError, Packet};

/// What the session's input does once every chunk is sent.
#[derive(Clone, Copy)]
enum Then {
    /// Half-closes: end of the process's stdin.
    Close,
    /// Detaches, then sends `ignored\n` (which must not arrive).
    Detach,
    /// Nothing: the process ends by itself.
    Keep,
}

/// What an attach session gave.
struct Attached {
    out: Vec<u8>,
    err: Vec<u8>,
    end: AttachEnd,
}

/// Drives `session` as a client does: each of `input` is one send (as
/// keystrokes are), from a thread of its own while the output is read
/// here until the stream ends; then the session is finished.
fn attach(mut session: MonitorSession, input: Vec<Vec<u8>>, then: Then) -> Attached {
    let mut sink = session.take_input().expect("a session with stdin");
    let writer = std::thread::spawn(move || {
        for chunk in input {
            sink.send(&chunk).unwrap();
        }
        match then {
            Then::Close => sink.close().unwrap(),
            Then::Detach => {
                sink.detach().unwrap();
                sink.send(b"ignored\n").unwrap();
            }
            Then::Keep => {}
        }
    });
    let (mut out, mut err) = (Vec::new(), Vec::new());
    while let Some(o) = session.next_output().unwrap() {
        match o {
            AttachOutput::Stdout(d) => out.extend_from_slice(&d),
            AttachOutput::Stderr(d) => err.extend_from_slice(&d),
        }
    }
    writer.join().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let end = rt.block_on(Box::new(session).finish()).unwrap();
    Attached { out, err, end }
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
    let main = c.session();
    let watch = std::thread::spawn(move || collect_output(watcher));
    pending.go().unwrap();
    c.runc_start();
    let input = b"hello attach\nsecond line\n".to_vec();
    let a = attach(main, vec![input], Then::Close);
    assert_eq!(a.end, AttachEnd::Exited(0));
    assert_eq!(a.out, b"hello attach\nsecond line\n");
    assert!(a.err.is_empty());
    assert_eq!(watch.join().unwrap(), b"hello attach\nsecond line\n");
    let exit = read_exit_file(&c.cfg.exit_file)
        .unwrap()
        .expect("cat exited");
    assert_eq!(exit.code, 0);
    assert!(c.log().contains(" stdout F second line\n"));
}

#[test]
fn detaching_leaves_the_container_running() {
    let mut c = TestCtr::new("detach", &["cat"], false, true);
    c.run();
    // The detach keys' bytes inside the data are data (the client tells
    // typed keys apart and detaches); input after detaching goes nowhere.
    let input = vec![b"abc\n".to_vec(), b"x\x10\x11y\n".to_vec()];
    let a = attach(c.session(), input, Then::Detach);
    assert_eq!(a.end, AttachEnd::Detached);
    // stdin stays open: cat keeps running; a new client can still feed it.
    let mut client = c.client();
    assert_eq!(client.status().unwrap().state, MonitorState::Running);
    let a = attach(c.session(), vec![b"more\n".to_vec()], Then::Close);
    assert_eq!(a.end, AttachEnd::Exited(0));
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
    let a = attach(c.session(), vec![b"go\n".to_vec()], Then::Keep);
    let out = String::from_utf8_lossy(&a.out).into_owned();
    assert!(out.contains("40 100"), "{out:?}");
    assert_eq!(a.end, AttachEnd::Exited(5));
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
    // pipe buffer, so the session, the monitor and cat must all keep moving.
    let mut c = TestCtr::new("bulk", &["cat"], false, true);
    let data: Vec<u8> = (0..65536u32)
        .flat_map(|i| format!("{i:063}\n").into_bytes())
        .collect();
    let input_path = c.path("input.bin");
    fs::write(&input_path, &data).unwrap();
    let pending = c.spawn().unwrap();
    let session = c.session();
    pending.go().unwrap();
    c.runc_start();
    // Sent in the client's 32 KiB reads of the file.
    let input = fs::read(&input_path).unwrap();
    let input = input.chunks(32 * 1024).map(<[u8]>::to_vec).collect();
    let a = attach(session, input, Then::Close);
    assert_eq!(a.end, AttachEnd::Exited(0));
    let out = a.out;
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
