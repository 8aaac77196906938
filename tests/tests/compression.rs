//! Layer compression across registries: zstd and zstd:chunked images
//! written by skopeo pull and run; `push --compression-format` writes zstd
//! or gzip layers (read back by skopeo, pulled and run again).

mod common;

use common::world;
use serde_json::Value;

fn skopeo(args: &[&str]) -> Vec<u8> {
    let out = std::process::Command::new("skopeo")
        .args(args)
        .output()
        .expect("running skopeo");
    assert!(
        out.status.success(),
        "skopeo {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn raw_manifest(reference: &str) -> Value {
    let raw = skopeo(&[
        "inspect",
        "--raw",
        "--tls-verify=false",
        &format!("docker://{reference}"),
    ]);
    serde_json::from_slice(&raw).expect("manifest JSON")
}

fn layer_types(reference: &str) -> Vec<String> {
    raw_manifest(reference)["layers"]
        .as_array()
        .expect("layers")
        .iter()
        .map(|l| l["mediaType"].as_str().expect("mediaType").to_string())
        .collect()
}

const ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";

#[test]
fn zstd_and_zstd_chunked_from_skopeo_pull_and_run() {
    // A registry without the gzip copy, so that skopeo cannot reuse it.
    let w = world(&[]);
    let layout = rpod_tests::fixtures::layout("busybox");
    let src = format!("oci:{}:latest", layout.display());
    for (format, repo) in [("zstd", "zst/bb:1"), ("zstd:chunked", "chunked/bb:1")] {
        let dest = format!("{}/{repo}", w.registry.addr());
        skopeo(&[
            "copy",
            "--quiet",
            "--dest-tls-verify=false",
            "--dest-compress-format",
            format,
            &src,
            &format!("docker://{dest}"),
        ]);
        assert_eq!(layer_types(&dest), vec![ZSTD.to_string()], "{format}");
        if format == "zstd:chunked" {
            let m = raw_manifest(&dest);
            assert!(
                m["layers"][0]["annotations"]
                    .get("io.containers.zstd-chunked.manifest-position")
                    .is_some(),
                "skopeo wrote a chunked layer: {m}"
            );
        }
        w.env.ok(&["pull", "-q", &dest]);
        let out = w.env.ok(&["run", "--rm", &dest, "cat", "/etc/group"]);
        assert!(out.contains("root:x:0:"), "{format}: {out}");
    }
}

#[test]
fn push_compression_format_zstd_then_gzip() {
    let w = world(&["busybox"]);
    let src = &w.images[0];
    w.env.ok(&["pull", "-q", src]);
    let zdest = format!("{}/pz/bb:1", w.registry.addr());
    w.env.ok(&[
        "push",
        "-q",
        "--tls-verify=false",
        "--compression-format",
        "zstd",
        "--compression-level",
        "9",
        src,
        &zdest,
    ]);
    assert_eq!(layer_types(&zdest), vec![ZSTD.to_string()]);
    // Same image id (config unchanged), different manifest.
    let id = w.env.ok(&["image", "inspect", "--format", "{{.Id}}", src]);
    let other = rpod_tests::TestEnv::with_registry(&w.registry);
    other.ok(&["pull", "-q", &zdest]);
    let zid = other.ok(&["image", "inspect", "--format", "{{.Id}}", &zdest]);
    assert_eq!(zid, id);
    let out = other.ok(&["run", "--rm", &zdest, "cat", "/etc/group"]);
    assert!(out.contains("root:x:0:"), "{out}");

    // Back to gzip from the zstd copy.
    let gdest = format!("{}/pg/bb:1", w.registry.addr());
    other.ok(&[
        "push",
        "-q",
        "--tls-verify=false",
        "--compression-format=gzip",
        &zdest,
        &gdest,
    ]);
    assert_eq!(
        layer_types(&gdest),
        vec!["application/vnd.oci.image.layer.v1.tar+gzip".to_string()]
    );

    // Without --force-compression a blob the destination has is reused.
    let kept = format!("{}/pz/bb:2", w.registry.addr());
    other.ok(&[
        "push",
        "-q",
        "--tls-verify=false",
        "--compression-format=gzip",
        "--force-compression=false",
        &zdest,
        &kept,
    ]);
    assert_eq!(layer_types(&kept), vec![ZSTD.to_string()]);

    let (code, err) = w.env.fails(&[
        "push",
        "--tls-verify=false",
        "--compression-format",
        "zstd:chunked",
        src,
        &zdest,
    ]);
    assert_eq!(code, 125);
    assert!(err.contains("not implemented"), "{err}");
    let (code, err) = w.env.fails(&[
        "push",
        "--tls-verify=false",
        "--compression-format",
        "gzip",
        "--compression-level",
        "12",
        src,
        &zdest,
    ]);
    assert_eq!(code, 125);
    assert!(err.contains("out of range"), "{err}");
}
