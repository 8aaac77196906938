//! Bridge networking end to end with real netavark (and the CNI plugins),
//! iptables and runc: published ports answer from the host, containers on
//! one network reach each other, a port in use fails before anything is
//! allocated, and a container killed with its monitor leaves nothing behind
//! once the next command touches it. Each test root has its own bridge and
//! subnet (the harness's network slot), so tests run in parallel.

mod common;

use std::net::TcpListener;
use std::time::Duration;

use common::net::{free_port, http_get, httpd_cmd, kill_with_monitor, netns_mounts};
use common::{busybox, inspect, World};
use rpod_tests::{unique_name, wait_until, TestEnv};

fn bridge_world() -> (World, String) {
    let (mut w, img) = busybox();
    w.env.use_bridge_by_default();
    (w, img)
}

/// Interfaces enslaved to the test root's bridge (empty when it is gone).
fn bridge_ports(env: &TestEnv) -> Vec<String> {
    std::fs::read_dir(format!("/sys/class/net/{}/brif", env.bridge()))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// iptables rules (every table) that mention `ip`.
fn rules_mentioning(ip: &str) -> Vec<String> {
    let out = std::process::Command::new("iptables-save")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(&format!("{ip}/")) || l.contains(&format!("{ip}:")))
        .map(str::to_owned)
        .collect()
}

fn ip_of(env: &TestEnv, name: &str) -> String {
    env.ok(&[
        "inspect",
        "--format",
        "{{.NetworkSettings.IPAddress}}",
        name,
    ])
    .trim()
    .to_owned()
}

fn serves_page(env: &TestEnv, img: &str) {
    let port = free_port();
    let name = unique_name("web");
    let publish = format!("127.0.0.1:{port}:80");
    env.ok(&[
        "run",
        "-d",
        "--name",
        &name,
        "-p",
        &publish,
        img,
        "sh",
        "-c",
        &httpd_cmd("hello-rpod"),
    ]);
    wait_until(
        Duration::from_secs(30),
        "the published port to answer",
        || http_get(port).contains("hello-rpod"),
    );
    let ip = ip_of(env, &name);
    assert!(
        ip.starts_with(env.subnet().trim_end_matches("0/24")),
        "{ip}"
    );
    let c = inspect(env, &name);
    let ns = &c["NetworkSettings"];
    assert_eq!(ns["Ports"]["80/tcp"][0]["HostIp"], "127.0.0.1");
    assert_eq!(ns["Ports"]["80/tcp"][0]["HostPort"], port.to_string());
    assert_eq!(ns["Networks"]["podman"]["IPAddress"], ip);
    let short_id = &c["Id"].as_str().unwrap()[..12];
    assert_eq!(ns["Networks"]["podman"]["Aliases"][0], short_id);
    assert_eq!(ns["Gateway"], env.subnet().replace(".0/24", ".1"));
    assert_eq!(c["HostConfig"]["NetworkMode"], "bridge");
    assert!(!ns["MacAddress"].as_str().unwrap_or_default().is_empty());
    let ps = env.ok(&[
        "ps",
        "--format",
        "{{.Ports}}",
        "--filter",
        &format!("name={name}"),
    ]);
    assert_eq!(ps.trim(), format!("127.0.0.1:{port}->80/tcp"));
    assert_eq!(
        env.ok(&["port", &name]),
        format!("80/tcp -> 127.0.0.1:{port}\n")
    );
    assert_eq!(
        env.ok(&["port", &name, "80/tcp"]),
        format!("127.0.0.1:{port}\n")
    );
    let (code, err) = env.fails(&["port", &name, "99/tcp"]);
    assert_eq!(
        (code, err.as_str()),
        (125, "Error: failed to find published port \"99/tcp\"\n")
    );
    assert_eq!(bridge_ports(env).len(), 1);
    // The container's monitor holds the host port, as conmon does.
    assert!(
        TcpListener::bind(("127.0.0.1", port)).is_err(),
        "port {port} is held"
    );
    // A restart frees the port before it publishes it again.
    env.ok(&["restart", "-t", "0", &name]);
    wait_until(
        Duration::from_secs(30),
        "the port to answer after restart",
        || http_get(port).contains("hello-rpod"),
    );
    env.ok(&["rm", "-f", "-t", "0", &name]);
    assert!(
        TcpListener::bind(("127.0.0.1", port)).is_ok(),
        "port {port} is free again"
    );
    assert!(bridge_ports(env).is_empty());
    assert!(netns_mounts(env).is_empty());
    assert!(
        rules_mentioning(&ip).is_empty(),
        "{:?}",
        rules_mentioning(&ip)
    );
    assert_eq!(http_get(port), "");
}

