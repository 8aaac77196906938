//! Lifecycle commands run through the runtime binary.

use std::process::Stdio;

use tokio::process::{Child, Command};

use super::{OciRuntime, RuntimeError};

/// A container's state as the runtime reports it (`state ID`): what the
/// tests observe the runtime through.
#[cfg(test)]
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct RuntimeState {
    /// `creating`, `created`, `running`, `stopped` or `paused`.
    pub status: String,
    /// Init process pid (0 once stopped).
    #[serde(default)]
    pub pid: i32,
    /// Bundle directory.
    #[serde(default)]
    pub bundle: String,
}

/// Whether a failed command's stderr says container `id` is unknown (runc:
/// "container does not exist"; crun: its state directory or status file,
/// named after the id, is missing).
fn says_not_found(stderr: &str, id: &str) -> bool {
    stderr.contains("container does not exist")
        || (stderr.contains("No such file or directory") && stderr.contains(id))
}

impl OciRuntime {
    /// Runs `runtime [global args] args...`, returning stdout on success.
    async fn run(&self, id: &str, args: &[&str]) -> Result<String, RuntimeError> {
        let child = self.spawn(args)?;
        self.finish(id, args, child).await
    }

    /// Starts `runtime [global args] args...` without waiting for it.
    fn spawn(&self, args: &[&str]) -> Result<Child, RuntimeError> {
        Command::new(&self.path)
            .args(self.runtime_args())
            .args(args)
            // systemd's socket is for rpod (--sdnotify): runc would take
            // it over for the container.
            .env_remove("NOTIFY_SOCKET")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| RuntimeError::Spawn {
                path: self.path.clone(),
                source,
            })
    }

    /// Waits for a command [`OciRuntime::spawn`] started: its stdout on
    /// success, else its failure (`NotFound` when it names `id` unknown).
    async fn finish(&self, id: &str, args: &[&str], child: Child) -> Result<String, RuntimeError> {
        let command = args.first().copied().unwrap_or_default().to_owned();
        let out = child
            .wait_with_output()
            .await
            .map_err(|source| RuntimeError::Spawn {
                path: self.path.clone(),
                source,
            })?;
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if out.status.success() {
            if !stderr.trim().is_empty() {
                tracing::debug!(runtime = %self.name, %command, %stderr, "runtime stderr");
            }
            return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
        }
        if !id.is_empty() && says_not_found(&stderr, id) {
            return Err(RuntimeError::NotFound {
                runtime: self.name.clone(),
                id: id.to_owned(),
                stderr,
            });
        }
        Err(RuntimeError::Failed {
            runtime: self.name.clone(),
            command,
            status: out.status.to_string(),
            stderr,
        })
    }

    /// `start ID`: runs the user process of a created container.
    pub async fn start(&self, id: &str) -> Result<(), RuntimeError> {
        self.run(id, &["start", id]).await.map(drop)
    }

    /// `kill [--all] ID SIGNAL`.
    pub async fn kill(&self, id: &str, signal: i32, all: bool) -> Result<(), RuntimeError> {
        let sig = signal.to_string();
        let mut args = vec!["kill"];
        if all {
            args.push("--all");
        }
        args.extend([id, sig.as_str()]);
        self.run(id, &args).await.map(drop)
    }

    /// `delete [--force] ID`.
    pub async fn delete(&self, id: &str, force: bool) -> Result<(), RuntimeError> {
        self.start_delete(id, force)?.await
    }

    /// `delete [--force] ID`, started now: the returned future waits for
    /// it, so the caller can do other work while the runtime deletes.
    pub fn start_delete<'a>(
        &'a self,
        id: &'a str,
        force: bool,
    ) -> Result<impl std::future::Future<Output = Result<(), RuntimeError>> + 'a, RuntimeError>
    {
        let args: &'static [&'static str] = if force {
            &["delete", "--force"]
        } else {
            &["delete"]
        };
        let child = self.spawn(&[args, &[id]].concat())?;
        Ok(async move { self.finish(id, args, child).await.map(drop) })
    }

    /// `state ID`.
    #[cfg(test)]
    pub async fn state(&self, id: &str) -> Result<RuntimeState, RuntimeError> {
        let out = self.run(id, &["state", id]).await?;
        serde_json::from_str(&out).map_err(|e| RuntimeError::BadOutput {
            runtime: self.name.clone(),
            command: "state".into(),
            output: out.clone(),
            reason: e.to_string(),
        })
    }

    /// `pause ID` (freezes the container's cgroup).
    pub async fn pause(&self, id: &str) -> Result<(), RuntimeError> {
        self.run(id, &["pause", id]).await.map(drop)
    }

    /// `update --resources FILE ID`: new cgroup limits for a created,
    /// running or paused container (`FILE` holds `linux.resources`).
    pub async fn update(&self, id: &str, resources: &std::path::Path) -> Result<(), RuntimeError> {
        let file = resources.to_string_lossy();
        self.run(id, &["update", "--resources", &file, id])
            .await
            .map(drop)
    }

    /// `resume ID`.
    pub async fn resume(&self, id: &str) -> Result<(), RuntimeError> {
        self.run(id, &["resume", id]).await.map(drop)
    }

    /// `--version` output, trimmed (what Podman shows as
    /// `host.ociRuntime.version`).
    pub async fn version(&self) -> Result<String, RuntimeError> {
        // Global flags such as `--root` are accepted with `--version` too.
        Ok(self.run("", &["--version"]).await?.trim().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_messages_of_runc_and_crun() {
        assert!(says_not_found(
            "time=\"t\" level=error msg=\"container does not exist\"\n",
            "abc"
        ));
        assert!(says_not_found(
            "error opening file `/run/crun/abc/status`: No such file or directory\n",
            "abc"
        ));
        assert!(says_not_found(
            "cannot open directory '/run/crun/abc': No such file or directory\n",
            "abc"
        ));
        // A missing executable is not a missing container.
        assert!(!says_not_found(
            "executable file `foo` not found in $PATH: No such file or directory\n",
            "abc"
        ));
    }
}
