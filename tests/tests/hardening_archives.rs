//! Hostile images, generated here (never downloaded), through every way an
//! image gets in: `import` (the layer as a root filesystem tarball), `load`
//! (docker-archive and oci-archive) and `pull` (from the test registry,
//! pushed with a small HTTP client so that anything the registry accepts
//! can be served). Each case asserts the error (or, for what
//! containers/storage accepts, that the content stayed inside the layer),
//! an unchanged store (`images`, no new layer, blob, image or temp entry),
//! untouched canaries outside the store, and at the end a good image that
//! still runs.

mod common;

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::{Output, Stdio};
use std::time::Duration;

use common::world;
use rpod_tests::{run_with_timeout, Registry, TestEnv};
use sha2::{Digest, Sha256};
use tar::{EntryType, Header};

/// The layer size limit the environment's rpod.conf sets for the bomb.
const LAYER_LIMIT: u64 = 64 << 20;

fn sha(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// Tar streams entry by entry with raw headers (names the `tar` builder
/// refuses) or GNU long names.
struct Tar {
    b: tar::Builder<Vec<u8>>,
}

impl Tar {
    fn new() -> Self {
        Tar {
            b: tar::Builder::new(Vec::new()),
        }
    }

    fn header(kind: EntryType, size: u64, mode: u32) -> Header {
        let mut h = Header::new_gnu();
        h.set_entry_type(kind);
        h.set_size(size);
        h.set_mode(mode);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1_000_000);
        h
    }

    /// An entry whose name and link name are written into the header as
    /// they are (at most 100 bytes each).
    fn raw(&mut self, kind: EntryType, name: &str, link: Option<&str>, data: &[u8]) -> &mut Self {
        let mut h = Self::header(kind, data.len() as u64, 0o644);
        let old = h.as_old_mut();
        old.name[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(l) = link {
            old.linkname[..l.len()].copy_from_slice(l.as_bytes());
        }
        h.set_cksum();
        self.b.append(&h, data).unwrap();
        self
    }

    fn file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        self.raw(EntryType::Regular, name, None, data)
    }

    /// A file with a name of any length.
    fn long_file(&mut self, name: &str, data: &[u8]) -> &mut Self {
        let mut h = Self::header(EntryType::Regular, data.len() as u64, 0o644);
        self.b.append_data(&mut h, name, data).unwrap();
        self
    }

    /// A symlink with a name and target of any length.
    fn long_symlink(&mut self, name: &str, target: &str) -> &mut Self {
        let mut h = Self::header(EntryType::Symlink, 0, 0o777);
        self.b.append_link(&mut h, name, target).unwrap();
        self
    }

    fn finish(self) -> Vec<u8> {
        self.b.into_inner().unwrap()
    }
}

/// What a case must do.
#[derive(Clone)]
enum Expect {
    /// Refused; stderr contains this.
    Refused(&'static str),
    /// Accepted, with this file (path inside the image) present in the layer.
    Accepted(String),
}

/// One hostile layer.
struct LayerCase {
    name: &'static str,
    /// The layer blob as stored (plain tar or gzip).
    blob: Vec<u8>,
    /// Its diff id (may be wrong on purpose when the case is refused before
    /// the check).
    diff_id: String,
    expect: Expect,
}

fn layer_case(name: &'static str, tar: Vec<u8>, expect: Expect) -> LayerCase {
    LayerCase {
        name,
        diff_id: sha(&tar),
        blob: tar,
        expect,
    }
}

/// The canaries outside the store that escapes would reach.
struct Canaries {
    dir: PathBuf,
}

impl Canaries {
    fn new(env: &TestEnv) -> Canaries {
        let dir = env.dir().join("canary");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("file"), b"canary\n").unwrap();
        Canaries { dir }
    }

    fn file(&self) -> PathBuf {
        self.dir.join("file")
    }

    /// Names, sizes, link counts and contents of everything in the canary dir.
    fn state(&self) -> BTreeMap<String, (u64, u64, Vec<u8>)> {
        std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                let m = std::fs::symlink_metadata(&p).unwrap();
                let data = if m.is_file() {
                    std::fs::read(&p).unwrap()
                } else {
                    Vec::new()
                };
                (p.display().to_string(), (m.len(), m.nlink(), data))
            })
            .collect()
    }
}