#[test]
fn published_port_serves_http_from_the_host() {
    let (w, img) = bridge_world();
    serves_page(&w.env, &img);
}

#[test]
fn published_port_serves_http_with_the_cni_backend() {
    let (mut w, img) = bridge_world();
    w.env.add_network_conf("network_backend = \"cni\"\n");
    serves_page(&w.env, &img);
}

#[test]
fn port_in_use_fails_and_allocates_nothing() {
    let (w, img) = bridge_world();
    let env = &w.env;
    let holder = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port();
    let name = unique_name("busy");
    let publish = format!("127.0.0.1:{port}:80");
    let (code, err) = env.fails(&[
        "run", "-d", "--name", &name, "-p", &publish, &img, "sleep", "100",
    ]);
    // The port is bound at start: `run` reports a failed start as Podman
    // does (126, define.ExitCode), and the container stays created.
    assert_eq!(code, 126, "{err}");
    assert!(
        err.contains(&format!(
            "cannot listen on the TCP port: listen tcp4 127.0.0.1:{port}: bind: address already in use"
        )),
        "{err}"
    );
    assert_eq!(ip_of(env, &name), "");
    assert!(bridge_ports(env).is_empty());
    assert!(netns_mounts(env).is_empty());
    drop(holder);
}

#[test]
fn containers_on_one_network_reach_each_other_by_ip() {
    let (w, img) = bridge_world();
    let env = &w.env;
    let server = unique_name("srv");
    env.ok(&[
        "run",
        "-d",
        "--name",
        &server,
        &img,
        "sh",
        "-c",
        &httpd_cmd("from-server"),
    ]);
    let ip = ip_of(env, &server);
    let url = format!("http://{ip}/");
    let got = {
        let mut got = String::new();
        wait_until(Duration::from_secs(30), "the server to answer", || {
            got = env.ok(&[
                "run",
                "--rm",
                &img,
                "sh",
                "-c",
                &format!("wget -q -O - {url} || true"),
            ]);
            got.contains("from-server")
        });
        got
    };
    assert!(got.contains("from-server"));
    // /etc/hosts names the container and host.containers.internal.
    let hosts = env.ok(&["exec", &server, "cat", "/etc/hosts"]);
    assert!(hosts.contains(&format!("{ip}\t")), "{hosts}");
    assert!(hosts.contains(&server), "{hosts}");
    assert!(hosts.contains("host.containers.internal"), "{hosts}");
}

#[test]
fn killed_with_its_monitor_is_released_by_the_next_rm() {
    let (w, img) = bridge_world();
    let env = &w.env;
    let name = unique_name("crash");
    let port = free_port();
    let publish = format!("127.0.0.1:{port}:80");
    env.ok(&[
        "run",
        "-d",
        "--name",
        &name,
        "-p",
        &publish,
        &img,
        "sh",
        "-c",
        &httpd_cmd("x"),
    ]);
    let ip = ip_of(env, &name);
    assert!(
        !rules_mentioning(&ip).is_empty(),
        "netavark added rules for {ip}"
    );
    kill_with_monitor(env, &name);
    env.ok(&["rm", "-f", "-t", "0", &name]);
    assert!(bridge_ports(env).is_empty(), "{:?}", bridge_ports(env));
    assert!(netns_mounts(env).is_empty(), "{:?}", netns_mounts(env));
    assert!(
        rules_mentioning(&ip).is_empty(),
        "{:?}",
        rules_mentioning(&ip)
    );
    // The address is free again: a container may ask for it.
    env.ok(&[
        "create",
        "--name",
        &unique_name("again"),
        "--ip",
        &ip,
        &img,
        "true",
    ]);
}

