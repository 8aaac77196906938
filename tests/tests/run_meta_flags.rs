//! `create`/`run --annotation`, `--http-proxy`, `--retry` and
//! `--retry-delay`, and `pull --policy`, as Podman's.

mod common;

use common::{busybox, inspect};
use rpod_tests::unique_name;

#[test]
fn annotations_are_stored_and_shown_by_inspect() {
    let (w, img) = busybox();
    let name = unique_name("annot");
    w.env.ok(&[
        "create",
        "--name",
        &name,
        "--annotation",
        "org.example.a=1",
        "--annotation",
        "org.example.b=x=y",
        "--annotation",
        "org.example.a=2",
        &img,
    ]);
    let c = inspect(&w.env, &name);
    let ann = &c["Config"]["Annotations"];
    assert_eq!(ann["org.example.a"], "2", "{ann}");
    assert_eq!(ann["org.example.b"], "x=y", "{ann}");
    let (code, err) = w.env.fails(&["create", "--annotation", "novalue", &img]);
    assert_eq!(code, 125, "{err}");
    assert!(
        err.contains("Error: annotations must be formatted KEY=VALUE"),
        "{err}"
    );
    w.env.ok(&["rm", "-f", &name]);
}

/// The proxy variables of rpod's environment reach the container unless
/// `--http-proxy=false`; the user's `-e` wins over them.
#[test]
fn http_proxy_passes_the_proxy_variables_unless_false() {
    let (w, img) = busybox();
    let run_env = |extra: &[&str]| {
        let mut args = vec!["run", "--rm"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&[img.as_str(), "env"]);
        let mut cmd = w.env.cmd(&args);
        cmd.env("https_proxy", "http://127.0.0.1:3128")
            .env("NO_PROXY", "localhost")
            .env_remove("http_proxy")
            .env_remove("HTTP_PROXY");
        let out = rpod_tests::run_with_timeout(&mut cmd, rpod_tests::DEFAULT_COMMAND_TIMEOUT);
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let env = run_env(&[]);
    assert!(
        env.lines()
            .any(|l| l == "https_proxy=http://127.0.0.1:3128"),
        "{env}"
    );
    assert!(env.lines().any(|l| l == "NO_PROXY=localhost"), "{env}");
    assert!(!env.contains("http_proxy="), "{env}");
    let env = run_env(&["--http-proxy=false"]);
    assert!(!env.contains("https_proxy"), "{env}");
    assert!(!env.contains("NO_PROXY"), "{env}");
    let env = run_env(&["-e", "NO_PROXY=mine"]);
    assert!(env.lines().any(|l| l == "NO_PROXY=mine"), "{env}");
    assert!(!env.contains("NO_PROXY=localhost"), "{env}");
}

/// `--retry N --retry-delay D`: the pull of a missing image is tried N
/// more times after a network failure (a closed loopback port here).
#[test]
fn create_retries_the_pull_as_asked() {
    let (w, _img) = busybox();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let image = format!("127.0.0.1:{port}/nothing:latest");
    let (code, err) = w.env.fails(&[
        "create",
        "--tls-verify=false",
        "--retry",
        "2",
        "--retry-delay",
        "10ms",
        &image,
    ]);
    assert_eq!(code, 125, "{err}");
    assert!(err.contains("(1/2)") && err.contains("(2/2)"), "{err}");
    assert!(!err.contains("(3/2)"), "{err}");
    let (code, err) = w
        .env
        .fails(&["create", "--tls-verify=false", "--retry", "0", &image]);
    assert_eq!(code, 125, "{err}");
    assert!(!err.contains("retrying"), "{err}");
    let (code, err) = w.env.fails(&["run", "--retry-delay", "soon", &image]);
    assert_eq!(code, 125, "{err}");
    assert!(err.contains("time: invalid duration \"soon\""), "{err}");
    assert_eq!(w.env.ok(&["ps", "-a", "-q"]), "");
}

/// `pull --policy`: `missing` and `never` answer with the local image
/// without asking a registry; `never` without one fails as Podman.
#[test]
fn pull_policies_use_the_local_image() {
    let (w, img) = busybox();
    let id = w.env.ok(&["image", "inspect", "--format", "{{.Id}}", &img]);
    for policy in ["missing", "never"] {
        let out = w
            .env
            .ok(&["pull", "-q", &format!("--policy={policy}"), &img]);
        assert_eq!(out.trim(), id.trim(), "{policy}");
    }
    let (code, err) = w
        .env
        .fails(&["pull", "--policy=never", "localhost:1/absent:latest"]);
    assert_eq!(code, 125, "{err}");
    assert!(
        err.contains("localhost:1/absent:latest: image not known"),
        "{err}"
    );
    let (code, err) = w.env.fails(&["pull", "--policy=sometimes", &img]);
    assert_eq!(code, 125, "{err}");
    assert!(
        err.contains("unsupported pull policy \"sometimes\""),
        "{err}"
    );
}

/// `pull --all-tags`: every tag of the repository in the registry.
#[test]
fn pull_all_tags_pulls_every_tag_of_the_repository() {
    let w = common::world(&[]);
    let env = &w.env;
    let one = w.registry.push_fixture_as("busybox", "alltags/repo:one");
    let two = w.registry.push_fixture_as("multilayer", "alltags/repo:two");
    let repo = one.trim_end_matches(":one").to_owned();
    assert_eq!(two, format!("{repo}:two"));
    let out = env.ok(&["pull", "-q", "--all-tags", &repo]);
    let ids: Vec<&str> = out.lines().collect();
    assert_eq!(ids.len(), 2, "{out}");
    for (tag, id) in [(&one, ids[0]), (&two, ids[1])] {
        let have = env.ok(&["image", "inspect", "--format", "{{.Id}}", tag]);
        assert_eq!(have.trim(), id, "{tag}");
    }
    let (code, err) = env.fails(&["pull", "-a", &one]);
    assert_eq!(code, 125, "{err}");
    assert!(
        err.contains("tag can't be used with --all-tags/-a"),
        "{err}"
    );
}
