//! Many CLIs at once, and readers that never wait behind a slow `stop`.

mod common;
mod survival_util;

use std::time::{Duration, Instant};

use common::{busybox, state_of};
use rpod_tests::{unique_name, wait_until};

#[test]
fn two_hundred_short_containers_from_four_shells_keep_every_exit_code() {
    let (w, img) = busybox();
    let prefix = unique_name("many");
    std::thread::scope(|s| {
        for shell in 0..4 {
            let (w, img, prefix) = (&w, &img, &prefix);
            s.spawn(move || {
                for i in 0..50 {
                    let n = shell * 50 + i;
                    let name = format!("{prefix}-{n}");
                    let code = (n % 200).to_string();
                    w.env.ok(&[
                        "run",
                        "-d",
                        "--name",
                        &name,
                        img,
                        "sh",
                        "-c",
                        &format!("exit {code}"),
                    ]);
                }
            });
        }
    });
    let names: Vec<String> = (0..200).map(|n| format!("{prefix}-{n}")).collect();
    let mut args = vec!["wait"];
    args.extend(names.iter().map(String::as_str));
    let codes = w.env.ok(&args);
    let want: String = (0..200).map(|n| format!("{}\n", n % 200)).collect();
    assert_eq!(codes, want);
    // Every row says exited with its own code, and no exit file is lost
    // once the monitors are done.
    wait_until(Duration::from_secs(60), "all monitors to finish", || {
        survival_util::monitor_processes(&w.env).is_empty()
    });
    let ps = w.env.ok(&[
        "ps",
        "-a",
        "--format",
        "{{.Names}} {{.State}} {{.ExitCode}}",
    ]);
    let mut seen = 0;
    for line in ps.lines() {
        let parts: Vec<&str> = line.split(' ').collect();
        let n: usize = parts[0].rsplit('-').next().unwrap().parse().unwrap();
        assert_eq!(parts[1], "exited", "{line}");
        assert_eq!(parts[2], (n % 200).to_string(), "{line}");
        seen += 1;
    }
    assert_eq!(seen, 200, "{ps}");
    assert!(common::mounts(&w.env).is_empty());
}

#[test]
fn readers_answer_within_a_second_while_a_slow_stop_runs() {
    let (w, img) = busybox();
    let name = unique_name("stubborn");
    // PID 1 without a handler ignores SIGTERM: only the SIGKILL after the
    // timeout would end it.
    w.env.ok(&[
        "run",
        "-d",
        "--name",
        &name,
        &img,
        "sh",
        "-c",
        "echo hello; exec sleep 300",
    ]);
    let mut stop = w.env.cmd(&["stop", "-t", "30", &name]);
    stop.stdout(std::process::Stdio::null());
    let mut stop = stop.spawn().unwrap();
    wait_until(Duration::from_secs(10), "stopping", || {
        state_of(&w.env, &name) == "stopping"
    });
    for args in [
        &["ps", "-a", "--format", "{{.Names}} {{.State}}"][..],
        &["inspect", &name],
        &["logs", &name],
        &[
            "container",
            "inspect",
            "--format",
            "{{.State.Status}}",
            &name,
        ],
        &["events", "--stream=false"],
    ] {
        let t = Instant::now();
        let out = w.env.ok(args);
        let took = t.elapsed();
        assert!(took < Duration::from_secs(1), "rpod {args:?} took {took:?}");
        if args[0] == "ps" {
            assert!(out.contains(&format!("{name} stopping")), "{out}");
        }
        if args[0] == "logs" {
            assert_eq!(out, "hello\n");
        }
    }
    // The stopper dies: the next command sees an interrupted stop.
    stop.kill().unwrap();
    stop.wait().unwrap();
    w.env.ok(&["rm", "-f", "-t", "0", &name]);
    assert!(common::mounts(&w.env).is_empty());
}
