//! `image mount`/`image umount` with mount counts, `mount` surviving the
//! container's own cleanup, `diff -l` without the engine's own files,
//! `history --format json` and container labels in events.

mod common;

use std::path::Path;
use std::time::Duration;

use common::busybox;
use rpod_tests::unique_name;
use serde_json::Value;

#[test]
fn image_mount_is_read_only_counted_and_listed() {
    let (w, img) = busybox();
    let env = &w.env;
    let id = env.ok(&["image", "inspect", "--format", "{{.ID}}", &img]);
    let id = id.trim();
    assert_eq!(env.ok(&["image", "mount"]), "");
    let path = env.ok(&["image", "mount", &img]).trim().to_string();
    assert!(Path::new(&path).join("bin/busybox").exists(), "{path}");
    assert!(std::fs::write(Path::new(&path).join("x"), "x").is_err());
    assert_eq!(env.ok(&["image", "mount"]), format!("{img} {path}\n"));
    // A second mount needs a second unmount.
    assert_eq!(env.ok(&["image", "mount", &img]).trim(), path);
    assert_eq!(env.ok(&["image", "umount", &img]), "");
    assert!(Path::new(&path).join("bin/busybox").exists());
    assert_eq!(env.ok(&["image", "umount", &img]).trim(), id);
    assert!(!Path::new(&path).join("bin/busybox").exists());
    assert_eq!(env.ok(&["image", "umount", &img]), "");
    let (code, err) = env.fails(&["image", "umount", "no-such-image"]);
    assert_eq!(code, 125);
    assert_eq!(err.trim(), "Error: no-such-image: image not known");
    // -a mounts everything; umount -a forces every count to zero.
    env.ok(&["image", "mount", &img]);
    assert_eq!(env.ok(&["image", "mount", "-a"]), format!("{img} {path}\n"));
    assert_eq!(env.ok(&["image", "umount", "-a"]).trim(), id);
    assert_eq!(env.ok(&["image", "mount"]), "");
    // Removing a mounted image ends its mounts first.
    env.ok(&["image", "mount", &img]);
    env.ok(&["rmi", "-f", &img]);
    assert!(!Path::new(&path).exists(), "{path} left behind");
    assert!(!env.ok(&["images", "-a", "-q"]).contains(&id[..12]));
}

#[test]
fn user_mount_outlives_container_cleanup() {
    let (w, img) = busybox();
    let env = &w.env;
    let name = unique_name("mnt");
    env.ok(&[
        "run",
        "--name",
        &name,
        &img,
        "sh",
        "-c",
        "echo kept > /kept",
    ]);
    let path = env.ok(&["mount", &name]).trim().to_string();
    let id = env.ok(&["inspect", "--format", "{{.ID}}", &name]);
    let id = id.trim();
    // Whatever cleanup of the exited container is still running must leave
    // the user's mount alone.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        std::fs::read_to_string(Path::new(&path).join("kept")).unwrap(),
        "kept\n"
    );
    assert_eq!(env.ok(&["mount", "--notruncate"]), format!("{id} {path}\n"));
    assert_eq!(env.ok(&["mount"]), format!("{} {path}\n", &id[..12]));
    assert_eq!(env.ok(&["umount", &name]).trim(), name);
    assert!(!Path::new(&path).join("kept").exists());
    assert_eq!(env.ok(&["mount"]), "");
    env.ok(&["rm", &name]);
}

