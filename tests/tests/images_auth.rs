//! Registry authentication: login/logout against a docker-registry that
//! requires a password (htpasswd, bcrypt) over TLS with a self-signed CA
//! passed by `--cert-dir`; push and pull with the stored credentials.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rpod_tests::{fixtures, run_with_timeout, wait_until, TestEnv};

const USER: &str = "rpoduser";
const PASSWORD: &str = "s3cret-Pa55";

/// A TLS + htpasswd docker-registry, killed on drop.
struct AuthRegistry {
    child: Child,
    addr: String,
    certs: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for AuthRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sh(script: &str, dir: &Path) {
    let mut cmd = Command::new("sh");
    cmd.arg("-ec")
        .arg(script)
        .current_dir(dir)
        .stdin(Stdio::null());
    let out = run_with_timeout(&mut cmd, Duration::from_secs(60));
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl AuthRegistry {
    fn start() -> AuthRegistry {
        let dir = tempfile::Builder::new()
            .prefix("rpod-authreg-")
            .tempdir()
            .unwrap();
        let d = dir.path();
        let certs = d.join("certs");
        std::fs::create_dir(&certs).unwrap();
        sh(
            &format!(
                "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=rpod-test-ca \
                   -keyout ca.key -out certs/ca.crt 2>/dev/null
                 openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
                   -keyout server.key -out server.csr 2>/dev/null
                 printf 'subjectAltName=IP:127.0.0.1\\n' > ext.cnf
                 openssl x509 -req -in server.csr -CA certs/ca.crt -CAkey ca.key -CAcreateserial \
                   -days 2 -extfile ext.cnf -out server.crt 2>/dev/null
                 htpasswd -Bbn {USER} {PASSWORD} > htpasswd"
            ),
            d,
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let config = d.join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n\
                 storage:\n  filesystem:\n    rootdirectory: {root}/storage\n\
                 auth:\n  htpasswd:\n    realm: rpod\n    path: {root}/htpasswd\n\
                 http:\n  addr: {addr}\n  secret: rpod-tests\n  tls:\n    certificate: {root}/server.crt\n    key: {root}/server.key\n",
                root = d.display()
            ),
        )
        .unwrap();
        let child = Command::new("/usr/bin/docker-registry")
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let reg = AuthRegistry {
            child,
            addr: addr.clone(),
            certs,
            _dir: dir,
        };
        wait_until(Duration::from_secs(20), "the registry to listen", || {
            TcpStream::connect(&addr).is_ok()
        });
        reg
    }
}

#[test]
fn login_push_pull_logout_with_tls_and_htpasswd() {
    let reg = AuthRegistry::start();
    let env = TestEnv::new();
    let certs = reg.certs.to_str().unwrap();
    let addr = &reg.addr;

    // Wrong password: one clear line, nothing stored.
    let (code, err) = env.fails(&[
        "login",
        "--cert-dir",
        certs,
        "-u",
        USER,
        "-p",
        "wrong",
        addr,
    ]);
    assert_eq!(code, 125);
    assert_eq!(
        err.trim(),
        format!("Error: logging into \"{addr}\": invalid username/password")
    );
    assert!(!env.auth_file().exists());

    // Without the CA the certificate is refused.
    let (code, err) = env.fails(&["login", "-u", USER, "-p", PASSWORD, addr]);
    assert_eq!(code, 125);
    assert!(err.to_lowercase().contains("certificate"), "{err}");

    let out = env.ok(&[
        "login",
        "--cert-dir",
        certs,
        "-u",
        USER,
        "-p",
        PASSWORD,
        addr,
    ]);
    assert_eq!(out.trim(), "Login Succeeded!");
    let auth = std::fs::read_to_string(env.auth_file()).unwrap();
    assert!(
        auth.contains(addr.as_str()) && !auth.contains(PASSWORD),
        "{auth}"
    );
    assert_eq!(env.ok(&["login", "--get-login", addr]).trim(), USER);

    // Push with the stored credentials; skopeo sees the same digest.
    let layout = fixtures::layout("busybox");
    env.ok(&["load", "-i", layout.to_str().unwrap()]);
    let id = env.ok(&["images", "-q"]).trim().to_string();
    let dest = format!("{addr}/team/busybox:v1");
    let out = env.run(&[
        "--log-level",
        "debug",
        "push",
        "--cert-dir",
        certs,
        &id,
        &dest,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains(PASSWORD),
        "the password is never logged"
    );
    let digest = env
        .ok(&["image", "inspect", "--format", "{{.Digest}}", &id])
        .trim()
        .to_string();
    let mut cmd = Command::new("skopeo");
    cmd.args([
        "inspect",
        "--cert-dir",
        certs,
        "--creds",
        &format!("{USER}:{PASSWORD}"),
        "--format",
        "{{.Digest}}",
        &format!("docker://{dest}"),
    ]);
    let out = run_with_timeout(&mut cmd, Duration::from_secs(60));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), digest);

