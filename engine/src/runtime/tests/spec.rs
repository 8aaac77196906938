//! Containers built from `spec::generate` actually run under runc and get
//! what the options asked for.
#![allow(clippy::unwrap_used)] // test code: a failed step is a failed test

use super::support::Bundle;
use crate::container::options::{BindMount, ContainerOptions, NetworkMode};
use crate::spec::MASKED_PATHS;
use nix::sys::resource::{getrlimit, Resource};

/// Capability numbers of Podman's default set.
const CAP_BITS: [u32; 11] = [0, 1, 3, 4, 5, 6, 7, 8, 10, 18, 31];

fn cap_mask() -> String {
    format!("{:016x}", CAP_BITS.iter().fold(0u64, |m, b| m | 1 << b))
}

fn field<'a>(out: &'a str, name: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(name))
        .unwrap_or_else(|| panic!("no {name} in output:\n{out}"))
        .trim()
}

const IMAGE: &str = r#"{"architecture":"amd64","os":"linux","config":{"Env":["IMG=1"],"Cmd":["sh"],"Healthcheck":{"Test":["NONE"]}}}"#;

#[tokio::test]
async fn generated_spec_runs_with_the_requested_settings() {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("hello"), "from-host\n").unwrap();
    let script = "echo uid=$(id -u); echo gid=$(id -g); echo groups=$(id -G); \
        echo host=$(hostname); echo hostfile=$(cat /etc/hostname); \
        grep '^Cap' /proc/self/status | tr -d '\\t' | sed 's/:/=/'; \
        echo nofile=$(ulimit -n); echo pwd=$(pwd); env | sed 's/^/env:/'; \
        if touch /rootwrite 2>/dev/null; then echo root=rw; else echo root=ro; fi; \
        echo data=$(cat /data/hello); \
        if touch /data/new 2>/dev/null; then echo datawrite=rw; else echo datawrite=ro; fi; \
        if touch /tmp/x 2>/dev/null; then echo tmp=rw; else echo tmp=ro; fi; \
        echo keys=$(wc -c < /proc/keys); echo firmware=$(ls /sys/firmware | wc -l); \
        echo netdevs=$(ls /sys/class/net | tr '\\n' ' ')";
    let opts = ContainerOptions {
        image: "test".into(),
        command: vec!["-c".into(), script.into()],
        entrypoint: Some(vec!["/bin/sh".into()]),
        user: Some("app".into()),
        hostname: Some("specbox".into()),
        env: vec!["FOO=bar baz".into(), "IMG=2".into()],
        read_only: true,
        mounts: vec![BindMount {
            source: data.path().to_string_lossy().into_owned(),
            destination: "/data".into(),
            readonly: true,
            options: vec![],
        }],
        ..Default::default()
    };
    // The image's WorkingDir is created when missing (a `--workdir` the
    // image lacks would be an error).
    let image = IMAGE.replace(
        r#""Cmd":["sh"]"#,
        r#""Cmd":["sh"],"WorkingDir":"/srv/work""#,
    );
    let b = Bundle::new("spec", &opts, &image);
    let (ok, out, err) = b.run().await;
    assert!(ok, "runc run failed: {err}\n{out}");

    assert_eq!(field(&out, "uid="), "1000");
    assert_eq!(field(&out, "gid="), "1000");
    assert_eq!(field(&out, "groups="), "1000 2000");
    assert_eq!(field(&out, "host="), "specbox");
    assert_eq!(field(&out, "hostfile="), "specbox");
    // Non-root: bounded by the default set, nothing effective or permitted.
    assert_eq!(field(&out, "CapBnd="), cap_mask());
    assert_eq!(field(&out, "CapEff="), "0000000000000000");
    assert_eq!(field(&out, "CapPrm="), "0000000000000000");
    assert_eq!(field(&out, "CapInh="), "0000000000000000");
    let (soft, _) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    assert_eq!(field(&out, "nofile="), soft.to_string());
    assert_eq!(field(&out, "pwd="), "/srv/work");
    for want in [
        "env:PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "env:FOO=bar baz",
        "env:IMG=2",
        "env:HOME=/home/app",
        "env:HOSTNAME=specbox",
        "env:container=podman",
    ] {
        assert!(out.lines().any(|l| l == want), "missing {want} in:\n{out}");
    }
    assert_eq!(field(&out, "root="), "ro");
    assert_eq!(field(&out, "data="), "from-host");
    assert_eq!(field(&out, "datawrite="), "ro");
    assert_eq!(field(&out, "tmp="), "rw");
    // Masked: a file becomes /dev/null, a directory an empty tmpfs (the
    // host's /sys/firmware is not empty).
    assert!(MASKED_PATHS.contains(&"/proc/keys") && MASKED_PATHS.contains(&"/sys/firmware"));
    assert_eq!(field(&out, "keys="), "0");
    assert_ne!(std::fs::read_dir("/sys/firmware").unwrap().count(), 0);
    assert_eq!(field(&out, "firmware="), "0");
    // --network none: only loopback.
    assert_eq!(field(&out, "netdevs="), "lo");
    assert!(!data.path().join("new").exists());
}

#[tokio::test]
async fn root_gets_the_default_capabilities_and_a_writable_root() {
    let opts = ContainerOptions {
        command: vec![
            "sh".into(),
            "-c".into(),
            "grep '^CapEff' /proc/self/status | tr -d '\\t'; id -u; hostname; \
             touch /rootwrite && echo root=rw; cat /etc/hosts"
                .into(),
        ],
        ..Default::default()
    };
    let b = Bundle::new("root", &opts, IMAGE);
    let (ok, out, err) = b.run().await;
    assert!(ok, "runc run failed: {err}\n{out}");
    assert_eq!(field(&out, "CapEff:"), cap_mask());
    assert!(out.lines().any(|l| l == "0"), "{out}");
    let short: String = b.id.chars().take(12).collect();
    assert!(out.lines().any(|l| l == short), "hostname {short} in {out}");
    assert_eq!(field(&out, "root="), "rw");
    assert!(out.contains(&format!("127.0.0.1\t{short}")), "{out}");
    assert!(b.rootfs().join("rootwrite").exists());
}

#[tokio::test]
async fn network_host_sees_the_host_interfaces() {
    let opts = ContainerOptions {
        command: vec!["sh".into(), "-c".into(), "ls /sys/class/net | wc -l".into()],
        network: NetworkMode::Host,
        ..Default::default()
    };
    let b = Bundle::new("hostnet", &opts, IMAGE);
    let (ok, out, err) = b.run().await;
    assert!(ok, "runc run failed: {err}\n{out}");
    let host_ifaces = std::fs::read_dir("/sys/class/net").unwrap().count();
    assert_eq!(out.trim(), host_ifaces.to_string());
}

#[tokio::test]
async fn failing_spec_generation_is_reported_before_runc() {
    let opts = ContainerOptions {
        user: Some("nosuchuser".into()),
        command: vec!["true".into()],
        ..Default::default()
    };
    let dir = tempfile::tempdir().unwrap();
    super::support::make_rootfs(&dir.path().join("rootfs"));
    let etc = crate::spec::write_etc_files(&dir.path().join("u"), "x", &NetworkMode::None).unwrap();
    let err = crate::spec::generate(&crate::spec::SpecInput {
        id: "x",
        options: &opts,
        image_config: IMAGE.as_bytes(),
        rootfs: &dir.path().join("rootfs"),
        etc_files: &etc,
        cgroups_path: None,
        volume_binds: &[],
    })
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "unable to find user nosuchuser: no matching entries in passwd file"
    );
}