#[test]
fn an_exit_is_cleaned_up_by_the_monitor_with_no_rpod_alive() {
    let (w, img) = bridge_world();
    let env = &w.env;
    let name = unique_name("short");
    // Runs until /tmp/go exists, so the test sees it set up first.
    env.ok(&[
        "run",
        "-d",
        "--name",
        &name,
        &img,
        "sh",
        "-c",
        "until [ -e /tmp/go ]; do sleep 0.1; done",
    ]);
    let ip = ip_of(env, &name);
    assert_eq!(bridge_ports(env).len(), 1);
    assert_eq!(netns_mounts(env).len(), 1);
    env.ok(&["exec", &name, "touch", "/tmp/go"]);
    // No rpod command touches it: the monitor's `container cleanup` does.
    wait_until(Duration::from_secs(30), "the monitor's cleanup", || {
        bridge_ports(env).is_empty() && netns_mounts(env).is_empty()
    });
    assert!(
        rules_mentioning(&ip).is_empty(),
        "{:?}",
        rules_mentioning(&ip)
    );
    assert_eq!(common::state_of(env, &name), "exited");
    // It starts again on the same network.
    env.ok(&["start", &name]);
    assert_eq!(netns_mounts(env).len(), 1);
    env.ok(&["rm", "-f", "-t", "0", &name]);
    assert!(netns_mounts(env).is_empty());
}

#[test]
fn dns_and_hosts_flags_reach_the_files() {
    let (w, img) = bridge_world();
    let env = &w.env;
    let out = env.ok(&[
        "run",
        "--rm",
        "--dns",
        "192.0.2.53",
        "--dns-search",
        "example.test",
        "--dns-option",
        "ndots:3",
        "--add-host",
        "db:192.0.2.7",
        "--add-host",
        "gw:host-gateway",
        "--network-alias",
        "web",
        &img,
        "sh",
        "-c",
        "cat /etc/resolv.conf /etc/hosts",
    ]);
    assert!(out.contains("nameserver 192.0.2.53\n"), "{out}");
    assert!(out.contains("search example.test\n"), "{out}");
    assert!(out.contains("options ndots:3\n"), "{out}");
    assert!(out.contains("192.0.2.7\tdb\n"), "{out}");
    let gateway = env.subnet().replace(".0/24", ".1");
    assert!(out.contains(&format!("{gateway}\tgw\n")), "{out}");
    assert!(
        out.contains(&format!("{gateway}\thost.containers.internal")),
        "{out}"
    );
    // As Podman: aliases are DNS names, not /etc/hosts entries.
    assert!(!out.contains(" web\n"), "{out}");
    // --no-hosts: the image's file as it is.
    let hosts = env.ok(&["run", "--rm", "--no-hosts", &img, "cat", "/etc/hosts"]);
    assert!(!hosts.contains("host.containers.internal"), "{hosts}");
    let (code, err) = env.fails(&[
        "run",
        "--rm",
        "--no-hosts",
        "--add-host",
        "a:1.2.3.4",
        &img,
        "true",
    ]);
    assert_eq!(code, 125);
    assert_eq!(
        err,
        "Error: --no-hosts and --add-host cannot be set together\n"
    );
}

#[test]
fn none_and_host_modes_have_no_bridge() {
    let (w, img) = bridge_world();
    let env = &w.env;
    let out = env.ok(&["run", "--rm", "--network", "none", &img, "ip", "-o", "link"]);
    assert!(!out.contains("eth0"), "{out}");
    let out = env.ok(&[
        "run", "--rm", &img, "ip", "-o", "-4", "addr", "show", "eth0",
    ]);
    assert!(out.contains(env.subnet().trim_end_matches("0/24")), "{out}");
    assert!(bridge_ports(env).is_empty());
    assert!(netns_mounts(env).is_empty());
}

