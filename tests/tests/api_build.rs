//! Image builds over the REST API with real clients: the docker CLI's
//! classic builder (`DOCKER_BUILDKIT=0`, `POST /v1.xx/build`), docker-py's
//! `images.build`, and `rpod --remote build` (`POST /libpod/build`, the
//! context packed by the client); the built images run; failing RUNs and
//! refused parameters answer as Docker's and Podman's clients expect.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::busybox;
use common::htpasswd_registry::{HtpasswdRegistry, PASSWORD, USER};
use common::service::{http, Service};
use rpod_tests::{rpod_bin, run_with_timeout, unique_name, TestEnv};

const TIMEOUT: Duration = Duration::from_secs(300);

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A directory holding `files` (name, content).
fn context(env: &TestEnv, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = env.dir().join(name);
    for (f, content) in files {
        let p = dir.join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, content).unwrap();
    }
    dir
}

/// `docker ARGS` against the service, classic builder.
fn docker(env: &TestEnv, sock: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new("docker");
    cmd.args(args)
        .env("DOCKER_HOST", format!("unix://{}", sock.display()))
        .env("DOCKER_CONFIG", env.dir().join("docker-config"))
        .env("DOCKER_BUILDKIT", "0")
        .stdin(Stdio::null());
    run_with_timeout(&mut cmd, TIMEOUT)
}

