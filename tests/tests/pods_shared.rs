//! Pods, continued: `pod logs` options (follow, since/until, names), the
//! pod's shared /dev/shm, `rm` refused while others `--requires` a
//! container, and a member's own user namespace refused.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;

use common::{busybox, wait_state};
use rpod_tests::{unique_name, TestEnv};

/// Removes every pod (and so its cgroup parent) before the environment's
/// own cleanup runs; declared after the environment, so dropped first.
struct PodGuard<'a>(&'a TestEnv);

impl Drop for PodGuard<'_> {
    fn drop(&mut self) {
        let _ = self.0.run(&["pod", "rm", "-af", "-t", "0"]);
    }
}

#[test]
fn rm_refuses_a_container_others_require() {
    let (w, img) = busybox();
    let (a, b) = (unique_name("a"), unique_name("b"));
    let a_id = w.env.ok(&["create", "--name", &a, &img, "true"]);
    let b_id = w
        .env
        .ok(&["create", "--name", &b, "--requires", &a, &img, "true"]);
    let (code, err) = w.env.fails(&["rm", &a]);
    assert_eq!(code, 125, "{err}");
    assert!(
        err.contains(&format!(
            "container {} has dependent containers which must be removed before it: {}: container already exists",
            a_id.trim(),
            b_id.trim()
        )),
        "{err}"
    );
    assert_eq!(w.env.ok(&["ps", "-aq"]).lines().count(), 2, "both kept");
    w.env.ok(&["rm", &b]);
    w.env.ok(&["rm", &a]);
    assert_eq!(w.env.ok(&["ps", "-aq"]), "");
}

