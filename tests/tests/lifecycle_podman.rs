//! Lifecycle commands as Podman has them: what start/stop/kill/rm/restart
//! print, their errors and exit codes, `wait --condition`, `container
//! exists`, `top`, exec details, signal proxying and terminal sizes.

mod common;

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use common::{busybox, state_of, wait_state};
use rpod_tests::{unique_name, wait_until};

#[test]
fn start_echoes_input_and_all_prints_ids_of_started_only() {
    let (w, img) = busybox();
    let name = unique_name("st");
    let id = w.env.ok(&["create", "--name", &name, &img, "sleep", "60"]);
    let id = id.trim();
    assert_eq!(w.env.ok(&["start", &name]), format!("{name}\n"));
    // Already running: `start NAME` echoes, `start --all` skips it.
    assert_eq!(w.env.ok(&["start", &name]), format!("{name}\n"));
    let other = w.env.ok(&["create", &img, "true"]);
    assert_eq!(w.env.ok(&["start", "--all"]), other);
    let (code, err) = w.env.fails(&["start", "--all", &name]);
    assert_eq!(code, 125);
    assert_eq!(
        err.trim(),
        "Error: either start all containers or the container(s) provided in the arguments"
    );
    w.env.ok(&["rm", "-f", "-t0", id, other.trim()]);
}

#[test]
fn start_filters_validate_and_select() {
    let (w, img) = busybox();
    let always = w
        .env
        .ok(&["create", "--restart=always", &img, "true"])
        .trim()
        .to_owned();
    let plain = w.env.ok(&["create", &img, "true"]).trim().to_owned();
    let (code, err) = w
        .env
        .fails(&["start", "--filter", "restart-policy=fakepolicy", &plain]);
    assert_eq!(code, 125);
    assert_eq!(err.trim(), "Error: fakepolicy invalid restart policy");
    // A filter without --all picks among the named containers.
    let out = w.env.ok(&[
        "start",
        "--filter",
        "restart-policy=always",
        &plain,
        &always,
    ]);
    assert_eq!(out, format!("{always}\n"));
    w.env.ok(&["wait", &plain]);
    assert_eq!(state_of(&w.env, &plain), "created");
    // exited=N selects by exit code.
    let failed = w.env.ok(&["run", "-d", &img, "false"]).trim().to_owned();
    w.env.ok(&["wait", &failed]);
    let out = w.env.ok(&["start", "--all", "--filter", "exited=1"]);
    assert_eq!(out, format!("{failed}\n"));
    w.env.ok(&["rm", "-f", "-t0", &always, &plain, &failed]);
}

#[test]
fn stop_warns_when_it_has_to_kill() {
    let (w, img) = busybox();
    let name = unique_name("stw");
    w.env
        .ok(&["run", "-d", "--name", &name, &img, "sleep", "100"]);
    let out = w.env.run(&["stop", "-t", "1", &name]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{name}\n"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "StopSignal SIGTERM failed to stop container {name} in 1 seconds, resorting to SIGKILL"
        )),
        "{err}"
    );
    // A container that handles SIGTERM stops without the warning.
    let quick = unique_name("stq");
    w.env.ok(&["run", "-d", "--name", &quick, &img, "top"]);
    let out = w.env.run(&["stop", "-t", "5", &quick]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("StopSignal"), "{err}");
    w.env.ok(&["rm", &name, &quick]);
}

