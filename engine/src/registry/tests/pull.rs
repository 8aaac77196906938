//! Pull tests against a real registry (Debian's `docker-registry`) filled
//! with images built by umoci from /bin/busybox and pushed with skopeo.
#![allow(clippy::unwrap_used)] // test code: a failed step is a failed test

use std::fs;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::registry::{pull, PullError, PullOptions, RegistriesConf};
use crate::storage::{Image, Store};
use sha2::{Digest, Sha256};

fn run(cmd: &str, args: &[&str]) {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .expect("spawning tool");
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A docker-registry process on a free local port, killed on drop.
struct Registry {
    child: Child,
    port: u16,
    root: tempfile::TempDir,
}

impl Registry {
    fn start() -> Registry {
        let root = tempfile::tempdir().unwrap();
        let port = free_port();
        let config = root.path().join("config.yml");
        fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
                root.path().join("data").display()
            ),
        )
        .unwrap();
        let child = Command::new("/usr/bin/docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting docker-registry");
        let reg = Registry { child, port, root };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "registry did not listen on {port} within 20s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        reg
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// skopeo copy from an OCI layout tag to `name:tag` in this registry.
    fn push(&self, layout: &Path, src_tag: &str, dest: &str, all: bool) {
        let src = format!("oci:{}:{src_tag}", layout.display());
        let dst = format!("docker://{}/{dest}", self.addr());
        let mut args = vec!["copy", "--dest-tls-verify=false"];
        if all {
            args.push("--all");
        }
        args.push(&src);
        args.push(&dst);
        run("skopeo", &args);
    }

    fn blob_data(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap();
        self.root
            .path()
            .join("data/docker/registry/v2/blobs/sha256")
            .join(&hex[..2])
            .join(hex)
            .join("data")
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An OCI layout with images built from /bin/busybox.
struct Layout {
    dir: tempfile::TempDir,
}

impl Layout {
    fn new() -> Layout {
        let dir = tempfile::tempdir().unwrap();
        run(
            "umoci",
            &["init", "--layout", dir.path().join("oci").to_str().unwrap()],
        );
        Layout { dir }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("oci")
    }

    fn image(&self, tag: &str) -> String {
        format!("{}:{tag}", self.path().display())
    }

    /// One layer: busybox, /bin/sh, /etc/marker, /data/old, /platform.
    fn base(&self, tag: &str, platform_text: &str, arch: Option<&str>) {
        let image = self.image(tag);
        let bundle = self.dir.path().join(format!("bundle-{tag}"));
        run("umoci", &["new", "--image", &image]);
        run(
            "umoci",
            &["unpack", "--image", &image, bundle.to_str().unwrap()],
        );
        let rootfs = bundle.join("rootfs");
        fs::create_dir_all(rootfs.join("bin")).unwrap();
        fs::create_dir_all(rootfs.join("etc")).unwrap();
        fs::create_dir_all(rootfs.join("data")).unwrap();
        fs::copy("/bin/busybox", rootfs.join("bin/busybox")).unwrap();
        std::os::unix::fs::symlink("busybox", rootfs.join("bin/sh")).unwrap();
        fs::write(rootfs.join("etc/marker"), "marker\n").unwrap();
        fs::write(rootfs.join("data/old"), "old\n").unwrap();
        fs::write(rootfs.join("platform"), platform_text).unwrap();
        run(
            "umoci",
            &["repack", "--image", &image, bundle.to_str().unwrap()],
        );
        let mut cfg = vec!["config", "--image", &image, "--config.cmd", "/bin/sh"];
        if let Some(a) = arch {
            cfg.extend(["--architecture", a]);
        }
        run("umoci", &cfg);
    }

    /// `base` plus a layer deleting /etc/marker and making /data opaque.
    fn two_layers(&self, base: &str, tag: &str) {
        let mut b = tar::Builder::new(Vec::new());
        let mut add = |path: &str, data: &[u8]| {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Regular);
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_mtime(1);
            h.set_uid(0);
            h.set_gid(0);
            b.append_data(&mut h, path, data).unwrap();
        };
        add("etc/.wh.marker", b"");
        add("data/.wh..wh..opq", b"");
        add("data/new", b"new\n");
        let tar_path = self.dir.path().join(format!("{tag}.tar"));
        fs::write(&tar_path, b.into_inner().unwrap()).unwrap();
        run(
            "umoci",
            &[
                "raw",
                "add-layer",
                "--image",
                &self.image(base),
                "--tag",
                tag,
                tar_path.to_str().unwrap(),
            ],
        );
    }

    /// Reads a blob of the layout.
    fn blob(&self, digest: &str) -> Vec<u8> {
        let hex = digest.strip_prefix("sha256:").unwrap();
        fs::read(self.path().join("blobs/sha256").join(hex)).unwrap()
    }

    fn write_blob(&self, data: &[u8]) -> String {
        let hex = hex::encode(Sha256::digest(data));
        fs::write(self.path().join("blobs/sha256").join(&hex), data).unwrap();
        format!("sha256:{hex}")
    }

    /// The manifest descriptor of a tag in index.json.
    fn descriptor(&self, tag: &str) -> serde_json::Value {
        let index: serde_json::Value =
            serde_json::from_slice(&fs::read(self.path().join("index.json")).unwrap()).unwrap();
        index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == tag)
            .unwrap()
            .clone()
    }

    /// Adds an OCI index tagged `tag` over (image tag, arch) pairs.
    fn index(&self, tag: &str, entries: &[(&str, &str)]) {
        let manifests: Vec<serde_json::Value> = entries
            .iter()
            .map(|(t, arch)| {
                let d = self.descriptor(t);
                serde_json::json!({
                    "mediaType": d["mediaType"], "digest": d["digest"], "size": d["size"],
                    "platform": {"architecture": arch, "os": "linux"}
                })
            })
            .collect();
        let index = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": manifests
        });
        let data = serde_json::to_vec(&index).unwrap();
        let digest = self.write_blob(&data);
        let path = self.path().join("index.json");
        let mut top: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        top["manifests"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({
                "mediaType": "application/vnd.oci.image.index.v1+json",
                "digest": digest, "size": data.len(),
                "annotations": {"org.opencontainers.image.ref.name": tag}
            }));
        fs::write(&path, serde_json::to_vec(&top).unwrap()).unwrap();
    }
}

