//! `kube play`'s flags for the pods it makes: `--ip` and `--mac-address`
//! (the n-th pod gets the n-th address, a warning when they ran out),
//! `--no-pod-prefix`, `--log-opt`.

mod common;

use common::busybox;
use rpod_tests::{unique_name, TestEnv};

struct Guard<'a>(&'a TestEnv, String);

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        let _ = self.0.run(&["pod", "rm", "-af", "-t", "0"]);
        let _ = self.0.run(&["network", "rm", "-f", &self.1]);
    }
}

fn pod(name: &str, img: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  containers:\n  - name: c-{name}\n    image: {img}\n    command: [\"sleep\", \"1000\"]\n"
    )
}

#[test]
fn static_addresses_prefix_and_log_options() {
    let (w, img) = busybox();
    let env = &w.env;
    let net = unique_name("kubnet");
    let _g = Guard(env, net.clone());
    env.ok(&[
        "network",
        "create",
        "--subnet",
        "10.86.201.0/24",
        "--interface-name",
        "kubflags0",
        &net,
    ]);
    let (a, b) = (unique_name("kfa"), unique_name("kfb"));
    let path = env.dir().join("two.yaml");
    std::fs::write(&path, format!("{}---\n{}", pod(&a, &img), pod(&b, &img))).unwrap();
    let out = env.run(&[
        "kube",
        "play",
        "--network",
        &net,
        "--ip",
        "10.86.201.77",
        "--mac-address",
        "02:42:0a:56:c9:4d",
        "--no-pod-prefix",
        "--log-opt",
        "max-size=1m",
        &path.to_string_lossy(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("No more static ips left using a random one"),
        "{stderr}"
    );
    // No pod prefix: the containers are named as in the YAML.
    let ctr = format!("c-{a}");
    let got = env.ok(&[
        "exec",
        &ctr,
        "sh",
        "-c",
        "ip -4 -o addr show eth0; cat /sys/class/net/eth0/address",
    ]);
    assert!(got.contains("10.86.201.77/24"), "{got}");
    assert!(got.contains("02:42:0a:56:c9:4d"), "{got}");
    let other = env.ok(&[
        "exec",
        &format!("c-{b}"),
        "ip",
        "-4",
        "-o",
        "addr",
        "show",
        "eth0",
    ]);
    assert!(!other.contains("10.86.201.77/"), "{other}");
    let size = env.ok(&[
        "inspect",
        "--format",
        "{{.HostConfig.LogConfig.Size}}",
        &ctr,
    ]);
    assert_eq!(size.trim(), "1MB");
    env.ok(&["kube", "down", &path.to_string_lossy()]);

    // --ip on the host network: Podman's refusal, nothing made.
    let (code, err) = env.fails(&[
        "kube",
        "play",
        "--network",
        "host",
        "--ip",
        "10.86.201.78",
        &path.to_string_lossy(),
    ]);
    assert_eq!(code, 125, "{err}");
    assert!(
        err.contains("static ip addresses can only be set when the network mode is bridge"),
        "{err}"
    );
    assert_eq!(env.ok(&["pod", "ps", "-q"]).trim(), "");
}

/// `kube generate` writes `restartPolicy: Never` for a container created
/// with `--restart no|never` and none for one created without a policy.
#[test]
fn generate_tells_restart_no_from_none() {
    let (w, img) = busybox();
    let env = &w.env;
    let never = unique_name("kgn");
    let unset = unique_name("kgu");
    env.ok(&[
        "create",
        "--restart",
        "never",
        "--name",
        &never,
        &img,
        "true",
    ]);
    env.ok(&["create", "--name", &unset, &img, "true"]);
    let y = env.ok(&["kube", "generate", &never]);
    assert!(y.contains("restartPolicy: Never"), "{y}");
    let y = env.ok(&["kube", "generate", &unset]);
    assert!(!y.contains("restartPolicy"), "{y}");
    env.ok(&["rm", &never, &unset]);
}
