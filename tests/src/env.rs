//! Per-test environment: private root, run root and registries.conf, command helpers, and a
//! drop guard that leaves nothing behind.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::bins::{find_bin, monitor_bin, rpod_bin};
use crate::cleanup;
use crate::command::{run_with_timeout, try_run, DEFAULT_COMMAND_TIMEOUT};
use crate::{NetSlot, Registry};

/// Bound for the best-effort `rpod rm -af -t 0` run by the drop guard.
const CLEANUP_RM_TIMEOUT: Duration = Duration::from_secs(30);

/// One test's rpod environment, in a fresh temp dir `$TMPDIR/rpod-test-XXXXXX` (default
/// `/tmp`) holding:
/// - `root/` (`--root`), `runroot/` (`--runroot`);
/// - `registries.conf` (`CONTAINERS_REGISTRIES_CONF`): with a registry, that registry is
///   marked insecure and is the only unqualified-search registry; otherwise the search
///   list is empty;
/// - `auth.json` path (`REGISTRY_AUTH_FILE`, not created), so host credentials never leak in.
///
/// Dropping it (also while a test panics) runs `rpod rm -af -t 0` (best effort, bounded),
/// SIGKILLs every process that refers to the directory (argv, environment, cwd, root, or,
/// for a container in its own mount namespace, the mount at its `/`) and their descendants, force-deletes what runc/crun still list under `runroot/runc` and
/// `runroot/crun`, lazily unmounts everything under the directory (deepest first) and
/// removes it.
pub struct TestEnv {
    dir: PathBuf,
    timeout: Duration,
    /// This root's bridge and subnet (see [`NetSlot`]).
    net: NetSlot,
    /// Containers without `--network` get this mode (`none` unless a test
    /// asks for the bridge with [`TestEnv::use_bridge_by_default`]).
    default_mode: &'static str,
    /// Keys a test added to rpod.conf's `[network]`.
    network_extra: String,
    /// Tables a test added to rpod.conf.
    conf_extra: String,
}

/// The arguments of `events` that print the `Status` of every stored event
/// matching `filter` (`container=NAME`), one per line, oldest first.
pub fn event_statuses_args(filter: &str) -> [&str; 6] {
    [
        "events",
        "--stream=false",
        "--filter",
        filter,
        "--format",
        "{{.Status}}",
    ]
}

impl TestEnv {
    /// An environment without a registry (unqualified image names do not resolve).
    pub fn new() -> TestEnv {
        Self::create(None)
    }

    /// An environment whose registries.conf trusts `registry` over plain HTTP and searches
    /// it for unqualified image names.
    pub fn with_registry(registry: &Registry) -> TestEnv {
        Self::create(Some(&registry.addr()))
    }

    fn create(registry: Option<&str>) -> TestEnv {
        let dir = tempfile::Builder::new()
            .prefix("rpod-test-")
            .tempdir()
            .unwrap_or_else(|e| panic!("cannot create a test temp dir: {e}"))
            .keep();
        let dir = dir
            .canonicalize()
            .unwrap_or_else(|e| panic!("cannot canonicalize {}: {e}", dir.display()));
        // Constructed before anything else can fail, so a panic below still cleans up.
        let mut env = TestEnv {
            dir,
            timeout: DEFAULT_COMMAND_TIMEOUT,
            net: NetSlot::take(),
            default_mode: "none",
            network_extra: String::new(),
            conf_extra: String::new(),
        };
        std::fs::set_permissions(&env.dir, std::fs::Permissions::from_mode(0o755))
            .unwrap_or_else(|e| panic!("cannot chmod {}: {e}", env.dir.display()));
        for sub in [env.root(), env.runroot()] {
            std::fs::create_dir(&sub)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", sub.display()));
        }
        let conf = match registry {
            Some(addr) => format!(
                "unqualified-search-registries = [\"{addr}\"]\n\n\
                 [[registry]]\nlocation = \"{addr}\"\ninsecure = true\n"
            ),
            None => "unqualified-search-registries = []\n".to_string(),
        };
        std::fs::write(env.registries_conf(), conf)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", env.registries_conf().display()));
        env.write_rpod_conf();
        env
    }

    /// rpod.conf (`RPOD_CONFIG` of every command): this root's own network
    /// definitions directory, default bridge and subnet, the default network
    /// mode, then what the test added.
    fn write_rpod_conf(&mut self) {
        let conf = format!(
            "[network]\nnetwork_config_dir = \"{}\"\ndefault_interface = \"{}\"\n\
             default_subnet = \"{}\"\ndefault_network_mode = \"{}\"\n{}{}",
            self.dir.join("networks").display(),
            self.net.bridge(),
            self.net.subnet(),
            self.default_mode,
            self.network_extra,
            self.conf_extra,
        );
        std::fs::write(self.rpod_conf(), conf)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", self.rpod_conf().display()));
    }

    /// The rpod.conf every command reads.
    pub fn rpod_conf(&self) -> PathBuf {
        self.dir.join("rpod.conf")
    }

    /// Appends `toml` (whole tables) to this root's rpod.conf.
    pub fn add_rpod_conf(&mut self, toml: &str) {
        self.conf_extra.push_str(toml);
        self.write_rpod_conf();
    }