/// `network connect`/`disconnect` of a running container: its interface,
/// DNS name (and alias), /etc/hosts entry and events come and go; a bad
/// MAC fails with the kernel's words and leaves it unattached; `reload`
/// keeps its address.
#[test]
fn connect_and_disconnect_a_running_container() {
    let (w, img) = bridge_world();
    let env = &w.env;
    let slot = env.bridge().trim_start_matches("rpt").to_owned();
    let net = unique_name("n2");
    let subnet = env.subnet().replace("10.190.", "10.191.");
    let iface = format!("rpu{slot}");
    env.ok(&[
        "network",
        "create",
        "--subnet",
        &subnet,
        "--interface-name",
        &iface,
        &net,
    ]);
    let a = unique_name("a");
    let b = unique_name("b");
    env.ok(&[
        "run",
        "-d",
        "--name",
        &a,
        "--network",
        &net,
        &img,
        "sleep",
        "1000",
    ]);
    env.ok(&[
        "run",
        "-d",
        "--name",
        &b,
        "--hostname",
        "bee",
        &img,
        "sleep",
        "1000",
    ]);
    let (code, err) = env.fails(&[
        "network",
        "connect",
        "--mac-address",
        "00:00:00:00:00:00",
        &net,
        &b,
    ]);
    assert_eq!(code, 125, "{err}");
    assert!(err.contains("Cannot assign requested address"), "{err}");
    let nets = env.ok(&[
        "inspect",
        "--format",
        "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}",
        &b,
    ]);
    assert_eq!(nets.trim(), "podman");
    assert_eq!(
        env.ok(&["network", "connect", "--alias", "web", &net, &b]),
        ""
    );
    let fmt = format!("{{{{(index .NetworkSettings.Networks \"{net}\").IPAddress}}}} {{{{(index .NetworkSettings.Networks \"{net}\").Aliases}}}}");
    let out = env.ok(&["inspect", "--format", &fmt, &b]);
    let (ip, aliases) = out.trim().split_once(' ').unwrap();
    assert!(ip.starts_with(subnet.trim_end_matches("0/24")), "{out}");
    let short_id = env.ok(&["inspect", "--format", "{{.ID}}", &b])[..12].to_owned();
    assert_eq!(aliases, format!("[web {short_id} bee]"));
    let links = env.ok(&["exec", &b, "ip", "-o", "link"]);
    assert!(links.contains("eth1"), "{links}");
    let hosts = env.ok(&["exec", &b, "cat", "/etc/hosts"]);
    assert!(hosts.contains(&format!("{ip}\tbee {b}\n")), "{hosts}");
    let found = env.ok(&["exec", &a, "nslookup", "web"]);
    assert!(found.contains(ip), "{found}");
    let before = env.ok(&["inspect", "--format", &fmt, &b]);
    assert_eq!(
        env.ok(&["network", "reload", &b]).trim(),
        env.ok(&["inspect", "--format", "{{.ID}}", &b]).trim()
    );
    assert_eq!(env.ok(&["inspect", "--format", &fmt, &b]), before);
    assert_eq!(env.ok(&["network", "disconnect", &net, &b]), "");
    let links = env.ok(&["exec", &b, "ip", "-o", "link"]);
    assert!(!links.contains("eth1"), "{links}");
    let hosts = env.ok(&["exec", &b, "cat", "/etc/hosts"]);
    assert!(!hosts.contains(ip), "{hosts}");
    let out = env.run(&["exec", &a, "nslookup", "web"]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains(ip));
    let (code, err) = env.fails(&["network", "disconnect", &net, &b]);
    assert_eq!(code, 125);
    assert!(err.contains("is not connected to network"), "{err}");
    let events = env.ok(&[
        "events",
        "--stream=false",
        "--filter",
        "type=network",
        "--format",
        "{{.Status}} {{.Name}} {{.Network}}",
    ]);
    assert!(events.contains(&format!("connect {b} {net}\n")), "{events}");
    assert!(
        events.contains(&format!("disconnect {b} {net}\n")),
        "{events}"
    );
    // network update: the network's upstream DNS servers, while `a` runs.
    assert_eq!(
        env.ok(&["network", "update", "--dns-add", "192.0.2.53", &net])
            .trim(),
        net
    );
    let dns = env.ok(&[
        "network",
        "inspect",
        "--format",
        "{{.NetworkDNSServers}}",
        &net,
    ]);
    assert_eq!(dns.trim(), "[192.0.2.53]");
    env.ok(&[
        "network",
        "update",
        "--dns-drop",
        "192.0.2.53",
        "--dns-add",
        "192.0.2.54",
        &net,
    ]);
    let dns = env.ok(&[
        "network",
        "inspect",
        "--format",
        "{{.NetworkDNSServers}}",
        &net,
    ]);
    assert_eq!(dns.trim(), "[192.0.2.54]");
    let (code, err) = env.fails(&["network", "update", "--dns-add", "bogus", &net]);
    assert_eq!(code, 125);
    assert_eq!(
        err,
        "Error: unable to parse ip bogus specified in AddDNSServer: invalid argument\n"
    );
    // A stopped container gets the network at its next start.
    env.ok(&["stop", "-t", "0", &b]);
    env.ok(&["network", "connect", &net, &b]);
    env.ok(&["start", &b]);
    let links = env.ok(&["exec", &b, "ip", "-o", "link"]);
    assert!(links.contains("eth1"), "{links}");
    env.ok(&["rm", "-f", "-t", "0", &a, &b]);
    env.ok(&["network", "rm", &net]);
    assert!(!std::path::Path::new(&format!("/sys/class/net/{iface}")).exists());
}

