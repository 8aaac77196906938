//! `ExecSync`: a command run in a container to its end, its output
//! collected, within the request's timeout.

use std::time::Duration;

use k8s_cri::v1 as cri;
use rpod_api::container_run::{AttachEnd, AttachOutput, AttachSession, ExecOptions};
use tonic::Status;

use crate::container;
use crate::serve::Shared;
use crate::status::{from_api, missing};

/// The process's output, read on a blocking thread (a session's reads
/// block), with the session back for its exit code.
async fn collect(
    mut session: Box<dyn AttachSession>,
) -> Result<(Vec<u8>, Vec<u8>, Box<dyn AttachSession>), Status> {
    tokio::task::spawn_blocking(move || {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        loop {
            match session.next_output() {
                Ok(Some(AttachOutput::Stdout(b))) => out.extend_from_slice(&b),
                Ok(Some(AttachOutput::Stderr(b))) => err.extend_from_slice(&b),
                Ok(None) => break,
                Err(e) => return Err(from_api(e)),
            }
        }
        Ok((out, err, session))
    })
    .await
    .map_err(|e| Status::internal(format!("exec output task: {e}")))?
}

pub async fn exec_sync(
    s: &Shared,
    req: cri::ExecSyncRequest,
) -> Result<cri::ExecSyncResponse, Status> {
    if req.cmd.is_empty() {
        return Err(missing("cmd"));
    }
    let id = container::resolve(s, &req.container_id).await?;
    let shown = req.cmd.join(" ");
    let options = ExecOptions {
        command: req.cmd,
        ..ExecOptions::default()
    };
    let session = s
        .engine
        .container_exec(&id, options)
        .await
        .map_err(from_api)?;
    let control = session.control();
    let run = async {
        let (stdout, stderr, session) = collect(session).await?;
        let exit_code = match session.finish().await.map_err(from_api)? {
            AttachEnd::Exited(code) => code,
            AttachEnd::Detached => -1,
        };
        Ok::<_, Status>(cri::ExecSyncResponse {
            stdout,
            stderr,
            exit_code,
        })
    };
    if req.timeout <= 0 {
        return run.await;
    }
    let limit = Duration::from_secs(u64::try_from(req.timeout).unwrap_or(0));
    match tokio::time::timeout(limit, run).await {
        Ok(r) => r,
        Err(_) => {
            // The command is killed, so its reader ends too.
            if let Err(e) = control.signal(nix::sys::signal::Signal::SIGKILL as i32) {
                tracing::warn!("ExecSync in {id}: killing the timed-out command: {e}");
            }
            Err(Status::deadline_exceeded(format!(
                "command {shown:?} in container {id} timed out after {}s",
                req.timeout
            )))
        }
    }
}
