//! `--network slirp4netns` and `--network pasta` for root, end to end with
//! the real helpers: a published port of a busybox httpd answers on
//! loopback, the container's address, DNS and hosts entries are the
//! helper's, and the helper process never outlives its container (removed,
//! exited with no rpod alive, or killed with its monitor).

mod common;

use std::time::Duration;

use common::net::{free_port, http_get, httpd_cmd, kill_with_monitor, netns_mounts};
use common::{alive, busybox, World};
use rpod_tests::{unique_name, wait_until, TestEnv};

/// The pids of processes whose command line names a namespace under the
/// test root (the helpers serving its containers).
fn helpers(env: &TestEnv) -> Vec<i64> {
    let netns = env.runroot().join("netns");
    let netns = netns.to_str().unwrap().as_bytes().to_vec();
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i64>() else {
            continue;
        };
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        if alive(pid)
            && cmdline
                .split(|b| *b == 0)
                .any(|arg| arg.starts_with(&netns))
        {
            out.push(pid);
        }
    }
    out
}

/// Runs an httpd on `mode` with a published loopback port; checks the page,
/// the address, resolv.conf and /etc/hosts; removes it and checks that the
/// helper and the namespace are gone.
fn serves_page(w: &World, img: &str, mode: &str, own_ip: &str, nameserver: &str) {
    let env = &w.env;
    let port = free_port();
    let name = unique_name("um");
    let publish = format!("127.0.0.1:{port}:80");
    env.ok(&[
        "run",
        "-d",
        "--name",
        &name,
        "--network",
        mode,
        "-p",
        &publish,
        img,
        "sh",
        "-c",
        &httpd_cmd("hello-usermode"),
    ]);
    assert_eq!(helpers(env).len(), 1, "one helper runs");
    wait_until(
        Duration::from_secs(30),
        "the published port to answer",
        || http_get(port).contains("hello-usermode"),
    );
    let addrs = env.ok(&["exec", &name, "ip", "-4", "-o", "addr"]);
    assert!(addrs.contains(&format!("inet {own_ip}/")), "{addrs}");
    let resolv = env.ok(&["exec", &name, "cat", "/etc/resolv.conf"]);
    assert!(
        resolv.starts_with(&format!("nameserver {nameserver}\n"))
            || resolv.contains(&format!("\nnameserver {nameserver}\n")),
        "{resolv}"
    );
    let hosts = env.ok(&["exec", &name, "cat", "/etc/hosts"]);
    assert!(hosts.contains(&format!("{own_ip}\t")), "{hosts}");
    assert!(hosts.contains(&name), "{hosts}");
    assert_eq!(
        env.ok(&["port", &name]).trim(),
        format!("80/tcp -> 127.0.0.1:{port}")
    );
    let kind = mode.split(':').next().unwrap();
    assert_eq!(
        env.ok(&["inspect", "--format", "{{.HostConfig.NetworkMode}}", &name])
            .trim(),
        kind
    );
    env.ok(&["rm", "-f", "-t", "0", &name]);
    assert!(helpers(env).is_empty(), "{:?}", helpers(env));
    assert!(netns_mounts(env).is_empty());
    assert!(http_get(port).is_empty(), "the port is closed again");
}

#[test]
fn slirp4netns_publishes_a_port_with_its_own_addresses() {
    let (w, img) = busybox();
    serves_page(&w, &img, "slirp4netns", "10.0.2.100", "10.0.2.3");
    serves_page(
        &w,
        &img,
        "slirp4netns:cidr=10.42.7.0/24,enable_ipv6=false,port_handler=slirp4netns",
        "10.42.7.100",
        "10.42.7.3",
    );
}

#[test]
fn pasta_publishes_a_port_and_forwards_dns() {
    let (w, img) = busybox();
    let host_ip = std::net::UdpSocket::bind("0.0.0.0:0")
        .and_then(|s| s.connect("198.51.100.1:9").map(|()| s))
        .and_then(|s| s.local_addr())
        .unwrap()
        .ip()
        .to_string();
    serves_page(&w, &img, "pasta", &host_ip, "169.254.1.1");
}

#[test]
fn helper_goes_with_a_container_that_exits_on_its_own() {
    let (w, img) = busybox();
    let env = &w.env;
    for mode in ["slirp4netns", "pasta"] {
        let name = unique_name("short");
        env.ok(&[
            "run",
            "-d",
            "--name",
            &name,
            "--network",
            mode,
            &img,
            "sh",
            "-c",
            // The pause lets the `exec` below end first: the container's
            // exit kills whatever still runs in it (137 for a preempted
            // `touch` on a loaded host).
            "until [ -e /tmp/go ]; do sleep 0.1; done; rm /tmp/go; sleep 0.5",
        ]);
        assert_eq!(helpers(env).len(), 1, "{mode}");
        env.ok(&["exec", &name, "touch", "/tmp/go"]);
        // No rpod command touches it: the monitor's `container cleanup` does.
        wait_until(Duration::from_secs(30), "the monitor's cleanup", || {
            helpers(env).is_empty() && netns_mounts(env).is_empty()
        });
        // And it starts again with a new helper.
        env.ok(&["start", &name]);
        assert_eq!(helpers(env).len(), 1, "{mode}");
        env.ok(&["rm", "-f", "-t", "0", &name]);
        assert!(helpers(env).is_empty(), "{mode}");
    }
}

#[test]
fn killed_with_its_monitor_leaves_no_helper() {
    let (w, img) = busybox();
    let env = &w.env;
    for mode in ["slirp4netns", "pasta"] {
        let name = unique_name("crash");
        env.ok(&[
            "run",
            "-d",
            "--name",
            &name,
            "--network",
            mode,
            &img,
            "sleep",
            "1000",
        ]);
        assert_eq!(helpers(env).len(), 1, "{mode}");
        kill_with_monitor(env, &name);
        if mode == "slirp4netns" {
            // Its exit pipe closed with the monitor: it ends by itself.
            wait_until(Duration::from_secs(10), "slirp4netns to exit", || {
                helpers(env).is_empty()
            });
        }
        env.ok(&["rm", "-f", "-t", "0", &name]);
        assert!(helpers(env).is_empty(), "{mode}: {:?}", helpers(env));
        assert!(netns_mounts(env).is_empty(), "{mode}");
    }
}

#[test]
fn bad_options_fail_and_leave_nothing() {
    let (w, img) = busybox();
    let env = &w.env;
    let name = unique_name("bad");
    let (code, err) = env.fails(&[
        "run",
        "--name",
        &name,
        "--network",
        "slirp4netns:foo=bar",
        &img,
        "true",
    ]);
    assert_eq!(code, 125);
    assert_eq!(err, "Error: unknown option for slirp4netns: \"foo=bar\"\n");
    let (code, err) = env.fails(&[
        "run",
        "--rm",
        "--network",
        "pasta:--no-such-option",
        &img,
        "true",
    ]);
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("pasta failed to start"), "{err}");
    assert!(helpers(env).is_empty());
    assert!(netns_mounts(env).is_empty());
    assert_eq!(env.ok(&["ps", "-aq"]), "");
}
