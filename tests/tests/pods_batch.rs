//! Pod batches as Podman runs them: `pod stop` and `pod rm` of several
//! pods act on them concurrently, report in the order given, and keep
//! their exit codes (`pod rm`: 1 for a missing pod).

mod common;

use std::process::Stdio;
use std::time::Duration;

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

/// A member whose PID 1 records its SIGTERM as the file `/m/<$0>` and
/// ignores it: it exits only once `/m/go` exists.
const MARKING_MEMBER: &str = r#"trap "touch /m/$0" TERM; while [ ! -e /m/go ]; do sleep 0.1; done"#;

#[test]
fn pod_stop_of_many_overlaps_the_timeouts() {
    let (w, img) = busybox();
    let _g = PodGuard(&w.env);
    let marks = w.env.dir().join("marks");
    std::fs::create_dir(&marks).unwrap();
    let volume = format!("{}:/m", marks.display());
    let pods: Vec<String> = (0..3).map(|_| unique_name("pod")).collect();
    for pod in &pods {
        w.env.ok(&["pod", "create", "--name", pod]);
        w.env.ok(&[
            "run",
            "-d",
            "--pod",
            pod,
            "-v",
            &volume,
            &img,
            "sh",
            "-c",
            MARKING_MEMBER,
            pod,
        ]);
    }
    // Far longer than the test needs: each stop ends when its member exits
    // on its own (after `go`), never by the timeout.
    let mut stop = w
        .env
        .cmd(&["pod", "stop", "-t", "120", &pods[0], &pods[1], &pods[2]]);
    stop.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = stop.spawn().unwrap();
    let mut child = KillOnDrop(Some(child));
    // One by one, a member would get its SIGTERM only once the pod before
    // had stopped (its member died, the pod's `stop` event recorded). Side
    // by side, every member gets it before any of that happens.
    let signalled = || pods.iter().all(|p| marks.join(p).exists());
    while !signalled() {
        let running = child.0.as_mut().unwrap().try_wait().unwrap().is_none();
        assert!(
            running,
            "pod stop ended before every member had its SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let ended = stops_recorded(&w.env);
    assert!(
        ended.is_empty(),
        "stops ended before every member had its SIGTERM: {ended:?}"
    );
    std::fs::write(marks.join("go"), b"").unwrap();
    let out = child.0.take().unwrap().wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "pod stop: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for pod in &pods {
        let state = w.env.ok(&["pod", "inspect", "--format", "{{.State}}", pod]);
        assert_eq!(state.trim(), "Exited", "{pod}");
    }
    // The events looked for above are recorded: each pod's containers
    // (member and infra) died and were stopped.
    let ended = stops_recorded(&w.env);
    for event in ["died", "stop"] {
        let n = ended
            .iter()
            .filter(|l| l.contains(&format!(" {event} ")))
            .count();
        assert_eq!(n, 2 * pods.len(), "{event}: {ended:?}");
    }
}

/// The `died` and `stop` events recorded so far, as `TYPE STATUS NAME`.
fn stops_recorded(env: &TestEnv) -> Vec<String> {
    let all = env.ok(&[
        "events",
        "--stream=false",
        "--format",
        "{{.Type}} {{.Status}} {{.Name}}",
    ]);
    all.lines()
        .filter(|l| l.contains(" died ") || l.contains(" stop "))
        .map(str::to_owned)
        .collect()
}

/// Kills the child (a `pod stop` still waiting) if the test fails first.
struct KillOnDrop(Option<std::process::Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(c) = self.0.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
