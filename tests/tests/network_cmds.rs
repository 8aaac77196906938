//! `network create|ls|inspect|rm|prune|exists` end to end: Podman's output
//! shapes, filters, events, exit codes and messages, and no definition left
//! behind by a failed command. Each test keeps its definitions in its own
//! directory (`--network-config-dir`) and uses subnets of its own
//! (10.213.N.0/24, never set up on the host: these tests start no container).

use std::path::PathBuf;

use rpod_tests::TestEnv;
use serde_json::Value;

/// An environment whose network definitions live in its own directory.
struct Net {
    env: TestEnv,
    dir: PathBuf,
}

impl Net {
    fn new() -> Net {
        let env = TestEnv::new();
        let dir = env.dir().join("networks");
        Net { env, dir }
    }

    fn args<'a>(&'a self, args: &[&'a str]) -> Vec<&'a str> {
        let mut all = vec!["--network-config-dir", self.dir.to_str().unwrap()];
        all.extend_from_slice(args);
        all
    }

    fn ok(&self, args: &[&str]) -> String {
        self.env.ok(&self.args(args))
    }

    fn fails(&self, args: &[&str]) -> (i32, String) {
        self.env.fails(&self.args(args))
    }

    /// The definition files, sorted.
    fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(".json"))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    fn inspect(&self, name: &str) -> Value {
        let out = self.ok(&["network", "inspect", name]);
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        v[0].clone()
    }
}

#[test]
fn create_list_inspect_remove() {
    let n = Net::new();
    let out = n.ok(&[
        "network",
        "create",
        "--subnet",
        "10.213.1.0/24",
        "--gateway",
        "10.213.1.254",
        "--ip-range",
        "10.213.1.100-10.213.1.150",
        "--label",
        "tier=web",
        "-o",
        "mtu=1400",
        "web-net",
    ]);
    assert_eq!(out, "web-net\n");
    assert_eq!(n.files(), ["web-net.json"]);
    let v = n.inspect("web-net");
    assert_eq!(v["name"], "web-net");
    assert_eq!(v["driver"], "bridge");
    assert_eq!(v["id"].as_str().unwrap().len(), 64);
    assert_eq!(
        v["subnets"][0],
        serde_json::json!({"subnet": "10.213.1.0/24", "gateway": "10.213.1.254",
            "lease_range": {"start_ip": "10.213.1.100", "end_ip": "10.213.1.150"}})
    );
    assert_eq!(v["dns_enabled"], true);
    assert_eq!(v["labels"]["tier"], "web");
    assert_eq!(v["options"]["mtu"], "1400");
    assert_eq!(v["ipam_options"]["driver"], "host-local");
    assert_eq!(v["containers"], serde_json::json!({}));
    // New bridges are named after the default network's (`rpod0`: `rpod1`, ...).
    let default_bridge = n.inspect("podman")["network_interface"]
        .as_str()
        .unwrap()
        .to_owned();
    let prefix = default_bridge.trim_end_matches(|c: char| c.is_ascii_digit());
    let bridge = v["network_interface"].as_str().unwrap();
    assert!(
        bridge.starts_with(prefix) && bridge != default_bridge,
        "{bridge} after {default_bridge}"
    );
    let id = v["id"].as_str().unwrap().to_owned();

    // Podman's default table, sorted by name, the default network included.
    let table = n.ok(&["network", "ls"]);
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("NETWORK ID")
            && lines[0].contains("NAME")
            && lines[0].contains("DRIVER"),
        "{table}"
    );
    assert!(lines[1].contains("podman"), "{table}");
    assert!(
        lines[2].starts_with(&id[..12]) && lines[2].contains("web-net"),
        "{table}"
    );
    assert_eq!(n.ok(&["network", "ls", "-q"]), "podman\nweb-net\n");
    assert_eq!(n.ok(&["network", "ls", "--noheading"]).lines().count(), 2);
    let formatted = n.ok(&[
        "network",
        "ls",
        "--format",
        "{{.Name}} {{.Driver}} {{.Labels}}",
    ]);
    assert_eq!(formatted, "podman bridge \nweb-net bridge tier=web\n");
    assert_eq!(
        n.ok(&[
            "network",
            "ls",
            "--no-trunc",
            "--format",
            "{{.ID}}",
            "--filter",
            "name=web"
        ]),
        format!("{id}\n")
    );
    let json: Value = serde_json::from_str(&n.ok(&["network", "ls", "--format", "json"])).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 2);
    assert_eq!(json[1]["name"], "web-net");
    assert_eq!(
        n.ok(&[
            "network",
            "inspect",
            "--format",
            "{{.Name}} {{.NetworkInterface}} {{range .Subnets}}{{.Gateway}}{{end}}",
            &id[..12]
        ]),
        format!(
            "web-net {} 10.213.1.254\n",
            v["network_interface"].as_str().unwrap()
        )
    );
    assert_eq!(
        n.ok(&["inspect", "--type", "network", "--format", "{{.ID}}", "web-net"]),
        format!("{id}\n")
    );

    n.ok(&["network", "exists", "web-net"]);
    assert_eq!(n.fails(&["network", "exists", "nope"]).0, 1);

    assert_eq!(n.ok(&["network", "rm", "web-net"]), "web-net\n");
    assert!(n.files().is_empty());
    let (code, err) = n.fails(&["network", "rm", "web-net"]);
    assert_eq!(code, 1);
    assert_eq!(
        err.trim(),
        "Error: unable to find network with name or ID web-net: network not found"
    );
    // --force: a missing network is no error and prints nothing.
    assert_eq!(n.ok(&["network", "rm", "-f", "-t", "-1", "web-net"]), "");

    let events = n.ok(&["events", "--stream=false", "--filter", "type=network"]);
    let lines: Vec<&str> = events.lines().collect();
    assert_eq!(lines.len(), 2, "{events}");
    assert!(
        lines[0].ends_with(&format!("network create {id} (name=web-net, type=bridge)")),
        "{events}"
    );
    assert!(
        lines[1].ends_with(&format!("network remove {id} (name=web-net, type=bridge)")),
        "{events}"
    );
    let json = n.ok(&[
        "events",
        "--stream=false",
        "--filter",
        "type=network",
        "--format",
        "json",
    ]);
    let first: Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(first["network"], "web-net");
    assert_eq!(first["Attributes"]["driver"], "bridge");
}