/// Kills a spawned CLI if the test fails before it exits.
struct ChildGuard(std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn pod_logs_follow_since_until_and_names() {
    let (w, img) = busybox();
    let _g = PodGuard(&w.env);
    let marks = tempfile::tempdir().unwrap();
    let go = marks.path().join("go");
    let vol = format!("{}:/m", marks.path().display());
    let pod = unique_name("pod");
    w.env.ok(&["pod", "create", "--name", &pod]);
    let (a, b) = (unique_name("a"), unique_name("b"));
    w.env.ok(&[
        "run",
        "-d",
        "--pod",
        &pod,
        "--name",
        &a,
        &img,
        "sh",
        "-c",
        "echo a-1; sleep 0.3; echo a-2 >&2",
    ]);
    wait_state(&w.env, &a, "exited");
    // b logs its last line only once the follower has seen its first.
    w.env.ok(&[
        "run",
        "-d",
        "--pod",
        &pod,
        "--name",
        &b,
        "-v",
        &vol,
        &img,
        "sh",
        "-c",
        "echo b-1; while [ ! -e /m/go ]; do sleep 0.05; done; echo b-2",
    ]);
    let mut cmd = w.env.cmd(&["pod", "logs", "-f", "--names", &pod]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = ChildGuard(cmd.spawn().unwrap());
    let mut stdout = BufReader::new(child.0.stdout.take().unwrap());
    let mut seen = String::new();
    while !seen.contains("b-1") {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "EOF after {seen:?}"
        );
        seen.push_str(&line);
    }
    std::fs::write(&go, "").unwrap();
    // Follow ends once both members have exited (the infra still runs).
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let mut stderr = String::new();
    child
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(child.0.wait().unwrap().success(), "{stderr}");
    assert_eq!(
        seen + &rest,
        format!("{a} a-1\n{b} b-1\n{b} b-2\n"),
        "{stderr}"
    );
    assert_eq!(stderr, format!("{a} a-2\n"));

    // --since/--until select by the records' own times.
    let stamped = w.env.ok(&["pod", "logs", "-t", &pod]);
    let time_of = |what: &str| {
        let line = stamped.lines().find(|l| l.ends_with(what)).unwrap();
        line.split(' ').nth(1).unwrap().to_owned()
    };
    let b1 = time_of(" b-1");
    let only = w.env.ok(&[
        "pod", "logs", "--names", "--since", &b1, "--until", &b1, &pod,
    ]);
    assert_eq!(only, format!("{b} b-1\n"));
    let after = w.env.ok(&["pod", "logs", "-c", &a, "--since", &b1, &pod]);
    assert_eq!(after, "", "a-2 went to stderr");
    let (code, err) = w.env.fails(&["pod", "logs", "--since", "yesterday", &pod]);
    assert_eq!(code, 125, "{err}");
}

#[test]
fn members_of_a_pod_sharing_ipc_share_dev_shm() {
    let (w, img) = busybox();
    let _g = PodGuard(&w.env);
    let pod = unique_name("pod");
    w.env.ok(&["pod", "create", "--name", &pod]);
    let writer = unique_name("w");
    w.env.ok(&[
        "run",
        "-d",
        "--pod",
        &pod,
        "--name",
        &writer,
        &img,
        "sh",
        "-c",
        "echo from-the-writer > /dev/shm/x; sleep 600",
    ]);
    let seen = w.env.ok(&[
        "run", "--rm", "--pod", &pod, &img, "sh", "-c",
        "for i in $(seq 100); do [ -e /dev/shm/x ] && break; sleep 0.1; done; cat /dev/shm/x; grep ' /dev/shm ' /proc/mounts",
    ]);
    let mut lines = seen.lines();
    assert_eq!(lines.next(), Some("from-the-writer"), "{seen}");
    assert!(
        lines
            .next()
            .is_some_and(|m| m.contains("tmpfs") && m.contains("nosuid")),
        "{seen}"
    );

    // A pod that does not share IPC keeps a private /dev/shm per container.
    let private = unique_name("pod");
    w.env
        .ok(&["pod", "create", "--name", &private, "--share", "net"]);
    w.env.ok(&[
        "run",
        "-d",
        "--pod",
        &private,
        &img,
        "sh",
        "-c",
        "echo x > /dev/shm/x; sleep 600",
    ]);
    let out = w.env.ok(&[
        "run",
        "--rm",
        "--pod",
        &private,
        &img,
        "sh",
        "-c",
        "sleep 0.5; ls /dev/shm",
    ]);
    assert_eq!(out, "");

    // Removing the pods unmounts the shared shm (nothing left under the test dir).
    w.env.ok(&["pod", "rm", "-f", "-t", "0", &pod, &private]);
    assert_eq!(common::mounts(&w.env), Vec::<std::path::PathBuf>::new());
}

#[test]
fn a_member_of_a_pod_with_infra_is_refused_a_user_namespace_of_its_own() {
    let (w, img) = busybox();
    let _pods = PodGuard(&w.env);
    let pod = unique_name("uns");
    w.env.ok(&["pod", "create", "--name", &pod]);
    let want = "Error: cannot set user namespace mode when joining pod with infra container: invalid argument\n";
    for flags in [
        &["--uidmap=0:1000:1000"][..],
        &["--gidmap", "0:1000:1000"],
        &["--userns", "keep-id"],
        &["--userns=auto"],
    ] {
        for verb in ["create", "run"] {
            let mut args = vec![verb, "--pod", pod.as_str()];
            args.extend_from_slice(flags);
            args.extend([img.as_str(), "true"]);
            let (code, err) = w.env.fails(&args);
            assert_eq!((code, err.as_str()), (125, want), "{args:?}");
        }
    }
    // Refused before anything was made: the pod holds its infra alone.
    let ids = w.env.ok(&["ps", "-aq", "--filter", &format!("pod={pod}")]);
    assert_eq!(ids.lines().count(), 1, "{ids}");
    // `--pod new:` makes a pod with an infra container: the same refusal,
    // and no pod is left.
    let new = unique_name("unsnew");
    let (code, err) = w.env.fails(&[
        "create",
        "--pod",
        &format!("new:{new}"),
        "--uidmap=0:1000:1000",
        &img,
        "true",
    ]);
    assert_eq!((code, err.as_str()), (125, want));
    assert_eq!(w.env.run(&["pod", "exists", &new]).status.code(), Some(1));
    // Modes that make no namespace of their own are members' as usual,
    // and a pod without an infra container has no namespace to share.
    w.env
        .ok(&["create", "--pod", &pod, "--userns", "host", &img, "true"]);
    let bare = unique_name("unsbare");
    w.env
        .ok(&["pod", "create", "--infra=false", "--name", &bare]);
    w.env.ok(&[
        "create",
        "--pod",
        &bare,
        "--uidmap=0:1000:1000",
        &img,
        "true",
    ]);
}
