//! Moving images between rpod, registries and archives, with skopeo as the
//! independent judge: push keeps digests, archives rpod writes are read by
//! skopeo and archives skopeo writes load into rpod and run.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{busybox, world};
use rpod_tests::{fixtures, run_with_timeout, Registry, TestEnv};
use serde_json::Value;

fn skopeo(args: &[&str]) -> String {
    let mut cmd = Command::new("skopeo");
    cmd.args(args).stdin(Stdio::null());
    let out = run_with_timeout(&mut cmd, Duration::from_secs(120));
    assert!(
        out.status.success(),
        "skopeo {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn skopeo_json(args: &[&str]) -> Value {
    serde_json::from_str(&skopeo(args)).expect("skopeo JSON")
}

fn image_json(env: &TestEnv, name: &str) -> Value {
    let out = env.ok(&["image", "inspect", name]);
    serde_json::from_str::<Value>(&out).expect("inspect JSON")[0].clone()
}

fn count(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

#[test]
fn push_keeps_digests_and_skopeo_reads_them() {
    let (w, img) = busybox();
    let env = &w.env;
    let local = image_json(env, &img);
    let digest = local["Digest"].as_str().unwrap().to_string();
    let addr = w.registry.addr();
    // Same registry, other repository: the blob is mounted or found.
    let dest = format!("{addr}/copy/busybox:v1");
    env.ok(&["push", "-q", &img, &dest]);
    let remote = skopeo_json(&["inspect", "--tls-verify=false", &format!("docker://{dest}")]);
    assert_eq!(remote["Digest"].as_str(), Some(digest.as_str()));
    // Another registry: every blob uploaded.
    let other = Registry::start();
    let dest2 = format!("{}/pushed:latest", other.addr());
    let digestfile = env.dir().join("digest");
    env.ok(&[
        "push",
        "--tls-verify=false",
        "--digestfile",
        digestfile.to_str().unwrap(),
        &img,
        &format!("docker://{dest2}"),
    ]);
    assert_eq!(std::fs::read_to_string(&digestfile).unwrap(), digest);
    let copy = env.dir().join("copied");
    skopeo(&[
        "copy",
        "--src-tls-verify=false",
        &format!("docker://{dest2}"),
        &format!("oci:{}:x", copy.display()),
    ]);
    // Pushing again finds every blob present.
    let out = env.run(&["push", "--tls-verify=false", &img, &dest2]);
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("skipped: already exists"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Pulled back from there: the same image.
    env.ok(&["rmi", "-a"]);
    env.ok(&["pull", "-q", "--tls-verify=false", &dest2]);
    assert_eq!(image_json(env, &dest2)["Id"], local["Id"]);
}

#[test]
fn push_of_a_missing_image_fails_cleanly() {
    let w = world(&[]);
    let (code, err) = w
        .env
        .fails(&["push", "nothere", &format!("{}/x:y", w.registry.addr())]);
    assert_eq!(code, 125);
    assert_eq!(err.trim(), "Error: nothere: image not known");
}

#[test]
fn save_and_load_docker_and_oci_archives_judged_by_skopeo() {
    let w = world(&["busybox", "multilayer"]);
    let env = &w.env;
    for i in &w.images {
        env.ok(&["pull", "-q", i]);
    }
    let bb = image_json(env, &w.images[0]);
    let ml = image_json(env, &w.images[1]);
    let dir = env.dir();
    let da = dir.join("two.tar");
    env.ok(&[
        "save",
        "-o",
        da.to_str().unwrap(),
        &w.images[0],
        &w.images[1],
    ]);
    let oa = dir.join("bb-oci.tar");
    env.ok(&[
        "save",
        "--format",
        "oci-archive",
        "-o",
        oa.to_str().unwrap(),
        &w.images[0],
    ]);
    let od = dir.join("bb-oci-dir");
    env.ok(&[
        "save",
        "--format",
        "oci-dir",
        "-o",
        od.to_str().unwrap(),
        &w.images[0],
    ]);

    // skopeo reads them: layers are the diff ids of the config.
    let s = skopeo_json(&[
        "inspect",
        &format!("docker-archive:{}:{}", da.display(), w.images[1]),
    ]);
    assert_eq!(s["Layers"], ml["RootFS"]["Layers"]);
    let s = skopeo_json(&["inspect", &format!("oci-archive:{}", oa.display())]);
    assert_eq!(s["Digest"], bb["Digest"], "OCI manifest kept byte for byte");
    let s = skopeo_json(&["inspect", &format!("oci:{}", od.display())]);
    assert_eq!(s["Digest"], bb["Digest"]);
    skopeo(&[
        "copy",
        &format!("docker-archive:{}:{}", da.display(), w.images[0]),
        &format!("oci:{}:check", dir.join("judge").display()),
    ]);

    // Round trip through each format.
    for (archive, expect) in [(&da, 2), (&oa, 1), (&od, 1)] {
        env.ok(&["rmi", "-a", "-f"]);
        assert_eq!(count(&env.root().join("storage/layers")), 0);
        let out = env.ok(&["load", "-i", archive.to_str().unwrap()]);
        assert_eq!(
            out.lines()
                .filter(|l| l.starts_with("Loaded image: "))
                .count(),
            expect,
            "{out}"
        );
        assert_eq!(image_json(env, &w.images[0])["Id"], bb["Id"]);
        let run = env.ok(&["run", "--rm", &w.images[0], "echo", "ok"]);
        assert_eq!(run.trim(), "ok");
    }
    // The multilayer image keeps its whiteouts.
    env.ok(&["rmi", "-a", "-f"]);
    env.ok(&["load", "-i", da.to_str().unwrap()]);
    let ls = env.ok(&["run", "--rm", &w.images[1], "ls", "/data", "/opaque"]);
    assert!(ls.contains("keep.txt") && !ls.contains("gone.txt"), "{ls}");
    assert!(ls.contains("new") && !ls.contains("old1"), "{ls}");

    // load from stdin, gzip-compressed.
    env.ok(&["rmi", "-a", "-f"]);
    let gz = dir.join("bb.tar.gz");
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("gzip -c {} > {}", oa.display(), gz.display()))
        .status()
        .unwrap();
    assert!(status.success());
    let out = env
        .cmd(&["load"])
        .stdin(std::fs::File::open(&gz).unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(image_json(env, &w.images[0])["Id"], bb["Id"]);
}

#[test]
fn archives_written_by_skopeo_load_and_run() {
    let env = TestEnv::new();
    let layout = fixtures::layout("busybox");
    let src = format!("oci:{}:latest", layout.display());
    let dir = env.dir();
    let da = dir.join("da.tar");
    let oa = dir.join("oa.tar");
    let dd = dir.join("dirform");
    skopeo(&[
        "copy",
        &src,
        &format!("docker-archive:{}:skopeo/bb:v1", da.display()),
    ]);
    skopeo(&[
        "copy",
        &src,
        &format!("oci-archive:{}:example.com/bb:v2", oa.display()),
    ]);
    skopeo(&["copy", &src, &format!("dir:{}", dd.display())]);
    let out = env.ok(&["load", "-i", da.to_str().unwrap()]);
    assert_eq!(out.trim(), "Loaded image: docker.io/skopeo/bb:v1");
    assert_eq!(
        env.ok(&["run", "--rm", "skopeo/bb:v1", "echo", "da"])
            .trim(),
        "da"
    );
    let out = env.ok(&["load", "-i", oa.to_str().unwrap()]);
    assert_eq!(out.trim(), "Loaded image: example.com/bb:v2");
    assert_eq!(
        env.ok(&["run", "--rm", "example.com/bb:v2", "echo", "oa"])
            .trim(),
        "oa"
    );
    let out = env.ok(&["load", "-i", dd.to_str().unwrap()]);
    let id = out
        .trim()
        .strip_prefix("Loaded image: sha256:")
        .expect(&out)
        .to_string();
    assert_eq!(env.ok(&["run", "--rm", &id, "echo", "dir"]).trim(), "dir");
    let out = env.ok(&["load", "-i", layout.to_str().unwrap()]);
    assert!(out.starts_with("Loaded image: "), "{out}");
}

#[test]
fn push_to_archive_destinations() {
    let (w, img) = busybox();
    let env = &w.env;
    let digest = image_json(env, &img)["Digest"]
        .as_str()
        .unwrap()
        .to_string();
    let dir = env.dir();
    env.ok(&[
        "push",
        &img,
        &format!("oci:{}:mytag", dir.join("o").display()),
    ]);
    let s = skopeo_json(&["inspect", &format!("oci:{}:mytag", dir.join("o").display())]);
    assert_eq!(s["Digest"].as_str(), Some(digest.as_str()));
    env.ok(&["push", &img, &format!("dir:{}", dir.join("d").display())]);
    let s = skopeo_json(&["inspect", &format!("dir:{}", dir.join("d").display())]);
    assert_eq!(s["Digest"].as_str(), Some(digest.as_str()));
    let da = dir.join("p.tar");
    env.ok(&[
        "push",
        &img,
        &format!("docker-archive:{}:saved/it:v3", da.display()),
    ]);
    skopeo_json(&[
        "inspect",
        &format!("docker-archive:{}:saved/it:v3", da.display()),
    ]);
    let oa = dir.join("p-oci.tar");
    env.ok(&["push", &img, &format!("oci-archive:{}:v4", oa.display())]);
    skopeo_json(&["inspect", &format!("oci-archive:{}:v4", oa.display())]);
}

#[test]
fn bad_archives_fail_with_one_line_and_leave_the_store_unchanged() {
    let (w, img) = busybox();
    let env = &w.env;
    let dir = env.dir();
    let before = env.ok(&["images", "-q", "--no-trunc"]);
    let layers = count(&env.root().join("storage/layers"));
    let one_line = |err: &str| {
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.starts_with("Error: "), "{err}");
    };
    let check_unchanged = || {
        assert_eq!(env.ok(&["images", "-q", "--no-trunc"]), before);
        assert_eq!(count(&env.root().join("storage/layers")), layers);
        assert_eq!(count(&env.root().join("storage/tmp")), 0);
    };

    // Not an archive at all.
    let junk = dir.join("junk.tar");
    std::fs::write(&junk, vec![0x42u8; 4096]).unwrap();
    let (code, err) = env.fails(&["load", "-i", junk.to_str().unwrap()]);
    assert_eq!(code, 125);
    // As Podman: one line, then why for each format.
    let mut lines = err.trim().lines();
    assert_eq!(
        lines.next(),
        Some("Error: payload does not match any of the supported image formats:"),
        "{err}"
    );
    assert_eq!(lines.filter(|l| l.starts_with(" * ")).count(), 4, "{err}");

    // A truncated docker-archive of another image (its layer is new).
    let layout = fixtures::layout("multilayer");
    let full = dir.join("ml.tar");
    skopeo(&[
        "copy",
        &format!("oci:{}:latest", layout.display()),
        &format!("docker-archive:{}:ml:latest", full.display()),
    ]);
    let data = std::fs::read(&full).unwrap();
    let cut = dir.join("cut.tar");
    std::fs::write(&cut, &data[..data.len() * 2 / 3]).unwrap();
    let (code, err) = env.fails(&["load", "-i", cut.to_str().unwrap()]);
    assert_eq!(code, 125);
    one_line(&err);
    check_unchanged();

    // An OCI layout whose layer blob does not match its digest.
    let bad = dir.join("bad-oci");
    skopeo(&[
        "copy",
        &format!("oci:{}:latest", layout.display()),
        &format!("oci:{}:latest", bad.display()),
    ]);
    let index: Value =
        serde_json::from_slice(&std::fs::read(bad.join("index.json")).unwrap()).unwrap();
    let mdigest = index["manifests"][0]["digest"].as_str().unwrap();
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(bad.join("blobs/sha256").join(&mdigest[7..])).unwrap(),
    )
    .unwrap();
    let ldigest = manifest["layers"][1]["digest"].as_str().unwrap();
    let blob = bad.join("blobs/sha256").join(&ldigest[7..]);
    let mut content = std::fs::read(&blob).unwrap();
    let mid = content.len() / 2;
    content[mid] ^= 0xff;
    std::fs::write(&blob, content).unwrap();
    let (code, err) = env.fails(&["load", "-i", bad.to_str().unwrap()]);
    assert_eq!(code, 125);
    one_line(&err);
    assert!(err.contains("digest did not match"), "{err}");
    check_unchanged();

    // Unknown save format, missing image.
    let (code, err) = env.fails(&["save", "--format", "zip", "-o", "/dev/null", &img]);
    assert_eq!(code, 125, "{err}");
    let (code, err) = env.fails(&["save", "-o", dir.join("x.tar").to_str().unwrap(), "nothere"]);
    assert_eq!(code, 125);
    one_line(&err);
    assert!(!dir.join("x.tar").exists());
}