#[test]
fn diff_latest_leaves_out_engine_files() {
    let (w, img) = busybox();
    let env = &w.env;
    let name = unique_name("dif");
    env.ok(&[
        "run",
        "--name",
        &name,
        &img,
        "sh",
        "-c",
        "touch /added; rm /etc/group",
    ]);
    let out = env.ok(&["diff", "--format", "json", "-l"]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
    assert_eq!(v["added"], serde_json::json!(["/added"]), "{out}");
    assert_eq!(v["deleted"], serde_json::json!(["/etc/group"]), "{out}");
    let (code, err) = env.fails(&["diff", "-l", &name]);
    assert_eq!(code, 125);
    assert!(
        err.contains("--latest and containers cannot be used together"),
        "{err}"
    );
    env.ok(&["rm", &name]);
}

#[test]
fn history_json_and_event_labels() {
    let (w, img) = busybox();
    let env = &w.env;
    let out = env.ok(&["history", "--format", "json", &img]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
    let first = &v[0];
    assert_eq!(first["id"].as_str().map(str::len), Some(64), "{out}");
    assert!(first["size"].is_u64(), "{out}");
    // -H takes a value only after '='; the image stays the positional.
    assert!(env.ok(&["history", "-qH", &img]).lines().count() >= 1);

    let name = unique_name("evl");
    env.ok(&[
        "run",
        "--rm",
        "--name",
        &name,
        "--label",
        "tier=web x",
        &img,
        "true",
    ]);
    let got = env.ok(&[
        "events",
        "--stream=false",
        "--filter",
        &format!("container={name}"),
        "--filter",
        "event=died",
        "--format",
        "{{.Attributes.tier}}",
    ]);
    assert_eq!(got.trim(), "web x");
    let got = env.ok(&[
        "system",
        "events",
        "--stream=false",
        "--filter",
        "label=tier=web x",
        "--filter",
        "event=die",
        "--no-trunc=false",
    ]);
    assert_eq!(got.lines().count(), 1, "{got}");
    let id = got
        .split(" container died ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_default();
    assert_eq!(id.len(), 12, "{got}");
}

#[test]
fn save_uncompressed_oci_layers_are_plain_tar_named_by_diff_id() {
    use sha2::Digest;
    let (w, img) = busybox();
    let env = &w.env;
    let archive = env.dir().join("plain.tar");
    env.ok(&[
        "save",
        "-o",
        archive.to_str().unwrap(),
        "--format",
        "oci-archive",
        "--uncompressed",
        &img,
    ]);
    let untar = env.dir().join("plain");
    std::fs::create_dir_all(&untar).unwrap();
    let st = std::process::Command::new("tar")
        .arg("-C")
        .arg(&untar)
        .arg("-xf")
        .arg(&archive)
        .status()
        .unwrap();
    assert!(st.success());
    let index: Value =
        serde_json::from_slice(&std::fs::read(untar.join("index.json")).unwrap()).unwrap();
    let mdigest = index["manifests"][0]["digest"].as_str().unwrap();
    let blob = |d: &str| {
        untar
            .join("blobs/sha256")
            .join(d.trim_start_matches("sha256:"))
    };
    let manifest: Value = serde_json::from_slice(&std::fs::read(blob(mdigest)).unwrap()).unwrap();
    let layers = manifest["layers"].as_array().unwrap();
    assert!(!layers.is_empty());
    for l in layers {
        assert_eq!(l["mediaType"], "application/vnd.oci.image.layer.v1.tar");
        let d = l["digest"].as_str().unwrap();
        let data = std::fs::read(blob(d)).unwrap();
        assert_eq!(l["size"].as_u64(), Some(data.len() as u64));
        assert_eq!(&data[257..262], b"ustar", "layer {d} is not a plain tar");
        assert_eq!(
            format!("sha256:{}", hex::encode(sha2::Sha256::digest(&data))),
            d
        );
    }
    env.ok(&["rmi", "-f", &img]);
    env.ok(&["load", "-i", archive.to_str().unwrap()]);
    assert_eq!(env.ok(&["run", "--rm", &img, "echo", "ok"]), "ok\n");
}

#[test]
fn system_reset_ends_image_mounts() {
    let (w, img) = busybox();
    let env = &w.env;
    let path = env.ok(&["image", "mount", &img]).trim().to_string();
    assert!(Path::new(&path).join("bin/busybox").exists(), "{path}");
    env.ok(&["system", "reset", "-f"]);
    assert!(!Path::new(&path).exists(), "{path} survived the reset");
    assert_eq!(env.ok(&["images", "-q"]), "");
}

/// Serves `body` once over HTTP on a loopback port; the URL of `path`.
fn serve_once(body: Vec<u8>, path: &str) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}{path}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        if let Ok((mut conn, _)) = listener.accept() {
            let mut req = [0u8; 4096];
            let _ = conn.read(&mut req);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = conn.write_all(head.as_bytes());
            let _ = conn.write_all(&body);
        }
    });
    url
}

#[test]
fn load_from_a_url() {
    let (w, img) = busybox();
    let name = unique_name("localhost/fromurl");
    w.env.ok(&["tag", &img, &name]);
    let archive = w.env.dir().join("url.tar");
    w.env.ok(&["save", "-o", archive.to_str().unwrap(), &name]);
    w.env.ok(&["untag", &img, &name]);
    let url = serve_once(std::fs::read(&archive).unwrap(), "/image.tar");
    let out = w.env.ok(&["load", "-i", &url]);
    assert!(out.contains(&format!("Loaded image: {name}")), "{out}");
    w.env.ok(&["image", "exists", &name]);
    let events = w.env.ok(&[
        "events",
        "--stream=false",
        "--filter",
        "event=loadfromarchive",
        "--format",
        "{{.Name}}",
    ]);
    assert_eq!(events.lines().last(), Some(url.as_str()), "{events}");
    let leftovers: Vec<_> = std::fs::read_dir(w.env.runroot())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("load-"))
        .collect();
    assert!(leftovers.is_empty(), "the download is deleted");
    // An empty download is no archive: an error, nothing loaded.
    let empty = serve_once(Vec::new(), "/empty.tar");
    let (code, _) = w.env.fails(&["load", "-i", &empty]);
    assert_eq!(code, 125);
}