/// A pod's network: the infra container holds it on the default bridge
/// with the pod's published ports; members share its /etc/hosts (the pod's
/// hostname and the infra name on its address, each running member's name
/// on 127.0.0.1 until it exits) and are refused `-p`.
#[test]
fn pod_members_share_the_infra_network_and_hosts_file() {
    let (w, img) = bridge_world();
    let env = &w.env;
    let port = free_port();
    let publish = format!("127.0.0.1:{port}:80");
    let pod = unique_name("pod");
    let infra = unique_name("infra");
    env.ok(&[
        "pod",
        "create",
        "--name",
        &pod,
        "--infra-name",
        &infra,
        "-p",
        &publish,
    ]);
    let c1 = unique_name("c1");
    let hosts = env.ok(&[
        "run",
        "--rm",
        "--pod",
        &pod,
        "--name",
        &c1,
        &img,
        "cat",
        "/etc/hosts",
    ]);
    let ip = ip_of(env, &infra);
    assert!(hosts.contains(&format!("{ip}\t{pod} {infra}\n")), "{hosts}");
    assert!(hosts.contains(&format!("127.0.0.1\t{c1}\n")), "{hosts}");
    let c2 = unique_name("c2");
    let hosts2 = env.ok(&[
        "run",
        "--rm",
        "--pod",
        &pod,
        "--name",
        &c2,
        &img,
        "cat",
        "/etc/hosts",
    ]);
    assert!(!hosts2.contains(&c1), "{hosts2}");
    assert_eq!(hosts2.lines().count(), hosts.lines().count(), "{hosts2}");
    let (code, err) = env.fails(&["run", "--rm", "--pod", &pod, "-p", "80", &img, "true"]);
    assert_eq!(code, 125);
    assert_eq!(
        err,
        "Error: invalid config provided: published or exposed ports must be defined when the pod is created: network cannot be configured when it is shared with a pod\n"
    );
    let web = unique_name("web");
    env.ok(&[
        "run",
        "-d",
        "--pod",
        &pod,
        "--name",
        &web,
        &img,
        "sh",
        "-c",
        &httpd_cmd("pod-page"),
    ]);
    wait_until(Duration::from_secs(30), "the pod's port to answer", || {
        http_get(port).contains("pod-page")
    });
    env.ok(&["pod", "rm", "-f", "-t", "0", &pod]);
    assert!(http_get(port).is_empty());
    // pod create's networking flags configure the infra container.
    let pod2 = unique_name("pod2");
    let ip = env.subnet().replace(".0/24", ".77");
    env.ok(&[
        "pod",
        "create",
        "--name",
        &pod2,
        "--ip",
        &ip,
        "--add-host",
        "xx:192.0.2.9",
        "--dns-search",
        "ex.test",
    ]);
    let out = env.ok(&[
        "run",
        "--rm",
        "--pod",
        &pod2,
        &img,
        "sh",
        "-c",
        "cat /etc/hosts /etc/resolv.conf; ip -o -4 addr show eth0",
    ]);
    assert!(out.starts_with("192.0.2.9\txx\n"), "{out}");
    assert!(out.contains("search ex.test\n"), "{out}");
    assert!(out.contains(&format!("inet {ip}/24")), "{out}");
    let (code, err) = env.fails(&["pod", "create", "--network", "nosuch"]);
    assert_eq!(code, 125);
    assert!(err.contains("network not found"), "{err}");
    env.ok(&["pod", "rm", "-f", "-t", "0", &pod2]);
    assert!(netns_mounts(env).is_empty());
}

