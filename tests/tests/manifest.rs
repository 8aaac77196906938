//! `manifest create|add|inspect|exists|rm` against the loopback registry
//! holding the multiarch index (linux/amd64 + linux/arm64).

mod common;

use common::world;
use serde_json::Value;

fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "arm64",
        _ => "amd64",
    }
}

fn inspect(env: &rpod_tests::TestEnv, list: &str) -> Value {
    let out = env.ok(&["manifest", "inspect", list]);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("manifest inspect JSON: {e}\n{out}"))
}

fn arches(v: &Value) -> Vec<String> {
    let mut a: Vec<String> = v["manifests"]
        .as_array()
        .expect("manifests array")
        .iter()
        .map(|m| {
            m["platform"]["architecture"]
                .as_str()
                .expect("arch")
                .to_string()
        })
        .collect();
    a.sort();
    a
}

fn is_id(s: &str) -> bool {
    s.len() == 64 && s.chars().all(|c| c.is_ascii_hexdigit())
}

#[test]
fn create_inspect_exists_rm() {
    let w = world(&[]);
    let id = w.env.ok(&["manifest", "create", "mlist"]);
    let id = id.trim();
    assert!(is_id(id), "create prints the list id: {id:?}");
    let v = inspect(&w.env, "mlist");
    assert_eq!(v["schemaVersion"], 2);
    assert_eq!(
        v["mediaType"],
        "application/vnd.docker.distribution.manifest.list.v2+json"
    );
    assert_eq!(v["manifests"], Value::Array(vec![]));
    w.env.ok(&["manifest", "exists", "mlist"]);
    w.env.ok(&["manifest", "exists", "localhost/mlist:latest"]);
    let (code, _) = w.env.fails(&["manifest", "exists", "nosuchlist"]);
    assert_eq!(code, 1);
    let (code, err) = w.env.fails(&["manifest", "create", "mlist"]);
    assert_eq!(code, 125);
    assert!(err.contains("already in use"), "{err}");
    // --amend reuses the list.
    let again = w.env.ok(&["manifest", "create", "--amend", "mlist"]);
    assert_eq!(again.trim(), id);
    let out = w.env.ok(&["manifest", "rm", "mlist"]);
    assert_eq!(
        out,
        format!("Untagged: localhost/mlist:latest\nDeleted: {id}\n")
    );
    let (code, _) = w.env.fails(&["manifest", "exists", "mlist"]);
    assert_eq!(code, 1);
    let (code, err) = w.env.fails(&["manifest", "rm", "mlist"]);
    assert_eq!(code, 1);
    assert!(err.contains("mlist: image not known"), "{err}");
    assert_eq!(w.env.ok(&["manifest", "rm", "--ignore", "mlist"]), "");
}