fn hostile_layers(canaries: &Canaries) -> Vec<LayerCase> {
    let canary_dir = canaries.dir.to_str().unwrap().to_string();
    let canary_rel = canary_dir.trim_start_matches('/').to_string();
    let canary_file = canaries.file().to_str().unwrap().to_string();
    let mut cases = Vec::new();

    let mut t = Tar::new();
    t.file("../escape", b"x");
    cases.push(layer_case(
        "traversal",
        t.finish(),
        Expect::Refused("invalid path in layer: ../escape"),
    ));

    let mut t = Tar::new();
    t.file("ok", b"x").file("a/../../escape", b"x");
    cases.push(layer_case(
        "traversal-deep",
        t.finish(),
        Expect::Refused("invalid path in layer: a/../../escape"),
    ));

    let mut t = Tar::new();
    t.file(&format!("{canary_dir}/abs-name"), b"x");
    cases.push(layer_case(
        "absolute-name",
        t.finish(),
        Expect::Accepted(format!("{canary_dir}/abs-name")),
    ));

    // An absolute symlink resolves inside the layer: to a directory the
    // layer has, or to nothing (as containers/storage: no such file).
    let mut t = Tar::new();
    t.raw(EntryType::Symlink, "s", Some(&canary_dir), b"")
        .file("s/pwned-abs", b"x");
    cases.push(layer_case(
        "symlink-absolute-missing",
        t.finish(),
        Expect::Refused("No such file or directory"),
    ));
    let mut t = Tar::new();
    t.file(&format!("{canary_dir}/mine"), b"x")
        .raw(EntryType::Symlink, "s", Some(&canary_dir), b"")
        .file("s/pwned-abs", b"x");
    cases.push(layer_case(
        "symlink-absolute",
        t.finish(),
        Expect::Accepted(format!("{canary_dir}/pwned-abs")),
    ));

    let mut t = Tar::new();
    t.raw(
        EntryType::Symlink,
        "up",
        Some("../../../../../../../.."),
        b"",
    )
    .file(&format!("up/{canary_rel}/pwned-rel"), b"x");
    cases.push(layer_case(
        "symlink-relative",
        t.finish(),
        Expect::Accepted(format!("{canary_dir}/pwned-rel")),
    ));

    let mut t = Tar::new();
    t.raw(EntryType::Directory, "d/", None, b"")
        .raw(EntryType::Symlink, "d/hop", Some("../../.."), b"")
        .raw(EntryType::Symlink, "via", Some("d/hop"), b"")
        .file(&format!("via/{canary_rel}/pwned-hop"), b"x");
    cases.push(layer_case(
        "symlink-through-symlinked-dir",
        t.finish(),
        Expect::Accepted(format!("{canary_dir}/pwned-hop")),
    ));

    // A file entry over a symlink replaces the symlink, never writes through it.
    let mut t = Tar::new();
    t.raw(EntryType::Symlink, "to-canary", Some(&canary_file), b"")
        .file("to-canary", b"overwritten?\n");
    cases.push(layer_case(
        "file-over-symlink",
        t.finish(),
        Expect::Accepted("/to-canary".into()),
    ));

    // A hardlink to a symlink links the symlink itself.
    let mut t = Tar::new();
    t.raw(EntryType::Symlink, "sl", Some(&canary_file), b"")
        .raw(EntryType::Link, "hl", Some("sl"), b"");
    cases.push(layer_case(
        "hardlink-to-symlink",
        t.finish(),
        Expect::Accepted("/hl".into()),
    ));

    let mut t = Tar::new();
    t.raw(EntryType::Link, "h", Some(&canary_file), b"");
    cases.push(layer_case(
        "hardlink-absolute",
        t.finish(),
        Expect::Refused("not in this layer"),
    ));

    let mut t = Tar::new();
    t.raw(EntryType::Link, "h", Some("../../../../canary/file"), b"");
    cases.push(layer_case(
        "hardlink-relative",
        t.finish(),
        Expect::Refused("outside the layer"),
    ));

    let mut t = Tar::new();
    t.raw(EntryType::Symlink, "root", Some("/../../../../.."), b"")
        .raw(
            EntryType::Link,
            "h",
            Some(&format!("root/{canary_rel}/file")),
            b"",
        );
    cases.push(layer_case(
        "hardlink-through-symlink",
        t.finish(),
        Expect::Refused("not in this layer"),
    ));

    let mut t = Tar::new();
    let mut h = Tar::header(EntryType::Char, 0, 0o666);
    h.set_device_major(1).unwrap();
    h.set_device_minor(3).unwrap();
    t.b.append_data(&mut h, "dev/null", &[][..]).unwrap();
    let mut h = Tar::header(EntryType::Regular, 2, 0o4755);
    t.b.append_data(&mut h, "bin/setuid", &b"#!"[..]).unwrap();
    cases.push(layer_case(
        "devices-and-setuid",
        t.finish(),
        Expect::Accepted("/bin/setuid".into()),
    ));

    let mut t = Tar::new();
    t.file(".wh..", b"");
    cases.push(layer_case(
        "whiteout-dotdot",
        t.finish(),
        Expect::Refused("invalid whiteout name"),
    ));

    let mut t = Tar::new();
    t.file("../.wh.x", b"");
    cases.push(layer_case(
        "whiteout-outside",
        t.finish(),
        Expect::Refused("invalid path in layer: ../.wh.x"),
    ));

    let mut t = Tar::new();
    t.raw(EntryType::Directory, "p/", None, b"")
        .file("p/inner", b"1")
        .file("p", b"now a file");
    cases.push(layer_case(
        "same-name-file-dir",
        t.finish(),
        Expect::Accepted("/p".into()),
    ));

    let mut t = Tar::new();
    t.long_file(&format!("{}/f", "n".repeat(300)), b"x");
    cases.push(layer_case(
        "long-name",
        t.finish(),
        Expect::Refused("too long"),
    ));

    let mut t = Tar::new();
    t.long_file(&format!("{}f", "a/".repeat(1100)), b"x");
    cases.push(layer_case(
        "deep-tree",
        t.finish(),
        Expect::Refused(
            "path depth exceeds the limit of 1024 (storage.max_path_depth in rpod.conf)",
        ),
    ));

    // Short names, deep tree: each symlink hop adds 60 levels.
    let mut t = Tar::new();
    let chain = "a/".repeat(60);
    t.long_file(&format!("h0/{chain}f"), b"x");
    let mut prev = format!("/h0/{}", chain.trim_end_matches('/'));
    for hop in 1..=20 {
        t.long_symlink(&format!("l{hop}"), &prev);
        t.long_file(&format!("l{hop}/{chain}f"), b"x");
        prev = format!("/l{hop}/{}", chain.trim_end_matches('/'));
    }
    cases.push(layer_case(
        "deep-tree-symlink-hops",
        t.finish(),
        Expect::Refused("path depth exceeds the limit of 1024"),
    ));

    cases.push(gzip_bomb());
    cases
}

