//! The streaming layer path (network → digest → decompress → unpack in
//! one pass) against a minimal in-test registry whose layer response can
//! be wrong in chosen ways: a blob that unpacks into exactly the layer the
//! config names but is not the blob the manifest names (the mismatch shows
//! only at the end of the stream), a stream cut short, a blob that is not
//! an archive at all, and a pull cancelled while its layer streams in.
//! None may leave a layer, a blob or a temp file.
#![allow(clippy::unwrap_used)] // test code: a failed step is a failed test

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;

use crate::registry::{pull, PullError, PullOptions};
use crate::storage::Store;
use sha2::{Digest, Sha256};

fn sha(d: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(d)))
}

/// What the server sends for the layer blob.
#[derive(Clone, Copy)]
enum Fault {
    /// The right blob.
    None,
    /// Another gzip stream of the same tar: unpacks to the right diff id.
    OtherCompression,
    /// A Content-Length of the whole blob, then half of it and a close.
    Truncated,
    /// Bytes that are not gzip.
    Garbage,
    /// The right blob, its second half sent after a second's pause.
    Slow,
}

struct Image {
    manifest: Vec<u8>,
    config: Vec<u8>,
    /// The blob the manifest names.
    layer: Vec<u8>,
    /// The same tar, compressed differently.
    other: Vec<u8>,
}

fn gzip(data: &[u8], level: flate2::Compression) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), level);
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

fn image() -> Image {
    let mut b = tar::Builder::new(Vec::new());
    // Compressible (so the two compressions differ) and larger than the
    // channel and buffers between network and unpacking.
    let data: Vec<u8> = (0..3_000_000u32)
        .flat_map(|i| (i % 251).to_le_bytes())
        .collect();
    for (name, body) in [("big", &data[..]), ("small", &b"small file\n"[..])] {
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1);
        b.append_data(&mut h, name, body).unwrap();
    }
    let tar = b.into_inner().unwrap();
    let layer = gzip(&tar, flate2::Compression::best());
    let other = gzip(&tar, flate2::Compression::fast());
    assert_ne!(layer, other);
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
    Image {
        manifest,
        config,
        layer,
        other,
    }
}

fn respond(s: &mut TcpStream, ctype: &str, body: &[u8]) -> std::io::Result<()> {
    write!(
        s,
        "HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )?;
    s.write_all(body)
}

fn serve(mut s: TcpStream, img: &Image, fault: Fault) -> std::io::Result<()> {
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
            respond(&mut s, "application/json", b"{}")?;
        } else if path.contains("/manifests/") {
            respond(
                &mut s,
                "application/vnd.oci.image.manifest.v1+json",
                &img.manifest,
            )?;
        } else if path.ends_with(&sha(&img.config)) {
            respond(&mut s, "application/octet-stream", &img.config)?;
        } else if path.ends_with(&sha(&img.layer)) {
            let ctype = "application/octet-stream";
            match fault {
                Fault::None => respond(&mut s, ctype, &img.layer)?,
                Fault::OtherCompression => respond(&mut s, ctype, &img.other)?,
                Fault::Garbage => respond(&mut s, ctype, &vec![0x5a; img.layer.len()])?,
                Fault::Slow => {
                    let half = img.layer.len() / 2;
                    write!(
                        s,
                        "HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n",
                        img.layer.len()
                    )?;
                    s.write_all(&img.layer[..half])?;
                    s.flush()?;
                    std::thread::sleep(std::time::Duration::from_secs(1));
                    s.write_all(&img.layer[half..])?;
                }
                Fault::Truncated => {
                    write!(
                        s,
                        "HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n\r\n",
                        img.layer.len()
                    )?;
                    s.write_all(&img.layer[..img.layer.len() / 2])?;
                    s.flush()?;
                    return s.shutdown(std::net::Shutdown::Both);
                }
            }
        } else {
            s.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")?;
        }
    }
}

