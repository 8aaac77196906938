//! The image endpoints of `rpod system service` driven by the docker CLI:
//! push to the loopback registry, save/load round trip, commit, image
//! prune, login, search refused; raw HTTP for the libpod paths and bad
//! input.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::htpasswd_registry::{HtpasswdRegistry, PASSWORD, USER};
use common::service::{http, Service};
use common::World;
use rpod_tests::{run_with_timeout, unique_name, TestEnv};
use serde_json::Value;

const CLIENT_TIMEOUT: Duration = Duration::from_secs(120);

fn docker_cmd(w: &World, sock: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("docker");
    cmd.args(args)
        .env("DOCKER_HOST", format!("unix://{}", sock.display()))
        .env("DOCKER_CONFIG", w.env.dir().join("docker-config"))
        .stdin(Stdio::null());
    cmd
}

fn docker(w: &World, sock: &Path, args: &[&str]) -> Output {
    run_with_timeout(&mut docker_cmd(w, sock, args), CLIENT_TIMEOUT)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn docker_ok(w: &World, sock: &Path, args: &[&str]) -> String {
    let out = docker(w, sock, args);
    assert!(
        out.status.success(),
        "`docker {}` failed with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        args.join(" "),
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

fn sock_path(w: &World) -> PathBuf {
    w.env.dir().join("api").join("rpod.sock")
}

fn http_json(sock: &Path, method: &str, path: &str) -> (u16, Value) {
    let (status, body) = http(sock, method, path, None).unwrap();
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// `GET path` over the socket with curl, the body written to `out`; the
/// status.
fn download(sock: &Path, path: &str, out: &Path) -> (u16, String) {
    let o = Command::new("curl")
        .args(["-s", "-o"])
        .arg(out)
        .args(["-w", "%{http_code}", "--unix-socket"])
        .arg(sock)
        .arg(format!("http://d{path}"))
        .output()
        .unwrap();
    let status = text(&o.stdout).trim().parse().unwrap_or(0);
    (status, text(&o.stderr))
}

/// The image IDs the service lists (`docker images -q --no-trunc`).
fn image_ids(w: &World, sock: &Path) -> Vec<String> {
    docker_ok(w, sock, &["images", "-a", "-q", "--no-trunc"])
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn docker_push_save_load_and_bad_names() {
    let w = common::world(&["busybox"]);
    let img = w.images[0].clone();
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");
    docker_ok(&w, &sock, &["pull", "-q", &img]);

    // Push under a new name; a fresh store pulls it back from the registry.
    let repo = format!("{}/apiimg/{}", w.registry.addr(), unique_name("pushed"));
    let pushed = format!("{repo}:v1");
    docker_ok(&w, &sock, &["tag", &img, &pushed]);
    let out = docker_ok(&w, &sock, &["push", &pushed]);
    assert!(out.contains("v1: digest: sha256:"), "{out}");
    let fresh = TestEnv::with_registry(&w.registry);
    let id = fresh.ok(&["pull", "-q", &pushed]);
    let ours = docker_ok(
        &w,
        &sock,
        &["image", "inspect", "--format", "{{.Id}}", &img],
    );
    assert_eq!(
        format!("sha256:{}", id.trim()),
        ours.trim(),
        "the pushed image is the same image"
    );
    drop(fresh);

    // libpod's push is quiet by default: 200 and "" once the push is done.
    let quiet_dest = format!("{repo}:quiet");
    let (status, body) = http(
        &sock,
        "POST",
        &format!("/v5.0.0/libpod/images/{pushed}/push?destination={quiet_dest}"),
        None,
    )
    .unwrap();
    assert_eq!((status, body.trim()), (200, "\"\""));
    let fresh = TestEnv::with_registry(&w.registry);
    assert_eq!(
        format!("sha256:{}", fresh.ok(&["pull", "-q", &quiet_dest]).trim()),
        ours.trim()
    );
    drop(fresh);

    // An image that is not stored: Podman's message.
    let out = docker(&w, &sock, &["push", &format!("{repo}:nosuchtag")]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("An image does not exist locally with the tag"),
        "{}",
        text(&out.stderr)
    );

    // save → rmi → load: the same image back, under its name.
    let archive = w.env.dir().join("saved.tar");
    docker_ok(
        &w,
        &sock,
        &["save", "-o", archive.to_str().unwrap(), &pushed],
    );
    let listing = Command::new("tar")
        .arg("-tf")
        .arg(&archive)
        .output()
        .unwrap();
    assert!(
        text(&listing.stdout).lines().any(|l| l == "manifest.json"),
        "{}",
        text(&listing.stdout)
    );
    docker_ok(&w, &sock, &["rmi", &pushed]);
    let out = docker_ok(&w, &sock, &["load", "-i", archive.to_str().unwrap()]);
    assert!(out.contains(&format!("Loaded image: {pushed}")), "{out}");
    let back = docker_ok(
        &w,
        &sock,
        &["image", "inspect", "--format", "{{.Id}}", &pushed],
    );
    assert_eq!(back.trim(), ours.trim());

    // Two images in one archive through GET /images/get?names=.
    let second = format!("{repo}:v2");
    docker_ok(&w, &sock, &["tag", &img, &second]);
    let both = w.env.dir().join("both.tar");
    docker_ok(
        &w,
        &sock,
        &["save", "-o", both.to_str().unwrap(), &pushed, &second],
    );
    let manifest = Command::new("tar")
        .arg("-xOf")
        .arg(&both)
        .arg("manifest.json")
        .output()
        .unwrap();
    let m: Value = serde_json::from_slice(&manifest.stdout).unwrap();
    let tags: Vec<&str> = m
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| e["RepoTags"].as_array().unwrap().iter())
        .filter_map(Value::as_str)
        .collect();
    assert!(
        tags.contains(&pushed.as_str()) && tags.contains(&second.as_str()),
        "{m}"
    );

    // Unknown images: 404 with the engine's message, before any archive.
    let nothing = w.env.dir().join("nothing.tar");
    let out = docker(
        &w,
        &sock,
        &["save", "-o", nothing.to_str().unwrap(), "nosuchimage:x"],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("image not known"),
        "{}",
        text(&out.stderr)
    );
    let (status, body) = http_json(&sock, "GET", "/v1.44/images/nosuchimage/get");
    assert_eq!(status, 404, "{body}");
    let (status, body) = http_json(&sock, "POST", "/v1.44/images/nosuchimage/push");
    assert_eq!(status, 404, "{body}");
    assert_eq!(
        body["message"],
        "An image does not exist locally with the tag: nosuchimage"
    );
    let (status, _) = http_json(&sock, "GET", "/v1.44/images/get");
    assert_eq!(status, 400);
    // libpod: oci-archive by default; a missing image is a 404.
    let oci = w.env.dir().join("libpod-get.tar");
    let (status, _) = download(&sock, &format!("/v5.0.0/libpod/images/{pushed}/get"), &oci);
    assert_eq!(status, 200);
    let listing = Command::new("tar").arg("-tf").arg(&oci).output().unwrap();
    assert!(
        text(&listing.stdout).lines().any(|l| l == "oci-layout"),
        "an OCI archive: {}",
        text(&listing.stdout)
    );
    let (status, _) = http_json(
        &sock,
        "GET",
        "/v5.0.0/libpod/images/export?references=nosuch",
    );
    assert_eq!(status, 404);

    // search: rpod has none, said clearly.
    let out = docker(&w, &sock, &["search", "busybox"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("image search is not implemented by rpod"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn docker_commit_prune_and_login() {
    let w = common::world(&["busybox"]);
    let img = w.images[0].clone();
    let sock = sock_path(&w);
    let areg = HtpasswdRegistry::start();
    areg.trust(&w.env);
    let _service = Service::start(&w.env, &sock, "0");
    docker_ok(&w, &sock, &["pull", "-q", &img]);

    // commit with a change, a message and an author; the file is in the image.
    let name = unique_name("api-commit");
    docker_ok(
        &w,
        &sock,
        &[
            "run",
            "-d",
            "--name",
            &name,
            &img,
            "sh",
            "-c",
            "echo committed > /marker; exec sleep 1000",
        ],
    );
    rpod_tests::wait_until(Duration::from_secs(20), "the marker file", || {
        docker(&w, &sock, &["exec", &name, "cat", "/marker"])
            .status
            .success()
    });
    let target = format!("localhost/{}:c1", unique_name("committed"));
    let id = docker_ok(
        &w,
        &sock,
        &[
            "commit",
            "-c",
            "ENV FROM_COMMIT=yes",
            "-m",
            "a message",
            "-a",
            "An Author",
            &name,
            &target,
        ],
    );
    let id = id.trim().trim_start_matches("sha256:").to_owned();
    assert_eq!(id.len(), 64, "{id}");
    let out = docker_ok(
        &w,
        &sock,
        &[
            "run",
            "--rm",
            &target,
            "sh",
            "-c",
            "cat /marker; echo $FROM_COMMIT",
        ],
    );
    assert_eq!(out, "committed\nyes\n");
    let meta = docker_ok(
        &w,
        &sock,
        &[
            "image",
            "inspect",
            "--format",
            "{{.Comment}}|{{.Author}}",
            &target,
        ],
    );
    assert_eq!(meta.trim(), "a message|An Author");
    let (status, body) = http_json(&sock, "POST", "/v1.44/commit?container=nosuchctr");
    assert_eq!(status, 404, "{body}");

    // A dangling image (a commit without a name) goes with `image prune`;
    // named ones stay.
    let dangling = http_json(
        &sock,
        "POST",
        &format!("/v5.0.0/libpod/commit?container={name}"),
    );
    assert_eq!(dangling.0, 201, "{}", dangling.1);
    let dangling_id = dangling.1["Id"].as_str().unwrap().to_owned();
    assert!(image_ids(&w, &sock)
        .iter()
        .any(|i| i.ends_with(&dangling_id)));
    let out = docker_ok(&w, &sock, &["image", "prune", "-f"]);
    assert!(
        out.contains(&format!("deleted: sha256:{dangling_id}")),
        "{out}"
    );
    assert!(out.contains("Total reclaimed space:"), "{out}");
    let ids = image_ids(&w, &sock);
    assert!(!ids.iter().any(|i| i.ends_with(&dangling_id)), "{ids:?}");
    let target_id = docker_ok(
        &w,
        &sock,
        &["image", "inspect", "--format", "{{.Id}}", &target],
    );
    assert!(ids.contains(&target_id.trim().to_owned()), "{ids:?}");
    // A label filter matching nothing removes nothing, even with -a.
    let out = docker_ok(
        &w,
        &sock,
        &[
            "image",
            "prune",
            "-a",
            "-f",
            "--filter",
            "label=nosuch=label",
        ],
    );
    assert!(!out.contains("deleted:"), "{out}");
    assert_eq!(image_ids(&w, &sock).len(), ids.len());

    // login: the loopback registry (no auth) accepts; the service's own
    // auth file is not written. An unreachable registry fails clearly.
    let out = docker_ok(
        &w,
        &sock,
        &["login", "-u", "someone", "-p", "pw", &w.registry.addr()],
    );
    assert!(out.contains("Login Succeeded"), "{out}");
    let auth = std::fs::read_to_string(w.env.auth_file()).unwrap_or_default();
    assert!(!auth.contains(&w.registry.addr()), "{auth}");
    let port = common::net::free_port();
    let (status, body) = http(
        &sock,
        "POST",
        "/v1.44/auth",
        Some(&format!(
            r#"{{"username":"u","password":"p","serveraddress":"127.0.0.1:{port}"}}"#
        )),
    )
    .unwrap();
    assert_eq!(status, 500, "{body}");
    assert!(
        body.contains(&format!(
            "login attempt to 127.0.0.1:{port} failed with status:"
        )),
        "{body}"
    );

    // A registry with a password: wrong credentials are Podman's 500
    // "401 Unauthorized"; right ones log in, and push sends them
    // (X-Registry-Auth); after logout the push is refused.
    let out = docker(&w, &sock, &["login", "-u", USER, "-p", "wrong", &areg.addr]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains(&format!(
            "login attempt to {} failed with status: 401 Unauthorized",
            areg.addr
        )),
        "{}",
        text(&out.stderr)
    );
    let out = docker_ok(
        &w,
        &sock,
        &["login", "-u", USER, "-p", PASSWORD, &areg.addr],
    );
    assert!(out.contains("Login Succeeded"), "{out}");
    let authed = format!("{}/apiimg/authed:v1", areg.addr);
    docker_ok(&w, &sock, &["tag", &img, &authed]);
    let out = docker_ok(&w, &sock, &["push", &authed]);
    assert!(out.contains("v1: digest: sha256:"), "{out}");
    docker_ok(&w, &sock, &["logout", &areg.addr]);
    let out = docker(&w, &sock, &["push", &authed]);
    assert!(!out.status.success(), "{}", text(&out.stdout));
    docker_ok(&w, &sock, &["rm", "-f", &name]);
}