#[test]
fn kill_reaches_a_container_while_a_stop_waits() {
    let (w, img) = busybox();
    let name = unique_name("ks");
    w.env.ok(&[
        "run",
        "-d",
        "--name",
        &name,
        &img,
        "sh",
        "-c",
        "trap 'echo ignoring' TERM; echo READY; while :; do sleep 0.2; done",
    ]);
    wait_until(Duration::from_secs(10), "READY", || {
        w.env.ok(&["logs", &name]).contains("READY")
    });
    let mut stop = w.env.cmd(&["stop", "-t", "30", &name]);
    stop.stdout(Stdio::null()).stderr(Stdio::null());
    let mut stop = stop.spawn().unwrap();
    wait_state(&w.env, &name, "stopping");
    let t0 = std::time::Instant::now();
    assert_eq!(w.env.ok(&["kill", &name]), format!("{name}\n"));
    assert_eq!(w.env.ok(&["wait", &name]).trim(), "137");
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "kill waited for stop"
    );
    assert!(stop.wait().unwrap().success());
    w.env.ok(&["rm", &name]);
}

#[test]
fn kill_signal_parsing_as_podman() {
    let (w, _) = busybox();
    for (sig, msg) in [
        ("0", "Error: invalid signal: 0"),
        ("-0", "Error: invalid signal: 0"),
        ("SIGBADSIG", "Error: invalid signal: SIGBADSIG"),
        ("-SIG", "Error: invalid signal: SIG"),
        ("65", "Error: valid signals are 1 through 64"),
        ("-65", "Error: valid signals are 1 through 64"),
    ] {
        let (code, err) = w.env.fails(&["kill", "-s", sig, "nosuchcontainer"]);
        assert_eq!((code, err.trim()), (125, msg), "kill -s {sig}");
    }
    let (code, err) = w.env.fails(&["kill", "-s", "-HUP", "nosuchcontainer"]);
    assert_eq!(code, 125);
    assert!(err.contains("no container with name or ID"), "{err}");
}

#[test]
fn rm_wording_force_of_missing_and_depend() {
    let (w, img) = busybox();
    let missing = unique_name("nope");
    let (code, err) = w.env.fails(&["rm", &missing]);
    assert_eq!(code, 1);
    assert_eq!(
        err.trim(),
        format!("Error: no container with ID or name \"{missing}\" found: no such container")
    );
    let name = unique_name("rmf");
    w.env.ok(&["create", "--name", &name, &img]);
    let out = w.env.run(&["rm", "--force", &missing, &name]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{name}\n"));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn container_exists_and_wait_conditions() {
    let (w, img) = busybox();
    let name = unique_name("ex");
    assert_eq!(
        w.env.run(&["container", "exists", &name]).status.code(),
        Some(1)
    );
    // A container that never ran has nothing to wait for.
    w.env.ok(&["create", "--name", &name, &img, "sleep", "60"]);
    assert_eq!(w.env.ok(&["wait", &name]), "0\n");
    assert_eq!(
        w.env.run(&["container", "exists", &name]).status.code(),
        Some(0)
    );
    w.env.ok(&["start", &name]);
    assert_eq!(w.env.ok(&["wait", "--condition=running", &name]), "-1\n");
    let mut waiter = w.env.cmd(&["wait", "--condition", "removing", &name]);
    waiter.stdout(Stdio::piped());
    let waiter = waiter.spawn().unwrap();
    // The waiter must have found the container before it goes (else it
    // rightly says there is no such container): it has, once it sleeps
    // between its looks with the database open.
    let pid = waiter.id();
    let db = w.env.root().join("db.sqlite");
    wait_until(Duration::from_secs(30), "the waiter's first look", || {
        let has_db = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .into_iter()
            .flatten()
            .flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|t| t == db));
        let all_sleep = std::fs::read_dir(format!("/proc/{pid}/task"))
            .into_iter()
            .flatten()
            .flatten()
            .all(|t| {
                std::fs::read_to_string(t.path().join("stat")).is_ok_and(|st| {
                    st.rsplit_once(") ")
                        .is_some_and(|(_, r)| r.starts_with('S'))
                })
            });
        has_db && all_sleep
    });
    w.env.ok(&["rm", "-f", "-t0", &name]);
    let out = waiter.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "-1\n");
    let (code, err) = w.env.fails(&["wait", "--condition", "bogus", &name]);
    assert_eq!(code, 125);
    assert!(err.contains("unknown container state: bogus"), "{err}");
}