fn host_arch() -> &'static str {
    crate::image_ref::platform::host_arch()
}

fn insecure() -> PullOptions {
    PullOptions {
        tls_verify: Some(false),
        ..Default::default()
    }
}

async fn do_pull(
    store: &Store,
    reference: &str,
    opts: &PullOptions,
) -> (Result<Image, PullError>, String) {
    let mut out = Vec::new();
    let res = pull(store, reference, opts, &mut out).await;
    (res, String::from_utf8(out).unwrap())
}

fn count(dir: &Path) -> usize {
    fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

/// Unmounts and removes a container's storage even if the test fails.
struct ContainerGuard<'a> {
    store: &'a Store,
    id: String,
}

impl Drop for ContainerGuard<'_> {
    fn drop(&mut self) {
        let _ = self.store.remove_container_storage(&self.id);
    }
}

#[tokio::test]
async fn single_layer_pull_lookup_and_reuse() {
    let reg = Registry::start();
    let layout = Layout::new();
    layout.base("base", "host", None);
    reg.push(&layout.path(), "base", "test/bb:base", false);
    let root = tempfile::tempdir().unwrap();
    let store = Store::open(root.path()).unwrap();
    let name = format!("{}/test/bb:base", reg.addr());

    let (res, out) = do_pull(&store, &name, &insecure()).await;
    let img = res.unwrap();
    assert!(out.contains(&format!("Trying to pull {name}...")), "{out}");
    assert!(out.contains("Getting image source signatures"), "{out}");
    assert!(out.contains("Copying blob sha256:"), "{out}");
    assert!(out.contains("Copying config sha256:"), "{out}");
    assert!(
        out.contains("Writing manifest to image destination"),
        "{out}"
    );
    assert_eq!(img.id.len(), 64);
    assert_eq!(img.names, vec![name.clone()]);
    assert_eq!(img.layers.len(), 1);
    assert!(img.size > 1_000_000, "size {}", img.size);

    // Raw bytes are kept exactly.
    let config = store.image_config(&img).unwrap();
    assert_eq!(hex::encode(Sha256::digest(&config)), img.id);
    let manifest = store.image_manifest(&img).unwrap();
    assert_eq!(
        format!("sha256:{}", hex::encode(Sha256::digest(&manifest))),
        img.digest
    );
    assert_eq!(
        manifest,
        layout.blob(layout.descriptor("base")["digest"].as_str().unwrap())
    );
    let diff = store.layer_diff_path(&img.layers[0]).unwrap();
    assert!(diff.join("bin/busybox").is_file());
    assert_eq!(
        fs::read_link(diff.join("bin/sh")).unwrap(),
        Path::new("busybox")
    );

    for q in [
        name.clone(),
        img.id.clone(),
        img.id[..12].to_string(),
        format!("sha256:{}", img.id),
        "bb:base".to_string(),
        "test/bb:base".to_string(),
        format!("{}/test/bb@{}", reg.addr(), img.digest),
    ] {
        let found = store.lookup_image(&q).unwrap();
        assert_eq!(
            found.as_ref().map(|i| i.id.as_str()),
            Some(img.id.as_str()),
            "lookup {q}"
        );
    }
    assert!(
        store.lookup_image("bb").unwrap().is_none(),
        "bb means bb:latest"
    );
    assert!(store.lookup_image("other:base").unwrap().is_none());

    // Pulling again reuses the layer.
    let layers_dir = root.path().join("storage/layers");
    let before = count(&layers_dir);
    let (res, out) = do_pull(&store, &name, &insecure()).await;
    assert_eq!(res.unwrap().id, img.id);
    assert!(out.contains("skipped: already exists"), "{out}");
    assert_eq!(count(&layers_dir), before);
    assert_eq!(store.images().unwrap().len(), 1);
    assert_eq!(count(&root.path().join("storage/tmp")), 0);
}

