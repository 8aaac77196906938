//! A pull killed with SIGKILL in the middle of a layer download leaves only
//! temp state, which the next `Store::open` removes; no layer or image
//! appears. The puller is this test binary re-executed as a child process;
//! the registry is a minimal in-test HTTP server that sends half of the layer
//! and then stalls, and reports that moment over a channel.
#![allow(clippy::unwrap_used)] // test code: a failed step is a failed test

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::registry::{pull, PullOptions};
use crate::storage::Store;
use sha2::{Digest, Sha256};

const ROOT_ENV: &str = "RPOD_TEST_KILL_ROOT";
const REF_ENV: &str = "RPOD_TEST_KILL_REF";

fn sha(d: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(d)))
}

/// Blobs and manifest of a one-layer image.
struct Fixture {
    manifest: Vec<u8>,
    config: Vec<u8>,
    layer: Vec<u8>,
}

fn fixture() -> Fixture {
    let mut b = tar::Builder::new(Vec::new());
    // Incompressible content so that half the blob is a real partial download.
    let mut data = Vec::with_capacity(4 << 20);
    let mut x: u64 = 0x9e3779b97f4a7c15;
    while data.len() < 4 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data.extend_from_slice(&x.to_le_bytes());
    }
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(1);
    b.append_data(&mut h, "big", &data[..]).unwrap();
    let tar = b.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&tar).unwrap();
    let layer = gz.finish().unwrap();
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [sha(&tar)]}
    }))
    .unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(&config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha(&layer), "size": layer.len()}]
    }))
    .unwrap();
    Fixture {
        manifest,
        config,
        layer,
    }
}

fn respond(s: &mut TcpStream, ctype: &str, digest: &str, body: &[u8]) -> std::io::Result<()> {
    write!(
        s,
        "HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nDocker-Content-Digest: {digest}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )?;
    s.write_all(body)
}

/// Serves one connection: requests until the layer, of which only half is sent.
fn serve(mut s: TcpStream, fx: &Fixture, stalled: &mpsc::Sender<()>) -> std::io::Result<()> {
    let mut reader = BufReader::new(s.try_clone()?);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h)? == 0 || h == "\r\n" {
                break;
            }
        }
        if path == "/v2/" {
            respond(&mut s, "application/json", "", b"{}")?;
        } else if path.contains("/manifests/") {
            respond(
                &mut s,
                "application/vnd.oci.image.manifest.v1+json",
                &sha(&fx.manifest),
                &fx.manifest,
            )?;
        } else if path.ends_with(&sha(&fx.config)) {
            respond(
                &mut s,
                "application/octet-stream",
                &sha(&fx.config),
                &fx.config,
            )?;
        } else if path.ends_with(&sha(&fx.layer)) {
            write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
                fx.layer.len()
            )?;
            s.write_all(&fx.layer[..fx.layer.len() / 2])?;
            s.flush()?;
            let _ = stalled.send(());
            // Stall until the client dies.
            let mut sink = [0u8; 1024];
            while reader.read(&mut sink)? > 0 {}
            return Ok(());
        } else {
            s.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")?;
        }
    }
}

/// The child side: runs only when re-executed by the parent test.
#[test]
#[ignore = "helper process of pull_killed_midway_leaves_nothing"]
fn kill_helper_child() {
    let (Some(root), Some(reference)) = (std::env::var_os(ROOT_ENV), std::env::var(REF_ENV).ok())
    else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = Store::open(Path::new(&root)).unwrap();
    let opts = PullOptions {
        tls_verify: Some(false),
        ..Default::default()
    };
    let mut out = std::io::sink();
    let res = rt.block_on(pull(&store, &reference, &opts, &mut out));
    panic!("pull was expected to be killed, it ended with {res:?}");
}

#[test]
fn pull_killed_midway_leaves_nothing() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let fx = std::sync::Arc::new(fixture());
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            let (tx, fx) = (tx.clone(), fx.clone());
            std::thread::spawn(move || serve(conn, &fx, &tx));
        }
    });

    let root = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "registry::tests::pull_kill::kill_helper_child",
            "--ignored",
            "--nocapture",
        ])
        .env(ROOT_ENV, root.path())
        .env(REF_ENV, format!("{addr}/test/slow:latest"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    /// Kills the child if the test fails before it does.
    struct Kill<'a>(&'a mut std::process::Child);
    impl Drop for Kill<'_> {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let guard = Kill(&mut child);
    rx.recv_timeout(Duration::from_secs(60))
        .expect("the child never reached the middle of the layer download");
    // Child::kill sends SIGKILL.
    guard.0.kill().unwrap();
    guard.0.wait().unwrap();
    drop(guard);

    let storage = root.path().join("storage");
    let tmp_entries = std::fs::read_dir(storage.join("tmp")).unwrap().count();
    assert!(
        tmp_entries > 0,
        "the killed pull left no temp state: the test did not kill it mid-way"
    );
    assert_eq!(
        std::fs::read_dir(storage.join("layers")).unwrap().count(),
        0
    );
    assert_eq!(
        std::fs::read_dir(storage.join("images")).unwrap().count(),
        0
    );

    let store = Store::open(root.path()).unwrap();
    assert_eq!(
        std::fs::read_dir(storage.join("tmp")).unwrap().count(),
        0,
        "stale temp dirs kept"
    );
    assert!(store.images().unwrap().is_empty());
    assert!(store.lookup_image("test/slow").unwrap().is_none());
}
