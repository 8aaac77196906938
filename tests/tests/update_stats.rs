//! `update` of containers (limits through the runtime, restart policy and
//! health check through the running monitor, the stored options through
//! a restart) and `stats`, checked against real cgroups.

mod common;

use std::time::Duration;

use common::{busybox, inspect};

/// The cgroup files of a running container, read from inside it.
fn cgroup_values(w: &common::World, name: &str, files: &[&str]) -> Vec<String> {
    let mut args = vec!["exec", name, "cat"];
    let paths: Vec<String> = files
        .iter()
        .map(|f| format!("/sys/fs/cgroup/{f}"))
        .collect();
    args.extend(paths.iter().map(String::as_str));
    w.env
        .ok(&args)
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

const LIMIT_FILES: [&str; 5] = [
    "memory/memory.limit_in_bytes",
    "memory/memory.soft_limit_in_bytes",
    "cpu/cpu.cfs_quota_us",
    "cpu/cpu.shares",
    "pids/pids.max",
];

#[test]
fn update_changes_live_limits_keeps_the_rest_and_survives_restart() {
    let (w, img) = busybox();
    let id = w.env.ok(&[
        "run",
        "-d",
        "--name",
        "upd",
        "--pids-limit",
        "1024",
        &img,
        "sleep",
        "1000",
    ]);
    let out = w.env.ok(&[
        "update",
        "--memory",
        "100M",
        "--memory-reservation",
        "50M",
        "--cpus",
        "0.5",
        "--cpu-shares",
        "512",
        "upd",
    ]);
    assert_eq!(out.trim(), id.trim(), "update prints the full id");
    let want = ["104857600", "52428800", "50000", "512", "1024"];
    assert_eq!(cgroup_values(&w, "upd", &LIMIT_FILES), want);
    let hc = &inspect(&w.env, "upd")["HostConfig"];
    assert_eq!(hc["Memory"], 104857600);
    assert_eq!(hc["MemoryReservation"], 52428800);
    assert_eq!(hc["NanoCpus"], 500_000_000);
    assert_eq!(hc["PidsLimit"], 1024, "a limit not given is kept");
    // `container update` is the same command; a stopped container's
    // limits apply at its next start.
    w.env.ok(&["stop", "-t", "0", "upd"]);
    w.env
        .ok(&["container", "update", "--pids-limit", "64", "upd"]);
    w.env.ok(&["start", "upd"]);
    let want = ["104857600", "52428800", "50000", "512", "64"];
    assert_eq!(cgroup_values(&w, "upd", &LIMIT_FILES), want);
}

#[test]
fn update_bad_input_is_one_line_and_changes_nothing() {
    let (w, img) = busybox();
    w.env
        .ok(&["run", "-d", "--name", "bad", &img, "sleep", "1000"]);
    for (args, want) in [
        (
            &["--memory", "abc", "bad"][..],
            "invalid value for memory: invalid size: 'abc'",
        ),
        (
            &["--memory", "10m", "nosuchctr"][..],
            "no container with name or ID \"nosuchctr\" found: no such container",
        ),
        (
            &["--ulimit", "nofile=2048:1024", "bad"][..],
            "ulimit soft limit must be less than or equal to hard limit",
        ),
        (
            &["--ulimit", "nofile:1024:1024", "bad"][..],
            "invalid ulimit argument",
        ),
        (
            &["--restart", "sometimes", "bad"][..],
            "invalid restart policy",
        ),
        (
            &["--health-interval", "10s", "bad"][..],
            "healthcheck command is not set",
        ),
        (
            &["--health-startup-retries", "5", "bad"][..],
            "healthcheck command is not set",
        ),
    ] {
        let mut full = vec!["update"];
        full.extend_from_slice(args);
        let (code, err) = w.env.fails(&full);
        assert_eq!(code, 125, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    let v = inspect(&w.env, "bad");
    assert_eq!(v["HostConfig"]["Memory"], 0);
    assert_eq!(v["HostConfig"]["RestartPolicy"]["Name"], "no");
    assert!(v["Config"]["Healthcheck"].is_null(), "{}", v["Config"]);
    assert_eq!(
        cgroup_values(&w, "bad", &["memory/memory.limit_in_bytes"]),
        [i64::MAX / 4096 * 4096].map(|n| n.to_string())
    );
}

#[test]
fn update_restart_policy_reaches_the_running_monitor() {
    let (w, img) = busybox();
    let dir = w.env.dir().join("restart-data");
    std::fs::create_dir_all(&dir).unwrap();
    let sentinel = dir.join("sentinel");
    let alive = dir.join("alive");
    std::fs::write(&sentinel, "").unwrap();
    let vol = format!("{}:/d", dir.display());
    w.env.ok(&[
        "run",
        "-d",
        "--name",
        "rs",
        "-v",
        &vol,
        &img,
        "sh",
        "-c",
        "touch /d/alive; while test -e /d/sentinel; do sleep 0.1; done",
    ]);
    w.env.ok(&["update", "--restart", "always", "rs"]);
    let policy = w.env.ok(&[
        "inspect",
        "--format",
        "{{.HostConfig.RestartPolicy.Name}}",
        "rs",
    ]);
    assert_eq!(policy.trim(), "always");
    rpod_tests::wait_until(Duration::from_secs(20), "first run", || alive.exists());
    std::fs::remove_file(&alive).unwrap();
    std::fs::remove_file(&sentinel).unwrap();
    // The process exits 0; only the updated policy brings it back.
    rpod_tests::wait_until(Duration::from_secs(30), "restarted run", || alive.exists());
    w.env.ok(&["rm", "-f", "-t", "0", "rs"]);
}

#[test]
fn update_health_check_reaches_the_running_monitor_and_inspect() {
    let (w, img) = busybox();
    w.env
        .ok(&["run", "-d", "--name", "hc", &img, "sleep", "1000"]);
    let (code, err) = w.env.fails(&["healthcheck", "run", "hc"]);
    assert_ne!(code, 0, "{err}");
    w.env.ok(&[
        "update",
        "--health-cmd",
        "echo hcmsg",
        "--health-interval",
        "disable",
        "--health-retries",
        "7",
        "hc",
    ]);
    let fmt = "{{.Config.Healthcheck.Test}} {{.Config.Healthcheck.Retries}}";
    let out = w.env.ok(&["inspect", "--format", fmt, "hc"]);
    assert_eq!(out.trim(), "[CMD-SHELL echo hcmsg] 7");
    // The running monitor runs the new check.
    let out = w.env.ok(&["healthcheck", "run", "hc"]);
    assert_eq!(out.trim(), "");
    w.env.ok(&["update", "--health-cmd", "exit 1", "hc"]);
    let (code, out) = w.env.fails(&["healthcheck", "run", "hc"]);
    assert_eq!(code, 1, "{out}");
    let (code, err) = w
        .env
        .fails(&["update", "--no-healthcheck", "--health-retries", "2", "hc"]);
    assert_eq!(code, 125);
    assert!(
        err.contains("cannot specify both --no-healthcheck"),
        "{err}"
    );
    w.env.ok(&["update", "--no-healthcheck", "hc"]);
    let out = w
        .env
        .ok(&["inspect", "--format", "{{.Config.Healthcheck.Test}}", "hc"]);
    assert_eq!(out.trim(), "[NONE]");
    let (code, _) = w.env.fails(&["healthcheck", "run", "hc"]);
    assert_ne!(code, 0);
    // As at create, where Podman records the same `[NONE]`.
    w.env
        .ok(&["create", "--name", "nohc", "--no-healthcheck", &img]);
    let out = w.env.ok(&[
        "inspect",
        "--format",
        "{{.Config.Healthcheck.Test}}",
        "nohc",
    ]);
    assert_eq!(out.trim(), "[NONE]");
}

#[test]
fn update_ulimits_and_env_apply_at_the_next_start() {
    let (w, img) = busybox();
    w.env.ok(&[
        "run",
        "-d",
        "--name",
        "ul",
        "-e",
        "KEEP=1",
        "-e",
        "GONE=1",
        &img,
        "sh",
        "-c",
        "echo nofile=$(ulimit -n) env=$FOO$KEEP$GONE; sleep 1000",
    ]);
    w.env.ok(&[
        "update",
        "--ulimit",
        "nofile=1024:1024",
        "--env",
        "FOO=bar",
        "--unsetenv",
        "GONE",
        "ul",
    ]);
    w.env.ok(&["restart", "-t", "0", "ul"]);
    rpod_tests::wait_until(Duration::from_secs(20), "second run's output", || {
        w.env.ok(&["logs", "ul"]).lines().count() >= 2
    });
    let logs = w.env.ok(&["logs", "ul"]);
    let last = logs.lines().last().unwrap_or_default();
    assert_eq!(last, "nofile=1024 env=bar1", "{logs}");
    let hc = &inspect(&w.env, "ul")["HostConfig"];
    assert_eq!(hc["Ulimits"][0]["Name"], "RLIMIT_NOFILE", "{hc}");
}

/// go-units' decimal size (`1.5MB`) in bytes.
fn decimal_size(s: &str) -> f64 {
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let mult = match unit {
        "B" => 1e0,
        "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        other => panic!("unit {other:?} in {s:?}"),
    };
    num.parse::<f64>().unwrap() * mult
}

fn container_id(w: &common::World, name: &str) -> String {
    w.env
        .ok(&["inspect", "--format", "{{.Id}}", name])
        .trim()
        .to_owned()
}

fn cgroup_file(id: &str, controller: &str, file: &str) -> String {
    std::fs::read_to_string(format!("/sys/fs/cgroup/{controller}/rpod/{id}/{file}"))
        .unwrap()
        .trim()
        .to_owned()
}

#[test]
fn stats_memory_and_pids_match_the_cgroup() {
    let (w, img) = busybox();
    // About 20 MB held in a shell variable, and four processes.
    w.env.ok(&[
        "run",
        "-d",
        "--name",
        "st",
        "--memory",
        "200m",
        &img,
        "sh",
        "-c",
        "x=$(head -c 20000000 /dev/zero | tr '\\0' a); touch /ready; sleep 1000 & sleep 1000 & sleep 1000 & wait",
    ]);
    rpod_tests::wait_until(Duration::from_secs(30), "allocation", || {
        w.env
            .run(&["exec", "st", "test", "-e", "/ready"])
            .status
            .success()
    });
    let id = container_id(&w, "st");
    rpod_tests::wait_until(Duration::from_secs(20), "four processes", || {
        cgroup_file(&id, "pids", "pids.current") == "4"
    });
    let fmt = "{{.ID}}|{{.Name}}|{{.MemUsage}}|{{.PIDS}}|{{.MemLimit}}|{{.CPUPerc}}";
    let out = w
        .env
        .ok(&["stats", "--no-stream", "--no-reset", "--format", fmt, "st"]);
    let counter: f64 = cgroup_file(&id, "memory", "memory.usage_in_bytes")
        .parse()
        .unwrap();
    let cols: Vec<&str> = out.trim().split('|').collect();
    assert_eq!(cols[0], &id[..12], "{out}");
    assert_eq!(cols[1], "st");
    let (usage, limit) = cols[2].split_once(" / ").unwrap();
    let usage = decimal_size(usage);
    assert!(
        counter > 20e6,
        "the allocation shows in the cgroup: {counter}"
    );
    assert!(
        (usage - counter).abs() / counter < 0.10,
        "stats {usage} vs cgroup {counter}"
    );
    assert_eq!(limit, "209.7MB");
    assert_eq!(cols[3], "4");
    assert_eq!(cols[4], (200u64 << 20).to_string());
    assert!(cols[5].ends_with('%'), "{out}");
    // JSON: Podman's keys and text values.
    let out = w.env.ok(&[
        "stats",
        "--no-stream",
        "--no-reset",
        "--format",
        "json",
        "st",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["name"], "st");
    assert_eq!(v[0]["pids"], "4");
    assert_eq!(v[0]["id"], &id[..12]);
}

#[test]
fn stats_selects_running_all_or_named_and_refuses_bad_input() {
    let (w, img) = busybox();
    w.env
        .ok(&["run", "-d", "--name", "up", &img, "sleep", "1000"]);
    w.env.ok(&["create", "--name", "down", &img, "true"]);
    let names = |args: &[&str]| {
        let mut full = vec![
            "stats",
            "--no-stream",
            "--no-reset",
            "--format",
            "{{.Name}} {{.PIDS}} {{.MemUsage}}",
        ];
        full.extend_from_slice(args);
        let mut lines: Vec<String> = w.env.ok(&full).lines().map(str::to_owned).collect();
        lines.sort();
        lines
    };
    let running = names(&[]);
    assert_eq!(running.len(), 1, "{running:?}");
    assert!(running[0].starts_with("up 1 "), "{running:?}");
    let all = names(&["--all"]);
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(all[0], "down 0 0B / 0B");
    for (args, want) in [
        (
            &["nosuch"][..],
            "no container with name or ID \"nosuch\" found",
        ),
        (
            &["--all", "up"][..],
            "--all, --latest and containers cannot be used together",
        ),
        (&["--interval", "0", "up"][..], "invalid interval"),
    ] {
        let mut full = vec!["stats", "--no-stream"];
        full.extend_from_slice(args);
        let (code, err) = w.env.fails(&full);
        assert_eq!(code, 125, "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
}

#[test]
fn stats_streams_until_stopped() {
    use std::io::{BufRead, BufReader};
    let (w, img) = busybox();
    w.env
        .ok(&["run", "-d", "--name", "str", &img, "sleep", "1000"]);
    let mut child = w
        .env
        .cmd(&["stats", "--interval", "1", "--no-reset", "str"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut headers = 0;
    let mut rows = 0;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if line.starts_with("ID ") {
            headers += 1;
        } else if line.contains(" str ") {
            rows += 1;
        }
        if headers == 2 && rows == 2 {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!((headers, rows), (2, 2));
}

#[test]
fn pod_stats_lists_each_member() {
    let (w, img) = busybox();
    w.env.ok(&["pod", "create", "--name", "sp"]);
    w.env.ok(&[
        "run", "-d", "--pod", "sp", "--name", "sp-a", &img, "sleep", "1000",
    ]);
    w.env
        .ok(&["create", "--pod", "sp", "--name", "sp-b", &img, "true"]);
    let out = w.env.ok(&[
        "pod",
        "stats",
        "--no-stream",
        "--no-reset",
        "--format",
        "{{.Name}} {{.PIDS}} {{.MemUsage}}",
        "sp",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.iter().any(|l| l.starts_with("sp-a 1 ")), "{out}");
    assert!(lines.contains(&"sp-b -- -- / --"), "{out}");
    let out = w.env.ok(&["pod", "stats", "--no-stream", "--no-reset"]);
    assert!(out.starts_with("POD "), "{out}");
    assert!(out.contains("MEM USAGE/ LIMIT"), "{out}");
    let (code, err) = w.env.fails(&["pod", "stats", "--no-stream", "nosuchpod"]);
    assert_eq!(code, 125, "{err}");
    assert!(err.contains("nosuchpod"), "{err}");
}

/// A block device of the host (the first one /proc/partitions lists).
fn host_block_device() -> (String, String) {
    let parts = std::fs::read_to_string("/proc/partitions").unwrap();
    let line = parts
        .lines()
        .skip(2)
        .find(|l| !l.trim().is_empty())
        .expect("a block device");
    let f: Vec<&str> = line.split_whitespace().collect();
    (format!("/dev/{}", f[3]), format!("{}:{}", f[0], f[1]))
}

#[test]
fn blkio_throttles_reach_the_cgroup_and_non_block_devices_are_refused() {
    let (w, img) = busybox();
    let (dev, majmin) = host_block_device();
    let bps = format!("{dev}:1mb");
    let id = w.env.ok(&[
        "run",
        "-d",
        "--name",
        "blk",
        "--device-read-bps",
        &bps,
        &img,
        "sleep",
        "1000",
    ]);
    let id = id.trim();
    let file = |f: &str| cgroup_file(id, "blkio", f);
    assert_eq!(
        file("blkio.throttle.read_bps_device"),
        format!("{majmin} 1048576")
    );
    let iops = format!("{dev}:2000");
    w.env.ok(&["update", "--device-write-iops", &iops, "blk"]);
    assert_eq!(
        file("blkio.throttle.write_iops_device"),
        format!("{majmin} 2000")
    );
    assert_eq!(
        file("blkio.throttle.read_bps_device"),
        format!("{majmin} 1048576")
    );
    let hc = &inspect(&w.env, "blk")["HostConfig"];
    assert_eq!(hc["BlkioDeviceReadBps"][0]["Rate"], 1048576);
    assert_eq!(hc["BlkioDeviceWriteIOps"][0]["Rate"], 2000);
    for opt in [
        "--blkio-weight-device=/dev/zero:123",
        "--device-read-bps=/dev/zero:10mb",
        "--device-write-iops=/dev/zero:1000",
    ] {
        let (code, err) = w.env.fails(&["update", "blk", opt]);
        assert_eq!(code, 125, "{opt}: {err}");
        assert!(
            err.contains("/dev/zero: not a block device"),
            "{opt}: {err}"
        );
        let (code, err) = w.env.fails(&["run", "--rm", opt, &img, "true"]);
        assert_eq!(code, 125, "{opt}: {err}");
        assert!(
            err.contains("/dev/zero: not a block device"),
            "{opt}: {err}"
        );
    }
    let (code, err) = w
        .env
        .fails(&["update", "blk", "--device-read-bps=zero:1mb"]);
    assert_eq!(code, 125);
    assert!(
        err.contains("bad format for device path: zero:1mb"),
        "{err}"
    );
    assert_eq!(w.env.ok(&["ps", "-a", "-q"]).lines().count(), 1);
}

#[test]
fn shm_size_sets_the_dev_shm_tmpfs() {
    let (w, img) = busybox();
    let out = w.env.ok(&[
        "run",
        "--rm",
        "--shm-size",
        "10m",
        &img,
        "df",
        "-k",
        "/dev/shm",
    ]);
    let last = out.lines().last().unwrap_or_default();
    assert_eq!(last.split_whitespace().nth(1), Some("10240"), "{out}");
    w.env
        .ok(&["create", "--name", "shm", "--shm-size", "1g", &img]);
    assert_eq!(inspect(&w.env, "shm")["HostConfig"]["ShmSize"], 1i64 << 30);
    let (code, err) = w.env.fails(&["create", "--shm-size", "abc", &img]);
    assert_eq!(code, 125);
    assert!(
        err.contains("unable to translate --shm-size: invalid size: 'abc'"),
        "{err}"
    );
}

#[test]
fn pod_limits_hold_for_the_sum_of_members() {
    let (w, img) = busybox();
    let pod = w.env.ok(&[
        "pod",
        "create",
        "--name",
        "lp",
        "--memory",
        "56m",
        "--memory-swap",
        "56m",
        "--cpus",
        "0.5",
    ]);
    let pod = pod.trim();
    let alloc = "x=$(head -c 20000000 /dev/zero | tr '\\0' a); echo held";
    // One member alone fits (its peak is about twice what it holds).
    let out = w
        .env
        .ok(&["run", "--rm", "--pod", "lp", &img, "sh", "-c", alloc]);
    assert_eq!(out.trim(), "held");
    let dir = format!("/sys/fs/cgroup/memory/rpod/pod-{pod}");
    let limit = std::fs::read_to_string(format!("{dir}/memory.limit_in_bytes")).unwrap();
    assert_eq!(limit.trim(), (56u64 << 20).to_string());
    let quota = std::fs::read_to_string(format!(
        "/sys/fs/cgroup/cpu/rpod/pod-{pod}/cpu.cfs_quota_us"
    ))
    .unwrap();
    assert_eq!(quota.trim(), "50000");
    // Two members holding 20 MB each, one of them peaking at 40, do not: one of them is OOM-killed.
    let hold = format!("{alloc}; touch /held; sleep 1000 & wait");
    w.env.ok(&[
        "run", "-d", "--pod", "lp", "--name", "lp-a", &img, "sh", "-c", &hold,
    ]);
    rpod_tests::wait_until(Duration::from_secs(30), "first member's allocation", || {
        w.env
            .run(&["exec", "lp-a", "test", "-e", "/held"])
            .status
            .success()
            || common::state_of(&w.env, "lp-a") != "running"
    });
    let b = w.env.run(&[
        "run", "--pod", "lp", "--name", "lp-b", &img, "sh", "-c", alloc,
    ]);
    let a_code = w.env.ok(&[
        "inspect",
        "--format",
        "{{.State.ExitCode}} {{.State.Status}}",
        "lp-a",
    ]);
    assert!(
        b.status.code() == Some(137) || a_code.trim() == "137 exited",
        "b: {b:?}, a: {a_code}"
    );
    let out = w.env.ok(&[
        "pod",
        "inspect",
        "--format",
        "{{.MemoryLimit}} {{.CPUQuota}} {{.CPUPeriod}}",
        "lp",
    ]);
    assert_eq!(out.trim(), format!("{} 50000 100000", 56u64 << 20));
    let (code, err) = w.env.fails(&["pod", "create", "--memory", "abc"]);
    assert_eq!(code, 125);
    assert!(err.contains("invalid value for memory"), "{err}");
}

#[test]
fn pod_stop_removes_the_pod_cgroup_and_pod_start_writes_the_limits_again() {
    let (w, img) = busybox();
    for infra in ["true", "false"] {
        let name = format!("cg{infra}");
        let pod = w.env.ok(&[
            "pod",
            "create",
            "--name",
            &name,
            &format!("--infra={infra}"),
            "--memory",
            "256m",
        ]);
        let pod = pod.trim();
        w.env
            .ok(&["run", "-d", "--pod", &name, &img, "sleep", "1000"]);
        let rel = w
            .env
            .ok(&["pod", "inspect", "--format", "{{.CgroupPath}}", &name]);
        let dir = format!(
            "/sys/fs/cgroup/memory/{}",
            rel.trim().trim_start_matches('/')
        );
        assert!(dir.contains(pod), "{dir}");
        assert!(
            std::path::Path::new(&dir).is_dir(),
            "{dir} exists while the pod runs"
        );
        w.env.ok(&["pod", "stop", "-t", "0", &name]);
        assert!(
            !std::path::Path::new(&dir).exists(),
            "{dir} is gone after pod stop"
        );
        w.env.ok(&["pod", "start", &name]);
        let limit = std::fs::read_to_string(format!("{dir}/memory.limit_in_bytes")).unwrap();
        assert_eq!(limit.trim(), (256u64 << 20).to_string(), "infra={infra}");
        w.env.ok(&["pod", "rm", "-f", "-t", "0", &name]);
        assert!(!std::path::Path::new(&dir).exists());
    }
}

#[test]
fn cpu_rt_values_reach_the_cgroup_and_update_changes_them() {
    let (w, img) = busybox();
    let rt = std::path::Path::new("/sys/fs/cgroup/cpu/cpu.rt_runtime_us").exists();
    let name = rpod_tests::unique_name("rt");
    let out = w.env.run(&[
        "run",
        "-d",
        "--name",
        &name,
        "--cpu-rt-period",
        "1000000",
        "--cpu-rt-runtime",
        "10000",
        &img,
        "sleep",
        "1000",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    if !rt {
        // Podman's warning; nothing applied.
        assert!(
            err.contains("Runtime discarded") || err.contains("not supported on cgroups V2"),
            "{err}"
        );
        return;
    }
    assert_eq!(
        cgroup_values(
            &w,
            &name,
            &["cpu/cpu.rt_runtime_us", "cpu/cpu.rt_period_us"]
        ),
        ["10000", "1000000"]
    );
    let fmt = "{{.HostConfig.CpuRealtimeRuntime}} {{.HostConfig.CpuRealtimePeriod}}";
    assert_eq!(
        w.env.ok(&["inspect", "--format", fmt, &name]).trim(),
        "10000 1000000"
    );
    w.env.ok(&["update", "--cpu-rt-runtime", "20000", &name]);
    assert_eq!(
        cgroup_values(&w, &name, &["cpu/cpu.rt_runtime_us"]),
        ["20000"]
    );
    // A restart asks the parents for the same budget again, not more.
    w.env.ok(&["restart", "-t", "0", &name]);
    assert_eq!(
        cgroup_values(&w, &name, &["cpu/cpu.rt_runtime_us"]),
        ["20000"]
    );
    w.env.ok(&["rm", "-f", "-t", "0", &name]);
}