#[tokio::test]
async fn whiteouts_and_opaque_dirs_in_merged_rootfs() {
    let reg = Registry::start();
    let layout = Layout::new();
    layout.base("base", "host", None);
    layout.two_layers("base", "two");
    reg.push(&layout.path(), "two", "test/two:latest", false);
    let root = tempfile::tempdir().unwrap();
    let store = Store::open(root.path()).unwrap();
    let (res, _) = do_pull(&store, &format!("{}/test/two", reg.addr()), &insecure()).await;
    let img = res.unwrap();
    assert_eq!(img.layers.len(), 2);
    assert_eq!(store.graph_driver_name(), "overlay");

    let guard = ContainerGuard {
        store: &store,
        id: format!("ctr-{}", std::process::id()),
    };
    let merged = store.mount_rootfs(&guard.id, &img).unwrap();
    assert_eq!(
        store.mount_rootfs(&guard.id, &img).unwrap(),
        merged,
        "idempotent"
    );
    assert!(merged.join("bin/busybox").is_file());
    assert!(
        !merged.join("etc/marker").exists(),
        "whited-out file visible"
    );
    assert!(merged.join("etc").is_dir());
    assert!(
        !merged.join("data/old").exists(),
        "opaque dir shows lower content"
    );
    assert_eq!(
        fs::read_to_string(merged.join("data/new")).unwrap(),
        "new\n"
    );
    fs::write(merged.join("written"), "x").unwrap();
    let cdir = root.path().join("storage/containers").join(&guard.id);
    assert!(cdir.join("upper/written").is_file());

    store.unmount_rootfs(&guard.id).unwrap();
    assert!(!merged.join("bin/busybox").exists());
    store.unmount_rootfs(&guard.id).unwrap();
    // Mount again after unmount, then remove everything.
    let merged = store.mount_rootfs(&guard.id, &img).unwrap();
    assert!(merged.join("written").is_file());
    store.remove_container_storage(&guard.id).unwrap();
    assert!(!cdir.exists());
    // The image layers are intact.
    assert!(store
        .layer_diff_path(&img.layers[0])
        .unwrap()
        .join("bin/busybox")
        .is_file());
}

