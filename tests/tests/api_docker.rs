//! `rpod system service` driven by real clients: the docker CLI over the
//! service's unix socket, and raw HTTP for bad input and the libpod paths.

mod common;

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::service::{http, Service};
use common::{busybox, World};
use rpod_tests::{run_with_timeout, unique_name, wait_until};
use serde_json::Value;

const CLIENT_TIMEOUT: Duration = Duration::from_secs(120);

fn http_ok(sock: &Path, method: &str, path: &str) -> (u16, Value) {
    let (status, body) = http(sock, method, path, None).unwrap();
    let v = serde_json::from_str(&body).unwrap_or(Value::Null);
    (status, v)
}

/// A `docker ARGS` command against the service (its own empty config
/// directory), stdin from /dev/null.
fn docker_cmd(w: &World, sock: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("docker");
    cmd.args(args)
        .env("DOCKER_HOST", format!("unix://{}", sock.display()))
        .env("DOCKER_CONFIG", w.env.dir().join("docker-config"))
        .stdin(Stdio::null());
    cmd
}

/// Runs `docker ARGS` against the service.
fn docker(w: &World, sock: &Path, args: &[&str]) -> Output {
    run_with_timeout(&mut docker_cmd(w, sock, args), CLIENT_TIMEOUT)
}

