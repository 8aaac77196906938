//! A throw-away `docker-registry` serving on a free loopback port.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::command::run_with_timeout;
use crate::fixtures;

const REGISTRY_BIN: &str = "/usr/bin/docker-registry";
/// Bound for the registry to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// Bound for one `skopeo copy` of a fixture.
const PUSH_TIMEOUT: Duration = Duration::from_secs(120);
/// The registry's log is kept up to this many bytes (the most recent ones).
const LOG_LIMIT: usize = 256 * 1024;

/// A running `docker-registry` (distribution 2.x) with its storage in a temp dir.
///
/// The process is SIGKILLed when the `Registry` is dropped, and also (through
/// `PR_SET_PDEATHSIG`) when the thread that started it exits, so a test process killed by a
/// timeout leaves no registry behind. Start one per test; don't share one through statics
/// across test threads.
pub struct Registry {
    child: Child,
    addr: String,
    dir: tempfile::TempDir,
    log: Arc<Mutex<Vec<u8>>>,
}

/// What the stderr reader saw first.
enum Startup {
    Listening,
    Exited,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("cannot find a free loopback port: {e}"))
}

/// Copies the registry's stderr into `log` (bounded), reporting when it starts listening
/// or exits.
fn spawn_log_reader(
    stderr: impl Read + Send + 'static,
    log: Arc<Mutex<Vec<u8>>>,
    startup: mpsc::Sender<Startup>,
) {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stderr);
        let mut line = Vec::new();
        let mut announced = false;
        while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
            if !announced && String::from_utf8_lossy(&line).contains("listening on") {
                announced = true;
                let _ = startup.send(Startup::Listening);
            }
            if let Ok(mut log) = log.lock() {
                log.extend_from_slice(&line);
                if log.len() > LOG_LIMIT {
                    let excess = log.len() - LOG_LIMIT;
                    log.drain(..excess);
                }
            }
            line.clear();
        }
        let _ = startup.send(Startup::Exited);
    });
}

/// Status code of `GET http://addr/v2/`, if the registry answers.
fn get_v2_status(addr: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream
        .set_write_timeout(Some(Duration::from_secs(5)))
        .ok()?;
    let request = format!("GET /v2/ HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut head = String::new();
    BufReader::new(stream).read_line(&mut head).ok()?;
    head.split_whitespace().nth(1)?.parse().ok()
}

impl Registry {
    /// Starts `docker-registry serve` on `127.0.0.1:<free port>` with storage in a temp dir
    /// and waits (bounded) until `GET /v2/` answers 200. Panics with the registry's log if
    /// it does not come up.
    pub fn start() -> Registry {
        Self::start_with_config("")
    }

    /// Like [`Registry::start`], with `extra_yaml` appended to the registry's configuration
    /// (top-level sections other than `version`, `log`, `storage` and `http`, e.g. an
    /// `auth:` section). With an `auth:` section `GET /v2/` may answer 401: that counts as up.
    pub fn start_with_config(extra_yaml: &str) -> Registry {
        let started = Instant::now();
        let mut last_failure = String::new();
        // A port found free can be taken by someone else before the registry binds it.
        for _attempt in 0..5 {
            match Self::try_start(extra_yaml) {
                Ok(registry) => {
                    eprintln!(
                        "rpod-tests: registry {} up in {:?}",
                        registry.addr,
                        started.elapsed()
                    );
                    return registry;
                }
                Err(failure) => last_failure = failure,
            }
        }
        panic!("docker-registry did not start: {last_failure}");
    }

    fn try_start(extra_yaml: &str) -> Result<Registry, String> {
        let dir = tempfile::Builder::new()
            .prefix("rpod-registry-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a temp dir for the registry: {e}"));
        let addr = format!("127.0.0.1:{}", free_port());
        let config = dir.path().join("config.yml");
        let storage = dir.path().join("storage");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\n\
                 log:\n  level: info\n  accesslog:\n    disabled: true\n\
                 storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
                 http:\n  addr: {addr}\n  secret: rpod-tests\n{extra_yaml}",
                storage.display()
            ),
        )
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", config.display()));

        let mut cmd = Command::new(REGISTRY_BIN);
        cmd.arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        // SAFETY: the closure runs in the child between fork and exec and only calls
        // prctl(2), a plain syscall that is async-signal-safe and touches no shared state.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {REGISTRY_BIN}: {e}"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        if let Some(stderr) = child.stderr.take() {
            spawn_log_reader(stderr, Arc::clone(&log), tx);
        }
        let registry = Registry {
            child,
            addr,
            dir,
            log,
        };
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(Startup::Listening) => {}
            Ok(Startup::Exited) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(format!("it exited early; log:\n{}", registry.log()));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(format!(
                    "not listening after {START_TIMEOUT:?}; log:\n{}",
                    registry.log()
                ));
            }
        }
        // The listen socket is bound before "listening on" is logged, so this answers now.
        match get_v2_status(&registry.addr) {
            Some(200) => Ok(registry),
            Some(401) if extra_yaml.contains("auth:") => Ok(registry),
            status => Err(format!(
                "GET /v2/ on {} answered {status:?}; log:\n{}",
                registry.addr,
                registry.log()
            )),
        }
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> String {
        self.addr.clone()
    }

    /// Root directory of the registry's filesystem storage (`docker/registry/v2/...` below).
    pub fn storage_dir(&self) -> PathBuf {
        self.dir.path().join("storage")
    }

    /// Where the registry stores the blob `digest` (`sha256:<hex>`), for tests that corrupt
    /// or delete blobs.
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest
            .strip_prefix("sha256:")
            .unwrap_or_else(|| panic!("unsupported digest {digest:?}: expected sha256:<hex>"));
        self.storage_dir()
            .join("docker/registry/v2/blobs/sha256")
            .join(&hex[..2.min(hex.len())])
            .join(hex)
            .join("data")
    }

    /// The registry's log (stderr) so far, most recent part if it grew large.
    pub fn log(&self) -> String {
        self.log
            .lock()
            .map(|l| String::from_utf8_lossy(&l).into_owned())
            .unwrap_or_default()
    }

    /// Pushes fixture `name` (see [`fixtures::FIXTURES`]) as `<addr>/<name>:latest` and
    /// returns that reference.
    pub fn push_fixture(&self, name: &str) -> String {
        self.push_fixture_as(name, &format!("{name}:latest"))
    }

    /// Pushes fixture `name` as `<addr>/<repo_tag>` (e.g. `"library/other:v2"`) and
    /// returns that reference. Image indexes are pushed with all their images.
    pub fn push_fixture_as(&self, name: &str, repo_tag: &str) -> String {
        let layout = fixtures::layout(name);
        let reference = format!("{}/{repo_tag}", self.addr);
        push_layout(&layout, "latest", &reference);
        reference
    }
}

/// `skopeo copy --all` of `oci:<layout>:<tag>` to `docker://<reference>` over plain HTTP.
fn push_layout(layout: &Path, tag: &str, reference: &str) {
    let mut cmd = Command::new("skopeo");
    cmd.args(["copy", "--all", "--quiet", "--dest-tls-verify=false"])
        .arg(format!("oci:{}:{tag}", layout.display()))
        .arg(format!("docker://{reference}"))
        .stdin(Stdio::null());
    let output = run_with_timeout(&mut cmd, PUSH_TIMEOUT);
    assert!(
        output.status.success(),
        "pushing {} to {reference} failed ({}):\n{}",
        layout.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
