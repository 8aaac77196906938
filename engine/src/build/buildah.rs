//! The `buildah` executable with rpod's private Buildah store
//! (`ROOT/buildah`, `RUNROOT/buildah`) and a temp directory per build.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use rpod_api::front_door::build::BuildSink;

use super::BuildError;
use crate::config::EngineConfig;

/// The package that provides `buildah` on Debian and Fedora.
pub(crate) const PACKAGE: &str = "buildah";

/// The auth file Buildah and rpod read by default.
const AUTH_FILE_ENV: &str = "REGISTRY_AUTH_FILE";

/// How to run `buildah` against rpod's Buildah store.
pub(crate) struct Buildah {
    exe: PathBuf,
    /// `--root`, `--runroot`, `--storage-driver`.
    global: Vec<OsString>,
    /// `TMPDIR` and `CONTAINERS_STORAGE_CONF` for every run.
    env: Vec<(&'static str, OsString)>,
}

/// What a failed `buildah` run said.
pub(crate) struct Failure {
    /// Its last `Error: ` line, without the prefix.
    pub message: String,
    pub exit_code: i32,
}

/// `buildah` on `PATH`.
fn find_exe() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("buildah"))
        .find(|p| p.is_file())
}

/// The installed Buildah's version (`buildah version`'s `Version:`), if any.
pub(crate) fn version() -> Option<String> {
    let out = Command::new(find_exe()?)
        .arg("version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("Version:"))
        .map(|v| v.trim().to_string())
}

/// Where rpod keeps Buildah's store and temp files.
pub(crate) fn store_dirs(config: &EngineConfig) -> (PathBuf, PathBuf) {
    (config.root.join("buildah"), config.runroot.join("buildah"))
}

impl Buildah {
    /// Buildah for `config`'s store, its temp files in `tmp`.
    pub(crate) fn new(config: &EngineConfig, tmp: &Path) -> Result<Buildah, BuildError> {
        let exe = find_exe().ok_or(BuildError::NotInstalled)?;
        let (root, runroot) = store_dirs(config);
        let storage_root = root.join("storage");
        let conf = root.join("storage.conf");
        let driver = config.storage_driver.name();
        std::fs::create_dir_all(&storage_root).map_err(|e| BuildError::io(&storage_root, e))?;
        // Buildah reads storage.conf for what the flags leave out
        // (mount programs, additional stores): rpod's own, not the host's.
        let mut text = format!(
            "[storage]\ndriver = \"{driver}\"\ngraphroot = \"{}\"\nrunroot = \"{}\"\n",
            storage_root.display(),
            runroot.display()
        );
        if let Some(p) = &config.mount_program {
            text.push_str(&format!(
                "[storage.options.overlay]\nmount_program = \"{}\"\n",
                p.display()
            ));
        }
        crate::storage::atomic::write_file(&conf, text.as_bytes())?;
        let mut global: Vec<OsString> = vec![
            "--root".into(),
            storage_root.into_os_string(),
            "--runroot".into(),
            runroot.into_os_string(),
            "--storage-driver".into(),
            driver.into(),
        ];
        if let Some(f) = &config.default_mounts_file {
            global.push("--default-mounts-file".into());
            global.push(f.clone().into_os_string());
        }
        let env = vec![
            ("TMPDIR", tmp.as_os_str().to_owned()),
            ("CONTAINERS_STORAGE_CONF", conf.into_os_string()),
        ];
        Ok(Buildah { exe, global, env })
    }

    /// `buildah GLOBAL ARGS...`, not started.
    pub(crate) fn command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        let mut cmd = Command::new(&self.exe);
        cmd.args(&self.global);
        cmd.args(args.into_iter().map(Into::into));
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        // rpod reads a missing auth file as no credentials; Buildah refuses
        // to start.
        if std::env::var_os(AUTH_FILE_ENV).is_some_and(|p| !Path::new(&p).exists()) {
            cmd.env_remove(AUTH_FILE_ENV);
        }
        cmd
    }

    /// Runs `buildah ARGS` to the end; its stdout, or its failure.
    pub(crate) fn output(&self, args: &[&std::ffi::OsStr]) -> Result<String, BuildError> {
        self.output_in(None, args)
    }

    /// As [`Buildah::output`], in directory `cwd`.
    pub(crate) fn output_in(
        &self,
        cwd: Option<&Path>,
        args: &[&std::ffi::OsStr],
    ) -> Result<String, BuildError> {
        let mut cmd = self.command(args);
        if let Some(d) = cwd {
            cmd.current_dir(d);
        }
        let out = cmd
            .stdin(Stdio::null())
            .output()
            .map_err(|e| BuildError::io(&self.exe, e))?;
        if out.status.success() {
            return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        Err(BuildError::Buildah(error_message(&stderr)))
    }

    /// `buildah inspect --type image NAME` succeeds.
    pub(crate) fn has_image(&self, name: &str) -> bool {
        self.command([
            "inspect",
            "--type",
            "image",
            "--format",
            "{{.FromImageID}}",
            name,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
    }
}

/// The message of Buildah's last `Error: ` line (its whole stderr when
/// there is none).
fn error_message(stderr: &str) -> String {
    stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("Error: "))
        .map(str::to_string)
        .unwrap_or_else(|| stderr.trim().to_string())
}

/// How many bytes of a build's stdout are kept to find its last line.
const TAIL: usize = 512;

/// The last non-empty line of `tail`.
pub(crate) fn last_line(tail: &[u8]) -> String {
    String::from_utf8_lossy(tail)
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .to_string()
}

/// Runs `cmd` with its output streamed to `sink` as it comes (its final
/// `Error: ` lines kept back and returned as the failure's message); the
/// last bytes of its stdout.
pub(crate) fn stream(
    mut cmd: Command,
    stdin: Stdio,
    sink: &Arc<dyn BuildSink>,
) -> Result<Result<Vec<u8>, Failure>, BuildError> {
    let mut child = cmd
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| BuildError::io(Path::new("buildah"), e))?;
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let out_sink = Arc::clone(sink);
    let out_thread = std::thread::spawn(move || {
        let mut tail = Vec::new();
        if let Some(mut r) = stdout {
            let mut buf = [0u8; 8192];
            while let Ok(n) = r.read(&mut buf) {
                if n == 0 {
                    break;
                }
                out_sink.stdout(&buf[..n]);
                tail.extend_from_slice(&buf[..n]);
                if tail.len() > TAIL {
                    tail.drain(..tail.len() - TAIL);
                }
            }
        }
        tail
    });
    let mut errors = Vec::new();
    if let Some(r) = stderr {
        for line in BufReader::new(r).split(b'\n').map_while(Result::ok) {
            match line.strip_prefix(b"Error: ") {
                Some(msg) => errors.push(String::from_utf8_lossy(msg).into_owned()),
                None => {
                    let mut l = line;
                    l.push(b'\n');
                    sink.stderr(&l);
                }
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| BuildError::io(Path::new("buildah"), e))?;
    let tail = out_thread.join().unwrap_or_default();
    if status.success() {
        return Ok(Ok(tail));
    }
    Ok(Err(Failure {
        message: errors
            .pop()
            .unwrap_or_else(|| format!("buildah failed: {status}")),
        exit_code: status.code().unwrap_or(125),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_error_line_is_the_message() {
        let s =
            "WARN[0000] x\nError: first\nError: building at STEP \"RUN false\": exit status 1\n";
        assert_eq!(
            error_message(s),
            "building at STEP \"RUN false\": exit status 1"
        );
        assert_eq!(error_message("plain\n"), "plain");
    }
}