/// A gzip of about 5 MB holding one 5 GiB file of zeros: a tar header,
/// then gzip members of zeros (decoders read concatenated members as one
/// stream). Its diff id is not computed (it would take minutes): the
/// limit must refuse it before any diff id check.
fn gzip_bomb() -> LayerCase {
    const SIZE: u64 = 5 << 30;
    let mut header = Tar::header(EntryType::Regular, SIZE, 0o644);
    header.set_path("zeros").unwrap();
    header.set_cksum();
    let mut blob = gzip(header.as_bytes());
    let member = gzip(&vec![0u8; 1 << 20]);
    // 5 GiB of data plus the end-of-archive blocks, all zeros.
    for _ in 0..(SIZE >> 20) + 1 {
        blob.extend_from_slice(&member);
    }
    assert!(blob.len() < 8 << 20, "bomb is {} bytes", blob.len());
    LayerCase {
        name: "gzip-bomb",
        blob,
        diff_id: sha(b"not computed"),
        expect: Expect::Refused(
            "unpacked size exceeds the limit of 67108864 bytes (storage.max_layer_size in rpod.conf)",
        ),
    }
}

/// Edits the blobs written into an OCI archive: given a blob's digest and
/// content, what to store under that digest's name (`None`: leave it out).
type BlobEdit<'a> = dyn Fn(&str, Vec<u8>) -> Option<Vec<u8>> + 'a;

/// An image as blobs.
struct Image {
    config: Vec<u8>,
    layers: Vec<Vec<u8>>,
}

