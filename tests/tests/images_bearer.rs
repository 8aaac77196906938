//! Bearer-token registry authentication: a docker-registry configured with `auth: token`
//! trusts a token server (run by the test) that issues ES256 JWTs to one user. rpod must
//! fetch tokens with the stored credentials for pull (scope `pull`) and push (scope
//! `pull,push`), refuse cleanly without or with wrong credentials, and never print the
//! password or the tokens.

mod bearer_util;

use std::process::Command;
use std::time::Duration;

use bearer_util::{Issued, TokenServer};
use rpod_tests::{fixtures, run_with_timeout, Registry, TestEnv};

const USER: &str = "tokenuser";
const PASSWORD: &str = "b3arer-Pa55word";

fn skopeo(args: &[&str]) -> String {
    let mut cmd = Command::new("skopeo");
    cmd.args(args);
    let out = run_with_timeout(&mut cmd, Duration::from_secs(60));
    assert!(
        out.status.success(),
        "skopeo {:?} failed: {}",
        args.first(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether one token issued to the user (after the first `since` requests) grants all of
/// `grants` (`repository:name:actions`).
fn granted(issued: &[Issued], since: usize, grants: &[&str]) -> bool {
    issued.iter().skip(since).any(|i| {
        i.user.as_deref() == Some(USER) && grants.iter().all(|g| i.granted.iter().any(|x| x == g))
    })
}

/// Asserts that neither the password, its Basic encoding nor any issued token shows up.
fn assert_no_secrets(text: &str, tokens: &TokenServer) {
    assert!(!text.contains(PASSWORD), "the password leaked:\n{text}");
    let basic = bearer_util::b64(
        format!("{USER}:{PASSWORD}").as_bytes(),
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        true,
    );
    assert!(
        !text.contains(&basic),
        "the Basic credentials leaked:\n{text}"
    );
    for t in tokens.issued().iter().filter_map(|i| i.token.as_ref()) {
        assert!(!text.contains(t.as_str()), "a bearer token leaked:\n{text}");
    }
}

#[test]
fn pull_and_push_with_bearer_token_auth() {
    let tokens = TokenServer::start(USER, PASSWORD);
    let registry = Registry::start_with_config(&tokens.registry_yaml());
    let env = TestEnv::with_registry(&registry);
    let addr = registry.addr();
    let src = format!("{addr}/team/busybox:v1");
    let copy = format!("{addr}/team/copy:v2");
    let creds = format!("{USER}:{PASSWORD}");

    // skopeo, the reference client, pushes the fixture through the token server.
    let layout = fixtures::layout("busybox");
    skopeo(&[
        "copy",
        "--quiet",
        "--dest-tls-verify=false",
        "--dest-creds",
        &creds,
        &format!("oci:{}:latest", layout.display()),
        &format!("docker://{src}"),
    ]);
    assert!(
        granted(&tokens.issued(), 0, &["repository:team/busybox:pull,push"])
            || granted(&tokens.issued(), 0, &["repository:team/busybox:push,pull"]),
        "skopeo did not go through the token server: {:?}",
        tokens.issued()
    );
    let digest = skopeo(&[
        "inspect",
        "--tls-verify=false",
        "--creds",
        &creds,
        "--format",
        "{{.Digest}}",
        &format!("docker://{src}"),
    ])
    .trim()
    .to_string();

    // Anonymous: the token grants nothing, the registry refuses, nothing is stored.
    let (code, err) = env.fails(&["pull", &src]);
    assert_eq!(code, 125, "{err}");
    assert!(
        err.contains("unauthorized: authentication required"),
        "{err}"
    );
    assert_eq!(
        err.lines().filter(|l| l.starts_with("Error: ")).count(),
        1,
        "one error line: {err}"
    );
    assert_eq!(env.ok(&["images", "-q"]), "");

    // Wrong password: login says so, pull with --creds is refused, nothing stored.
    let (code, err) = env.fails(&["login", "-u", USER, "-p", "wrong-password", &addr]);
    assert_eq!(code, 125);
    assert_eq!(
        err.trim(),
        format!("Error: logging into \"{addr}\": invalid username/password")
    );
    assert!(!env.auth_file().exists());
    let (code, err) = env.fails(&["pull", "--creds", &format!("{USER}:wrong-password"), &src]);
    assert_eq!(code, 125, "{err}");
    assert!(err.contains("unauthorized"), "{err}");
    assert_eq!(env.ok(&["images", "-q"]), "");

    // Login (the token endpoint accepts the credentials), then pull with a pull token.
    let out = env.run(&[
        "--log-level",
        "debug",
        "login",
        "-u",
        USER,
        "-p",
        PASSWORD,
        &addr,
    ]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert_eq!(stdout.trim(), "Login Succeeded!");
    assert_no_secrets(&stderr, &tokens);
    assert_eq!(env.ok(&["login", "--get-login", &addr]).trim(), USER);

    let before = tokens.issued().len();
    let out = env.run(&["--log-level", "debug", "pull", &src]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "{stderr}");
    assert_no_secrets(&stdout, &tokens);
    assert_no_secrets(&stderr, &tokens);
    assert!(
        granted(&tokens.issued(), before, &["repository:team/busybox:pull"]),
        "rpod pulled without a pull token: {:?}",
        tokens.issued()
    );
    assert_eq!(
        env.ok(&["image", "inspect", "--format", "{{.Digest}}", &src])
            .trim(),
        digest
    );
    assert_eq!(
        env.ok(&["run", "--rm", &src, "echo", "bearer-ok"]).trim(),
        "bearer-ok"
    );

    // Push a tagged copy to another repository: a pull,push token for it, and the layer is
    // mounted from the source repository with a token that also grants pull on that one.
    env.ok(&["tag", &src, &copy]);
    let before = tokens.issued().len();
    let out = env.run(&["--log-level", "debug", "push", &copy]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "{stderr}");
    assert_no_secrets(&stdout, &tokens);
    assert_no_secrets(&stderr, &tokens);
    assert!(
        granted(
            &tokens.issued(),
            before,
            &["repository:team/copy:pull,push"]
        ),
        "rpod pushed without a push token: {:?}",
        tokens.issued()
    );
    assert!(
        granted(
            &tokens.issued(),
            before,
            &[
                "repository:team/copy:pull,push",
                "repository:team/busybox:pull"
            ]
        ),
        "no token for the cross-repository mount: {:?}",
        tokens.issued()
    );
    let layers: Vec<&str> = stderr
        .lines()
        .chain(stdout.lines())
        .filter(|l| l.starts_with("Copying blob "))
        .collect();
    assert!(
        !layers.is_empty()
            && layers
                .iter()
                .all(|l| l.ends_with(" skipped: already exists")),
        "the layers were uploaded again instead of mounted: {layers:?}"
    );
    let pushed = skopeo(&[
        "inspect",
        "--tls-verify=false",
        "--creds",
        &creds,
        "--format",
        "{{.Digest}}",
        &format!("docker://{copy}"),
    ]);
    assert_eq!(pushed.trim(), digest);
    let auth = std::fs::read_to_string(env.auth_file()).unwrap();
    assert!(!auth.contains(PASSWORD), "{auth}");

    // Logged out: pull is refused again and stores nothing.
    env.ok(&["rmi", &src, &copy]);
    assert_eq!(
        env.ok(&["logout", &addr]).trim(),
        format!("Removed login credentials for {addr}")
    );
    let (code, err) = env.fails(&["pull", &src]);
    assert_eq!(code, 125, "{err}");
    assert!(
        err.contains("unauthorized: authentication required"),
        "{err}"
    );
    assert_eq!(env.ok(&["images", "-q"]), "");
    assert_no_secrets(&registry.log(), &tokens);
}