#[test]
fn bad_input_fails_and_leaves_nothing() {
    let n = Net::new();
    n.ok(&["network", "create", "--subnet", "10.213.2.0/24", "first"]);
    // The default network's subnet (the harness gives each test its own).
    let default_subnet = n.inspect("podman")["subnets"][0]["subnet"]
        .as_str()
        .unwrap()
        .to_owned();
    let on_default =
        format!("Error: subnet {default_subnet} is already used on the host or by another config");
    let cases: &[(&[&str], &str)] = &[
        (
            &["--subnet", "10.213.2.128/25", "overlap"],
            "Error: subnet 10.213.2.128/25 is already used on the host or by another config",
        ),
        (&["--subnet", &default_subnet, "on-default"], &on_default),
        (&["--subnet", "10.213.300.0/24", "bad"], "Error: invalid CIDR address: 10.213.300.0/24"),
        (
            &["first"],
            "Error: network name first already used: network already exists",
        ),
        (
            &["--subnet", "10.213.3.0/24", "--gateway", "10.213.4.1", "gw"],
            "Error: gateway 10.213.4.1 not in subnet 10.213.3.0/24",
        ),
        (
            &["--gateway", "10.213.4.1", "nosubnet"],
            "Error: cannot set gateway or range without subnet",
        ),
        (
            &["none"],
            "Error: cannot create network with name \"none\" because it conflicts with a valid network mode",
        ),
        (&["-o", "bogus=1", "opt"], "Error: unsupported bridge network option bogus"),
        (&["-d", "nosuchdriver", "drv"], "Error: failed to find driver or plugin \"nosuchdriver\""),
    ];
    for (args, want) in cases {
        let mut all = vec!["network", "create"];
        all.extend_from_slice(args);
        let (code, err) = n.fails(&all);
        assert_eq!((code, err.trim()), (125, *want), "{args:?}");
        assert_eq!(n.files(), ["first.json"], "{args:?} left a definition");
    }
    let (code, err) = n.fails(&["network", "create", "-d", "ipvlan", "iv"]);
    assert_eq!(code, 125);
    assert!(err.contains("ipvlan") && err.contains("netavark"), "{err}");
    assert_eq!(n.files(), ["first.json"]);
    // --ignore: the existing network is the answer.
    assert_eq!(n.ok(&["network", "create", "--ignore", "first"]), "first\n");

    let (code, err) = n.fails(&["network", "inspect", "nope"]);
    assert_eq!(code, 125);
    assert_eq!(
        err.trim(),
        "Error: network nope: unable to find network with name or ID nope: network not found"
    );
    let (code, err) = n.fails(&["network", "rm", "podman"]);
    assert_eq!(
        (code, err.trim()),
        (125, "Error: default network podman cannot be removed")
    );
    let (code, err) = n.fails(&["network", "rm", "-t", "3", "first"]);
    assert_eq!(
        (code, err.trim()),
        (
            125,
            "Error: --force option must be specified to use the --time option"
        )
    );
    let (code, err) = n.fails(&["network", "ls", "--filter", "colour=red"]);
    assert_eq!(
        (code, err.trim()),
        (125, "Error: invalid filter \"colour\"")
    );
    assert_eq!(n.files(), ["first.json"]);
}