impl Image {
    fn config_for(diff_ids: &[String]) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "architecture": go_arch(),
            "os": "linux",
            "config": {"Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        }))
        .unwrap()
    }

    /// A good first layer, then the case's layer: a failure after a layer
    /// was stored must remove that layer again.
    fn with_base(case: &LayerCase) -> Image {
        let (base, base_diff) = base_layer();
        Image {
            config: Self::config_for(&[base_diff, case.diff_id.clone()]),
            layers: vec![base, case.blob.clone()],
        }
    }

    fn manifest(&self) -> Vec<u8> {
        let layers: Vec<_> = self
            .layers
            .iter()
            .map(|l| {
                let media = if l.starts_with(&[0x1f, 0x8b]) {
                    "application/vnd.oci.image.layer.v1.tar+gzip"
                } else {
                    "application/vnd.oci.image.layer.v1.tar"
                };
                serde_json::json!({"mediaType": media, "digest": sha(l), "size": l.len()})
            })
            .collect();
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": sha(&self.config),
                "size": self.config.len(),
            },
            "layers": layers,
        }))
        .unwrap()
    }

    /// `docker save` layout: manifest.json, config, layer files.
    fn docker_archive(&self, tag: &str) -> Vec<u8> {
        let mut t = Tar::new();
        let names: Vec<String> = (0..self.layers.len())
            .map(|i| format!("layer{i}.tar"))
            .collect();
        let manifest = serde_json::to_vec(&serde_json::json!([{
            "Config": "config.json",
            "RepoTags": [tag],
            "Layers": names,
        }]))
        .unwrap();
        t.long_file("manifest.json", &manifest);
        t.long_file("config.json", &self.config);
        for (n, l) in names.iter().zip(&self.layers) {
            t.long_file(n, l);
        }
        t.finish()
    }

    /// An OCI layout in a tar; `skip_blob` leaves a blob out, `replace`
    /// stores other content under a blob's name.
    fn oci_archive(&self, tag: &str, edit: &BlobEdit<'_>) -> Vec<u8> {
        let manifest = self.manifest();
        let index = serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": sha(&manifest),
                "size": manifest.len(),
                "annotations": {"org.opencontainers.image.ref.name": tag},
            }],
        }))
        .unwrap();
        let mut t = Tar::new();
        t.long_file("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
        t.long_file("index.json", &index);
        let mut blobs = vec![manifest, self.config.clone()];
        blobs.extend(self.layers.iter().cloned());
        for b in blobs {
            let digest = sha(&b);
            if let Some(data) = edit(&digest, b) {
                t.long_file(&format!("blobs/sha256/{}", &digest[7..]), &data);
            }
        }
        t.finish()
    }
}

fn base_layer() -> (Vec<u8>, String) {
    let mut t = Tar::new();
    t.file("etc/base-layer", b"good\n");
    let tar = t.finish();
    let diff = sha(&tar);
    (gzip(&tar), diff)
}

/// A tiny HTTP/1.1 client for the registry API (uploads of any blob).
fn http(addr: &str, method: &str, path: &str, ctype: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {ctype}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut resp = Vec::new();
    s.read_to_end(&mut resp).unwrap();
    let text = String::from_utf8_lossy(&resp).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, text)
}

fn push_blob(addr: &str, repo: &str, blob: &[u8]) {
    let (status, resp) = http(
        addr,
        "POST",
        &format!("/v2/{repo}/blobs/uploads/"),
        "application/octet-stream",
        b"",
    );
    assert_eq!(status, 202, "{resp}");
    let location = resp
        .lines()
        .find_map(|l| {
            l.strip_prefix("Location: ")
                .or_else(|| l.strip_prefix("location: "))
        })
        .unwrap()
        .trim()
        .to_string();
    let path = match location.find("/v2/") {
        Some(i) => location[i..].to_string(),
        None => location,
    };
    let sep = if path.contains('?') { '&' } else { '?' };
    let (status, resp) = http(
        addr,
        "PUT",
        &format!("{path}{sep}digest={}", sha(blob)),
        "application/octet-stream",
        blob,
    );
    assert_eq!(status, 201, "{resp}");
}

