//! `kube play` probes as Podman maps them: a `startupProbe` becomes the
//! container's startup health check (the regular one taking over once it
//! passed), a `livenessProbe` the regular check; exec commands keep their
//! argument vector.

mod common;

use std::time::Duration;

use common::busybox;
use rpod_tests::{unique_name, wait_until, TestEnv};

struct PodGuard<'a>(&'a TestEnv);

impl Drop for PodGuard<'_> {
    fn drop(&mut self) {
        let _ = self.0.run(&["pod", "rm", "-af", "-t", "0"]);
    }
}

/// Plays a pod `pod` with one container `c` (the YAML's `spec`
/// indentation for `body`); returns the YAML's path.
fn play(env: &TestEnv, pod: &str, img: &str, body: &str) -> String {
    let yaml = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {pod}\nspec:\n  containers:\n  - name: c\n    image: {img}\n{body}"
    );
    let path = env.dir().join(format!("{pod}.yaml"));
    std::fs::write(&path, yaml).unwrap();
    let path = path.to_string_lossy().into_owned();
    env.ok(&["kube", "play", "--network", "none", &path]);
    path
}

#[test]
fn startup_probe_gates_the_liveness_check() {
    let (w, img) = busybox();
    let env = &w.env;
    let _g = PodGuard(env);
    let pod = unique_name("kprb");
    let path = play(
        env,
        &pod,
        &img,
        r#"    command: ["sh", "-c", "sleep 2; touch /tmp/ready; sleep 1000"]
    startupProbe:
      exec:
        command: ["cat", "/tmp/ready"]
      periodSeconds: 1
      failureThreshold: 60
    livenessProbe:
      exec:
        command: ["test", "-e", "/tmp/ready"]
      periodSeconds: 1
"#,
    );
    let ctr = format!("{pod}-c");
    let fmt = "{{.Config.StartupHealthCheck.Test}} {{.Config.StartupHealthCheck.Interval}} {{.Config.StartupHealthCheck.Retries}} | {{.Config.Healthcheck.Test}} {{.Config.Healthcheck.Timeout}}";
    let conf = env.ok(&["inspect", "--format", fmt, &ctr]);
    assert_eq!(
        conf.trim(),
        "[CMD cat /tmp/ready] 1s 60 | [CMD test -e /tmp/ready] 1s"
    );
    wait_until(
        Duration::from_secs(60),
        "the container becomes healthy",
        || {
            env.ok(&["inspect", "--format", "{{.State.Health.Status}}", &ctr])
                .trim()
                == "healthy"
        },
    );
    env.ok(&["kube", "down", &path]);
}

#[test]
fn liveness_waits_for_initial_delay() {
    let (w, img) = busybox();
    let env = &w.env;
    let _g = PodGuard(env);
    let pod = unique_name("kdly");
    let path = play(
        env,
        &pod,
        &img,
        r#"    command: ["sleep", "1000"]
    livenessProbe:
      exec:
        command: ["/bin/sh", "-c", "touch /tmp/hc.log"]
      initialDelaySeconds: 100
      periodSeconds: 1
"#,
    );
    let ctr = format!("{pod}-c");
    let ann = env.ok(&[
        "inspect",
        "--format",
        "{{index .Config.Annotations \"io.podman.annotations.kube.health.check\"}}",
        &ctr,
    ]);
    assert_eq!(ann.trim(), "true");
    // Podman: not run during the start period, reported unhealthy.
    let out = env.run(&["healthcheck", "run", &ctr]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "unhealthy");
    let (code, _) = env.fails(&["exec", &ctr, "test", "-e", "/tmp/hc.log"]);
    assert_eq!(code, 1);
    env.ok(&["kube", "down", &path]);
}
