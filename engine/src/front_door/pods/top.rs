//! `pod top`: the processes of a pod's running containers, with psgo's
//! descriptors as `top` reads them (Podman's default set without any),
//! PIDs as each container sees them. Containers sharing a PID namespace
//! are listed once, as psgo does.

use rpod_api::container::StringSliceReport;
use rpod_api::{Error, ErrorKind, Result};

use crate::container::top::descriptors_table;
use crate::engine::Engine;
use crate::pod::PodHandle;

pub(super) async fn top(
    engine: &Engine,
    pod: PodHandle,
    descriptors: Vec<String>,
) -> Result<StringSliceReport> {
    let members = engine.pod_members(&pod.id)?;
    let inits: Vec<i32> = members.iter().map(|c| c.pid).filter(|p| *p > 0).collect();
    if inits.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidState,
            format!(
                "pod top can only be used on pods with at least one running container: pod {} has none",
                pod.name
            ),
        ));
    }
    tokio::task::spawn_blocking(move || merged_table(&inits, &descriptors))
        .await
        .map_err(|e| Error::other(format!("pod top task: {e}")))?
}

/// One header, then the rows of each PID namespace's first container.
fn merged_table(inits: &[i32], descriptors: &[String]) -> Result<StringSliceReport> {
    let mut seen = Vec::new();
    let mut value: Vec<String> = Vec::new();
    for &pid in inits {
        // A container gone meanwhile is skipped, as psgo skips it.
        let Ok(ns) = std::fs::read_link(format!("/proc/{pid}/ns/pid")) else {
            continue;
        };
        if seen.contains(&ns) {
            continue;
        }
        seen.push(ns);
        let mut lines = descriptors_table(pid, descriptors)?.into_iter();
        let header = lines.next();
        if value.is_empty() {
            value.extend(header);
        }
        value.extend(lines);
    }
    Ok(StringSliceReport { value })
}
