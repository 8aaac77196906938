//! `kube play`'s flags for the pods it makes: `--ip` and `--mac-address`
//! (the n-th pod gets the n-th address, a warning when they ran out),
//! `--no-pod-prefix`, `--log-opt`; `--configmap`, `--log-driver`,
//! `--annotation`, `--publish-all`, `--down`, `--wait`, the `play kube`
//! spelling; DaemonSet and Job kinds, securityContext and resources.

mod common;

use common::busybox;
use common::kube::{nothing_left, pod_ports};
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
        "10.82.201.0/24",
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
        "10.82.201.77",
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
    assert!(got.contains("10.82.201.77/24"), "{got}");
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
    assert!(!other.contains("10.82.201.77/"), "{other}");
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
        "10.82.201.78",
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

/// `--start=false`: the pods' containers as created (`inspect` fields).
fn field(env: &TestEnv, fmt: &str, ctr: &str) -> String {
    env.ok(&["inspect", "--format", fmt, ctr]).trim().to_owned()
}

#[test]
fn configmap_log_driver_annotation_publish_all_security_and_resources() {
    let (w, img) = busybox();
    let env = &w.env;
    let _g = Guard(env, String::new());
    let name = unique_name("kds");
    let cm = unique_name("kcm");
    let cm_path = env.dir().join("cm.yaml");
    std::fs::write(
        &cm_path,
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {cm}\ndata:\n  color: red\n"),
    )
    .unwrap();
    let path = env.dir().join("ds.yaml");
    std::fs::write(
        &path,
        format!(
            "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: {name}\nspec:\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n    spec:\n      containers:\n      - name: c\n        image: {img}\n        command: [\"sleep\", \"1000\"]\n        env:\n        - name: COLOR\n          valueFrom:\n            configMapKeyRef:\n              name: {cm}\n              key: color\n        ports:\n        - containerPort: 8080\n        securityContext:\n          runAsUser: 1000\n          readOnlyRootFilesystem: true\n          capabilities:\n            add: [NET_ADMIN]\n            drop: [CHOWN]\n        resources:\n          limits:\n            memory: 64Mi\n            cpu: 500m\n"
        ),
    )
    .unwrap();
    let (path, cm_path) = (path.to_string_lossy(), cm_path.to_string_lossy());
    // The older spelling, as Podman's.
    env.ok(&[
        "play",
        "kube",
        "--start=false",
        "--network",
        "podman",
        "--publish-all",
        "--configmap",
        &cm_path,
        "--log-driver",
        "k8s-file",
        "--annotation",
        "kube.test/a=b",
        &path,
    ]);
    let pod = format!("{name}-pod");
    let ctr = format!("{pod}-c");
    assert_eq!(field(env, "{{.State.Status}}", &ctr), "created");
    let ports = pod_ports(env, &pod);
    assert!(ports.contains("8080/tcp"), "{ports}");
    assert!(
        field(env, "{{.Config.Env}}", &ctr).contains("COLOR=red"),
        "the ConfigMap of --configmap"
    );
    assert_eq!(
        field(env, "{{.HostConfig.LogConfig.Type}}", &ctr),
        "k8s-file"
    );
    assert_eq!(
        field(env, "{{index .Config.Annotations \"kube.test/a\"}}", &ctr),
        "b"
    );
    assert_eq!(field(env, "{{.Config.User}}", &ctr), "1000");
    assert_eq!(field(env, "{{.HostConfig.ReadonlyRootfs}}", &ctr), "true");
    let caps = field(env, "{{.HostConfig.CapAdd}} {{.HostConfig.CapDrop}}", &ctr);
    assert!(
        caps.contains("CAP_NET_ADMIN") && caps.contains("CAP_CHOWN"),
        "{caps}"
    );
    assert_eq!(
        field(env, "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}", &ctr),
        "67108864 500000000"
    );
    let out = env.ok(&["play", "kube", "--down", &path]);
    assert!(out.starts_with("Pods stopped:\n"), "{out}");
    nothing_left(env);
}

#[test]
fn job_restart_policy_and_wait() {
    let (w, img) = busybox();
    let env = &w.env;
    let _g = Guard(env, String::new());
    let name = unique_name("kjob");
    let path = env.dir().join("job.yaml");
    std::fs::write(
        &path,
        format!(
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\nspec:\n  template:\n    spec:\n      restartPolicy: OnFailure\n      containers:\n      - name: c\n        image: {img}\n        command: [\"sh\", \"-c\", \"echo done\"]\n"
        ),
    )
    .unwrap();
    let path = path.to_string_lossy();
    env.ok(&["kube", "play", "--network", "none", "--start=false", &path]);
    let ctr = format!("{name}-pod-c");
    assert_eq!(
        field(env, "{{.HostConfig.RestartPolicy.Name}}", &ctr),
        "on-failure"
    );
    // --wait: runs until the container exited, then tears it all down.
    let out = env.ok(&[
        "kube",
        "play",
        "--network",
        "none",
        "--replace",
        "-w",
        &path,
    ]);
    assert!(
        out.starts_with("Use ctrl+c to clean up or wait for pods to exit\n"),
        "{out}"
    );
    assert!(
        out.ends_with("Cleaning up containers, pods, and volumes...\n"),
        "{out}"
    );
    nothing_left(env);
}