/// Pushes `img` as `<addr>/<repo>:latest` and returns the reference.
fn push_image(registry: &Registry, repo: &str, img: &Image) -> String {
    let addr = registry.addr();
    push_blob(&addr, repo, &img.config);
    for l in &img.layers {
        push_blob(&addr, repo, l);
    }
    let (status, resp) = http(
        &addr,
        "PUT",
        &format!("/v2/{repo}/manifests/latest"),
        "application/vnd.oci.image.manifest.v1+json",
        &img.manifest(),
    );
    assert_eq!(status, 201, "{resp}");
    format!("{addr}/{repo}:latest")
}

/// Runs rpod in `env` with the test's rpod.conf.
fn rpod(env: &TestEnv, args: &[&str]) -> Output {
    let mut cmd = env.cmd(args);
    cmd.env("RPOD_CONFIG", env.dir().join("rpod.conf"))
        .stdin(Stdio::null());
    run_with_timeout(&mut cmd, Duration::from_secs(180))
}

/// What the store holds: image list, names, layers, blobs, images, links,
/// temp entries.
fn store_state(env: &TestEnv) -> BTreeMap<String, Vec<String>> {
    let storage = env.root().join("storage");
    let mut out = BTreeMap::new();
    for sub in ["layers", "images", "blobs/sha256", "l", "tmp", "containers"] {
        let mut names: Vec<String> = std::fs::read_dir(storage.join(sub))
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        out.insert(sub.to_string(), names);
    }
    let top: Vec<String> = std::fs::read_dir(&storage)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    out.insert("storage/".into(), {
        let mut t = top;
        t.sort();
        t
    });
    out.insert(
        "names.json".into(),
        vec![std::fs::read_to_string(storage.join("names.json")).unwrap_or_default()],
    );
    let images = rpod(
        env,
        &[
            "images",
            "-a",
            "--no-trunc",
            "--format",
            "{{.ID}} {{.Repository}}",
        ],
    );
    assert!(images.status.success());
    out.insert(
        "images".into(),
        vec![String::from_utf8_lossy(&images.stdout).into_owned()],
    );
    out
}

