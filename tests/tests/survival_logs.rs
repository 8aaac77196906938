//! `--log-opt max-size` + `max-file` rotation in the monitor, and a
//! `logs -f` that follows across rotations without losing or repeating a
//! line.

mod common;

use std::io::Read;
use std::time::Duration;

use common::{busybox, inspect};
use rpod_tests::{unique_name, wait_until};

#[test]
fn logs_follow_sees_every_line_exactly_once_across_rotations() {
    let (w, img) = busybox();
    let name = unique_name("rotate");
    let go = w.env.dir().join("go");
    std::fs::create_dir(&go).unwrap();
    let vol = format!("{}:/go", go.display());
    // ~54-byte records, 4 KiB files: 480 lines rotate the log 6 times,
    // most of them faster than the follower polls.
    let script = "while [ ! -e /go/now ]; do sleep 0.05; done; \
                  for i in $(seq 1 240); do echo line-$i; done; sleep 0.3; \
                  for i in $(seq 241 480); do echo line-$i; done";
    let id = w
        .env
        .ok(&[
            "run",
            "-d",
            "--name",
            &name,
            "--log-opt",
            "max-size=4k",
            "--log-opt",
            "max-file=10",
            "-v",
            &vol,
            &img,
            "sh",
            "-c",
            script,
        ])
        .trim()
        .to_owned();
    let c = inspect(&w.env, &name);
    assert_eq!(c["HostConfig"]["LogConfig"]["Size"], "4kB");
    let mut follower = w.env.cmd(&["logs", "-f", &name]);
    follower.stdout(std::process::Stdio::piped());
    let mut follower = follower.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(go.join("now"), "").unwrap();
    let mut out = String::new();
    let mut stdout = follower.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        stdout.read_to_string(&mut out).unwrap();
        out
    });
    wait_until(Duration::from_secs(30), "logs -f to end", || {
        follower.try_wait().unwrap().is_some()
    });
    let out = reader.join().unwrap();
    let want: String = (1..=480).map(|i| format!("line-{i}\n")).collect();
    assert!(out == want, "got {} lines:\n{out}", out.lines().count());
    let log = w.env.root().join("containers").join(&id).join("ctr.log");
    for n in 1..=5 {
        let rotated = format!("{}.{n}", log.display());
        assert!(std::path::Path::new(&rotated).exists(), "{rotated}");
        assert!(std::fs::metadata(&rotated).unwrap().len() <= 4096);
    }
}

#[test]
fn max_file_bounds_the_number_of_files() {
    let (w, img) = busybox();
    let name = unique_name("bounded");
    let id = w
        .env
        .ok(&[
            "run",
            "-d",
            "--name",
            &name,
            "--log-opt",
            "max-size=1k",
            "--log-opt",
            "max-file=3",
            &img,
            "sh",
            "-c",
            "for i in $(seq 1 200); do echo line-$i; done",
        ])
        .trim()
        .to_owned();
    w.env.ok(&["wait", &name]);
    let dir = w.env.root().join("containers").join(&id);
    let mut logs: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("ctr.log"))
        .collect();
    logs.sort();
    assert_eq!(logs, ["ctr.log", "ctr.log.1", "ctr.log.2"]);
    // The live file ends with the last line.
    assert!(w.env.ok(&["logs", &name]).ends_with("line-200\n"));
    let bad = w.env.run(&["create", "--log-opt", "max-file=0", &img]);
    assert_eq!(bad.status.code(), Some(125));
}
