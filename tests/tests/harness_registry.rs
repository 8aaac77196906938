//! Self-tests: the registry starts and serves every fixture as built.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rpod_tests::{fixtures, run_with_timeout, Registry};
use serde_json::Value;

fn skopeo_json(args: &[&str]) -> Value {
    let mut cmd = Command::new("skopeo");
    cmd.args(args).stdin(Stdio::null());
    let out = run_with_timeout(&mut cmd, Duration::from_secs(60));
    assert!(
        out.status.success(),
        "skopeo {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("skopeo printed invalid JSON")
}

fn inspect(reference: &str, extra: &[&str]) -> Value {
    let target = format!("docker://{reference}");
    let mut args = vec!["inspect", "--tls-verify=false"];
    args.extend_from_slice(extra);
    args.push(&target);
    skopeo_json(&args)
}

/// Entries of a gzip'ed layer blob, as `tar -tvzf` prints them.
fn layer_listing(registry: &Registry, digest: &str) -> String {
    let blob = registry.blob_path(digest);
    assert!(blob.is_file(), "blob {digest} not at {}", blob.display());
    let mut cmd = Command::new("tar");
    cmd.arg("-tvzf").arg(&blob).stdin(Stdio::null());
    let out = run_with_timeout(&mut cmd, Duration::from_secs(60));
    assert!(out.status.success(), "tar -tvzf {} failed", blob.display());
    String::from_utf8(out.stdout).expect("non-UTF-8 listing")
}

/// Content of `path` inside a gzip'ed layer blob.
fn layer_file(registry: &Registry, digest: &str, path: &str) -> String {
    let mut cmd = Command::new("tar");
    cmd.arg("-xzOf")
        .arg(registry.blob_path(digest))
        .arg(path)
        .stdin(Stdio::null());
    let out = run_with_timeout(&mut cmd, Duration::from_secs(60));
    assert!(out.status.success(), "{path} not in layer {digest}");
    String::from_utf8(out.stdout).expect("non-UTF-8 file")
}

fn layers(info: &Value) -> Vec<String> {
    info["Layers"]
        .as_array()
        .expect("no Layers")
        .iter()
        .map(|l| l.as_str().expect("layer digest").to_string())
        .collect()
}

fn has_line(listing: &str, pred: impl Fn(&str) -> bool) -> bool {
    listing.lines().any(pred)
}

#[test]
fn registry_serves_all_fixtures() {
    fixtures::fixtures_dir();
    let start = Instant::now();
    let registry = Registry::start();
    eprintln!("timing: registry start {:?}", start.elapsed());
    assert!(registry.addr().starts_with("127.0.0.1:"));

    for name in fixtures::FIXTURES {
        let start = Instant::now();
        let reference = registry.push_fixture(name);
        eprintln!("timing: push {name} {:?}", start.elapsed());
        assert_eq!(reference, format!("{}/{name}:latest", registry.addr()));
        let info = inspect(&reference, &[]);
        assert_eq!(info["Digest"], fixtures::digest(name), "digest of {name}");
        assert_eq!(info["Os"], "linux");
    }

    let busybox = inspect(
        &format!("{}/busybox:latest", registry.addr()),
        &["--config"],
    );
    assert_eq!(busybox["config"]["Cmd"], serde_json::json!(["sh"]));
    assert!(busybox["config"]["Env"][0]
        .as_str()
        .is_some_and(|e| e.starts_with("PATH=") && e.contains("/bin")));
    assert_eq!(busybox["architecture"], "amd64");
    assert_eq!(
        busybox["rootfs"]["diff_ids"].as_array().map(Vec::len),
        Some(1)
    );

    let multiarch = format!("{}/multiarch:latest", registry.addr());
    let raw = inspect(&multiarch, &["--raw"]);
    assert_eq!(raw["mediaType"], "application/vnd.oci.image.index.v1+json");
    let mut platforms: Vec<String> = raw["manifests"]
        .as_array()
        .expect("index without manifests")
        .iter()
        .map(|m| {
            format!(
                "{}/{}",
                m["platform"]["os"].as_str().unwrap_or("?"),
                m["platform"]["architecture"].as_str().unwrap_or("?")
            )
        })
        .collect();
    platforms.sort();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64"]);

    for arch in ["amd64", "arm64"] {
        let info = inspect(&multiarch, &["--override-arch", arch]);
        assert_eq!(info["Architecture"], arch);
        let layers = layers(&info);
        assert_eq!(layers.len(), 2, "{arch} image layers");
        assert_eq!(
            layer_file(&registry, &layers[1], "platform"),
            format!("{arch}\n")
        );
    }
}

#[test]
fn busybox_layer_content() {
    let registry = Registry::start();
    let reference = registry.push_fixture("busybox");
    let layers = layers(&inspect(&reference, &[]));
    assert_eq!(layers.len(), 1);
    let listing = layer_listing(&registry, &layers[0]);
    assert!(has_line(&listing, |l| l.starts_with("-rwxr-xr-x 0/0")
        && l.ends_with(" bin/busybox")));
    for applet in ["sh", "ls", "sleep", "cat", "id", "date", "top"] {
        assert!(
            has_line(&listing, |l| l
                .ends_with(&format!(" bin/{applet} -> busybox"))),
            "no bin/{applet} symlink in:\n{listing}"
        );
    }
    assert!(has_line(&listing, |l| l.starts_with("drwxrwxrwt 0/0")
        && l.ends_with(" tmp/")));
    assert!(has_line(&listing, |l| l.starts_with("drwx------ 0/0")
        && l.ends_with(" root/")));
    assert!(has_line(&listing, |l| l
        .starts_with("drwxr-xr-x 1000/1000")
        && l.ends_with(" home/tester/")));
    assert!(
        !has_line(&listing, |l| l.contains(" ./")),
        "entries must not start with ./"
    );
    let passwd = layer_file(&registry, &layers[0], "etc/passwd");
    assert!(passwd.contains("root:x:0:0:"));
    assert!(passwd.contains("nobody:x:65534:65534:"));
    assert!(passwd.contains("tester:x:1000:1000:tester:/home/tester:/bin/sh"));
    let group = layer_file(&registry, &layers[0], "etc/group");
    assert!(group.contains("tester:x:1000:"));
}

#[test]
fn multilayer_layers_carry_whiteouts() {
    let registry = Registry::start();
    let reference = registry.push_fixture("multilayer");
    let layers = layers(&inspect(&reference, &[]));
    assert_eq!(layers.len(), 2);

    let lower = layer_listing(&registry, &layers[0]);
    for path in [
        "bin/busybox",
        "data/keep.txt",
        "data/gone.txt",
        "opaque/old1",
        "opaque/old2",
    ] {
        assert!(
            has_line(&lower, |l| l.ends_with(&format!(" {path}"))),
            "{path} missing from layer 1"
        );
    }
    assert_eq!(layer_file(&registry, &layers[0], "data/keep.txt"), "keep\n");

    let upper = layer_listing(&registry, &layers[1]);
    let names: Vec<&str> = upper
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .collect();
    assert_eq!(
        names,
        [
            "data/",
            "data/.wh.gone.txt",
            "opaque/",
            "opaque/.wh..wh..opq",
            "opaque/new"
        ],
        "layer 2 listing:\n{upper}"
    );
    assert_eq!(layer_file(&registry, &layers[1], "opaque/new"), "new\n");
}

#[test]
fn push_under_another_name_and_blob_paths() {
    let registry = Registry::start();
    let reference = registry.push_fixture_as("busybox", "library/other:v2");
    assert_eq!(reference, format!("{}/library/other:v2", registry.addr()));
    let info = inspect(&reference, &[]);
    assert_eq!(info["Digest"], fixtures::digest("busybox"));
    let layer = &layers(&info)[0];
    assert!(registry
        .blob_path(layer)
        .starts_with(registry.storage_dir()));
    assert!(registry.blob_path(layer).is_file());
    assert!(registry.log().contains("listening on"));
}