#[test]
fn filters_and_prune() {
    let n = Net::new();
    n.ok(&[
        "network", "create", "--label", "app=a", "--label", "keep", "net-a",
    ]);
    n.ok(&["network", "create", "--label", "app=b", "net-b"]);
    n.ok(&["network", "create", "--internal", "--disable-dns", "other"]);
    let names = |filters: &[&str]| {
        let mut args = vec!["network", "ls", "-q"];
        for f in filters {
            args.extend(["--filter", f]);
        }
        n.ok(&args)
    };
    assert_eq!(names(&["name=^net-"]), "net-a\nnet-b\n");
    assert_eq!(names(&["label=app=b"]), "net-b\n");
    assert_eq!(names(&["label=app", "label=keep"]), "net-a\n");
    assert_eq!(names(&["label!=app"]), "other\npodman\n");
    assert_eq!(names(&["driver=macvlan"]), "");
    assert_eq!(names(&["dangling=true"]), "net-a\nnet-b\nother\n");
    assert_eq!(names(&["dangling=false"]), "podman\n");
    assert_eq!(names(&["until=1h"]), "");
    let id = n.inspect("other")["id"].as_str().unwrap().to_owned();
    assert_eq!(names(&[&format!("id={}", &id[..8])]), "other\n");
    let other = n.inspect("other");
    assert_eq!(other["internal"], true);
    assert_eq!(other["dns_enabled"], false);
    // Internal without DNS: no gateway (Podman's rule).
    assert!(other["subnets"][0].get("gateway").is_none(), "{other}");
    // Subnets picked from rpod's pool never overlap.
    let subnets: Vec<Value> = ["net-a", "net-b", "other"]
        .iter()
        .map(|x| n.inspect(x)["subnets"][0]["subnet"].clone())
        .collect();
    assert!(subnets[0] != subnets[1] && subnets[1] != subnets[2] && subnets[0] != subnets[2]);

    // Prune with a filter removes only what matches; never the default network.
    assert_eq!(
        n.ok(&["network", "prune", "-f", "--filter", "label=app=a"]),
        "net-a\n"
    );
    assert_eq!(n.ok(&["network", "prune", "-f"]), "net-b\nother\n");
    assert_eq!(n.ok(&["network", "ls", "-q"]), "podman\n");
    assert!(n.files().is_empty());
    // Nothing to prune: success, no output (the conformance suite's clean-up).
    assert_eq!(n.ok(&["network", "prune", "--force"]), "");
    let (code, err) = n.fails(&["network", "prune", "-f", "--filter", "name=x"]);
    assert_eq!((code, err.trim()), (125, "Error: invalid filter \"name\""));
}

#[test]
fn concurrent_creates_get_distinct_subnets() {
    let n = Net::new();
    let children: Vec<_> = (0..4)
        .map(|i| {
            let name = format!("par{i}");
            let mut cmd = n.env.cmd(&n.args(&["network", "create", &name]));
            cmd.stdout(std::process::Stdio::null());
            cmd.spawn().unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let out = n.ok(&[
        "network",
        "ls",
        "--format",
        "{{range .Subnets}}{{.Subnet}}{{end}} {{.NetworkInterface}}",
        "--filter",
        "name=par",
    ]);
    let mut seen: Vec<&str> = out.lines().flat_map(|l| l.split(' ')).collect();
    assert_eq!(seen.len(), 8, "{out}");
    seen.sort();
    seen.dedup();
    assert_eq!(
        seen.len(),
        8,
        "a subnet or bridge was handed out twice:\n{out}"
    );
}