fn docker_ok(env: &TestEnv, sock: &Path, args: &[&str]) -> String {
    let out = docker(env, sock, args);
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

/// `rpod --url unix://SOCK ARGS` (no local store flags), in `cwd`.
fn remote(env: &TestEnv, sock: &Path, cwd: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(rpod_bin());
    cmd.arg("--url")
        .arg(format!("unix://{}", sock.display()))
        .args(args)
        .current_dir(cwd)
        .env("XDG_CONFIG_HOME", env.dir().join("config"))
        .env("CONTAINERS_REGISTRIES_CONF", env.registries_conf())
        .env("REMOTE_BUILD_ARG", "from-the-client")
        .env_remove("CONTAINER_HOST")
        .env_remove("CONTAINER_CONNECTION")
        .env_remove("REGISTRY_AUTH_FILE")
        .stdin(Stdio::null());
    run_with_timeout(&mut cmd, TIMEOUT)
}

#[test]
fn docker_cli_builds_and_runs_and_failures_are_docker_shaped() {
    let (w, img) = busybox();
    let env = &w.env;
    let sock = env.dir().join("api").join("rpod.sock");
    let _service = Service::start(env, &sock, "0");
    let tag = format!("{}:v1", unique_name("apib-docker"));
    let dir = context(
        env,
        "ctx-docker",
        &[
            (
                "Dockerfile",
                &format!(
                    "FROM {img}\n\
                     ARG GREETING=hello\n\
                     COPY data.txt /data.txt\n\
                     RUN echo \"$GREETING from run\" > /run.txt && cat /data.txt >> /run.txt\n\
                     CMD [\"cat\", \"/run.txt\"]\n"
                ),
            ),
            ("data.txt", "data file\n"),
            ("Dockerfile.fails", &format!("FROM {img}\nRUN exit 3\n")),
        ],
    );
    let iid = env.dir().join("docker-iid");
    let out = docker_ok(
        env,
        &sock,
        &[
            "build",
            "--build-arg",
            "GREETING=hi",
            "--label",
            "org.example.via=docker",
            "-t",
            &tag,
            "--iidfile",
            iid.to_str().unwrap(),
            dir.to_str().unwrap(),
        ],
    );
    // The label is a last step, as Buildah adds it.
    assert!(out.contains("STEP 1/6: FROM"), "{out}");
    assert!(out.contains("Successfully built "), "{out}");
    assert!(out.contains(&format!("Successfully tagged {tag}")), "{out}");
    // The aux ID object is what Docker's CLI writes to --iidfile.
    let id = std::fs::read_to_string(&iid).unwrap();
    let inspected = env.ok(&["image", "inspect", "--format", "{{.Id}}", &tag]);
    assert_eq!(id.trim_start_matches("sha256:"), inspected.trim());
    let label = env.ok(&[
        "image",
        "inspect",
        "--format",
        "{{index .Labels \"org.example.via\"}}",
        &tag,
    ]);
    assert_eq!(label.trim(), "docker");
    let ran = docker_ok(env, &sock, &["run", "--rm", &tag]);
    assert_eq!(ran, "hi from run\ndata file\n");

    // A gzip-compressed context, quiet: only the ID comes back.
    let quiet_tag = format!("{tag}-q");
    let out = docker_ok(
        env,
        &sock,
        &[
            "build",
            "--compress",
            "-q",
            "-t",
            &quiet_tag,
            dir.to_str().unwrap(),
        ],
    );
    let quiet_id = env.ok(&["image", "inspect", "--format", "{{.Id}}", &quiet_tag]);
    assert_eq!(
        out.trim().trim_start_matches("sha256:"),
        quiet_id.trim(),
        "{out}"
    );

    // A failing RUN: the error object after the 200, a non-zero exit.
    let out = docker(
        env,
        &sock,
        &[
            "build",
            "-f",
            dir.join("Dockerfile.fails").to_str().unwrap(),
            dir.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success(), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("exit status 3"),
        "{}",
        text(&out.stderr)
    );

    // Parameters rpod cannot honour are refused by name, before the build.
    let (status, body) = http(&sock, "POST", "/v1.44/build?outputs=type%3Dlocal", None).unwrap();
    assert_eq!(status, 501, "{body}");
    assert!(body.contains("outputs"), "{body}");
    let (status, body) = http(&sock, "POST", "/build?buildargs=%7B", None).unwrap();
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("'buildargs'"), "{body}");
    let (status, body) = http(
        &sock,
        "POST",
        "/v5.8.0/libpod/build?remote=https%3A%2F%2Fexample.invalid%2Fctx.tar",
        None,
    )
    .unwrap();
    assert_eq!(status, 501, "{body}");
    assert!(body.contains("remote"), "{body}");
    // The build cache's prune stays unimplemented, said so.
    let (status, _) = http(&sock, "POST", "/build/prune", None).unwrap();
    assert_eq!(status, 501);
    env.ok(&["rmi", &tag, &quiet_tag]);
}

#[test]
fn docker_build_pulls_from_with_the_clients_registry_credentials() {
    let (w, img) = busybox();
    let env = &w.env;
    let areg = HtpasswdRegistry::start();
    areg.trust(env);
    let sock = env.dir().join("api").join("rpod.sock");
    let _service = Service::start(env, &sock, "0");
    // A base only the authenticated registry has (never stored locally).
    let base = format!("{}/apib/base:v1", areg.addr);
    env.ok(&[
        "push",
        "--creds",
        &format!("{USER}:{PASSWORD}"),
        &img,
        &base,
    ]);
    let dir = context(
        env,
        "ctx-auth",
        &[(
            "Dockerfile",
            &format!("FROM {base}\nRUN echo pulled > /p\nCMD [\"cat\", \"/p\"]\n"),
        )],
    );
    let tag = format!("{}:v1", unique_name("apib-auth"));
    // Without credentials Buildah's pull of FROM is refused.
    let out = docker(env, &sock, &["build", "-t", &tag, dir.to_str().unwrap()]);
    assert!(!out.status.success(), "{}", text(&out.stdout));
    // `docker login` through the service; the CLI then sends its
    // credentials in X-Registry-Config with every build.
    let out = docker_ok(
        env,
        &sock,
        &["login", "-u", USER, "-p", PASSWORD, &areg.addr],
    );
    assert!(out.contains("Login Succeeded"), "{out}");
    docker_ok(env, &sock, &["build", "-t", &tag, dir.to_str().unwrap()]);
    assert_eq!(docker_ok(env, &sock, &["run", "--rm", &tag]), "pulled\n");
    // The private auth file is gone with the build.
    let left: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("rpod-build-auth-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    env.ok(&["rmi", &tag]);
}

#[test]
fn docker_py_builds_and_runs() {
    let (w, img) = busybox();
    let env = &w.env;
    let sock = env.dir().join("api").join("rpod.sock");
    let _service = Service::start(env, &sock, "0");
    let tag = format!("{}:v1", unique_name("apib-dpy"));
    let dir = context(
        env,
        "ctx-dpy",
        &[
            (
                "Dockerfile",
                &format!(
                    "FROM {img}\nARG WHO\nRUN echo \"$WHO built\" > /who\nCMD [\"cat\", \"/who\"]\n"
                ),
            ),
            ("Dockerfile.fails", &format!("FROM {img}\nRUN exit 3\n")),
        ],
    );
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/docker_py_build.py");
    let out = run_with_timeout(
        Command::new("python3").arg(script).args([
            sock.to_str().unwrap(),
            dir.to_str().unwrap(),
            &tag,
        ]),
        Duration::from_secs(600),
    );
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "docker-py build script failed ({})\n--- stdout ---\n{stdout}\n--- stderr ---\n{}",
        out.status,
        text(&out.stderr)
    );
    assert!(stdout.contains("docker-py: all passed"), "{stdout}");
}

#[test]
fn remote_build_packs_the_context_and_streams_the_output() {
    let (w, img) = busybox();
    let env = &w.env;
    let sock = env.dir().join("api").join("rpod.sock");
    let _service = Service::start(env, &sock, "0");
    let tag = format!("{}:v1", unique_name("apib-remote"));
    let containerfile = format!(
        "FROM {img}\n\
         ARG FROM_CLIENT\n\
         ARG GIVEN\n\
         COPY . /ctx/\n\
         RUN echo \"$GIVEN $FROM_CLIENT\" > /args && ls /ctx > /listing\n\
         CMD [\"sh\", \"-c\", \"cat /args /listing\"]\n"
    );
    let dir = context(
        env,
        "ctx-remote",
        &[
            ("kept.txt", "kept\n"),
            ("secret.key", "never sent\n"),
            (".containerignore", "*.key\n"),
        ],
    );
    // The Containerfile lies outside the context: the client adds it.
    let outside = context(env, "cf-remote", &[("Containerfile", &containerfile)]);
    let iid = env.dir().join("remote-iid");
    let out = remote(
        env,
        &sock,
        env.dir(),
        &[
            "build",
            "-f",
            outside.join("Containerfile").to_str().unwrap(),
            "-t",
            &tag,
            "--build-arg",
            "GIVEN=given",
            "--build-arg",
            "FROM_CLIENT=client",
            "--label",
            "org.example.via=remote",
            "--iidfile",
            iid.to_str().unwrap(),
            dir.to_str().unwrap(),
        ],
    );
    let stdout = text(&out.stdout);
    assert!(
        out.status.success(),
        "remote build failed: {}\n{stdout}\n{}",
        out.status,
        text(&out.stderr)
    );
    assert!(stdout.contains("STEP 1/7: FROM"), "{stdout}");
    assert!(stdout.contains("COMMIT"), "{stdout}");
    let id = std::fs::read_to_string(&iid).unwrap();
    let inspected = env.ok(&["image", "inspect", "--format", "{{.Id}}", &tag]);
    assert_eq!(id, format!("sha256:{}", inspected.trim()));
    // Podman's output ends with the ID.
    assert_eq!(stdout.lines().last(), Some(inspected.trim()), "{stdout}");
    let label = env.ok(&[
        "image",
        "inspect",
        "--format",
        "{{index .Labels \"org.example.via\"}}",
        &tag,
    ]);
    assert_eq!(label.trim(), "remote");
    let ran = env.ok(&["run", "--rm", &tag]);
    let lines: Vec<&str> = ran.lines().collect();
    assert_eq!(lines[0], "given client", "{ran}");
    assert!(lines.contains(&"kept.txt"), "{ran}");
    assert!(!lines.contains(&"secret.key"), "{ran}");

    // -q prints only the ID; --build-arg KEY takes the client's variable.
    let quiet = context(
        env,
        "ctx-remote-quiet",
        &[(
            "Containerfile",
            &format!("FROM {img}\nARG REMOTE_BUILD_ARG\nRUN echo \"$REMOTE_BUILD_ARG\" > /v\n"),
        )],
    );
    let out = remote(
        env,
        &sock,
        &quiet,
        &[
            "build",
            "-q",
            "--build-arg",
            "REMOTE_BUILD_ARG",
            "-t",
            &format!("{tag}-q"),
            ".",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let qid = text(&out.stdout);
    assert_eq!(qid.lines().count(), 1, "{qid}");
    let v = env.ok(&["run", "--rm", &format!("{tag}-q"), "cat", "/v"]);
    assert_eq!(v, "from-the-client\n");

    // A failing RUN: Podman's remote exit code (125) and Buildah's message.
    let fails = context(
        env,
        "ctx-remote-fails",
        &[("Containerfile", &format!("FROM {img}\nRUN exit 3\n"))],
    );
    let out = remote(env, &sock, &fails, &["build", "."]);
    assert_eq!(out.status.code(), Some(125), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    assert!(
        err.contains("Error: ") && err.contains("exit status 3"),
        "{err}"
    );

    // Flags the API does not carry yet are refused by name.
    let out = remote(env, &sock, &fails, &["build", "--network", "host", "."]);
    assert_eq!(out.status.code(), Some(125));
    assert!(
        text(&out.stderr).contains("--network is not supported in remote mode yet"),
        "{}",
        text(&out.stderr)
    );
    env.ok(&["rmi", &tag, &format!("{tag}-q")]);
}
