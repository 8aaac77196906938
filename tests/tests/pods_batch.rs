//! Pod batches as Podman runs them: `pod stop` and `pod rm` of several
//! pods act on them concurrently, report in the order given, and keep
//! their exit codes (`pod rm`: 1 for a missing pod).

mod common;

use std::time::{Duration, Instant};

use common::busybox;
use rpod_tests::{unique_name, TestEnv};

/// Removes every pod before the environment's own cleanup runs.
struct PodGuard<'a>(&'a TestEnv);

impl Drop for PodGuard<'_> {
    fn drop(&mut self) {
        let _ = self.0.run(&["pod", "rm", "-af", "-t", "0"]);
    }
}

/// Creates `n` pods, each with a member whose PID 1 ignores SIGTERM (so
/// every stop waits its full timeout); returns their names and ids.
fn pods_with_stubborn_members(
    w: &common::World,
    img: &str,
    n: usize,
) -> (Vec<String>, Vec<String>) {
    let mut pods = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..n {
        let pod = unique_name("pod");
        let id = w
            .env
            .ok(&["pod", "create", "--name", &pod])
            .trim()
            .to_owned();
        w.env.ok(&["run", "-d", "--pod", &pod, img, "sleep", "600"]);
        pods.push(pod);
        ids.push(id);
    }
    (pods, ids)
}

#[test]
fn pod_stop_and_rm_of_many_report_in_input_order() {
    let (w, img) = busybox();
    let _g = PodGuard(&w.env);
    let (pods, ids) = pods_with_stubborn_members(&w, &img, 3);
    let out = w
        .env
        .ok(&["pod", "stop", "-t", "1", &pods[2], &pods[0], &pods[1]]);
    assert_eq!(out.lines().collect::<Vec<_>>(), [&ids[2], &ids[0], &ids[1]]);

    // `pod rm` of several, one missing: the others go, exit code 1.
    let out = w.env.run(&["pod", "rm", &pods[1], "no-such-pod", &pods[0]]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().collect::<Vec<_>>(), [&ids[1], &ids[0]]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no pod with name or ID no-such-pod found"),
        "{stderr}"
    );
    // --ignore skips missing pods; --latest picks the newest.
    w.env.ok(&["pod", "stop", "--ignore", "no-such-pod"]);
    let out = w.env.ok(&["pod", "rm", "--latest"]);
    assert_eq!(out.trim(), ids[2]);
    assert_eq!(w.env.ok(&["pod", "ps", "-q"]), "");
}

#[test]
fn pod_stop_of_many_overlaps_the_timeouts() {
    let (w, img) = busybox();
    let _g = PodGuard(&w.env);
    let (pods, _) = pods_with_stubborn_members(&w, &img, 3);
    let started = Instant::now();
    w.env
        .ok(&["pod", "stop", "-t", "2", &pods[0], &pods[1], &pods[2]]);
    let took = started.elapsed();
    // One by one this takes three timeouts (6 s) at least.
    assert!(
        took < Duration::from_millis(5500),
        "pods stopped one by one: {took:?}"
    );
}
