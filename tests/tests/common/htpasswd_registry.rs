//! A docker-registry that requires a password (htpasswd, bcrypt) over
//! plain HTTP on 127.0.0.1, killed on drop; `trust` adds it to an
//! environment's registries.conf as an insecure registry.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use rpod_tests::{run_with_timeout, wait_until, TestEnv};

pub const USER: &str = "apiuser";
pub const PASSWORD: &str = "Api-Pa55word";

pub struct HtpasswdRegistry {
    child: Child,
    pub addr: String,
    _dir: tempfile::TempDir,
}

impl Drop for HtpasswdRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl HtpasswdRegistry {
    pub fn start() -> HtpasswdRegistry {
        let dir = tempfile::Builder::new()
            .prefix("rpod-htpasswd-registry-")
            .tempdir()
            .unwrap();
        let d = dir.path();
        let out = run_with_timeout(
            Command::new("htpasswd")
                .args(["-Bbn", USER, PASSWORD])
                .stdin(Stdio::null()),
            Duration::from_secs(30),
        );
        assert!(out.status.success(), "htpasswd failed");
        std::fs::write(d.join("htpasswd"), &out.stdout).unwrap();
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
                 http:\n  addr: {addr}\n  secret: rpod-tests\n",
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
        let reg = HtpasswdRegistry {
            child,
            addr: addr.clone(),
            _dir: dir,
        };
        wait_until(Duration::from_secs(20), "the registry to listen", || {
            TcpStream::connect(&addr).is_ok()
        });
        reg
    }

    /// Adds the registry to `env`'s registries.conf (plain HTTP allowed).
    pub fn trust(&self, env: &TestEnv) {
        let path = env.registries_conf();
        let mut conf = std::fs::read_to_string(&path).unwrap();
        conf.push_str(&format!(
            "\n[[registry]]\nlocation = \"{}\"\ninsecure = true\n",
            self.addr
        ));
        std::fs::write(&path, conf).unwrap();
    }
}