/// A registry on a free loopback port serving `img` with `fault`; the
/// listener thread ends with the test process.
fn start(img: Arc<Image>, fault: Fault) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { return };
            let img = img.clone();
            std::thread::spawn(move || serve(conn, &img, fault));
        }
    });
    addr
}

fn count(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

async fn pull_with(img: &Arc<Image>, fault: Fault, root: &Path) -> Result<(), PullError> {
    let addr = start(img.clone(), fault);
    let store = Store::open(root).unwrap();
    let opts = PullOptions {
        tls_verify: Some(false),
        quiet: true,
        ..Default::default()
    };
    let res = pull(
        &store,
        &format!("{addr}/test/stream:latest"),
        &opts,
        &mut std::io::sink(),
    )
    .await;
    res.map(drop)
}

/// Nothing of a failed pull is left: no image, layer, blob or temp entry.
fn assert_empty(root: &Path) {
    let storage = root.join("storage");
    assert_eq!(count(&storage.join("layers")), 0, "layers left");
    assert_eq!(count(&storage.join("images")), 0, "images left");
    assert_eq!(count(&storage.join("blobs/sha256")), 0, "blobs left");
    assert_eq!(count(&storage.join("tmp")), 0, "temp entries left");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_layer_is_stored_with_its_blob() {
    let img = Arc::new(image());
    let root = tempfile::tempdir().unwrap();
    pull_with(&img, Fault::None, root.path()).await.unwrap();
    let store = Store::open(root.path()).unwrap();
    let mut kept = Vec::new();
    std::io::Read::read_to_end(&mut store.open_blob(&sha(&img.layer)).unwrap(), &mut kept).unwrap();
    assert!(
        kept == img.layer,
        "the kept blob differs from the one pulled"
    );
    let image = store.lookup_image("test/stream").unwrap().unwrap();
    let diff = store.layer_diff_path(&image.layers[0]).unwrap();
    assert_eq!(std::fs::read(diff.join("small")).unwrap(), b"small file\n");
    assert_eq!(
        std::fs::metadata(diff.join("big")).unwrap().len(),
        12_000_000
    );
    assert_eq!(count(&root.path().join("storage/tmp")), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mismatch_found_at_the_end_discards_the_unpacked_layer() {
    let img = Arc::new(image());
    let root = tempfile::tempdir().unwrap();
    let err = pull_with(&img, Fault::OtherCompression, root.path())
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, PullError::DigestMismatch { .. }), "{msg}");
    assert!(
        msg.contains("digest did not match") && msg.contains(&sha(&img.layer)),
        "{msg}"
    );
    assert_empty(root.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_stream_leaves_nothing() {
    let img = Arc::new(image());
    let root = tempfile::tempdir().unwrap();
    let err = pull_with(&img, Fault::Truncated, root.path())
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, PullError::Blob { .. }), "{msg}");
    assert!(msg.contains(&sha(&img.layer)), "{msg}");
    assert_empty(root.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_blob_is_a_digest_mismatch() {
    let img = Arc::new(image());
    let root = tempfile::tempdir().unwrap();
    let err = pull_with(&img, Fault::Garbage, root.path())
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, PullError::DigestMismatch { .. }), "{msg}");
    assert_empty(root.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_pull_stores_nothing_even_when_the_blob_completes() {
    let img = Arc::new(image());
    let root = tempfile::tempdir().unwrap();
    let path = root.path().to_path_buf();
    let served = img.clone();
    let pulling = tokio::spawn(async move { pull_with(&served, Fault::Slow, &path).await });
    // Half the layer has arrived; the rest comes a second after it.
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    pulling.abort();
    assert!(pulling.await.unwrap_err().is_cancelled());
    // Long after the server finished sending the blob, nothing is stored:
    // the layer's own task ended with the pull.
    tokio::time::sleep(std::time::Duration::from_millis(2000)).await;
    assert_empty(root.path());
}