#[test]
fn restart_running_and_exited() {
    let (w, img) = busybox();
    let name = unique_name("rs");
    w.env.ok(&["run", "-d", "--name", &name, &img, "top"]);
    let pid1 = common::inspect(&w.env, &name)["State"]["Pid"]
        .as_i64()
        .unwrap();
    assert_eq!(
        w.env.ok(&["restart", "-t", "0", &name]),
        format!("{name}\n")
    );
    let pid2 = common::inspect(&w.env, &name)["State"]["Pid"]
        .as_i64()
        .unwrap();
    assert_ne!(pid1, pid2);
    assert_eq!(state_of(&w.env, &name), "running");
    w.env.ok(&["stop", "-t", "0", &name]);
    w.env.ok(&["restart", &name]);
    assert_eq!(state_of(&w.env, &name), "running");
    w.env.ok(&["rm", "-f", "-t0", &name]);
}

#[test]
fn top_descriptors_and_ps_fallback() {
    let (w, img) = busybox();
    let id = w.env.ok(&["run", "-d", &img, "top"]).trim().to_owned();
    let out = w.env.ok(&["top", &id]);
    let lines: Vec<&str> = out.lines().collect();
    let head: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        head,
        ["USER", "PID", "PPID", "%CPU", "ELAPSED", "TTY", "TIME", "COMMAND"]
    );
    let first: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(&first[..4], ["root", "1", "0", "0.000"], "{out}");
    assert_eq!(first[5..], ["?", "0s", "top"], "{out}");
    let out = w.env.ok(&["top", &id, "pid,comm"]);
    assert_eq!(
        out.lines()
            .nth(1)
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["1", "top"]
    );
    // Not descriptors: the host's ps(1) in the container's PID namespace.
    let out = w.env.ok(&["top", &id, "-eo", "pid,comm"]);
    let lines: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(lines[0], ["PID", "COMMAND"]);
    assert_eq!(lines[1], ["1", "top"]);
    // psgo's security descriptors and AIX codes.
    let out = w
        .env
        .ok(&["top", &id, "%p", "seccomp", "capbnd", "groups", "hgroups"]);
    let mut lines = out.lines();
    let head = lines.next().unwrap();
    assert!(
        head.starts_with("PID") && head.contains("SECCOMP") && head.contains("BOUNDING CAPS"),
        "{out}"
    );
    let row = lines.next().unwrap();
    assert!(row.starts_with('1'), "{out}");
    assert!(
        row.contains("filter") && row.contains("CHOWN,DAC_OVERRIDE,FOWNER,"),
        "the default profile and Podman's default capabilities: {out}"
    );
    let priv_id = w
        .env
        .ok(&["run", "-d", "--privileged", &img, "top"])
        .trim()
        .to_owned();
    let out = w.env.ok(&["top", &priv_id, "capeff", "seccomp"]);
    let row: Vec<&str> = out.lines().nth(1).unwrap().split_whitespace().collect();
    // Every capability this host grants root (`full` where it grants all).
    assert!(
        row[0] == "full" || row[0].split(',').any(|c| c == "SYS_ADMIN"),
        "{out}"
    );
    assert_eq!(row[1], "disabled", "{out}");
    let list = w.env.ok(&["top", "--list-descriptors"]);
    for d in ["capamb", "label", "stime", "hgroups"] {
        assert!(list.lines().any(|l| l == d), "{d} in {list}");
    }
    w.env.ok(&["rm", "-f", "-t0", &id, &priv_id]);
    let (code, err) = w.env.fails(&["top", &id]);
    assert_eq!(code, 125);
    assert!(err.contains("no container with name or ID"), "{err}");
}

