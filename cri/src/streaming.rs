//! `Exec`, `Attach` and `PortForward`: the request checked as the kubelet's
//! streaming library checks it, then filed with the streaming server, whose
//! URL for it is the answer.

use k8s_cri::v1 as cri;
use rpod_api::container::InspectOptions;
use tonic::Status;

use crate::serve::Shared;
use crate::status::{found, from_api, missing};
use crate::stream::{AttachStream, ExecStream, Pending, PortForwardTarget, Streams};
use crate::{container, sandbox};

/// The streams a remote command asks for, checked.
fn streams(stdin: bool, stdout: bool, stderr: bool, tty: bool) -> Result<Streams, Status> {
    if tty && stderr {
        return Err(Status::invalid_argument(
            "tty and stderr cannot both be true",
        ));
    }
    if !stdin && !stdout && !stderr {
        return Err(Status::invalid_argument(
            "one of stdin, stdout, or stderr must be set",
        ));
    }
    Ok(Streams {
        stdin,
        stdout,
        stderr,
        tty,
    })
}

/// The full id of the running CRI container `id`, and the streams asked
/// for, checked.
async fn running(
    s: &Shared,
    id: &str,
    (stdin, stdout, stderr, tty): (bool, bool, bool, bool),
) -> Result<(String, Streams), Status> {
    if id.is_empty() {
        return Err(missing("container_id"));
    }
    let streams = streams(stdin, stdout, stderr, tty)?;
    let (c, _) = container::find(s, id).await?;
    let status = c.state.map(|st| st.status).unwrap_or_default();
    if !status.eq_ignore_ascii_case("running") {
        return Err(Status::unknown(format!(
            "container is not created or running: container {} is {status}",
            c.id
        )));
    }
    Ok((c.id, streams))
}

pub async fn exec(s: &Shared, req: cri::ExecRequest) -> Result<cri::ExecResponse, Status> {
    if req.cmd.is_empty() {
        return Err(missing("cmd"));
    }
    let asked = (req.stdin, req.stdout, req.stderr, req.tty);
    let (container_id, streams) = running(s, &req.container_id, asked).await?;
    let url = s.stream.url(Pending::Exec(ExecStream {
        container_id,
        cmd: req.cmd,
        streams,
    }));
    Ok(cri::ExecResponse { url })
}

pub async fn attach(s: &Shared, req: cri::AttachRequest) -> Result<cri::AttachResponse, Status> {
    let asked = (req.stdin, req.stdout, req.stderr, req.tty);
    let (container_id, streams) = running(s, &req.container_id, asked).await?;
    let url = s.stream.url(Pending::Attach(AttachStream {
        container_id,
        streams,
    }));
    Ok(cri::AttachResponse { url })
}

pub async fn port_forward(
    s: &Shared,
    req: cri::PortForwardRequest,
) -> Result<cri::PortForwardResponse, Status> {
    let (pod, m) = sandbox::find(s, &req.pod_sandbox_id).await?;
    let ports = req
        .port
        .iter()
        .map(|p| {
            u16::try_from(*p)
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| Status::invalid_argument(format!("invalid port {p}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let netns = if m.network_mode == cri::NamespaceMode::Node as i32 {
        None
    } else {
        let (list, errors) = s
            .engine
            .container_inspect(
                std::slice::from_ref(&pod.infra_container_id),
                InspectOptions::default(),
            )
            .await
            .map_err(from_api)?;
        let infra = found(list, errors, "infra container", &pod.infra_container_id)?;
        let pid = infra.state.map(|st| st.pid).unwrap_or_default();
        if pid <= 0 {
            return Err(Status::failed_precondition(format!(
                "pod sandbox {} is not ready: its infra container is not running",
                pod.id
            )));
        }
        Some(std::path::PathBuf::from(format!("/proc/{pid}/ns/net")))
    };
    let url = s.stream.url(Pending::PortForward(PortForwardTarget {
        sandbox_id: pod.id,
        netns,
        ports,
    }));
    Ok(cri::PortForwardResponse { url })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_choices_are_checked() {
        assert!(streams(true, true, false, true).is_ok());
        let e = streams(false, true, true, true).unwrap_err();
        assert_eq!(e.code(), tonic::Code::InvalidArgument);
        assert_eq!(e.message(), "tty and stderr cannot both be true");
        let e = streams(false, false, false, false).unwrap_err();
        assert_eq!(e.message(), "one of stdin, stdout, or stderr must be set");
    }
}
