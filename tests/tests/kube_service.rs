//! `kube play --service-container`: the service container Quadlet `.kube`
//! units rely on. Its name comes from the YAML's hash; it runs while the
//! pods run, stops when their last container exited (with SIGKILL when the
//! exit-code propagation says the workload failed), starts again with the
//! pod, cannot be removed while a pod names it, and goes with the last pod.

mod common;

use std::time::Duration;

use common::busybox;
use rpod_tests::{unique_name, wait_until, TestEnv};
use sha2::{Digest, Sha256};

/// Removes every pod before the environment's own cleanup runs.
struct PodGuard<'a>(&'a TestEnv);

impl Drop for PodGuard<'_> {
    fn drop(&mut self) {
        let _ = self.0.run(&["pod", "rm", "-af", "-t", "0"]);
        let _ = self.0.run(&["rm", "-af", "-t", "0"]);
    }
}

/// A pod with one container (restart policy `Never`, so an exit is final).
fn pod_yaml(pod: &str, img: &str, cmd: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {pod}\nspec:\n  restartPolicy: Never\n  containers:\n  - name: c\n    image: {img}\n    command: [\"sh\", \"-c\", \"{cmd}\"]\n"
    )
}

/// Writes the YAML; returns its path and the service container's name.
fn write(env: &TestEnv, name: &str, yaml: &str) -> (String, String) {
    let p = env.dir().join(name);
    std::fs::write(&p, yaml).unwrap();
    let hash = hex::encode(Sha256::digest(yaml.as_bytes()));
    (
        p.to_string_lossy().into_owned(),
        format!("{}-service", &hash[..12]),
    )
}

fn inspect(env: &TestEnv, fmt: &str, name: &str) -> String {
    env.ok(&["container", "inspect", "--format", fmt, name])
        .trim()
        .to_owned()
}

fn running(env: &TestEnv, name: &str) -> bool {
    inspect(env, "{{.State.Running}}", name) == "true"
}

#[test]
fn service_container_follows_its_pod() {
    let (w, img) = busybox();
    let env = &w.env;
    let _g = PodGuard(env);
    let pod = unique_name("ksvc");
    let (path, svc) = write(env, "svc.yaml", &pod_yaml(&pod, &img, "sleep 1000"));
    let out = env.ok(&["kube", "play", "--service-container=true", &path]);
    assert!(out.starts_with("Pod:\n"), "{out}");
    let ctr = format!("{pod}-c");
    assert!(running(env, &ctr));
    assert!(running(env, &svc), "{}", env.ok(&["ps", "-a"]));
    assert_eq!(inspect(env, "{{.IsService}}", &svc), "true");
    assert_eq!(inspect(env, "{{.IsService}}", &ctr), "false");
    assert_eq!(inspect(env, "{{.Config.StopTimeout}}", &svc), "10");
    assert_eq!(inspect(env, "{{.KubeExitCodePropagation}}", &svc), "none");
    assert!(env.ok(&["ps", "--format", "{{.Names}}"]).contains(&svc));

    // The workload's last container exits: the pod stops, then the service.
    env.ok(&["stop", "-t", "0", &ctr]);
    wait_until(
        Duration::from_secs(30),
        "the service container stops",
        || !running(env, &svc),
    );
    assert_eq!(
        env.ok(&["pod", "inspect", "--format", "{{.State}}", &pod])
            .trim(),
        "Exited"
    );

    env.ok(&["pod", "restart", &pod]);
    assert!(running(env, &svc));
    assert!(running(env, &ctr));

    for args in [&["rm", &svc][..], &["rm", "--force", &svc][..]] {
        let (code, err) = env.fails(args);
        assert_eq!(code, 125, "{err}");
        assert!(
            err.contains("is the service container of pod(s)")
                && err.contains("cannot be removed without removing the pod(s)"),
            "{err}"
        );
    }
    assert!(running(env, &svc));

    // `pod kill`: the members die, the exit policy stops the pod and the
    // service with it.
    env.ok(&["pod", "kill", &pod]);
    wait_until(
        Duration::from_secs(30),
        "the service container stops",
        || !running(env, &svc),
    );
    env.ok(&["pod", "rm", &pod]);
    let out = env.run(&["container", "exists", &svc]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn exit_code_propagation_and_kube_down() {
    let (w, img) = busybox();
    let env = &w.env;
    let _g = PodGuard(env);
    let pod = unique_name("ksvx");
    let (path, svc) = write(env, "fail.yaml", &pod_yaml(&pod, &img, "sleep 2; exit 3"));
    env.ok(&[
        "kube",
        "play",
        "--service-container",
        "--service-exit-code-propagation=any",
        &path,
    ]);
    assert_eq!(inspect(env, "{{.KubeExitCodePropagation}}", &svc), "any");
    wait_until(
        Duration::from_secs(30),
        "the service container stops",
        || !running(env, &svc),
    );
    // A failed workload: the service container was killed.
    assert_eq!(inspect(env, "{{.State.ExitCode}}", &svc), "137");
    let out = env.ok(&["kube", "down", &path]);
    assert!(out.contains("Pods removed:"), "{out}");
    assert_eq!(
        env.run(&["container", "exists", &svc]).status.code(),
        Some(1)
    );
    assert_eq!(env.ok(&["ps", "-aq"]).trim(), "");

    // Without propagation the same failure stops it cleanly.
    let pod2 = unique_name("ksvn");
    let (path2, svc2) = write(env, "none.yaml", &pod_yaml(&pod2, &img, "sleep 2; exit 3"));
    env.ok(&["kube", "play", "--service-container", &path2]);
    wait_until(
        Duration::from_secs(30),
        "the service container stops",
        || !running(env, &svc2),
    );
    assert_ne!(inspect(env, "{{.State.ExitCode}}", &svc2), "137");
    env.ok(&["kube", "down", &path2]);
    assert_eq!(env.ok(&["ps", "-aq"]).trim(), "");
}

#[test]
fn service_container_refusals() {
    let (w, img) = busybox();
    let env = &w.env;
    let _g = PodGuard(env);
    let pod = unique_name("ksvr");
    let (path, svc) = write(env, "r.yaml", &pod_yaml(&pod, &img, "sleep 1000"));
    let (code, err) = env.fails(&[
        "kube",
        "play",
        "--service-container",
        "--start=false",
        &path,
    ]);
    assert_eq!(code, 125, "{err}");
    assert!(
        err.contains("--service-container does not work with --start=stop"),
        "{err}"
    );
    let (code, err) = env.fails(&[
        "kube",
        "play",
        "--service-container",
        "--service-exit-code-propagation=some",
        &path,
    ]);
    assert_eq!(code, 125, "{err}");
    assert!(
        err.contains("unsupported exit-code propagation \"some\""),
        "{err}"
    );
    // Nothing was left behind by the refused play.
    assert_eq!(env.ok(&["ps", "-aq"]).trim(), "");
    assert_eq!(env.ok(&["pod", "ps", "-q"]).trim(), "");
    assert_eq!(
        env.run(&["container", "exists", &svc]).status.code(),
        Some(1)
    );
}