#[test]
fn exec_errors_term_and_piped_binary_input() {
    let (w, img) = busybox();
    let id = w.env.ok(&["run", "-d", &img, "top"]).trim().to_owned();
    let (code, err) = w.env.fails(&["exec", &id]);
    assert_eq!(code, 125);
    assert!(
        err.contains("must provide a non-empty command to start an exec session"),
        "{err}"
    );
    let (code, _) = w.env.fails(&["exec", "-d", &id, "blahblah"]);
    assert_eq!(code, 125, "a detached exec fails with 125");
    // TERM only with a terminal.
    assert_eq!(w.env.ok(&["exec", &id, "sh", "-c", "echo -n $TERM"]), "");
    assert_eq!(
        w.env.ok(&["exec", "-t", &id, "sh", "-c", "echo -n $TERM"]),
        "xterm"
    );
    // Piped input holding the detach keys is data, and dd sees whole blocks.
    let mut data: Vec<u8> = (0..512 * 300).map(|i| (i % 251) as u8).collect();
    data[1000] = 0x10;
    data[1001] = 0x11;
    let mut child = w.env.cmd(&["exec", "-i", &id, "dd", "of=/tmp/f", "bs=512"]);
    child
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = child.spawn().unwrap();
    child.stdin.take().unwrap().write_all(&data).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("300+0 records in\n300+0 records out"),
        "{err}"
    );
    let size = w.env.ok(&["exec", &id, "stat", "-c", "%s", "/tmp/f"]);
    assert_eq!(size.trim(), (512 * 300).to_string());
    w.env.ok(&["rm", "-f", "-t0", &id]);
}

#[test]
fn sig_proxy_forwards_to_the_container_and_can_be_turned_off() {
    let (w, img) = busybox();
    let script = "trap 'echo BYE; exit 0' INT; echo READY; while :; do sleep 0.1; done";
    for proxy in [true, false] {
        let name = unique_name("sp");
        let flag = format!("--sig-proxy={proxy}");
        let mut run = w
            .env
            .cmd(&["run", &flag, "--name", &name, &img, "sh", "-c", script]);
        run.stdin(Stdio::null()).stdout(Stdio::piped());
        let run = run.spawn().unwrap();
        wait_until(Duration::from_secs(20), "READY", || {
            w.env.run(&["logs", &name]).stdout.starts_with(b"READY")
        });
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(run.id() as i32),
            nix::sys::signal::Signal::SIGINT,
        )
        .unwrap();
        let out = run.wait_with_output().unwrap();
        if proxy {
            assert_eq!(out.status.code(), Some(0));
            assert_eq!(String::from_utf8_lossy(&out.stdout), "READY\nBYE\n");
            assert_eq!(state_of(&w.env, &name), "exited");
        } else {
            // rpod ends; the container never saw the signal.
            assert_ne!(out.status.code(), Some(0));
            assert_eq!(state_of(&w.env, &name), "running");
        }
        w.env.ok(&["rm", "-f", "-t0", &name]);
    }
}

#[test]
fn run_it_sees_the_callers_terminal_size() {
    let (w, img) = busybox();
    let pty = nix::pty::openpty(
        Some(&nix::pty::Winsize {
            ws_row: 37,
            ws_col: 91,
            ws_xpixel: 0,
            ws_ypixel: 0,
        }),
        None,
    )
    .unwrap();
    let name = unique_name("tty");
    let mut cmd = w
        .env
        .cmd(&["run", "-it", "--name", &name, &img, "stty", "size"]);
    cmd.stdin(Stdio::from(std::fs::File::from(pty.slave)))
        .stdout(Stdio::piped());
    let out = cmd.spawn().unwrap().wait_with_output().unwrap();
    drop(pty.master);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "37 91\r\n");
    // Without a terminal on stdin, Podman's warning.
    let out = w
        .env
        .run(&["run", "--rm", "-t", "-i", &img, "echo", "hello"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("The input device is not a TTY"), "{err}");
    w.env.ok(&["rm", "-f", "-t0", &name]);
}