fn image_ids(env: &TestEnv) -> Vec<String> {
    let out = rpod(env, &["images", "-q", "--no-trunc"]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

struct Harness<'a> {
    env: &'a TestEnv,
    canaries: &'a Canaries,
    failures: Vec<String>,
}

impl Harness<'_> {
    /// Runs `args` for case `what` and checks the outcome, the store and
    /// the canaries.
    fn check(&mut self, what: &str, args: &[&str], expect: &Expect) {
        let before = store_state(self.env);
        let canaries = self.canaries.state();
        let ids_before = image_ids(self.env);
        let out = rpod(self.env, args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        eprintln!("{what}: {} {}", out.status, stderr.trim());
        match expect {
            Expect::Refused(msg) => {
                if out.status.code() != Some(125)
                    || !stderr.starts_with("Error: ")
                    || !stderr.contains(msg)
                {
                    self.failures.push(format!(
                        "{what}: expected exit 125 and {msg:?}, got {} and {stderr:?}",
                        out.status
                    ));
                }
            }
            Expect::Accepted(path) => {
                if !out.status.success() {
                    self.failures
                        .push(format!("{what}: expected success, got {stderr:?}"));
                } else {
                    let new: Vec<String> = image_ids(self.env)
                        .into_iter()
                        .filter(|i| !ids_before.contains(i))
                        .collect();
                    self.check_inside(what, &new, path);
                    for id in &new {
                        let rm = rpod(self.env, &["rmi", "-f", id]);
                        assert!(rm.status.success(), "{what}: rmi {id}: {rm:?}");
                    }
                }
            }
        }
        let after = store_state(self.env);
        if before != after {
            self.failures.push(format!(
                "{what}: store changed\nbefore {before:?}\nafter  {after:?}"
            ));
        }
        if canaries != self.canaries.state() {
            self.failures.push(format!("{what}: a canary changed"));
        }
    }

    /// The accepted image's top layer has `path` inside it.
    fn check_inside(&mut self, what: &str, new: &[String], path: &str) {
        let [id] = new else {
            self.failures
                .push(format!("{what}: expected one new image, got {new:?}"));
            return;
        };
        let layers = self.env.root().join("storage/layers");
        let found = std::fs::read_dir(&layers).unwrap().any(|l| {
            let diff = l.unwrap().path().join("diff");
            std::fs::symlink_metadata(diff.join(path.trim_start_matches('/'))).is_ok()
        });
        if !found {
            self.failures
                .push(format!("{what}: image {id} has no {path} in its layers"));
        }
    }
}

#[test]
fn hostile_archives_through_import_load_and_pull() {
    let mut w = world(&["busybox"]);
    w.env.add_rpod_conf(
        // A depth limit below the default (4096) so that the deep cases
        // stay short enough for the kernel's name and symlink limits.
        &format!("[storage]\nmax_layer_size = {LAYER_LIMIT}\nmax_path_depth = 1024\n"),
    );
    let env = &w.env;
    let good = &w.images[0];
    let pulled = rpod(env, &["pull", "-q", good]);
    assert!(pulled.status.success(), "{pulled:?}");
    let canaries = Canaries::new(env);
    let cases = hostile_layers(&canaries);
    let mut h = Harness {
        env,
        canaries: &canaries,
        failures: Vec::new(),
    };
    let work = env.dir().join("work");
    std::fs::create_dir(&work).unwrap();

    for case in &cases {
        let img = Image::with_base(case);
        let tag = format!("localhost/hostile:{}", case.name);

        let tarball = work.join(format!("{}.tar", case.name));
        std::fs::write(&tarball, &case.blob).unwrap();
        h.check(
            &format!("{} via import", case.name),
            &["import", "-q", tarball.to_str().unwrap(), &tag],
            &case.expect,
        );

        let docker = work.join(format!("{}.docker.tar", case.name));
        std::fs::write(&docker, img.docker_archive(&tag)).unwrap();
        h.check(
            &format!("{} via load (docker-archive)", case.name),
            &["load", "-q", "-i", docker.to_str().unwrap()],
            &case.expect,
        );

        let oci = work.join(format!("{}.oci.tar", case.name));
        std::fs::write(&oci, img.oci_archive(case.name, &|_, b| Some(b))).unwrap();
        h.check(
            &format!("{} via load (oci-archive)", case.name),
            &["load", "-q", "-i", oci.to_str().unwrap()],
            &case.expect,
        );

        let reference = push_image(&w.registry, &format!("hostile/{}", case.name), &img);
        h.check(
            &format!("{} via pull", case.name),
            &["pull", "-q", &reference],
            &case.expect,
        );
        for f in [tarball, docker, oci] {
            std::fs::remove_file(f).unwrap();
        }
    }

    assert!(
        h.failures.is_empty(),
        "{} failures:\n{}",
        h.failures.len(),
        h.failures.join("\n")
    );
    // The good image still runs.
    let out = rpod(env, &["run", "--rm", good, "echo", "still-alive"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "still-alive",
        "{out:?}"
    );
}

/// Broken blobs and configs: truncated, mismatched and missing blobs, a
/// config that is not JSON, a wrong diff id, through load and pull.
#[test]
fn broken_blobs_and_configs_through_load_and_pull() {
    let w = world(&["busybox"]);
    let env = &w.env;
    let good = &w.images[0];
    assert!(rpod(env, &["pull", "-q", good]).status.success());
    let canaries = Canaries::new(env);
    let mut h = Harness {
        env,
        canaries: &canaries,
        failures: Vec::new(),
    };
    let work = env.dir().join("work");
    std::fs::create_dir(&work).unwrap();
    let (base, base_diff) = base_layer();
    let mut t = Tar::new();
    t.file("top", b"top layer\n");
    let top_tar = t.finish();
    let top = gzip(&top_tar);
    let good_img = Image {
        config: Image::config_for(&[base_diff.clone(), sha(&top_tar)]),
        layers: vec![base.clone(), top.clone()],
    };
    let top_digest = sha(&top);
    let refused = |m: &'static str| Expect::Refused(m);

    // Non-JSON config.
    let bad_config = Image {
        config: b"this is not JSON".to_vec(),
        layers: vec![base.clone(), top.clone()],
    };
    // Wrong diff id for a good layer.
    let wrong_diff = Image {
        config: Image::config_for(&[base_diff.clone(), sha(b"other")]),
        layers: vec![base.clone(), top.clone()],
    };
    for (name, img, expect) in [
        ("non-json-config", &bad_config, refused("config")),
        (
            "wrong-diff-id",
            &wrong_diff,
            refused("diff ID did not match"),
        ),
    ] {
        let tag = format!("localhost/broken:{name}");
        let docker = work.join("d.tar");
        std::fs::write(&docker, img.docker_archive(&tag)).unwrap();
        h.check(
            &format!("{name} via load (docker-archive)"),
            &["load", "-q", "-i", docker.to_str().unwrap()],
            &expect,
        );
        let oci = work.join("o.tar");
        std::fs::write(&oci, img.oci_archive(name, &|_, b| Some(b))).unwrap();
        h.check(
            &format!("{name} via load (oci-archive)"),
            &["load", "-q", "-i", oci.to_str().unwrap()],
            &expect,
        );
        let reference = push_image(&w.registry, &format!("broken/{name}"), img);
        h.check(
            &format!("{name} via pull"),
            &["pull", "-q", &reference],
            &expect,
        );
    }

    // Archives: a missing, a truncated and a mismatched layer blob.
    let oci_cases: [(&str, Box<BlobEdit<'_>>, Expect); 3] = [
        (
            "missing-blob",
            Box::new(|d: &str, b| (d != top_digest).then_some(b)),
            refused("not found"),
        ),
        (
            "truncated-blob",
            Box::new(|d: &str, b: Vec<u8>| {
                Some(if d == top_digest {
                    b[..b.len() / 2].to_vec()
                } else {
                    b
                })
            }),
            refused("digest did not match"),
        ),
        (
            "mismatched-blob",
            Box::new(|d: &str, b: Vec<u8>| {
                Some(if d == top_digest {
                    gzip(b"other content")
                } else {
                    b
                })
            }),
            refused("digest did not match"),
        ),
    ];
    for (name, edit, expect) in &oci_cases {
        let oci = work.join("o.tar");
        std::fs::write(&oci, good_img.oci_archive(name, edit.as_ref())).unwrap();
        h.check(
            &format!("{name} via load (oci-archive)"),
            &["load", "-q", "-i", oci.to_str().unwrap()],
            expect,
        );
    }
    // docker-archive: a layer file the manifest names is missing; one is truncated.
    let mut t = Tar::new();
    let manifest = serde_json::to_vec(&serde_json::json!([{
        "Config": "config.json",
        "RepoTags": ["localhost/broken:docker-missing"],
        "Layers": ["layer0.tar", "missing.tar"],
    }]))
    .unwrap();
    t.long_file("manifest.json", &manifest)
        .long_file("config.json", &good_img.config)
        .long_file("layer0.tar", &base);
    let docker = work.join("d.tar");
    std::fs::write(&docker, t.finish()).unwrap();
    h.check(
        "missing layer via load (docker-archive)",
        &["load", "-q", "-i", docker.to_str().unwrap()],
        &refused("not found"),
    );
    let truncated = Image {
        config: good_img.config.clone(),
        layers: vec![base.clone(), top[..top.len() / 2].to_vec()],
    };
    std::fs::write(&docker, truncated.docker_archive("localhost/broken:trunc")).unwrap();
    h.check(
        "truncated layer via load (docker-archive)",
        &["load", "-q", "-i", docker.to_str().unwrap()],
        &refused("layer"),
    );

    // Registry: the stored blob truncated, replaced, deleted after the push.
    for (name, damage) in [
        ("truncated", Some(top[..top.len() / 2].to_vec())),
        ("mismatched", Some(gzip(b"other content"))),
        ("missing", None),
    ] {
        let reference = push_image(&w.registry, &format!("damaged/{name}"), &good_img);
        let path = w.registry.blob_path(&top_digest);
        match damage {
            Some(data) => std::fs::write(&path, data).unwrap(),
            None => std::fs::remove_file(&path).unwrap(),
        }
        // Three failed pulls leave nothing behind.
        for attempt in 1..=3 {
            h.check(
                &format!("{name} blob via pull (attempt {attempt})"),
                &["pull", "-q", &reference],
                &Expect::Refused("blob"),
            );
        }
        // The next push of the same image repairs the registry's copy.
        match std::fs::write(&path, &top) {
            Ok(()) => {}
            Err(_) => {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &top).unwrap();
            }
        }
    }

    assert!(
        h.failures.is_empty(),
        "{} failures:\n{}",
        h.failures.len(),
        h.failures.join("\n")
    );
    let out = rpod(env, &["run", "--rm", good, "echo", "still-alive"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "still-alive",
        "{out:?}"
    );
}