    /// Adds `key = value` lines to rpod.conf's `[network]` table.
    pub fn add_network_conf(&mut self, lines: &str) {
        self.network_extra.push_str(lines);
        self.write_rpod_conf();
    }

    /// Containers created without `--network` go on the default bridge
    /// network (rpod's own default; the harness's is `none`).
    pub fn use_bridge_by_default(&mut self) {
        self.default_mode = "bridge";
        self.write_rpod_conf();
    }

    /// This root's default bridge (unique among running tests).
    pub fn bridge(&self) -> String {
        self.net.bridge()
    }

    /// This root's default subnet (unique among running tests).
    pub fn subnet(&self) -> String {
        self.net.subnet()
    }

    /// The environment's temp directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `--root` of every command.
    pub fn root(&self) -> PathBuf {
        self.dir.join("root")
    }

    /// `--runroot` of every command.
    pub fn runroot(&self) -> PathBuf {
        self.dir.join("runroot")
    }

    /// The registries.conf passed as `CONTAINERS_REGISTRIES_CONF`.
    pub fn registries_conf(&self) -> PathBuf {
        self.dir.join("registries.conf")
    }

    /// The (initially absent) auth file passed as `REGISTRY_AUTH_FILE`.
    pub fn auth_file(&self) -> PathBuf {
        self.dir.join("auth.json")
    }

    /// Bound used by [`TestEnv::run`], [`TestEnv::ok`] and [`TestEnv::fails`]
    /// (default [`DEFAULT_COMMAND_TIMEOUT`]).
    pub fn set_command_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// `rpod --root R --runroot RR <args>` with `CONTAINERS_REGISTRIES_CONF`,
    /// `REGISTRY_AUTH_FILE` and `RPOD_MONITOR` set; stdio as inherited unless the caller
    /// changes it. Panics if the binaries are not built.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(rpod_bin());
        self.configure(&mut cmd, monitor_bin(), args);
        cmd
    }

    fn configure(&self, cmd: &mut Command, monitor: PathBuf, args: &[&str]) {
        cmd.arg("--root")
            .arg(self.root())
            .arg("--runroot")
            .arg(self.runroot())
            .args(args)
            .env("CONTAINERS_REGISTRIES_CONF", self.registries_conf())
            .env("REGISTRY_AUTH_FILE", self.auth_file())
            .env("RPOD_MONITOR", monitor)
            .env("RPOD_CONFIG", self.rpod_conf());
    }

    /// Runs rpod with `args` (stdin from /dev/null) and returns its output, whatever the
    /// exit status. Panics if it does not finish within the command timeout.
    pub fn run(&self, args: &[&str]) -> Output {
        let mut cmd = self.cmd(args);
        cmd.stdin(Stdio::null());
        run_with_timeout(&mut cmd, self.timeout)
    }

    /// Runs rpod with `args`, asserts exit status 0 and returns stdout. On failure, panics
    /// printing the arguments, status, stdout and stderr.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        if !out.status.success() {
            panic!(
                "`rpod {}` failed with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The `Status` of every stored event of container `name`, oldest first.
    pub fn event_statuses(&self, name: &str) -> Vec<String> {
        let filter = format!("container={name}");
        self.ok(&event_statuses_args(&filter))
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Runs rpod with `args`, asserts that it exits with a non-zero code (not by a signal)
    /// and returns `(code, stderr)`. Panics printing everything otherwise.
    pub fn fails(&self, args: &[&str]) -> (i32, String) {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        match out.status.code() {
            Some(code) if code != 0 => (code, stderr),
            _ => panic!(
                "`rpod {}` was expected to fail but exited with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stdout),
                stderr
            ),
        }
    }

    /// Best-effort `rpod rm -af -t 0`, skipped when rpod never stored anything here or the
    /// binaries are missing. Never panics.
    fn remove_all_containers(&self) {
        let root_used = std::fs::read_dir(self.root()).is_ok_and(|mut d| d.next().is_some());
        if !root_used {
            return;
        }
        let (Ok(rpod), Ok(monitor)) = (find_bin("rpod"), find_bin("pod-monitor")) else {
            return;
        };
        let mut cmd = Command::new(rpod);
        self.configure(&mut cmd, monitor, &["rm", "-af", "-t", "0"]);
        cmd.stdin(Stdio::null());
        match try_run(&mut cmd, CLEANUP_RM_TIMEOUT) {
            Ok(out) if !out.status.success() => eprintln!(
                "rpod-tests cleanup: `rpod rm -af -t 0` failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ),
            Ok(_) => {}
            Err(e) => eprintln!("rpod-tests cleanup: `rpod rm -af -t 0` {e}"),
        }
    }
}

impl Default for TestEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        self.remove_all_containers();
        cleanup::kill_processes_under(&self.dir);
        cleanup::delete_runtime_containers(&self.runroot());
        cleanup::delete_bridge(&self.net.bridge());
        let left = cleanup::unmount_under(&self.dir);
        if !left.is_empty() {
            eprintln!("rpod-tests cleanup: could not unmount {left:?}");
            return;
        }
        if let Err(e) = std::fs::remove_dir_all(&self.dir) {
            eprintln!(
                "rpod-tests cleanup: cannot remove {}: {e}",
                self.dir.display()
            );
        }
    }
}