#[test]
fn rm_force_after_killed_monitor_is_quiet() {
    let (w, img) = busybox();
    let name = unique_name("km");
    w.env
        .ok(&["run", "-d", "--name", &name, &img, "sleep", "1000"]);
    let rec = common::inspect(&w.env, &name);
    let conmon = rec["State"]["ConmonPid"].as_i64().unwrap();
    let pid = rec["State"]["Pid"].as_i64().unwrap();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(conmon as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let out = w.env.run(&["rm", "-f", "-t0", &name]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("{name}\n"));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    wait_until(Duration::from_secs(10), "the workload to be gone", || {
        !common::alive(pid)
    });
}

#[test]
fn health_check_stop_shows_stopping_and_refuses_plain_rm() {
    let (w, img) = busybox();
    let name = unique_name("hcs");
    w.env.ok(&[
        "run",
        "-d",
        "--name",
        &name,
        "--health-cmd",
        "/bin/false",
        "--health-interval",
        "1s",
        "--health-retries",
        "1",
        "--health-on-failure=stop",
        "--stop-timeout=5",
        &img,
        "sleep",
        "infinity",
    ]);
    // PID 1 ignores SIGTERM: the monitor's stop waits out its timeout.
    wait_state(&w.env, &name, "stopping");
    let (code, err) = w.env.fails(&["rm", &name]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("as it is stopping - running or paused"),
        "{err}"
    );
    wait_state(&w.env, &name, "exited");
    w.env.ok(&["rm", &name]);
}

#[test]
fn stopped_by_user_and_failed_start_code() {
    let (w, img) = busybox();
    let name = unique_name("sbu");
    w.env
        .ok(&["create", "--name", &name, &img, "/no/such/command"]);
    let stopped = |n: &str| {
        w.env
            .ok(&["inspect", "--format", "{{.State.StoppedByUser}}", n])
            .trim()
            .to_owned()
    };
    assert_eq!(stopped(&name), "false");
    // `start` fails with 125 whatever the runtime said (`run` has 127).
    let (code, _) = w.env.fails(&["start", &name]);
    assert_eq!(code, 125);
    w.env.ok(&["rm", &name]);
    let name = unique_name("sbk");
    w.env.ok(&[
        "run",
        "-d",
        "--restart=always",
        "--name",
        &name,
        &img,
        "sh",
        "-c",
        "trap 'exit 42' TERM; echo READY; while :; do sleep 0.2; done",
    ]);
    wait_until(Duration::from_secs(10), "READY", || {
        w.env.ok(&["logs", &name]).contains("READY")
    });
    w.env.ok(&["kill", "-s=TERM", &name]);
    assert_eq!(w.env.ok(&["wait", &name]).trim(), "42");
    assert_eq!(stopped(&name), "true");
    w.env.ok(&["start", &name]);
    assert_eq!(stopped(&name), "false");
    w.env.ok(&["rm", "-f", "-t0", &name]);
}

#[test]
fn stop_and_rm_of_many_report_in_the_order_given() {
    let (w, img) = busybox();
    let names: Vec<String> = (0..3).map(|_| unique_name("many")).collect();
    for n in &names {
        w.env.ok(&["run", "-d", "--name", n, &img, "sleep", "60"]);
    }
    // Stopped concurrently, reported in the order given.
    let given: Vec<&str> = names.iter().rev().map(String::as_str).collect();
    let mut args = vec!["stop", "-t", "0"];
    args.extend(&given);
    assert_eq!(w.env.ok(&args), format!("{}\n", given.join("\n")));
    for n in &names {
        assert_eq!(state_of(&w.env, n), "exited");
    }
    // rm: each failure printed, the rest removed in the order given, exit 1 for
    // the missing one.
    let out = w
        .env
        .run(&["rm", &names[2], "no-such-ctr", &names[0], &names[1]]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\n{}\n{}\n", names[2], names[0], names[1])
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "Error: no container with ID or name \"no-such-ctr\" found: no such container"
    );
}
