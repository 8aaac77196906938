//! Security defaults and options (seccomp, capabilities, `--privileged`)
//! and resource limits on `run`, checked from inside real containers.

mod common;

use common::{busybox, inspect};

/// The `NAME:\tVALUE` line of /proc/self/status inside a container run
/// with `flags`.
fn status_field(w: &common::World, img: &str, flags: &[&str], field: &str) -> String {
    let mut args = vec!["run", "--rm"];
    args.extend_from_slice(flags);
    let pattern = format!("^{field}:");
    args.extend_from_slice(&[img, "grep", &pattern, "/proc/self/status"]);
    let out = w.env.ok(&args);
    out.split_whitespace().nth(1).unwrap_or_default().to_owned()
}

#[test]
fn default_seccomp_filter_denies_what_the_profile_denies() {
    let (w, img) = busybox();
    assert_eq!(status_field(&w, &img, &[], "Seccomp"), "2");
    let unconfined = ["--security-opt", "seccomp=unconfined"];
    assert_eq!(status_field(&w, &img, &unconfined, "Seccomp"), "0");
    // swapon is in the profile's EPERM list whatever the capabilities;
    // without the filter the kernel gets to say the file is no swap area.
    let swapon = |extra: &[&str]| {
        let mut args = vec!["run", "--rm", "--cap-add", "SYS_ADMIN"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&[&img, "sh", "-c", "swapon /etc/passwd 2>&1; true"]);
        w.env.ok(&args)
    };
    let filtered = swapon(&[]);
    assert!(filtered.contains("Operation not permitted"), "{filtered}");
    let open = swapon(&unconfined);
    assert!(open.contains("Invalid argument"), "{open}");
    // A profile file of the user's: here one allowing everything.
    let profile = w.env.dir().join("allow.json");
    std::fs::write(&profile, r#"{"defaultAction":"SCMP_ACT_ALLOW"}"#).unwrap();
    let opt = format!("seccomp={}", profile.display());
    assert_eq!(
        status_field(&w, &img, &["--security-opt", &opt], "Seccomp"),
        "2"
    );
    let opt_flags = ["--cap-add", "SYS_ADMIN", "--security-opt", &opt];
    let mut args = vec!["run", "--rm"];
    args.extend_from_slice(&opt_flags);
    args.extend_from_slice(&[&img, "sh", "-c", "swapon /etc/passwd 2>&1; true"]);
    let out = w.env.ok(&args);
    assert!(out.contains("Invalid argument"), "{out}");
}

#[test]
fn capabilities_default_add_drop_and_inspect() {
    let (w, img) = busybox();
    // Podman's default set: chown, dac_override, fowner, fsetid, kill,
    // setgid, setuid, setpcap, net_bind_service, sys_chroot, setfcap.
    assert_eq!(status_field(&w, &img, &[], "CapEff"), "00000000800405fb");
    assert_eq!(
        status_field(&w, &img, &["--cap-add", "net_admin"], "CapEff"),
        "00000000800415fb"
    );
    assert_eq!(
        status_field(&w, &img, &["--cap-drop", "all"], "CapBnd"),
        "0000000000000000"
    );
    w.env.ok(&["run", "--rm", &img, "chown", "1", "/tmp"]);
    let (code, _) = w.env.fails(&[
        "run",
        "--rm",
        "--cap-drop",
        "all",
        &img,
        "chown",
        "1",
        "/tmp",
    ]);
    assert_eq!(code, 1);
    w.env.ok(&[
        "create",
        "--name",
        "caps",
        "--cap-add",
        "CAP_NET_ADMIN",
        "--cap-drop",
        "chown",
        "--security-opt",
        "no-new-privileges",
        "--security-opt",
        "label=disable",
        &img,
    ]);
    let v = inspect(&w.env, "caps");
    let hc = &v["HostConfig"];
    assert_eq!(hc["CapAdd"], serde_json::json!(["CAP_NET_ADMIN"]));
    assert_eq!(hc["CapDrop"], serde_json::json!(["CAP_CHOWN"]));
    assert_eq!(
        hc["SecurityOpt"],
        serde_json::json!(["no-new-privileges", "label=disable"])
    );
    assert_eq!(hc["Privileged"], false);
    let eff = v["EffectiveCaps"].as_array().unwrap();
    assert!(eff.iter().any(|c| c == "CAP_NET_ADMIN"), "{eff:?}");
    assert!(!eff.iter().any(|c| c == "CAP_CHOWN"), "{eff:?}");
    assert_eq!(v["BoundingCaps"], v["EffectiveCaps"]);
    w.env.ok(&["start", "-a", "caps"]);
}

#[test]
fn privileged_mounts_and_has_no_filter() {
    let (w, img) = busybox();
    let mount = "mkdir -p /x && mount -t tmpfs none /x && echo mounted";
    let (code, _) = w.env.fails(&["run", "--rm", &img, "sh", "-c", mount]);
    assert_ne!(code, 0);
    let out = w
        .env
        .ok(&["run", "--rm", "--privileged", &img, "sh", "-c", mount]);
    assert!(out.contains("mounted"), "{out}");
    assert_eq!(status_field(&w, &img, &["--privileged"], "Seccomp"), "0");
    // The host's devices, and nothing masked.
    let out = w.env.ok(&[
        "run",
        "--rm",
        "--privileged",
        &img,
        "sh",
        "-c",
        "ls /dev/loop-control /dev/kmsg >/dev/null && cat /proc/keys >/dev/null && echo ok",
    ]);
    assert!(out.contains("ok"), "{out}");
    w.env.ok(&["create", "--name", "p", "--privileged", &img]);
    let hc = &inspect(&w.env, "p")["HostConfig"];
    assert_eq!(hc["Privileged"], true);
    assert_eq!(hc["SecurityOpt"], serde_json::json!(["unmask=all"]));
}

#[test]
fn memory_limit_oom_kills_with_137() {
    let (w, img) = busybox();
    // `run --rm` attached as well: the runtime stays in the foreground only
    // for a container without a memory limit (it removes the cgroup that
    // counts the kill), so the `oom` event still comes for one with a limit.
    for (name, rm) in [("oom", false), ("oomrm", true)] {
        let mut args = vec!["run"];
        if rm {
            args.push("--rm");
        }
        args.extend(["--name", name, "--memory", "32m", &img, "sh", "-c"]);
        args.push("x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived");
        let (code, _) = w.env.fails(&args);
        assert_eq!(code, 137, "{name}");
        if !rm {
            let v = inspect(&w.env, name);
            assert_eq!(v["State"]["OOMKilled"], true, "{}", v["State"]);
            assert_eq!(v["State"]["ExitCode"], 137);
            assert_eq!(v["HostConfig"]["Memory"], 32 << 20);
            assert_eq!(v["HostConfig"]["MemorySwap"], 64 << 20);
        }
        let statuses = w.env.event_statuses(name);
        let oom = statuses.iter().position(|s| *s == "oom");
        let died = statuses.iter().position(|s| *s == "died");
        assert!(oom.is_some() && oom < died, "{name}: {statuses:?}");
    }
}

#[test]
fn cpu_and_pids_limits_reach_the_cgroup() {
    let (w, img) = busybox();
    let out = w.env.ok(&[
        "run",
        "--rm",
        "--cpus",
        "0.5",
        "--cpu-shares",
        "512",
        "--pids-limit",
        "10",
        &img,
        "cat",
        "/sys/fs/cgroup/cpu/cpu.cfs_quota_us",
        "/sys/fs/cgroup/cpu/cpu.cfs_period_us",
        "/sys/fs/cgroup/cpu/cpu.shares",
        "/sys/fs/cgroup/pids/pids.max",
    ]);
    assert_eq!(
        out.split_whitespace().collect::<Vec<_>>(),
        ["50000", "100000", "512", "10"]
    );
    // Ten processes at most: the eleventh fork fails.
    let out = w.env.run(&[
        "run",
        "--rm",
        "--pids-limit",
        "10",
        &img,
        "sh",
        "-c",
        "for i in $(seq 20); do sleep 30 & done",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("can't fork"), "{out:?}");
    w.env.ok(&[
        "create",
        "--name",
        "lim",
        "--cpus",
        "1.5",
        "--pids-limit",
        "10",
        &img,
    ]);
    let hc = &inspect(&w.env, "lim")["HostConfig"];
    assert_eq!(hc["NanoCpus"], 1_500_000_000i64);
    assert_eq!(hc["CpuQuota"], 150_000);
    assert_eq!(hc["PidsLimit"], 10);
}

#[test]
fn bad_limits_and_capabilities_create_nothing() {
    let (w, img) = busybox();
    for (flags, want) in [
        (
            &["--memory", "abc"][..],
            "invalid value for memory: invalid size: 'abc'",
        ),
        (&["--cpus", "-1"][..], "range of CPUs is from 0.01"),
        (&["--cap-add", "foo"][..], "\"CAP_FOO\": unknown capability"),
        (
            &["--security-opt", "bogus"][..],
            "invalid --security-opt 1: \"bogus\"",
        ),
        (
            &["--security-opt", "seccomp=/nonexistent/p.json"][..],
            "opening seccomp profile failed",
        ),
    ] {
        let mut args = vec!["run", "--rm"];
        args.extend_from_slice(flags);
        args.extend_from_slice(&[&img, "true"]);
        let (code, err) = w.env.fails(&args);
        assert_eq!(code, 125, "{flags:?}: {err}");
        assert!(err.contains(want), "{flags:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    assert_eq!(w.env.ok(&["ps", "-a", "-q"]).trim(), "");
}

#[test]
fn ulimit_sysctl_and_devices() {
    let (w, img) = busybox();
    let out = w.env.ok(&[
        "run",
        "--rm",
        "--ulimit",
        "nofile=100:200",
        &img,
        "sh",
        "-c",
        "ulimit -Sn; ulimit -Hn",
    ]);
    assert_eq!(out.split_whitespace().collect::<Vec<_>>(), ["100", "200"]);
    let (code, err) = w
        .env
        .fails(&["run", "--rm", "--ulimit", "nofile=10000000", &img, "true"]);
    assert_eq!(code, 125, "{err}");
    assert!(err.contains("above the host's hard limit"), "{err}");
    let (code, err) = w
        .env
        .fails(&["run", "--rm", "--sysctl", "kernel.hostname=x", &img, "true"]);
    assert_eq!(code, 125);
    assert!(
        err.contains("sysctl 'kernel.hostname' is not allowed"),
        "{err}"
    );
    let out = w.env.ok(&[
        "run",
        "--rm",
        "--sysctl",
        "net.ipv4.ip_forward=1",
        &img,
        "cat",
        "/proc/sys/net/ipv4/ip_forward",
    ]);
    assert_eq!(out.trim(), "1");
    let (code, err) = w.env.fails(&[
        "run",
        "--rm",
        "--network",
        "host",
        "--sysctl",
        "net.ipv4.ip_forward=1",
        &img,
        "true",
    ]);
    assert_eq!(code, 125);
    assert!(err.contains("Network Namespace set to host"), "{err}");
    // A device under another name, readable and writable through it.
    let out = w.env.ok(&[
        "run",
        "--rm",
        "--device",
        "/dev/null:/dev/mynull",
        &img,
        "sh",
        "-c",
        "echo x > /dev/mynull && stat -c %t:%T /dev/mynull",
    ]);
    assert_eq!(out.trim(), "1:3");
    // The cgroup rule follows the permissions: `r` allows opening the
    // (unbound) loop device for reading only.
    let open = "exec 3</dev/myloop && echo read; exec 4>/dev/myloop && echo write";
    let perms = |spec: &str| {
        let dev = format!("/dev/loop7:/dev/myloop{spec}");
        let mut cmd = w
            .env
            .cmd(&["run", "--rm", "--device", &dev, &img, "sh", "-c", open]);
        let out = rpod_tests::run_with_timeout(&mut cmd, rpod_tests::DEFAULT_COMMAND_TIMEOUT);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(perms(":r").split_whitespace().collect::<Vec<_>>(), ["read"]);
    assert_eq!(
        perms("").split_whitespace().collect::<Vec<_>>(),
        ["read", "write"]
    );
    // A cgroup rule lets the container create and use a node of its own.
    let out = w.env.ok(&[
        "run",
        "--rm",
        "--cap-add",
        "MKNOD",
        "--device-cgroup-rule",
        "c 1:3 rwm",
        &img,
        "sh",
        "-c",
        "mknod /tmp/n c 1 3 && echo y > /tmp/n && echo ok",
    ]);
    assert!(out.contains("ok"), "{out}");
    let (code, err) = w
        .env
        .fails(&["run", "--rm", "--device", "/nonexistent", &img, "true"]);
    assert_eq!(code, 125);
    assert!(err.contains("/nonexistent"), "{err}");
    assert_eq!(w.env.ok(&["ps", "-a", "-q"]).trim(), "");
}

#[test]
fn init_is_pid_one_and_reaps() {
    let (w, img) = busybox();
    let out = w.env.ok(&[
        "run",
        "--rm",
        "--init",
        &img,
        "sh",
        "-c",
        "cat /proc/1/cmdline | tr '\\0' ' '; echo; echo $$",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("/run/podman-init -- sh -c"), "{out}");
    assert_ne!(lines[1], "1", "{out}");
    // An orphan whose parent exited is reaped by the init (waiting for it
    // at most 20 s; sh as PID 1 would never reap it).
    let out = w.env.ok(&[
        "run",
        "--rm",
        "--init",
        &img,
        "sh",
        "-c",
        "sh -c 'sleep 0 & exec sleep 1'; timeout 20 sh -c 'while grep -qs zombie /proc/[0-9]*/status; do sleep 0.1; done' && echo reaped",
    ]);
    assert_eq!(out.trim(), "reaped", "{out}");
    w.env.ok(&["create", "--name", "i", "--init", &img]);
    assert_eq!(inspect(&w.env, "i")["HostConfig"]["Init"], true);
    let (code, err) = w.env.fails(&[
        "run",
        "--rm",
        "--init",
        "--init-path",
        "/nonexistent/init",
        &img,
        "true",
    ]);
    assert_eq!(code, 125);
    assert!(err.contains("/nonexistent/init"), "{err}");
}
