//! `rpod --remote update`, `pod top`, `pod stats` and `system prune`
//! against `rpod system service` on a private unix socket, and the libpod
//! endpoints behind them over raw HTTP.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::service::{http, Service};
use common::{inspect, World};
use rpod_tests::{rpod_bin, run_with_timeout, unique_name, wait_until};
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(180);

struct Remote<'a> {
    w: &'a World,
    url: String,
}

impl Remote<'_> {
    fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(rpod_bin());
        cmd.arg("--url")
            .arg(&self.url)
            .args(args)
            .env("XDG_CONFIG_HOME", self.w.env.dir().join("config"))
            .env_remove("CONTAINER_HOST")
            .env_remove("CONTAINER_CONNECTION")
            .stdin(Stdio::null());
        run_with_timeout(&mut cmd, TIMEOUT)
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "`rpod --remote {}` failed with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Exit 125 with `needle` in the message.
    fn fails(&self, args: &[&str], needle: &str) {
        let out = self.run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(125), "rpod {args:?}: {err}");
        assert!(err.contains(needle), "rpod {args:?}: {err}");
    }
}

fn sock_path(w: &World) -> PathBuf {
    w.env.dir().join("api").join("rpod.sock")
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("JSON: {e}\n{body}"))
}

#[test]
fn update_over_the_service() {
    let (w, img) = common::busybox();
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");
    let r = Remote {
        w: &w,
        url: format!("unix://{}", sock.display()),
    };
    let name = unique_name("ru-up");
    let id = r.ok(&["run", "-d", "--name", &name, &img, "sleep", "1000"]);
    let id = id.trim();

    let out = r.ok(&[
        "update",
        "--memory",
        "32m",
        "--cpu-shares",
        "512",
        "--pids-limit",
        "77",
        "--restart",
        "on-failure:2",
        "--env",
        "UPDATED=yes",
        "--health-cmd",
        "true",
        "--health-interval",
        "45s",
        &name,
    ]);
    assert_eq!(out.trim(), id);
    let v = inspect(&w.env, &name);
    let hc = &v["HostConfig"];
    assert_eq!(hc["Memory"], 32 << 20, "{hc}");
    assert_eq!(hc["CpuShares"], 512, "{hc}");
    assert_eq!(hc["PidsLimit"], 77, "{hc}");
    assert_eq!(hc["RestartPolicy"]["Name"], "on-failure", "{hc}");
    assert_eq!(hc["RestartPolicy"]["MaximumRetryCount"], 2, "{hc}");
    let env = v["Config"]["Env"].to_string();
    assert!(env.contains("UPDATED=yes"), "{env}");
    assert_eq!(
        v["Config"]["Healthcheck"]["Test"],
        serde_json::json!(["CMD-SHELL", "true"]),
        "{}",
        v["Config"]
    );
    // The limit reached the running container's cgroup.
    let limit = w.env.ok(&[
        "exec",
        &name,
        "cat",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ]);
    assert_eq!(limit.trim(), (32u64 << 20).to_string());

    // Podman's libpod body (what Podman's own client sends) works too.
    let (status, body) = http(
        &sock,
        "POST",
        &format!("/v5.8.0/libpod/containers/{name}/update?restartPolicy=always"),
        Some(r#"{"memory":{"limit":50331648},"pids":{"limit":88}}"#),
    )
    .unwrap();
    assert_eq!(status, 201, "{body}");
    assert_eq!(json(&body), Value::String(id.to_owned()));
    let v = inspect(&w.env, &name);
    assert_eq!(v["HostConfig"]["Memory"], 48 << 20);
    assert_eq!(v["HostConfig"]["PidsLimit"], 88);
    assert_eq!(v["HostConfig"]["RestartPolicy"]["Name"], "always");
    let (status, body) = http(
        &sock,
        "POST",
        &format!("/v5.8.0/libpod/containers/{name}/update"),
        Some(r#"{"health_cmd":"echo hi","health_retries":5}"#),
    )
    .unwrap();
    assert_eq!(status, 201, "{body}");
    let v = inspect(&w.env, &name);
    assert_eq!(
        v["Config"]["Healthcheck"]["Test"],
        serde_json::json!(["CMD-SHELL", "echo hi"])
    );
    assert_eq!(v["Config"]["Healthcheck"]["Retries"], 5);
    let (status, body) = http(
        &sock,
        "POST",
        &format!("/v5.8.0/libpod/containers/{name}/update"),
        Some(r#"{"hugepageLimits":[{"pageSize":"2MB","limit":1}]}"#),
    )
    .unwrap();
    assert_eq!(status, 501, "{body}");
    let (status, _) = http(
        &sock,
        "POST",
        "/v5.8.0/libpod/containers/nosuch/update",
        Some("{}"),
    )
    .unwrap();
    assert_eq!(status, 404);

    r.fails(
        &["update", "--memory", "10m", "nosuchctr"],
        "no such container",
    );
    r.fails(
        &["update", "--restart", "sometimes", &name],
        "invalid restart policy",
    );
    r.ok(&["rm", "-f", "-t", "0", &name]);
}

#[test]
fn pod_top_and_stats_over_the_service() {
    let (w, img) = common::busybox();
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");
    let r = Remote {
        w: &w,
        url: format!("unix://{}", sock.display()),
    };
    let pod = unique_name("ru-pod");
    let ctr = unique_name("ru-pc");
    r.ok(&["pod", "create", "--name", &pod]);
    r.ok(&[
        "run", "-d", "--pod", &pod, "--name", &ctr, &img, "sleep", "1234",
    ]);

    let top = r.ok(&["pod", "top", &pod]);
    let header = top.lines().next().unwrap_or_default();
    assert!(
        header.contains("USER") && header.contains("COMMAND"),
        "{top}"
    );
    assert!(top.contains("sleep 1234"), "{top}");
    let top = r.ok(&["pod", "top", &pod, "pid", "ppid", "args"]);
    assert!(top.lines().next().unwrap().contains("PPID"), "{top}");
    assert!(top.contains("sleep 1234"), "{top}");
    assert_eq!(top, w.env.ok(&["pod", "top", &pod, "pid", "ppid", "args"]));
    r.fails(&["pod", "top", "nosuchpod"], "no such pod");

    // Podman's answer shape.
    let (status, body) = http(
        &sock,
        "GET",
        &format!("/v5.8.0/libpod/pods/{pod}/top?ps_args=pid,args"),
        None,
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let v = json(body.trim());
    assert_eq!(v["Titles"], serde_json::json!(["PID", "COMMAND"]), "{v}");
    assert!(
        v["Processes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p[1] == "sleep 1234"),
        "{v}"
    );
    let (status, _) = http(&sock, "GET", "/v5.8.0/libpod/pods/nosuchpod/top", None).unwrap();
    assert_eq!(status, 404);

    let stats = r.ok(&[
        "pod",
        "stats",
        "--no-stream",
        "--format",
        "{{.Name}} {{.Pod}} {{.PIDS}}",
        &pod,
    ]);
    let line = stats
        .lines()
        .find(|l| l.starts_with(&format!("{ctr} ")))
        .unwrap_or_else(|| panic!("{stats}"));
    let pids: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(pids.len(), 3, "{line}");
    assert!(pod.contains(pids[1]) || pids[1].len() == 12, "{line}");
    assert!(pids[2].parse::<u32>().unwrap() >= 1, "{line}");
    let (status, body) = http(
        &sock,
        "GET",
        &format!("/v5.8.0/libpod/pods/stats?namesOrIDs={pod}"),
        None,
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let v = json(body.trim());
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["Name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&ctr.as_str()), "{v}");
    assert!(v[0]["CPU"].as_str().unwrap().ends_with('%'), "{v}");
    let (status, _) = http(
        &sock,
        "GET",
        "/v5.8.0/libpod/pods/stats?namesOrIDs=nosuchpod",
        None,
    )
    .unwrap();
    assert_eq!(status, 404);
    r.fails(&["pod", "stats", "--no-stream", "nosuchpod"], "no such pod");
    r.ok(&["pod", "rm", "-f", "-t", "0", &pod]);
}

#[test]
fn system_prune_over_the_service() {
    let (w, img) = common::busybox();
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");
    let r = Remote {
        w: &w,
        url: format!("unix://{}", sock.display()),
    };
    let running = unique_name("ru-keep");
    let exited = unique_name("ru-gone");
    let pod = unique_name("ru-ppod");
    let vol = unique_name("ru-vol");
    r.ok(&["run", "-d", "--name", &running, &img, "sleep", "1000"]);
    let exited_id = r.ok(&["run", "--name", &exited, &img, "true"]);
    let exited_id = exited_id.trim().to_owned();
    let exited_id = if exited_id.is_empty() {
        w.env
            .ok(&["inspect", "--format", "{{.Id}}", &exited])
            .trim()
            .to_owned()
    } else {
        exited_id
    };
    r.ok(&["pod", "create", "--name", &pod]);
    r.ok(&["volume", "create", &vol]);

    let out = r.ok(&["system", "prune", "-f", "--volumes"]);
    assert!(out.contains("Deleted Containers"), "{out}");
    assert!(out.contains(&exited_id), "{out}");
    assert!(out.contains("Deleted Volumes"), "{out}");
    assert!(out.contains(&vol), "{out}");
    assert!(out.contains("Total reclaimed space:"), "{out}");
    let ps = w.env.ok(&["ps", "-a", "--format", "{{.Names}}"]);
    assert!(ps.lines().any(|l| l == running), "{ps}");
    assert!(!ps.lines().any(|l| l == exited), "{ps}");
    let pods = w.env.ok(&["pod", "ps", "--format", "{{.Name}}"]);
    assert!(!pods.lines().any(|l| l == pod), "{pods}");
    // The image is in use by the running container: kept even with --all.
    r.ok(&["system", "prune", "-f", "--all"]);
    assert!(w.env.run(&["image", "exists", &img]).status.success());

    // Podman's report keys.
    let (status, body) = http(
        &sock,
        "POST",
        "/v5.8.0/libpod/system/prune?volumes=true",
        None,
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let v = json(&body);
    for key in [
        "PodPruneReport",
        "ContainerPruneReports",
        "ImagePruneReports",
        "VolumePruneReports",
        "ReclaimedSpace",
    ] {
        assert!(v.get(key).is_some(), "{key} in {v}");
    }
    let (status, _) = http(
        &sock,
        "POST",
        "/v5.8.0/libpod/system/prune?external=true",
        None,
    )
    .unwrap();
    assert_eq!(status, 501);
    wait_until(Duration::from_secs(5), "the running container", || {
        w.env
            .run(&["container", "exists", &running])
            .status
            .success()
    });
    r.ok(&["rm", "-f", "-t", "0", &running]);
}

/// `pod create` carries every option to rpod's service; `pod ps --sort`;
/// `run --pod new:NAME --hostname` gives the pod the hostname; `rm --depend`
/// of an infra container lists each container it removed.
#[test]
fn pod_options_sort_hostname_and_depend_over_the_service() {
    let (w, img) = common::busybox();
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");
    let r = Remote {
        w: &w,
        url: format!("unix://{}", sock.display()),
    };
    let (b, a) = (unique_name("ru-b"), unique_name("ru-a"));
    let first = r.ok(&["pod", "create", "--name", &b, "--share", "+pid"]);
    r.ok(&["pod", "create", "--name", &a]);
    let shared = r.ok(&["pod", "inspect", "--format", "{{.SharedNamespaces}}", &b]);
    assert!(shared.contains("pid"), "{shared}");
    // --replace (a local-engine option before) replaces the pod.
    let second = r.ok(&["pod", "create", "--name", &b, "--replace"]);
    assert_ne!(first.trim(), second.trim());
    let names = r.ok(&["pod", "ps", "--sort", "name", "--format", "{{.Name}}"]);
    let ours: Vec<&str> = names.lines().filter(|n| *n == a || *n == b).collect();
    assert_eq!(ours, vec![a.as_str(), b.as_str()], "{names}");
    r.fails(
        &["pod", "ps", "--sort", "bogus"],
        "invalid option for --sort",
    );
    r.ok(&["pod", "rm", "-f", &a, &b]);

    let hp = unique_name("ru-hp");
    let out = r.ok(&[
        "run",
        "--rm",
        "--pod",
        &format!("new:{hp}"),
        "--hostname",
        "remote-host",
        &img,
        "hostname",
    ]);
    assert_eq!(out, "remote-host\n");
    r.ok(&["pod", "rm", "-f", &hp]);

    let dp = unique_name("ru-dp");
    let ctr = r.ok(&["create", "--pod", &format!("new:{dp}"), &img, "true"]);
    let infra = r.ok(&["pod", "inspect", "--format", "{{.InfraContainerID}}", &dp]);
    let removed = r.ok(&["container", "rm", "--depend", infra.trim()]);
    let mut got: Vec<&str> = removed.lines().collect();
    got.sort_unstable();
    let mut want = vec![infra.trim(), ctr.trim()];
    want.sort_unstable();
    assert_eq!(got, want, "{removed}");
    let _ = r.run(&["pod", "rm", "-f", &dp]);
}