    // Pull with the stored credentials.
    env.ok(&["rmi", "-a"]);
    env.ok(&["pull", "-q", "--cert-dir", certs, &dest]);
    assert_eq!(
        env.ok(&["run", "--rm", &dest, "echo", "authed"]).trim(),
        "authed"
    );
    // Unverified, without the CA: still HTTPS (this server answers TLS,
    // so the HTTPS attempt is made and works); the credentials go along.
    env.ok(&["rmi", "-a"]);
    env.ok(&["pull", "-q", "--tls-verify=false", &dest]);
    assert_eq!(env.ok(&["images", "-q"]).lines().count(), 1);

    // Logged out: pull is refused and stores nothing.
    env.ok(&["rmi", "-a"]);
    assert_eq!(
        env.ok(&["logout", addr]).trim(),
        format!("Removed login credentials for {addr}")
    );
    let (code, err) = env.fails(&["pull", "--cert-dir", certs, &dest]);
    assert_eq!(code, 125);
    assert!(
        err.contains("unauthorized") || err.contains("authentication required"),
        "{err}"
    );
    assert_eq!(env.ok(&["images", "-q"]), "");
    let (code, err) = env.fails(&["logout", addr]);
    assert_eq!(code, 125);
    assert!(err.contains("not logged into"), "{err}");
    // --creds works without the auth file.
    env.ok(&[
        "pull",
        "-q",
        "--cert-dir",
        certs,
        "--creds",
        &format!("{USER}:{PASSWORD}"),
        &dest,
    ]);

    // create/run pull a missing image with the same flags as pull.
    env.ok(&["rmi", "-a"]);
    let creds = format!("{USER}:{PASSWORD}");
    let out = env.ok(&[
        "run",
        "--rm",
        "-q",
        "--cert-dir",
        certs,
        "--creds",
        &creds,
        &dest,
        "echo",
        "creds",
    ]);
    assert_eq!(out.trim(), "creds");
    env.ok(&["rmi", "-a"]);
    let authfile = env.dir().join("run-auth.json");
    let authfile = authfile.to_str().unwrap();
    env.ok(&[
        "login",
        "--authfile",
        authfile,
        "--cert-dir",
        certs,
        "-u",
        USER,
        "-p",
        PASSWORD,
        addr,
    ]);
    let out = env.ok(&[
        "run",
        "--rm",
        "-q",
        "--cert-dir",
        certs,
        "--authfile",
        authfile,
        &dest,
        "echo",
        "file",
    ]);
    assert_eq!(out.trim(), "file");
    // A named auth file that is not there: Podman's message, nothing created.
    let (code, err) = env.fails(&["create", "--authfile", "/nonexistent/auth.json", &dest]);
    assert_eq!(code, 125);
    assert_eq!(
        err.trim(),
        "Error: credential file is not accessible: faccessat /nonexistent/auth.json: no such file or directory"
    );
    for cmd in [
        &["pull"][..],
        &["push"],
        &["logout"],
        &["manifest", "inspect"],
    ] {
        let (code, err) =
            env.fails(&[cmd, &["--authfile", "/nonexistent/auth.json", &dest]].concat());
        assert_eq!(code, 125, "{cmd:?}");
        assert!(
            err.contains("credential file is not accessible"),
            "{cmd:?}: {err}"
        );
    }
    assert_eq!(env.ok(&["ps", "-aq"]), "");
}