#[tokio::test]
async fn index_selects_host_platform() {
    let reg = Registry::start();
    let layout = Layout::new();
    let other = if host_arch() == "arm64" {
        "amd64"
    } else {
        "arm64"
    };
    layout.base("other", "other", Some(other));
    layout.base("host", "host", Some(host_arch()));
    layout.index("multi", &[("other", other), ("host", host_arch())]);
    reg.push(&layout.path(), "multi", "test/multi:latest", true);
    let root = tempfile::tempdir().unwrap();
    let store = Store::open(root.path()).unwrap();
    let name = format!("{}/test/multi:latest", reg.addr());
    let (res, _) = do_pull(&store, &name, &insecure()).await;
    let img = res.unwrap();
    let diff = store.layer_diff_path(img.layers.last().unwrap()).unwrap();
    assert_eq!(fs::read_to_string(diff.join("platform")).unwrap(), "host");
    assert_eq!(
        img.digest,
        layout.descriptor("host")["digest"].as_str().unwrap()
    );
    let index_digest = layout.descriptor("multi")["digest"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(img.digests.contains(&index_digest));
    let by_index = store
        .lookup_image(&format!("{}/test/multi@{index_digest}", reg.addr()))
        .unwrap();
    assert_eq!(by_index.map(|i| i.id), Some(img.id.clone()));

    // An explicit other platform picks the other image; a missing one lists what exists.
    let root2 = tempfile::tempdir().unwrap();
    let store2 = Store::open(root2.path()).unwrap();
    let mut opts = insecure();
    opts.arch = Some(other.to_string());
    let img2 = do_pull(&store2, &name, &opts).await.0.unwrap();
    let diff = store2.layer_diff_path(img2.layers.last().unwrap()).unwrap();
    assert_eq!(fs::read_to_string(diff.join("platform")).unwrap(), "other");
    opts.arch = Some("s390x".to_string());
    let err = do_pull(&store2, &name, &opts)
        .await
        .0
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("s390x") && err.contains(&format!("linux/{other}")),
        "{err}"
    );
}

#[tokio::test]
async fn unknown_tag_and_registry_down_store_nothing() {
    let reg = Registry::start();
    let layout = Layout::new();
    layout.base("base", "host", None);
    reg.push(&layout.path(), "base", "test/bb:base", false);
    let root = tempfile::tempdir().unwrap();
    let store = Store::open(root.path()).unwrap();

    let name = format!("{}/test/bb:nope", reg.addr());
    let err = do_pull(&store, &name, &insecure())
        .await
        .0
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!("initializing source docker://{name}: reading manifest nope in {}/test/bb: manifest unknown", reg.addr())
    );
    let err = do_pull(&store, &format!("{}/test/missing", reg.addr()), &insecure())
        .await
        .0
        .unwrap_err()
        .to_string();
    assert!(err.contains("manifest unknown"), "{err}");

    let dead = format!("127.0.0.1:{}", free_port());
    let err = do_pull(&store, &format!("{dead}/a/b"), &insecure())
        .await
        .0
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("connection refused") && err.contains(&dead),
        "{err}"
    );
    assert!(!err.contains('\n'), "{err}");

    let err = do_pull(&store, "Bad Ref", &insecure())
        .await
        .0
        .unwrap_err()
        .to_string();
    assert_eq!(err, "invalid reference format");

    assert!(store.images().unwrap().is_empty());
    assert_eq!(count(&root.path().join("storage/layers")), 0);
    assert_eq!(count(&root.path().join("storage/images")), 0);
}

