//! `pod rm` and its neighbours as Podman 5.8 behaves: exit 125 (not 2) for a
//! pod with live members, one error line per member; a running infra
//! container does not hold up `pod rm` without --force; --force implies --ignore;
//! `rm` of an infra container exits 125; `run --pod new:P --hostname H` gives
//! the new pod that hostname.

mod common;

use common::busybox;
use rpod_tests::{unique_name, TestEnv};

/// Removes every pod before the environment's own cleanup runs.
struct PodGuard<'a>(&'a TestEnv);

impl Drop for PodGuard<'_> {
    fn drop(&mut self) {
        let _ = self.0.run(&["pod", "rm", "-af", "-t", "0"]);
    }
}

/// Creates a pod with `extra` flags; returns its name and id.
fn new_pod(env: &TestEnv, extra: &[&str]) -> (String, String) {
    let pod = unique_name("pod");
    let mut args = vec!["pod", "create", "--name", &pod];
    args.extend_from_slice(extra);
    let id = env.ok(&args).trim().to_owned();
    (pod, id)
}

#[test]
fn pod_rm_of_busy_pod_exits_125_with_a_line_per_member() {
    let (w, img) = busybox();
    let _g = PodGuard(&w.env);
    let (pod, id) = new_pod(&w.env, &["--infra=false"]);
    let c1 = w
        .env
        .ok(&["run", "-d", "--pod", &pod, &img, "sleep", "600"]);
    let c2 = w
        .env
        .ok(&["run", "-d", "--pod", &pod, &img, "sleep", "600"]);
    let (code, err) = w.env.fails(&["pod", "rm", &pod]);
    assert_eq!(code, 125, "{err}");
    let lines: Vec<_> = err.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "Error: not all containers could be removed from pod {id}: removing pod containers"
        )
    );
    for c in [c1.trim(), c2.trim()] {
        assert!(
            lines[1..].iter().any(|l| l.starts_with("Error: ")
                && l.contains(&format!("cannot remove container {c} as it is running"))),
            "{err}"
        );
    }
    // Nothing was removed.
    assert_eq!(w.env.ok(&["pod", "ps", "-q"]).trim(), id);
    // -t needs --force, as in Podman.
    let (code, err) = w.env.fails(&["pod", "rm", "-t", "0", &pod]);
    assert_eq!(code, 125);
    assert!(
        err.contains("--force option must be specified to use the --time option"),
        "{err}"
    );
    assert_eq!(w.env.ok(&["pod", "rm", "-f", "-t", "0", &pod]).trim(), id);
}

#[test]
fn running_infra_does_not_hold_up_pod_rm_without_force() {
    let (w, img) = busybox();
    let _g = PodGuard(&w.env);
    let (pod, id) = new_pod(&w.env, &[]);
    // Starts the infra container; the member exits and stays.
    w.env.ok(&["run", "--pod", &pod, &img, "true"]);
    let state = w
        .env
        .ok(&["pod", "inspect", "--format", "{{.State}}", &pod]);
    assert_eq!(state.trim(), "Degraded");
    assert_eq!(w.env.ok(&["pod", "rm", &pod]).trim(), id);
    assert_eq!(w.env.run(&["pod", "exists", &pod]).status.code(), Some(1));
}

#[test]
fn pod_rm_force_ignores_missing_pods() {
    let (w, _img) = busybox();
    let _g = PodGuard(&w.env);
    let missing = unique_name("nopod");
    let (code, err) = w.env.fails(&["pod", "rm", &missing]);
    assert_eq!(code, 1);
    assert!(err.contains("no such pod"), "{err}");
    assert_eq!(
        w.env.ok(&["pod", "rm", "-t", "-1", "--force", &missing]),
        ""
    );
    let (pod, id) = new_pod(&w.env, &[]);
    assert_eq!(
        w.env.ok(&["pod", "rm", "--force", &missing, &pod]).trim(),
        id
    );
}

#[test]
fn rm_of_infra_container_exits_125() {
    let (w, img) = busybox();
    let _g = PodGuard(&w.env);
    let pod = unique_name("pod");
    w.env
        .ok(&["create", "--pod", &format!("new:{pod}"), &img, "true"]);
    let infra = w
        .env
        .ok(&["pod", "inspect", "--format", "{{.InfraContainerID}}", &pod]);
    for args in [
        vec!["rm", infra.trim()],
        vec!["rm", "--force", infra.trim()],
    ] {
        let (code, err) = w.env.fails(&args);
        assert_eq!(code, 125, "{err}");
        assert!(
            err.contains("and cannot be removed without removing the pod"),
            "{err}"
        );
    }
}

#[test]
fn run_pod_new_with_hostname_gives_the_pod_that_hostname() {
    let (w, img) = busybox();
    let _g = PodGuard(&w.env);
    let pod = unique_name("pod");
    let out = w.env.ok(&[
        "run",
        "--rm",
        "--pod",
        &format!("new:{pod}"),
        "--hostname",
        "foobar",
        &img,
        "hostname",
    ]);
    assert_eq!(out.trim(), "foobar");
    let host = w
        .env
        .ok(&["pod", "inspect", "--format", "{{.Hostname}}", &pod]);
    assert_eq!(host.trim(), "foobar");
    // Joining an existing pod that shares UTS still refuses --hostname.
    let (code, err) = w.env.fails(&[
        "run",
        "--rm",
        "--pod",
        &pod,
        "--hostname",
        "x",
        &img,
        "true",
    ]);
    assert_eq!(code, 125);
    assert!(
        err.contains(
            "invalid config provided: cannot set hostname when joining the pod UTS namespace: invalid configuration"
        ),
        "{err}"
    );
    w.env.ok(&["pod", "rm", "-f", "-t", "0", &pod]);
    let out = w.env.ok(&[
        "run",
        "--rm",
        "--pod",
        &format!("new:{pod}"),
        &img,
        "hostname",
    ]);
    assert_eq!(out.trim(), pod);
}

#[test]
fn pod_create_with_invalid_exit_policy_says_so_as_podman() {
    let (w, _img) = busybox();
    let (code, err) = w.env.fails(&["pod", "create", "--exit-policy", "invalid"]);
    assert_eq!(code, 125);
    assert!(
        err.contains("running pod create option: invalid pod exit policy: \"invalid\""),
        "{err}"
    );
    assert_eq!(w.env.ok(&["pod", "ps", "-q"]), "");
}