/// Runs `docker ARGS` with `input` on its stdin (then closed).
fn docker_with_input(w: &World, sock: &Path, args: &[&str], input: &[u8]) -> Output {
    let mut cmd = docker_cmd(w, sock, args);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

/// `docker run -d --name NAME IMAGE sh -c SCRIPT`; the container's id.
fn run_sh_detached(w: &World, sock: &Path, name: &str, img: &str, script: &str) -> String {
    docker_ok(
        w,
        sock,
        &["run", "-d", "--name", name, img, "sh", "-c", script],
    )
}

fn docker_ok(w: &World, sock: &Path, args: &[&str]) -> String {
    let out = docker(w, sock, args);
    assert!(
        out.status.success(),
        "`docker {}` failed with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn sock_path(w: &World) -> PathBuf {
    w.env.dir().join("api").join("rpod.sock")
}

#[test]
fn docker_cli_pulls_runs_logs_waits_and_removes() {
    let w = common::world(&["busybox"]);
    let img = w.images[0].clone();
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");

    let version = docker_ok(
        &w,
        &sock,
        &["version", "--format", "{{.Server.APIVersion}}"],
    );
    assert_eq!(version.trim(), "1.44");

    // Pull over the API, from the loopback registry.
    let pulled = docker_ok(&w, &sock, &["pull", &img]);
    assert!(pulled.contains("Downloaded newer image for"), "{pulled}");
    let images = docker_ok(
        &w,
        &sock,
        &["images", "--format", "{{.Repository}}:{{.Tag}}"],
    );
    assert!(images.lines().any(|l| l == img), "{images}");
    let image_id = docker_ok(
        &w,
        &sock,
        &["image", "inspect", "--format", "{{.Id}}", &img],
    );
    assert!(image_id.trim().starts_with("sha256:"), "{image_id}");

    // A detached container: ps, logs with both streams apart, inspect.
    let name = unique_name("api-run");
    let id = docker_ok(
        &w,
        &sock,
        &[
            "run",
            "-d",
            "--name",
            &name,
            "-e",
            "GREETING=hi",
            "--label",
            "k=v",
            &img,
            "sh",
            "-c",
            "echo $GREETING; echo oops >&2; exec sleep 1000",
        ],
    );
    let id = id.trim().to_owned();
    assert_eq!(id.len(), 64, "{id}");
    let ps = docker_ok(
        &w,
        &sock,
        &["ps", "--format", "{{.Names}} {{.State}} {{.Labels}}"],
    );
    assert!(
        ps.lines().any(|l| l == format!("{name} running k=v")),
        "{ps}"
    );
    wait_until(Duration::from_secs(20), "the container's output", || {
        docker(&w, &sock, &["logs", &name]).stdout == b"hi\n"
    });
    let logs = docker(&w, &sock, &["logs", &name]);
    assert_eq!(String::from_utf8_lossy(&logs.stderr), "oops\n");
    let inspected: Value =
        serde_json::from_str(&docker_ok(&w, &sock, &["inspect", &name])).unwrap();
    assert_eq!(inspected[0]["Id"], id.as_str());
    assert_eq!(inspected[0]["Name"], format!("/{name}"));
    assert_eq!(inspected[0]["State"]["Status"], "running");
    assert_eq!(inspected[0]["State"]["Running"], true);
    assert_eq!(inspected[0]["Config"]["Labels"]["k"], "v");
    assert!(inspected[0]["Image"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));

    // top and rename.
    let top = docker_ok(&w, &sock, &["top", &name]);
    assert!(top.lines().next().unwrap().contains("PID"), "{top}");
    assert!(top.contains("sleep 1000"), "{top}");
    let renamed = unique_name("api-renamed");
    docker_ok(&w, &sock, &["rename", &name, &renamed]);
    let name = renamed;
    let ps = docker_ok(&w, &sock, &["ps", "--format", "{{.Names}}"]);
    assert!(ps.lines().any(|l| l == name), "{ps}");

    // Pause and unpause, then kill and wait: SIGKILL's 137.
    docker_ok(&w, &sock, &["pause", &name]);
    let state = docker_ok(
        &w,
        &sock,
        &["inspect", "--format", "{{.State.Status}}", &name],
    );
    assert_eq!(state.trim(), "paused");
    docker_ok(&w, &sock, &["unpause", &name]);
    docker_ok(&w, &sock, &["kill", &name]);
    let code = docker_ok(&w, &sock, &["wait", &name]);
    assert_eq!(code.trim(), "137");
    let ps = docker_ok(
        &w,
        &sock,
        &["ps", "-a", "--format", "{{.Names}} {{.Status}}"],
    );
    assert!(
        ps.lines()
            .any(|l| l.starts_with(&format!("{name} Exited (137)"))),
        "{ps}"
    );
    let ps = docker_ok(&w, &sock, &["ps", "--format", "{{.Names}}"]);
    assert!(
        !ps.contains(&name),
        "ps without -a lists only running ones: {ps}"
    );

    // An exit code passes through; start again, stop, remove.
    let quick = unique_name("api-exit");
    run_sh_detached(&w, &sock, &quick, &img, "exit 3");
    assert_eq!(docker_ok(&w, &sock, &["wait", &quick]).trim(), "3");
    docker_ok(&w, &sock, &["start", &name]);
    docker_ok(&w, &sock, &["stop", "-t", "0", &name]);
    docker_ok(&w, &sock, &["restart", "-t", "0", &name]);
    let state = docker_ok(
        &w,
        &sock,
        &["inspect", "--format", "{{.State.Status}}", &name],
    );
    assert_eq!(state.trim(), "running");
    docker_ok(&w, &sock, &["rm", "-f", &name]);
    // prune removes the exited one.
    let pruned = docker_ok(&w, &sock, &["container", "prune", "-f"]);
    assert!(pruned.contains("Deleted Containers"), "{pruned}");
    let ps = docker_ok(&w, &sock, &["ps", "-a", "--format", "{{.Names}}"]);
    assert!(!ps.contains(&name) && !ps.contains(&quick), "{ps}");
    let history = docker_ok(&w, &sock, &["history", "--format", "{{.ID}}", &img]);
    assert!(!history.trim().is_empty(), "{history}");
    w.env.fails(&["container", "exists", &name]);

    // Tag and remove the tag.
    let tag = format!("{}:api-tag", img.rsplit_once(':').unwrap().0);
    docker_ok(&w, &sock, &["tag", &img, &tag]);
    let images = docker_ok(
        &w,
        &sock,
        &["images", "--format", "{{.Repository}}:{{.Tag}}"],
    );
    assert!(images.lines().any(|l| l == tag), "{images}");
    let removed = docker_ok(&w, &sock, &["rmi", &tag]);
    assert!(removed.contains(&format!("Untagged: {tag}")), "{removed}");
    w.env.ok(&["image", "exists", &img]);
}

#[test]
fn docker_run_pulls_a_missing_image_and_errors_are_docker_shaped() {
    let w = common::world(&["busybox"]);
    let img = w.images[0].clone();
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");

    // `docker run` of an image not stored: create answers 404, the CLI
    // pulls and creates again.
    let name = unique_name("api-pull");
    docker_ok(&w, &sock, &["run", "-d", "--name", &name, &img, "true"]);
    assert_eq!(docker_ok(&w, &sock, &["wait", &name]).trim(), "0");
    w.env.ok(&["image", "exists", &img]);

    // A missing container: 404 with Docker's body, and the CLI's message.
    let (status, body) = http_ok(&sock, "GET", "/v1.44/containers/nosuch/json");
    assert_eq!(status, 404);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("no such container"),
        "{body}"
    );
    let out = docker(&w, &sock, &["inspect", "--type", "container", "nosuch"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("nosuch"),
        "{out:?}"
    );
    let out = docker(&w, &sock, &["stop", "nosuch"]);
    assert!(!out.status.success());

    // Malformed JSON: 400 with a message, nothing created.
    let (status, body) = http(
        &sock,
        "POST",
        "/v1.44/containers/create?name=bad",
        Some("{\"Image\": "),
    )
    .unwrap();
    assert_eq!(status, 400, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert!(v["message"].as_str().unwrap().contains("EOF"), "{body}");
    w.env.fails(&["container", "exists", "bad"]);
    // A missing image: 404 (the CLI pulls on it).
    let (status, _) = http(
        &sock,
        "POST",
        "/containers/create",
        Some(r#"{"Image":"localhost:1/none:x"}"#),
    )
    .unwrap();
    assert_eq!(status, 404);
    // An option rpod does not have: 501, never a silent success.
    let body = format!(
        r#"{{"Image":"{img}","HostConfig":{{"Devices":[{{"PathOnHost":"/dev/null","PathInContainer":"/dev/x"}}]}}}}"#
    );
    let (status, text) = http(&sock, "POST", "/containers/create?name=dev", Some(&body)).unwrap();
    assert_eq!(status, 501, "{text}");
    w.env.fails(&["container", "exists", "dev"]);
    // Removing a running container without force: 409.
    let running = unique_name("api-busy");
    docker_ok(
        &w,
        &sock,
        &["run", "-d", "--name", &running, &img, "sleep", "1000"],
    );
    let (status, _) = http(&sock, "DELETE", &format!("/containers/{running}"), None).unwrap();
    assert_eq!(status, 409);
    // An endpoint not implemented yet, an unknown one, a too old version.
    let (status, body) = http_ok(
        &sock,
        "POST",
        &format!("/v5.8.0/libpod/containers/{running}/checkpoint"),
    );
    assert_eq!(status, 501);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("not implemented"),
        "{body}"
    );
    // An oversized body: 413 with a message (the client may still be writing).
    let mut s = UnixStream::connect(&sock).unwrap();
    let big = 5 << 20;
    let _ = write!(
        s,
        "POST /containers/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\nContent-Length: {big}\r\n\r\n"
    );
    let _ = s.write_all(&vec![b' '; big]);
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"message\""), "{answer}");
    // Attach needs the upgraded connection Docker's clients ask for.
    let (status, body) = http_ok(
        &sock,
        "POST",
        &format!("/containers/{running}/attach?stream=1&stdout=1"),
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(http_ok(&sock, "GET", "/nothing/here").0, 404);
    assert_eq!(http_ok(&sock, "GET", "/v1.12/containers/json").0, 400);
    // Still serving.
    let ps = docker_ok(&w, &sock, &["ps", "--format", "{{.Names}}"]);
    assert!(ps.lines().any(|l| l == running), "{ps}");
    docker_ok(&w, &sock, &["rm", "-f", &running]);
}

#[test]
fn libpod_endpoints_answer_podman_json() {
    let (w, img) = busybox();
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");
    let name = unique_name("lp");
    w.env.ok(&["create", "--name", &name, &img, "true"]);
    let pod = unique_name("lppod");
    w.env.ok(&["pod", "create", "--name", &pod]);

    let (status, body) = http(&sock, "GET", "/v5.8.0/libpod/_ping", None).unwrap();
    assert_eq!((status, body.as_str()), (200, "OK"));
    let (status, list) = http_ok(&sock, "GET", "/v5.8.0/libpod/containers/json?all=true");
    assert_eq!(status, 200);
    let mine = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["Names"][0] == name.as_str())
        .unwrap_or_else(|| panic!("{name} not in {list}"));
    assert_eq!(mine["State"], "created");
    let (status, list) = http_ok(&sock, "GET", "/libpod/containers/json");
    assert_eq!(status, 200);
    assert!(
        !list.to_string().contains(&name),
        "only running ones without all: {list}"
    );
    let exists = format!("/v5.8.0/libpod/containers/{name}/exists");
    assert_eq!(http(&sock, "GET", &exists, None).unwrap().0, 204);
    assert_eq!(
        http(&sock, "GET", "/libpod/containers/nosuch/exists", None)
            .unwrap()
            .0,
        404
    );
    let (status, pods) = http_ok(&sock, "GET", "/v5.8.0/libpod/pods/json");
    assert_eq!(status, 200);
    assert!(
        pods.as_array()
            .unwrap()
            .iter()
            .any(|p| p["Name"] == pod.as_str()),
        "{pods}"
    );
    let (status, info) = http_ok(&sock, "GET", "/v5.8.0/libpod/info");
    assert_eq!(status, 200);
    let graph_root = w.env.ok(&["info", "--format", "{{.Store.GraphRoot}}"]);
    assert_eq!(info["store"]["graphRoot"], graph_root.trim());
    let (status, body) = http_ok(&sock, "GET", "/v5.8.0/libpod/volumes/json");
    assert_eq!(status, 200, "{body}");
    assert!(body.is_array(), "{body}");
    let (status, body) = http_ok(&sock, "GET", "/v5.8.0/libpod/containers/x/stats");
    assert_eq!(status, 501, "{body}");
}

#[test]
fn containers_survive_a_killed_service_and_a_new_one_sees_them() {
    let (w, img) = busybox();
    let sock = sock_path(&w);
    let mut service = Service::start(&w.env, &sock, "0");
    let name = unique_name("survivor");
    docker_ok(
        &w,
        &sock,
        &[
            "run",
            "-d",
            "-i",
            "--name",
            &name,
            &img,
            "sh",
            "-c",
            "echo alive; while read l; do echo got $l; done; exec sleep 1000",
        ],
    );
    // A `logs -f` is streaming when the service dies.
    let mut follower = docker_cmd(&w, &sock, &["logs", "-f", &name]);
    follower.stdout(Stdio::null()).stderr(Stdio::null());
    let mut follower = follower.spawn().unwrap();
    // And an attach, seen to carry input and output before the kill.
    let mut attach = docker_cmd(&w, &sock, &["attach", "--sig-proxy=false", &name]);
    attach
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut attach = attach.spawn().unwrap();
    attach.stdin.as_mut().unwrap().write_all(b"x\n").unwrap();
    let mut seen = String::new();
    let mut out = attach.stdout.take().unwrap();
    let mut byte = [0u8; 1];
    while !seen.contains("got x\n") {
        assert_eq!(
            out.read(&mut byte).unwrap(),
            1,
            "attach ended early: {seen:?}"
        );
        seen.push(char::from(byte[0]));
    }
    service.kill();
    let _ = follower.wait();
    let _ = attach.wait();

    assert_eq!(common::state_of(&w.env, &name), "running");
    // The new service replaces the dead one's socket file.
    let _again = Service::start(&w.env, &sock, "0");
    let ps = docker_ok(&w, &sock, &["ps", "--format", "{{.Names}} {{.State}}"]);
    assert!(ps.lines().any(|l| l == format!("{name} running")), "{ps}");
    assert_eq!(docker_ok(&w, &sock, &["logs", &name]), "alive\ngot x\n");
    docker_ok(&w, &sock, &["rm", "-f", &name]);
}

#[test]
fn idle_service_exits_and_socket_activation_serves() {
    let (w, _img) = busybox();
    let sock = sock_path(&w);
    let mut service = Service::start(&w.env, &sock, "1");
    assert_eq!(http(&sock, "GET", "/_ping", None).unwrap().0, 200);
    wait_until(Duration::from_secs(60), "the idle service to exit", || {
        matches!(service.child.try_wait(), Ok(Some(_)))
    });
    assert!(service.child.try_wait().unwrap().unwrap().success());
    assert!(!sock.exists(), "the service removes its socket");

    // Socket activation: a listening socket at fd 3, LISTEN_FDS=1 and
    // LISTEN_PID of the service; the URI argument is not bound.
    let act = w.env.dir().join("activated.sock");
    let listener = std::os::unix::net::UnixListener::bind(&act).unwrap();
    let unused = w.env.dir().join("api").join("unused.sock");
    let base = w.env.cmd(&[
        "system",
        "service",
        "--time",
        "0",
        &format!("unix://{}", unused.display()),
    ]);
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("LISTEN_PID=$$ LISTEN_FDS=1 exec \"$0\" \"$@\"")
        .arg(base.get_program())
        .args(base.get_args())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in base.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let fd = listener.as_raw_fd();
    // SAFETY: dup2 and fcntl are async-signal-safe; the child only puts
    // the listening socket at fd 3 without close-on-exec before exec.
    unsafe {
        cmd.pre_exec(move || {
            let ok = if fd == 3 {
                libc::fcntl(3, libc::F_SETFD, 0)
            } else {
                libc::dup2(fd, 3)
            };
            if ok < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn().unwrap();
    drop(listener);
    let activated = Service {
        child,
        sock: act.clone(),
    };
    activated.wait_ready();
    let (status, list) = http_ok(&act, "GET", "/containers/json?all=1");
    assert_eq!(status, 200);
    assert!(list.is_array(), "{list}");
    assert!(
        !unused.exists(),
        "an activated service binds nothing itself"
    );
}

#[test]
fn docker_run_attached_streams_output_input_and_exit_codes() {
    let (w, img) = busybox();
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");

    // `docker run --rm`: create, attach, wait(removed), start.
    let out = docker(&w, &sock, &["run", "--rm", &img, "echo", "hi"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hi\n");
    let ps = docker_ok(&w, &sock, &["ps", "-a", "-q"]);
    assert_eq!(ps, "", "--rm removed the container");

    // Both streams apart, and the exit code passes through.
    let name = unique_name("api-att");
    let out = docker(
        &w,
        &sock,
        &[
            "run",
            "--name",
            &name,
            &img,
            "sh",
            "-c",
            "echo out; echo err >&2; exit 5",
        ],
    );
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "out\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "err\n");
    // `docker start -a` of the exited container runs it again, attached.
    let out = docker(&w, &sock, &["start", "-a", &name]);
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "out\n");

    // stdin with -i: the client's input reaches the process, EOF closes it.
    let out = docker_with_input(
        &w,
        &sock,
        &["run", "--rm", "-i", &img, "sh", "-c", "cat; echo done"],
        b"typed\n",
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "typed\ndone\n");

    // `docker attach` to a running container; the client leaving does not stop it.
    let ticker = unique_name("api-tick");
    run_sh_detached(
        &w,
        &sock,
        &ticker,
        &img,
        "while true; do echo tick; sleep 0.1; done",
    );
    let mut cmd = docker_cmd(&w, &sock, &["attach", "--sig-proxy=false", &ticker]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut first,
    )
    .unwrap();
    assert_eq!(first, "tick\n");
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(common::state_of(&w.env, &ticker), "running");
    docker_ok(&w, &sock, &["rm", "-f", &ticker, &name]);
}

#[test]
fn docker_exec_runs_attached_with_stdin_and_detached() {
    let (w, img) = busybox();
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");
    let name = unique_name("api-exec");
    docker_ok(
        &w,
        &sock,
        &["run", "-d", "--name", &name, &img, "sleep", "1000"],
    );

    let out = docker(
        &w,
        &sock,
        &["exec", &name, "sh", "-c", "echo out; echo err >&2; exit 7"],
    );
    assert_eq!(out.status.code(), Some(7), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "out\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "err\n");

    let out = docker_with_input(
        &w,
        &sock,
        &["exec", "-i", &name, "sh", "-c", "cat; echo eof"],
        b"in\n",
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "in\neof\n");

    docker_ok(
        &w,
        &sock,
        &["exec", "-d", &name, "sh", "-c", "echo done > /tmp/marker"],
    );
    wait_until(Duration::from_secs(20), "the detached exec's file", || {
        docker(&w, &sock, &["exec", &name, "cat", "/tmp/marker"]).stdout == b"done\n"
    });

    // Unknown exec sessions and stopped containers.
    assert_eq!(http_ok(&sock, "GET", "/exec/nosuch/json").0, 404);
    docker_ok(&w, &sock, &["stop", "-t", "0", &name]);
    let out = docker(&w, &sock, &["exec", &name, "true"]);
    assert!(!out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is not running"),
        "{out:?}"
    );
    docker_ok(&w, &sock, &["rm", "-f", &name]);
}

#[test]
fn concurrent_clients_get_every_exit_code() {
    let (w, img) = busybox();
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");
    let prefix = unique_name("conc");
    let threads: Vec<_> = (0..20)
        .map(|i| {
            let sock = sock.clone();
            let img = img.clone();
            let name = format!("{prefix}-{i}");
            std::thread::spawn(move || {
                // Two rounds: 20 clients, 280 requests, 40 containers.
                for round in 0..2 {
                    let code = i + 20 * round;
                    let name = format!("{name}-{round}");
                    let body = format!(r#"{{"Image":"{img}","Cmd":["sh","-c","exit {code}"]}}"#);
                    let (status, created) = http(
                        &sock,
                        "POST",
                        &format!("/containers/create?name={name}"),
                        Some(&body),
                    )
                    .unwrap();
                    assert_eq!(status, 201, "{created}");
                    let (status, _) = http_ok(&sock, "GET", "/containers/json?all=1");
                    assert_eq!(status, 200);
                    let (status, _) =
                        http(&sock, "POST", &format!("/containers/{name}/start"), None).unwrap();
                    assert_eq!(status, 204);
                    let (status, inspected) =
                        http_ok(&sock, "GET", &format!("/containers/{name}/json"));
                    assert_eq!(status, 200);
                    assert_eq!(inspected["Name"], format!("/{name}"));
                    let (status, waited) =
                        http_ok(&sock, "POST", &format!("/containers/{name}/wait"));
                    assert_eq!(status, 200);
                    assert_eq!(waited["StatusCode"], code, "{name}: {waited}");
                    let (status, _) =
                        http(&sock, "DELETE", &format!("/containers/{name}"), None).unwrap();
                    assert_eq!(status, 204);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let (_, list) = http_ok(&sock, "GET", "/containers/json?all=1");
    assert_eq!(list, serde_json::json!([]));
}

#[test]
fn docker_volumes_create_mount_list_and_remove() {
    let (w, img) = busybox();
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");
    let vol = unique_name("apivol");
    assert_eq!(
        docker_ok(&w, &sock, &["volume", "create", "--label", "k=v", &vol]).trim(),
        vol
    );
    let ls = docker_ok(
        &w,
        &sock,
        &["volume", "ls", "--format", "{{.Name}} {{.Driver}}"],
    );
    assert!(ls.lines().any(|l| l == format!("{vol} local")), "{ls}");
    let label = docker_ok(
        &w,
        &sock,
        &["volume", "inspect", "--format", "{{.Labels.k}}", &vol],
    );
    assert_eq!(label.trim(), "v");
    // Mounted by a container: written there, read by the next one.
    let mount = format!("{vol}:/data");
    let out = docker(
        &w,
        &sock,
        &[
            "run",
            "--rm",
            "-v",
            &mount,
            &img,
            "sh",
            "-c",
            "echo kept > /data/f",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let out = docker(
        &w,
        &sock,
        &["run", "--rm", "-v", &mount, &img, "cat", "/data/f"],
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "kept\n", "{out:?}");
    // In use: 409; then removed.
    let user = unique_name("api-voluser");
    docker_ok(
        &w,
        &sock,
        &[
            "run", "-d", "--name", &user, "-v", &mount, &img, "sleep", "1000",
        ],
    );
    assert_eq!(
        http(&sock, "DELETE", &format!("/volumes/{vol}"), None)
            .unwrap()
            .0,
        409
    );
    docker_ok(&w, &sock, &["rm", "-f", &user]);
    docker_ok(&w, &sock, &["volume", "rm", &vol]);
    assert_eq!(
        http(&sock, "GET", &format!("/volumes/{vol}"), None)
            .unwrap()
            .0,
        404
    );
}

#[test]
fn docker_cp_copies_both_ways_and_archive_endpoints_answer() {
    let (w, img) = busybox();
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");
    let name = unique_name("api-cp");
    docker_ok(
        &w,
        &sock,
        &["run", "-d", "--name", &name, &img, "sleep", "1000"],
    );
    let host = w.env.dir().join("cp-host");
    std::fs::create_dir_all(host.join("d/sub")).unwrap();
    std::fs::write(host.join("hello.txt"), "hello\n").unwrap();
    std::fs::write(host.join("d/sub/f"), "deep\n").unwrap();
    let h = |p: &str| host.join(p).to_string_lossy().into_owned();
    let c = |p: &str| format!("{name}:{p}");

    // Host to container: into a directory, and renamed onto a new path.
    docker_ok(&w, &sock, &["cp", &h("hello.txt"), &c("/tmp/")]);
    docker_ok(&w, &sock, &["cp", &h("d"), &c("/tmp/newd")]);
    let out = docker_ok(
        &w,
        &sock,
        &["exec", &name, "cat", "/tmp/hello.txt", "/tmp/newd/sub/f"],
    );
    assert_eq!(out, "hello\ndeep\n");

    // Container to host: a directory renamed, a file into a directory.
    docker_ok(&w, &sock, &["cp", &c("/tmp/newd"), &h("back")]);
    assert_eq!(
        std::fs::read_to_string(host.join("back/sub/f")).unwrap(),
        "deep\n"
    );
    docker_ok(&w, &sock, &["cp", &c("/etc/hostname"), &h("d")]);
    assert!(host.join("d/hostname").is_file());

    // Container to stdout: a tar stream with the file as its root entry.
    let out = docker(&w, &sock, &["cp", &c("/tmp/hello.txt"), "-"]);
    assert!(out.status.success(), "{out:?}");
    let mut archive = tar::Archive::new(&out.stdout[..]);
    let mut entries = archive.entries().unwrap();
    let mut first = entries.next().unwrap().unwrap();
    assert_eq!(first.path().unwrap().to_string_lossy(), "hello.txt");
    let mut content = String::new();
    first.read_to_string(&mut content).unwrap();
    assert_eq!(content, "hello\n");

    // A missing path is a 404 (the client says so), the header names it.
    let out = docker(&w, &sock, &["cp", &c("/nonexistent"), &h("x")]);
    assert!(!out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("No such"),
        "{out:?}"
    );
    let (status, _) = http(
        &sock,
        "GET",
        &format!("/containers/{name}/archive?path=/nonexistent"),
        None,
    )
    .unwrap();
    assert_eq!(status, 404);
    let (status, _) = http(&sock, "GET", &format!("/containers/{name}/archive"), None).unwrap();
    assert_eq!(status, 400);
    let (status, _) = http(&sock, "GET", "/containers/nosuchctr/archive?path=/", None).unwrap();
    assert_eq!(status, 404);
    docker_ok(&w, &sock, &["rm", "-f", &name]);
}

#[test]
fn docker_events_and_system_df() {
    let (w, img) = busybox();
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");
    let name = unique_name("api-ev");
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    let since = now() - 1;
    let out = docker(
        &w,
        &sock,
        &["run", "--name", &name, &img, "sh", "-c", "exit 4"],
    );
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let until = (now() + 1).to_string();
    let filter = format!("container={name}");
    let got = docker_ok(
        &w,
        &sock,
        &[
            "events",
            "--since",
            &since.to_string(),
            "--until",
            &until,
            "--filter",
            &filter,
            "--format",
            "{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{index .Actor.Attributes \"exitCode\"}}",
        ],
    );
    let lines: Vec<&str> = got.lines().collect();
    assert!(
        lines.contains(&format!("container start {name} ").as_str()),
        "{got}"
    );
    assert!(
        lines.contains(&format!("container die {name} 4").as_str()),
        "{got}"
    );
    // The libpod path keeps Podman's words.
    let (status, body) = http(
        &sock,
        "GET",
        &format!(
            "/v5.0.0/libpod/events?stream=false&filters=%7B%22container%22%3A%5B%22{name}%22%5D%7D"
        ),
        None,
    )
    .unwrap();
    assert_eq!(status, 200);
    let actions: Vec<String> = body
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["Action"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(actions.contains(&"died".to_owned()), "{body}");
    // A bad filter is refused before the stream starts.
    let (status, _) = http(&sock, "GET", "/events?filters=notjson", None).unwrap();
    assert_eq!(status, 400);

    let df = docker_ok(
        &w,
        &sock,
        &["system", "df", "--format", "{{.Type}} {{.TotalCount}}"],
    );
    assert!(df.lines().any(|l| l == "Containers 1"), "{df}");
    assert!(df.lines().any(|l| l.starts_with("Images ")), "{df}");
    let (status, v) = http_ok(&sock, "GET", "/system/df");
    assert_eq!(status, 200);
    assert_eq!(v["Containers"][0]["Names"][0], name.as_str());
    docker_ok(&w, &sock, &["rm", &name]);
}

#[test]
fn docker_stats_export_and_diff() {
    let (w, img) = busybox();
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");
    let name = unique_name("api-st");
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
            "touch /added; sleep 1000",
        ],
    );
    wait_until(Duration::from_secs(20), "the container's file", || {
        docker(&w, &sock, &["exec", &name, "ls", "/added"])
            .status
            .success()
    });
    let got = docker_ok(
        &w,
        &sock,
        &[
            "stats",
            "--no-stream",
            "--format",
            "{{.Name}} {{.PIDs}}",
            &name,
        ],
    );
    let (n, pids) = got.trim().split_once(' ').unwrap();
    assert_eq!(n, name);
    assert!(pids.parse::<u64>().unwrap() >= 1, "{got}");
    let (status, v) = http_ok(
        &sock,
        "GET",
        &format!("/containers/{name}/stats?stream=false"),
    );
    assert_eq!(status, 200);
    assert!(v["memory_stats"]["usage"].as_u64().unwrap() > 0, "{v}");
    assert!(
        v["cpu_stats"]["system_cpu_usage"].as_u64().unwrap() > 0,
        "{v}"
    );
    let (status, _) = http_ok(&sock, "GET", "/containers/nosuch/stats?stream=false");
    assert_eq!(status, 404);

    let diff = docker_ok(&w, &sock, &["diff", &name]);
    assert!(diff.lines().any(|l| l == "A /added"), "{diff}");

    let out = docker(&w, &sock, &["export", &name]);
    assert!(out.status.success(), "{out:?}");
    let mut archive = tar::Archive::new(&out.stdout[..]);
    let names: Vec<String> = archive
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().any(|n| n.trim_start_matches("./") == "added"),
        "{names:?}"
    );
    assert!(
        names.iter().any(|n| n.trim_start_matches("./") == "bin/sh"),
        "{names:?}"
    );
    docker_ok(&w, &sock, &["rm", "-f", &name]);
}

#[test]
fn docker_exec_it_in_a_terminal_and_run_on_a_network() {
    let (w, img) = busybox();
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");
    // A network with its own bridge name (this helper's prefix), made
    // through the libpod API; the docker CLI then runs on it by name.
    let net = unique_name("apinet");
    let body = format!(
        r#"{{"name":"{net}","driver":"bridge","network_interface":"rem84d{}","subnets":[{{"subnet":"10.84.41.0/24"}}]}}"#,
        std::process::id() % 10_000
    );
    let (status, _) = http(&sock, "POST", "/v5.0.0/libpod/networks/create", Some(&body)).unwrap();
    assert_eq!(status, 200);
    let out = docker_ok(
        &w,
        &sock,
        &[
            "run",
            "--rm",
            "--network",
            &net,
            &img,
            "ip",
            "-4",
            "-o",
            "addr",
            "show",
            "eth0",
        ],
    );
    assert!(out.contains("inet 10.84.41."), "{out}");
    let listed = docker_ok(&w, &sock, &["network", "ls", "--format", "{{.Name}}"]);
    assert!(listed.lines().any(|l| l == net), "{listed}");

    // exec -it: the docker CLI in a terminal (`script`), a TTY inside.
    let name = unique_name("api-tty");
    docker_ok(
        &w,
        &sock,
        &["run", "-d", "--name", &name, &img, "sleep", "1000"],
    );
    let line = format!("docker exec -it {name} sh -c 'read x; tty; echo got-$x; exit 3'");
    let mut child = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env("DOCKER_HOST", format!("unix://{}", sock.display()))
        .env("DOCKER_CONFIG", w.env.dir().join("docker-config"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.as_mut().unwrap().write_all(b"hi\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let got = String::from_utf8_lossy(&out.stdout);
    assert!(got.contains("/dev/pts/"), "{got}");
    assert!(got.contains("got-hi"), "{got}");
    assert_eq!(out.status.code(), Some(3), "{got}");
    docker_ok(&w, &sock, &["rm", "-f", &name]);
    docker_ok(&w, &sock, &["network", "rm", &net]);
}

#[test]
fn docker_update_changes_limits_and_restart_policy() {
    let (w, img) = busybox();
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");
    let name = unique_name("api-up");
    docker_ok(
        &w,
        &sock,
        &["run", "-d", "--name", &name, &img, "sleep", "1000"],
    );
    let out = docker_ok(
        &w,
        &sock,
        &[
            "update",
            "--memory",
            "64m",
            "--memory-swap",
            "128m",
            "--cpu-shares",
            "256",
            "--restart",
            "always",
            &name,
        ],
    );
    assert_eq!(out.trim(), name);
    let got = docker_ok(
        &w,
        &sock,
        &[
            "inspect",
            "--format",
            "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.CpuShares}} {{.HostConfig.RestartPolicy.Name}}",
            &name,
        ],
    );
    assert_eq!(got.trim(), "67108864 134217728 256 always");
    let limit = docker_ok(
        &w,
        &sock,
        &[
            "exec",
            &name,
            "cat",
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
        ],
    );
    assert_eq!(limit.trim(), "67108864");
    docker_ok(&w, &sock, &["update", "--restart", "on-failure:3", &name]);
    let got = docker_ok(
        &w,
        &sock,
        &[
            "inspect",
            "--format",
            "{{.HostConfig.Memory}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}",
            &name,
        ],
    );
    assert_eq!(got.trim(), "67108864 on-failure 3");

    let out = docker(&w, &sock, &["update", "--memory", "64m", "nosuchctr"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no such container"),
        "{out:?}"
    );
    let (status, v) = http_body(
        &sock,
        &format!("/containers/{name}/update"),
        r#"{"CgroupParent":"/elsewhere"}"#,
    );
    assert_eq!(status, 501, "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("CgroupParent"),
        "{v}"
    );
    let (status, v) = http_body(&sock, &format!("/containers/{name}/update"), "{");
    assert_eq!(status, 400, "{v}");
    let (status, v) = http_body(
        &sock,
        &format!("/v1.44/containers/{name}/update"),
        r#"{"PidsLimit":99}"#,
    );
    assert_eq!(status, 200, "{v}");
    assert_eq!(v, serde_json::json!({"Warnings": []}));
    docker_ok(&w, &sock, &["rm", "-f", &name]);
}

fn http_body(sock: &Path, path: &str, body: &str) -> (u16, Value) {
    let (status, body) = http(sock, "POST", path, Some(body)).unwrap();
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// A WebSocket attach over the service's socket: the messages in order
/// (`true` for a binary frame) until the server closes, after sending
/// `input` (each as a text message) once the connection is up.
struct WsAttach {
    sock: tungstenite::WebSocket<UnixStream>,
}

impl WsAttach {
    fn open(sock: &Path, path: &str) -> Result<WsAttach, tungstenite::Error> {
        let stream = UnixStream::connect(sock).map_err(tungstenite::Error::Io)?;
        // A guard against a hang, not a timed assertion.
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        let url = format!("ws://localhost{path}");
        let (ws, _) = tungstenite::client::client(url.as_str(), stream).map_err(|e| match e {
            tungstenite::HandshakeError::Failure(e) => e,
            tungstenite::HandshakeError::Interrupted(_) => {
                tungstenite::Error::Io(std::io::ErrorKind::WouldBlock.into())
            }
        })?;
        Ok(WsAttach { sock: ws })
    }

    fn send(&mut self, text: &str) {
        self.sock
            .send(tungstenite::Message::text(text))
            .expect("websocket send");
    }

    /// Messages until `until` is in their concatenation or the server
    /// closes: (the text, whether every data frame was binary, closed).
    fn read_until(&mut self, until: &str) -> (String, bool, bool) {
        let mut text = String::new();
        let mut all_binary = true;
        loop {
            match self.sock.read() {
                Ok(tungstenite::Message::Binary(b)) => text.push_str(&String::from_utf8_lossy(&b)),
                Ok(tungstenite::Message::Text(t)) => {
                    all_binary = false;
                    text.push_str(&t);
                }
                Ok(tungstenite::Message::Close(_)) => {
                    let _ = self.sock.flush();
                }
                Ok(_) => {}
                Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                    return (text, all_binary, true)
                }
                Err(e) => panic!("websocket read: {e} (so far: {text:?})"),
            }
            if !until.is_empty() && text.contains(until) {
                return (text, all_binary, false);
            }
        }
    }
}

#[test]
fn attach_over_a_websocket() {
    let (w, img) = busybox();
    let sock = sock_path(&w);
    let _service = Service::start(&w.env, &sock, "0");

    // Input and output, binary frames (API 1.44), the end with the process.
    let echo = unique_name("api-ws");
    docker_ok(
        &w,
        &sock,
        &[
            "run",
            "-d",
            "-i",
            "--name",
            &echo,
            &img,
            "sh",
            "-c",
            "read a; echo \"got $a\"; echo oops >&2; read b; echo \"then $b\"; exit 3",
        ],
    );
    let mut ws = WsAttach::open(
        &sock,
        &format!("/v1.44/containers/{echo}/attach/ws?stream=1&stdin=1&stdout=1&stderr=1"),
    )
    .unwrap();
    ws.send("hello\n");
    let (got, binary, _) = ws.read_until("oops");
    assert!(got.contains("got hello\n"), "{got:?}");
    assert!(binary, "frames of API 1.44 are binary");
    assert!(!got.contains('\u{1}'), "never multiplexed: {got:?}");
    ws.send("world\n");
    let (got, _, closed) = ws.read_until("");
    assert!(got.contains("then world"), "{got:?}");
    assert!(closed);
    assert_eq!(docker_ok(&w, &sock, &["wait", &echo]).trim(), "3");

    // Only the streams asked for (API >= 1.42): stdout without stderr.
    let ticker = unique_name("api-wst");
    docker_ok(
        &w,
        &sock,
        &[
            "run",
            "-d",
            "--name",
            &ticker,
            &img,
            "sh",
            "-c",
            "while true; do echo out; echo err >&2; sleep 0.2; done",
        ],
    );
    let mut ws = WsAttach::open(
        &sock,
        &format!("/v1.44/containers/{ticker}/attach/ws?stream=1&stdout=1"),
    )
    .unwrap();
    let (got, _, _) = ws.read_until("out\nout\nout\n");
    assert!(!got.contains("err"), "{got:?}");
    drop(ws);
    // Before API 1.28: text frames, and before 1.42 every stream.
    let mut ws = WsAttach::open(
        &sock,
        &format!("/v1.27/containers/{ticker}/attach/ws?stream=1"),
    )
    .unwrap();
    let (got, binary, _) = ws.read_until("err\n");
    assert!(!binary, "frames before API 1.28 are text: {got:?}");
    drop(ws);
    // The container outlives its clients.
    let state = docker_ok(
        &w,
        &sock,
        &["inspect", "--format", "{{.State.Running}}", &ticker],
    );
    assert_eq!(state.trim(), "true");

    // Errors: no such container; no upgrade; logs=1 not implemented.
    let err = WsAttach::open(&sock, "/containers/nosuchctr/attach/ws?stream=1")
        .err()
        .unwrap();
    assert!(
        matches!(&err, tungstenite::Error::Http(r) if r.status() == 404),
        "{err:?}"
    );
    let (status, _) = http_ok(
        &sock,
        "GET",
        &format!("/containers/{ticker}/attach/ws?stream=1"),
    );
    assert_eq!(status, 400);
    let (status, _) = http_ok(
        &sock,
        "GET",
        &format!("/containers/{ticker}/attach/ws?stream=1&logs=1"),
    );
    assert_eq!(status, 501);
    docker_ok(&w, &sock, &["rm", "-f", &echo, &ticker]);
}