#[tokio::test]
async fn corrupted_blob_is_refused() {
    let reg = Registry::start();
    let layout = Layout::new();
    layout.base("base", "host", None);
    reg.push(&layout.path(), "base", "test/bb:base", false);
    let manifest: serde_json::Value =
        serde_json::from_slice(&layout.blob(layout.descriptor("base")["digest"].as_str().unwrap()))
            .unwrap();
    let layer = manifest["layers"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let data = reg.blob_data(&layer);
    let len = fs::metadata(&data).unwrap().len() as usize;
    let mut f = fs::File::create(&data).unwrap();
    f.write_all(&vec![0x5a; len]).unwrap();
    drop(f);

    let root = tempfile::tempdir().unwrap();
    let store = Store::open(root.path()).unwrap();
    let err = do_pull(&store, &format!("{}/test/bb:base", reg.addr()), &insecure())
        .await
        .0
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, PullError::DigestMismatch { .. }), "{msg}");
    assert!(
        msg.contains("digest did not match") && msg.contains(&layer),
        "{msg}"
    );
    assert!(store.images().unwrap().is_empty());
    assert_eq!(count(&root.path().join("storage/layers")), 0);
    assert_eq!(count(&root.path().join("storage/tmp")), 0);
}

#[tokio::test]
async fn short_names_through_registries_conf() {
    let reg = Registry::start();
    let layout = Layout::new();
    layout.base("base", "host", None);
    reg.push(&layout.path(), "base", "test/bb:latest", false);
    let conf_dir = tempfile::tempdir().unwrap();
    let conf_path = conf_dir.path().join("registries.conf");
    let dead = format!("127.0.0.1:{}", free_port());
    fs::write(
        &conf_path,
        format!(
            "unqualified-search-registries = [\"{dead}\", \"{addr}\"]\n\
             [[registry]]\nlocation = \"{addr}\"\ninsecure = true\n\
             [[registry]]\nlocation = \"{dead}\"\ninsecure = true\n\
             [[registry]]\nlocation = \"blocked.example\"\nblocked = true\n\
             [aliases]\n\"aliased\" = \"{addr}/test/bb\"\n",
            addr = reg.addr()
        ),
    )
    .unwrap();
    let opts = PullOptions {
        registries_conf: RegistriesConf::load_from(&conf_path).unwrap(),
        ..Default::default()
    };
    let root = tempfile::tempdir().unwrap();
    let store = Store::open(root.path()).unwrap();

    let (res, out) = do_pull(&store, "test/bb", &opts).await;
    let img = res.unwrap();
    assert!(
        out.contains(&format!("Trying to pull {dead}/test/bb:latest...")),
        "{out}"
    );
    assert!(
        out.contains(&format!("Trying to pull {}/test/bb:latest...", reg.addr())),
        "{out}"
    );
    assert_eq!(img.names, vec![format!("{}/test/bb:latest", reg.addr())]);
    assert_eq!(
        store.lookup_image("test/bb").unwrap().map(|i| i.id),
        Some(img.id.clone())
    );
    assert_eq!(
        store.lookup_image("bb").unwrap().map(|i| i.id),
        Some(img.id.clone())
    );

    let (res, _) = do_pull(&store, "aliased", &opts).await;
    assert_eq!(res.unwrap().id, img.id);

    // Every candidate failing: all causes are reported.
    let err = do_pull(&store, "test/none", &opts)
        .await
        .0
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("2 errors occurred while pulling:"), "{err}");
    assert!(
        err.contains("connection refused") && err.contains("manifest unknown"),
        "{err}"
    );

    let err = do_pull(&store, "blocked.example/x", &opts)
        .await
        .0
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("registry blocked.example is blocked in"),
        "{err}"
    );

    // --tls-verify=true overrides insecure = true: HTTPS against an HTTP registry fails.
    let strict = PullOptions {
        tls_verify: Some(true),
        ..opts.clone()
    };
    assert!(do_pull(&store, &format!("{}/test/bb", reg.addr()), &strict)
        .await
        .0
        .is_err());

    let empty = PullOptions {
        registries_conf: RegistriesConf::load_from(&conf_dir.path().join("absent.conf")).unwrap(),
        ..Default::default()
    };
    let err = do_pull(&store, "busybox", &empty)
        .await
        .0
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "short-name \"busybox\" did not resolve to an alias and no unqualified-search registries are defined in \"{}\"",
            conf_dir.path().join("absent.conf").display()
        )
    );
}