#[test]
fn add_from_registry_host_platform_and_all() {
    let w = world(&["multiarch"]);
    let remote = &w.images[0];
    let id = w.env.ok(&["manifest", "create", "one"]);
    let added = w.env.ok(&[
        "manifest",
        "add",
        "--tls-verify=false",
        "one",
        &format!("docker://{remote}"),
    ]);
    assert_eq!(added.trim(), id.trim(), "add prints the list id");
    let v = inspect(&w.env, "one");
    assert_eq!(v["mediaType"], "application/vnd.oci.image.index.v1+json");
    assert_eq!(arches(&v), vec![host_arch().to_string()]);
    assert_eq!(v["manifests"][0]["platform"]["os"], "linux");
    assert_eq!(
        v["manifests"][0]["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );

    w.env.ok(&["manifest", "create", "--all", "both", remote]);
    let v = inspect(&w.env, "both");
    assert_eq!(arches(&v), vec!["amd64".to_string(), "arm64".to_string()]);
    // The same digests as the registry's index.
    let index: Value =
        serde_json::from_str(&w.env.ok(&["manifest", "inspect", "both"])).expect("json");
    for m in index["manifests"].as_array().expect("array") {
        let digest = m["digest"].as_str().expect("digest");
        assert!(digest.starts_with("sha256:"), "{digest}");
        assert!(m["size"].as_u64().expect("size") > 0);
    }
    // Adding an instance again replaces it instead of duplicating it.
    w.env.ok(&["manifest", "add", "--all", "both", remote]);
    assert_eq!(arches(&inspect(&w.env, "both")).len(), 2);
}

#[test]
fn add_local_image_and_unimplemented_transports() {
    let w = world(&["busybox"]);
    let img = &w.images[0];
    w.env.ok(&["pull", "-q", img]);
    w.env.ok(&["manifest", "create", "loc"]);
    w.env.ok(&[
        "manifest",
        "add",
        "loc",
        &format!("containers-storage:{img}"),
    ]);
    let v = inspect(&w.env, "loc");
    assert_eq!(arches(&v), vec![host_arch().to_string()]);
    let (code, err) = w
        .env
        .fails(&["manifest", "add", "loc", "containers-storage:nosuch"]);
    assert_eq!(code, 125);
    assert!(err.contains("nosuch: image not known"), "{err}");
    let (code, err) = w
        .env
        .fails(&["manifest", "push", "--all", "loc", "oci:/tmp/x"]);
    assert_eq!(code, 125);
    assert!(err.contains("not implemented"), "{err}");
}

#[test]
fn annotate_instance_and_index() {
    let w = world(&["multiarch"]);
    let remote = &w.images[0];
    let id = w.env.ok(&["manifest", "create", "--all", "ann", remote]);
    let v = inspect(&w.env, "ann");
    let digest = v["manifests"][0]["digest"]
        .as_str()
        .expect("digest")
        .to_string();
    let out = w.env.ok(&[
        "manifest",
        "annotate",
        "--annotation",
        "k=v",
        "--variant",
        "v8",
        "--os-version",
        "1.0",
        "ann",
        &digest,
    ]);
    assert_eq!(out, id);
    let v = inspect(&w.env, "ann");
    let entry = &v["manifests"][0];
    assert_eq!(entry["annotations"]["k"], "v");
    assert_eq!(entry["platform"]["variant"], "v8");
    assert_eq!(entry["platform"]["os.version"], "1.0");
    assert!(v.get("annotations").is_none());
    w.env.ok(&[
        "manifest",
        "annotate",
        "--index",
        "--annotation",
        "top=1",
        "ann",
    ]);
    let v = inspect(&w.env, "ann");
    assert_eq!(v["annotations"]["top"], "1");
    assert_eq!(v["mediaType"], "application/vnd.oci.image.index.v1+json");
    let (code, err) = w
        .env
        .fails(&["manifest", "annotate", "--arch", "x", "ann", "sha256:00"]);
    assert_eq!(code, 125);
    assert!(err.contains("no instance with digest"), "{err}");
    let (code, _) = w
        .env
        .fails(&["manifest", "annotate", "--index", "--arch", "x", "ann"]);
    assert_eq!(code, 125);
}

fn skopeo_raw(reference: &str) -> Value {
    let out = std::process::Command::new("skopeo")
        .args(["inspect", "--raw", "--tls-verify=false"])
        .arg(format!("docker://{reference}"))
        .output()
        .expect("running skopeo");
    assert!(
        out.status.success(),
        "skopeo inspect --raw {reference}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("skopeo JSON")
}

#[test]
fn push_all_read_back_by_skopeo_and_pulled_for_host_platform() {
    let w = world(&["multiarch"]);
    let remote = &w.images[0];
    w.env.ok(&["manifest", "create", "--all", "two", remote]);
    let local = inspect(&w.env, "two");
    let dest = format!("{}/pushed/list:v1", w.registry.addr());
    let digestfile = w.env.dir().join("digest");
    let out = w.env.run(&[
        "manifest",
        "push",
        "--tls-verify=false",
        "--digestfile",
        digestfile.to_str().expect("utf-8"),
        "two",
        &format!("docker://{dest}"),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "manifest push: {err}");
    assert!(
        err.contains("Writing manifest list to image destination"),
        "{err}"
    );
    assert!(
        err.contains("Copying 2 images generated from 2 images in list"),
        "{err}"
    );
    let pushed = skopeo_raw(&dest);
    assert_eq!(
        arches(&pushed),
        vec!["amd64".to_string(), "arm64".to_string()]
    );
    // A name not stored locally is inspected in its registry.
    let remote: Value =
        serde_json::from_str(&w.env.ok(&["manifest", "inspect", "--insecure", &dest]))
            .expect("remote inspect JSON");
    assert_eq!(remote, pushed);
    assert_eq!(
        pushed["manifests"], local["manifests"],
        "instances unchanged"
    );
    let digest = std::fs::read_to_string(&digestfile).expect("digestfile");
    assert!(digest.starts_with("sha256:"), "{digest}");
    // Each instance is in the destination repository.
    for m in pushed["manifests"].as_array().expect("array") {
        let d = m["digest"].as_str().expect("digest");
        let inst = skopeo_raw(&format!("{}/pushed/list@{d}", w.registry.addr()));
        assert_eq!(inst["layers"].as_array().expect("layers").len(), 2);
    }
    // The list is still there without --rm; pulled, it yields the host's image.
    w.env.ok(&["manifest", "exists", "two"]);
    w.env.ok(&["pull", "-q", &dest]);
    let arch = w
        .env
        .ok(&["image", "inspect", "--format", "{{.Architecture}}", &dest]);
    assert_eq!(arch.trim(), host_arch());
    // --rm removes the local list after the push.
    w.env.ok(&[
        "manifest",
        "push",
        "-q",
        "--all",
        "--rm",
        "--tls-verify=false",
        "two",
        &dest,
    ]);
    let (code, _) = w.env.fails(&["manifest", "exists", "two"]);
    assert_eq!(code, 1);
}

#[test]
fn push_local_instance_recompressed_with_zstd() {
    let w = world(&["busybox"]);
    let img = &w.images[0];
    w.env.ok(&["pull", "-q", img]);
    w.env.ok(&[
        "manifest",
        "create",
        "z",
        &format!("containers-storage:{img}"),
    ]);
    let local = inspect(&w.env, "z");
    let dest = format!("{}/zlist/l:1", w.registry.addr());
    w.env.ok(&[
        "manifest",
        "push",
        "-q",
        "--tls-verify=false",
        "--compression-format",
        "zstd",
        "--compression-level",
        "5",
        "--format",
        "oci",
        "z",
        &dest,
    ]);
    let pushed = skopeo_raw(&dest);
    assert_eq!(
        pushed["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );
    let d = pushed["manifests"][0]["digest"].as_str().expect("digest");
    assert_ne!(
        Some(d),
        local["manifests"][0]["digest"].as_str(),
        "new digest"
    );
    let inst = skopeo_raw(&format!("{}/zlist/l@{d}", w.registry.addr()));
    assert_eq!(
        pushed["manifests"][0]["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_eq!(
        inst["config"]["mediaType"],
        "application/vnd.oci.image.config.v1+json"
    );
    assert_eq!(
        inst["layers"][0]["mediaType"],
        "application/vnd.oci.image.layer.v1.tar+zstd"
    );
    let (code, err) = w.env.fails(&[
        "manifest",
        "push",
        "--tls-verify=false",
        "--compression-format",
        "lz4",
        "z",
        &dest,
    ]);
    assert_eq!(code, 125);
    assert!(err.contains("unsupported compression format"), "{err}");
}

#[test]
fn rmi_removes_a_manifest_list() {
    let w = world(&[]);
    let id = w.env.ok(&["manifest", "create", "rl"]);
    let out = w.env.ok(&["rmi", "rl"]);
    assert_eq!(
        out,
        format!("Untagged: localhost/rl:latest\nDeleted: {}", id.trim()) + "\n"
    );
    let (code, _) = w.env.fails(&["manifest", "exists", "rl"]);
    assert_eq!(code, 1);
}
