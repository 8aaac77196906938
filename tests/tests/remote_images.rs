//! `rpod --remote` image commands that move images through the service:
//! push, save, commit, image prune, import, and login/logout (local, as
//! Podman's remote client).

mod common;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::htpasswd_registry::{HtpasswdRegistry, PASSWORD, USER};
use common::service::Service;
use common::World;
use rpod_tests::{rpod_bin, run_with_timeout, unique_name, TestEnv};

const TIMEOUT: Duration = Duration::from_secs(180);

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `rpod --url URL ARGS` (no local store flags).
fn remote(w: &World, url: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(rpod_bin());
    cmd.arg("--url")
        .arg(url)
        .args(args)
        .env("XDG_CONFIG_HOME", w.env.dir().join("config"))
        .env("CONTAINERS_REGISTRIES_CONF", w.env.registries_conf())
        .env_remove("CONTAINER_HOST")
        .env_remove("CONTAINER_CONNECTION")
        .env_remove("REGISTRY_AUTH_FILE")
        .stdin(Stdio::null());
    run_with_timeout(&mut cmd, TIMEOUT)
}

fn remote_ok(w: &World, url: &str, args: &[&str]) -> String {
    let out = remote(w, url, args);
    assert!(
        out.status.success(),
        "`rpod --remote {}` failed with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
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

#[test]
fn remote_push_save_load_import_and_bad_names() {
    let w = common::world(&["busybox"]);
    let img = w.images[0].clone();
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");
    let url = format!("unix://{}", sock.display());
    let ok = |args: &[&str]| remote_ok(&w, &url, args);
    ok(&["pull", "-q", &img]);
    let id = ok(&["image", "inspect", "--format", "{{.Id}}", &img]);
    let id = id.trim();

    // push: progress lines from the service; a fresh store pulls it back.
    let pushed = format!("{}/remote/{}:v1", w.registry.addr(), unique_name("pushed"));
    ok(&["tag", &img, &pushed]);
    let out = remote(&w, &url, &["push", &pushed]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("Writing manifest"),
        "{}",
        text(&out.stderr)
    );
    let fresh = TestEnv::with_registry(&w.registry);
    assert_eq!(fresh.ok(&["pull", "-q", &pushed]).trim(), id);
    drop(fresh);
    // --creds travel as X-Registry-Auth to a registry with a password.
    let areg = HtpasswdRegistry::start();
    areg.trust(&w.env);
    let authed = format!("{}/remote/authed:v1", areg.addr);
    let out = remote(&w, &url, &["push", &pushed, &authed]);
    assert_eq!(out.status.code(), Some(125), "{}", text(&out.stderr));
    let creds = format!("{USER}:{PASSWORD}");
    ok(&["push", "-q", "--creds", &creds, &pushed, &authed]);
    // pull --creds the same way; without them the registry refuses.
    let out = remote(&w, &url, &["pull", "-q", &authed]);
    assert_eq!(out.status.code(), Some(125), "{}", text(&out.stderr));
    let without = remote(
        &w,
        &url,
        &["push", &pushed, &format!("{}/remote/viafile:v1", areg.addr)],
    );
    assert_eq!(
        without.status.code(),
        Some(125),
        "{}",
        text(&without.stderr)
    );
    assert_eq!(ok(&["pull", "-q", "--creds", &creds, &authed]).trim(), id);
    // login stores the credentials in this host's auth file (checked from
    // here: a wrong password is refused); push and pull send them.
    let authfile = w.env.dir().join("remote-client-auth.json");
    let af = authfile.to_str().unwrap();
    let out = remote(
        &w,
        &url,
        &[
            "login",
            "--authfile",
            af,
            "-u",
            USER,
            "-p",
            "wrong",
            &areg.addr,
        ],
    );
    assert_eq!(out.status.code(), Some(125));
    assert!(
        text(&out.stderr).contains("invalid username/password"),
        "{}",
        text(&out.stderr)
    );
    ok(&[
        "login",
        "--authfile",
        af,
        "-u",
        USER,
        "-p",
        PASSWORD,
        &areg.addr,
    ]);
    let via_file = format!("{}/remote/viafile:v1", areg.addr);
    ok(&["push", "-q", "--authfile", af, &pushed, &via_file]);
    assert_eq!(ok(&["pull", "-q", "--authfile", af, &via_file]).trim(), id);
    let out = remote(&w, &url, &["push", "nosuchimage:latest"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(
        text(&out.stderr).contains("image not known"),
        "{}",
        text(&out.stderr)
    );

    // save -o (docker-archive), rmi, load: the same image back.
    let archive = w.env.dir().join("remote-saved.tar");
    ok(&["save", "-o", archive.to_str().unwrap(), &pushed]);
    ok(&["rmi", &pushed]);
    let out = ok(&["load", "-i", archive.to_str().unwrap()]);
    assert!(out.contains(&pushed), "{out}");
    assert_eq!(
        ok(&["image", "inspect", "--format", "{{.Id}}", &pushed]).trim(),
        id
    );
    // save to stdout as an OCI archive.
    let out = remote(&w, &url, &["save", "--format", "oci-archive", &pushed]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let oci = w.env.dir().join("remote-oci.tar");
    std::fs::write(&oci, &out.stdout).unwrap();
    let listing = Command::new("tar").arg("-tf").arg(&oci).output().unwrap();
    assert!(
        text(&listing.stdout).lines().any(|l| l == "oci-layout"),
        "{}",
        text(&listing.stdout)
    );
    let out = remote(&w, &url, &["save", "-o", "/dev/null", "nosuchimage"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(
        text(&out.stderr).contains("nosuchimage: image not known"),
        "{}",
        text(&out.stderr)
    );
    // Directory formats: the service sends a tar of the directory, the
    // client unpacks it; a fresh store loads the layout.
    let layout = w.env.dir().join("remote-oci-dir");
    ok(&[
        "save",
        "--format",
        "oci-dir",
        "-o",
        layout.to_str().unwrap(),
        &pushed,
    ]);
    assert!(layout.join("index.json").is_file());
    assert!(layout.join("oci-layout").is_file());
    let fresh = TestEnv::new();
    fresh.ok(&["load", "-i", layout.to_str().unwrap()]);
    let loaded = fresh.ok(&["images", "-q", "--no-trunc"]);
    assert!(loaded.contains(id), "{loaded}");
    drop(fresh);
    let docker_dir = w.env.dir().join("remote-docker-dir");
    ok(&[
        "save",
        "--format",
        "docker-dir",
        "-o",
        docker_dir.to_str().unwrap(),
        &pushed,
    ]);
    assert!(docker_dir.join("manifest.json").is_file());

    // import: a container's export as a new image, with a change.
    let name = unique_name("rimp");
    ok(&["create", "--name", &name, &img, "true"]);
    let rootfs = w.env.dir().join("rootfs.tar");
    ok(&["export", "-o", rootfs.to_str().unwrap(), &name]);
    let target = format!("localhost/{}:imp", unique_name("imported"));
    let out = ok(&[
        "import",
        "--change",
        "CMD=/bin/echo imported",
        rootfs.to_str().unwrap(),
        &target,
    ]);
    assert!(out.trim().len() >= 12, "{out}");
    let out = ok(&["run", "--rm", &target]);
    assert_eq!(out, "imported\n");
    // A change holding a newline stays one change (Podman's import does
    // not split them as its commit does).
    let multi = format!("localhost/{}:imp", unique_name("multi"));
    ok(&[
        "import",
        "-q",
        "-c",
        "CMD sh -c \"echo one;\n echo two\"",
        rootfs.to_str().unwrap(),
        &multi,
    ]);
    assert_eq!(ok(&["run", "--rm", &multi]), "one\ntwo\n");
    // An images filter without '=' is refused in Podman's words.
    let out = remote(&w, &url, &["images", "-f", "json"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "invalid image filter \"json\": must be in the format \"filter=value or filter!=value\""
        ),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    ok(&["rm", &name]);
}

#[test]
fn remote_commit_prune_and_local_login() {
    let w = common::world(&["busybox"]);
    let img = w.images[0].clone();
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");
    let url = format!("unix://{}", sock.display());
    let ok = |args: &[&str]| remote_ok(&w, &url, args);
    ok(&["pull", "-q", &img]);

    // commit: the file, a change and the author land in the image.
    let name = unique_name("rcommit");
    ok(&[
        "run",
        "-d",
        "--name",
        &name,
        &img,
        "sh",
        "-c",
        "echo committed > /marker; exec sleep 1000",
    ]);
    rpod_tests::wait_until(Duration::from_secs(20), "the marker file", || {
        remote(&w, &url, &["exec", &name, "cat", "/marker"])
            .status
            .success()
    });
    let target = format!("localhost/{}:c1", unique_name("rcommitted"));
    let out = ok(&[
        "commit",
        "-q",
        "-c",
        "ENV FROM_COMMIT=yes",
        "-a",
        "Remote Author",
        &name,
        &target,
    ]);
    let new_id = out.trim().to_owned();
    assert_eq!(new_id.len(), 64, "{out}");
    let out = ok(&[
        "run",
        "--rm",
        &target,
        "sh",
        "-c",
        "cat /marker; echo $FROM_COMMIT",
    ]);
    assert_eq!(out, "committed\nyes\n");
    assert_eq!(
        ok(&["image", "inspect", "--format", "{{.Author}}", &target]).trim(),
        "Remote Author"
    );
    // history as the local one; untag of one name.
    let fmt = "{{.ID}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}";
    let hist = ok(&["history", "--no-trunc", "--format", fmt, &target]);
    assert_eq!(
        hist,
        w.env
            .ok(&["history", "--no-trunc", "--format", fmt, &target])
    );
    assert!(hist.lines().count() >= 2, "{hist}");
    let extra = format!("localhost/{}:x1", unique_name("extra"));
    ok(&["tag", &target, &extra]);
    ok(&["untag", &target, &extra]);
    let names = ok(&["images", "--format", "{{.Repository}}:{{.Tag}}"]);
    assert!(!names.lines().any(|l| l == extra), "{names}");
    assert!(names.lines().any(|l| l == target), "{names}");
    let out = remote(&w, &url, &["history", "nosuchimage"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(
        text(&out.stderr).contains("image not known"),
        "{}",
        text(&out.stderr)
    );
    let out = remote(&w, &url, &["commit", "nosuchctr", "x"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(
        text(&out.stderr).contains("no container with name or ID \"nosuchctr\" found"),
        "{}",
        text(&out.stderr)
    );

    // image prune: the unnamed commit goes, named images stay.
    let dangling = ok(&["commit", "-q", &name]).trim().to_owned();
    assert_eq!(dangling.len(), 64);
    let out = ok(&["image", "prune", "-f"]);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [dangling.as_str()],
        "{out}"
    );
    let ids = ok(&["images", "-q", "--no-trunc"]);
    assert!(!ids.contains(&dangling), "{ids}");
    assert!(ids.contains(&new_id), "{ids}");
    ok(&["rm", "-f", &name]);
    // -a: every unused image (the committed one; busybox too).
    let out = ok(&["image", "prune", "-a", "-f"]);
    assert!(out.lines().any(|l| l == new_id), "{out}");
    assert_eq!(ok(&["images", "-q"]).trim(), "");

    // login/logout work on the client's auth file, as Podman's remote
    // client: checked from here against the registry, nothing sent to the
    // service.
    let authfile = w.env.dir().join("client-auth.json");
    let out = ok(&[
        "login",
        "--authfile",
        authfile.to_str().unwrap(),
        "-u",
        "someone",
        "-p",
        "pw",
        &w.registry.addr(),
    ]);
    assert_eq!(out.trim(), "Login Succeeded!");
    let stored = std::fs::read_to_string(&authfile).unwrap();
    assert!(stored.contains(&w.registry.addr()), "{stored}");
    let user = ok(&[
        "login",
        "--authfile",
        authfile.to_str().unwrap(),
        "--get-login",
        &w.registry.addr(),
    ]);
    assert_eq!(user.trim(), "someone");
    let out = ok(&[
        "logout",
        "--authfile",
        authfile.to_str().unwrap(),
        &w.registry.addr(),
    ]);
    assert_eq!(
        out.trim(),
        format!("Removed login credentials for {}", w.registry.addr())
    );
    let stored = std::fs::read_to_string(&authfile).unwrap();
    assert!(!stored.contains(&w.registry.addr()), "{stored}");
}