/// `system check --repair` of a lost database rebuilds the containers'
/// network attachments: a running container keeps its address, aliases and
/// MAC (inspect, DNS, IPAM: its address is not handed out again), a created
/// one its static address; removal releases
/// everything.
#[test]
fn repair_rebuilds_network_attachments() {
    let (w, img) = bridge_world();
    let env = &w.env;
    let running = unique_name("rep");
    env.ok(&[
        "run",
        "-d",
        "--name",
        &running,
        "--network-alias",
        "web",
        &img,
        "sleep",
        "1000",
    ]);
    let ip = ip_of(env, &running);
    let static_ip = env.subnet().replace(".0/24", ".77");
    let made = unique_name("made");
    env.ok(&["create", "--name", &made, "--ip", &static_ip, &img, "true"]);
    let fmt = "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{$v.IPAddress}} {{$v.Aliases}} {{$v.MacAddress}}{{end}}";
    let before = env.ok(&["inspect", "--format", fmt, &running]);
    assert!(before.contains(&ip) && before.contains("[web "), "{before}");
    // The MAC the backend chose, as the interface has it (kept by the
    // repair below).
    let mac = env.ok(&["exec", &running, "cat", "/sys/class/net/eth0/address"]);
    assert!(!mac.trim().is_empty());
    assert!(before.trim_end().ends_with(mac.trim()), "{before} / {mac}");
    // The database is lost.
    std::fs::write(env.root().join("db.sqlite"), b"").unwrap();
    let repaired = env.ok(&["system", "check", "--repair"]);
    assert!(repaired.contains(&running), "{repaired}");
    assert_eq!(env.ok(&["inspect", "--format", fmt, &running]), before);
    for taken in [&ip, &static_ip] {
        let (code, err) = env.fails(&["create", "--ip", taken, &img, "true"]);
        assert_eq!(code, 125, "{err}");
        assert!(
            err.contains(&format!(
                "requested ip address {taken} is already allocated"
            )),
            "{err}"
        );
    }
    // The rebuilt attachments are released as usual.
    env.ok(&["rm", "-f", "-t", "0", &running, &made]);
    assert!(bridge_ports(env).is_empty(), "{:?}", bridge_ports(env));
    assert!(netns_mounts(env).is_empty());
    env.ok(&[
        "create",
        "--name",
        &unique_name("again"),
        "--ip",
        &ip,
        &img,
        "true",
    ]);
}

/// `network connect`/`disconnect` of a running container with the CNI
/// backend: the plugins add and remove the interface, the address comes
/// from host-local and shows in inspect and /etc/hosts; `reload --latest`
/// keeps it; the network's bridge goes with the network.
#[test]
fn connect_and_disconnect_with_the_cni_backend() {
    let (mut w, img) = bridge_world();
    w.env.add_network_conf("network_backend = \"cni\"\n");
    let env = &w.env;
    let slot = env.bridge().trim_start_matches("rpt").to_owned();
    let net = unique_name("cn");
    let subnet = env.subnet().replace("10.190.", "10.192.");
    let iface = format!("rpc{slot}");
    env.ok(&[
        "network",
        "create",
        "--subnet",
        &subnet,
        "--interface-name",
        &iface,
        &net,
    ]);
    let b = unique_name("b");
    env.ok(&[
        "run",
        "-d",
        "--name",
        &b,
        "--hostname",
        "bee",
        &img,
        "sleep",
        "1000",
    ]);
    assert_eq!(env.ok(&["network", "connect", &net, &b]), "");
    let fmt = format!("{{{{(index .NetworkSettings.Networks \"{net}\").IPAddress}}}}");
    let ip = env.ok(&["inspect", "--format", &fmt, &b]).trim().to_owned();
    assert!(ip.starts_with(subnet.trim_end_matches("0/24")), "{ip}");
    let addrs = env.ok(&["exec", &b, "ip", "-o", "-4", "addr", "show", "eth1"]);
    assert!(addrs.contains(&format!("inet {ip}/24")), "{addrs}");
    let hosts = env.ok(&["exec", &b, "cat", "/etc/hosts"]);
    assert!(hosts.contains(&format!("{ip}\tbee {b}\n")), "{hosts}");
    assert!(
        bridge_ports(env).len() == 1
            && std::fs::read_dir(format!("/sys/class/net/{iface}/brif"))
                .unwrap()
                .count()
                == 1,
        "one veth on each bridge"
    );
    let id = env.ok(&["inspect", "--format", "{{.ID}}", &b]);
    assert_eq!(env.ok(&["network", "reload", "--latest"]).trim(), id.trim());
    assert_eq!(env.ok(&["inspect", "--format", &fmt, &b]).trim(), ip);
    assert_eq!(env.ok(&["network", "disconnect", &net, &b]), "");
    let links = env.ok(&["exec", &b, "ip", "-o", "link"]);
    assert!(!links.contains("eth1"), "{links}");
    let hosts = env.ok(&["exec", &b, "cat", "/etc/hosts"]);
    assert!(!hosts.contains(&ip), "{hosts}");
    assert_eq!(
        std::fs::read_dir(format!("/sys/class/net/{iface}/brif"))
            .map(|d| d.count())
            .unwrap_or(0),
        0
    );
    let (code, err) = env.fails(&["network", "disconnect", &net, &b]);
    assert_eq!(code, 125);
    assert!(err.contains("is not connected to network"), "{err}");
    env.ok(&["rm", "-f", "-t", "0", &b]);
    env.ok(&["network", "rm", &net]);
    assert!(!std::path::Path::new(&format!("/sys/class/net/{iface}")).exists());
    assert!(bridge_ports(env).is_empty());
}
