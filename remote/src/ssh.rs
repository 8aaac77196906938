//! `ssh://`: the system's `ssh` forwards a local socket (in a private
//! temporary directory) to the service's socket on the remote host. ssh
//! runs a local command once its forwardings are set up; that line on its
//! stdout says the tunnel is ready. The ssh process ends with the tunnel
//! (and with rpod, by its parent-death signal).

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use rpod_api::{Error, Result};

use crate::url::RemoteUrl;
use crate::ConnectOptions;

const READY: &str = "rpod-ssh-tunnel-ready";

pub(crate) struct Tunnel {
    child: Child,
    dir: tempfile::TempDir,
}

impl Tunnel {
    pub(crate) fn open(url: &RemoteUrl, options: &ConnectOptions) -> Result<Tunnel> {
        let RemoteUrl::Ssh {
            user,
            host,
            port,
            path,
        } = url
        else {
            return Err(Error::other("not an ssh:// URL"));
        };
        let dir = tempfile::Builder::new()
            .prefix("rpod-ssh-")
            .tempdir()
            .map_err(|e| Error::other(format!("creating the ssh tunnel's directory: {e}")))?;
        let local = dir.path().join("sock");
        let mut cmd = Command::new("ssh");
        if let Some(conf) = &options.ssh_config {
            cmd.arg("-F").arg(conf);
        }
        if let Some(id) = &options.identity {
            cmd.arg("-i").arg(id).args(["-o", "IdentitiesOnly=yes"]);
        }
        if let Some(p) = port {
            cmd.arg("-p").arg(p.to_string());
        }
        if let Some(u) = user {
            cmd.arg("-l").arg(u);
        }
        cmd.args([
            "-N",
            "-o",
            "BatchMode=yes",
            "-o",
            "ExitOnForwardFailure=yes",
            "-o",
            "StreamLocalBindUnlink=yes",
            "-o",
            "PermitLocalCommand=yes",
            "-o",
            &format!("LocalCommand=echo {READY}"),
            "-L",
        ])
        .arg(format!("{}:{path}", local.display()))
        .arg("--")
        .arg(host)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        // SAFETY: between fork and exec the closure only calls prctl(2),
        // which is async-signal-safe, and touches no memory of the parent:
        // the tunnel ends with rpod even if rpod is killed.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        tracing::debug!("ssh tunnel: {cmd:?}");
        let mut child = cmd
            .spawn()
            .map_err(|e| Error::other(format!("running ssh: {e}")))?;
        let ready = child.stdout.take().is_some_and(|out| {
            BufReader::new(out)
                .lines()
                .map_while(std::result::Result::ok)
                .any(|l| l.trim() == READY)
        });
        if !ready {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::other(format!(
                "failed to connect to {host} over ssh: {}",
                err.trim()
            )));
        }
        Ok(Tunnel { child, dir })
    }

    pub(crate) fn local_socket(&self) -> PathBuf {
        self.dir.path().join("sock")
    }
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
