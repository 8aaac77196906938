//! Reading a container's log.

use async_trait::async_trait;

use crate::logs::{ContainerLogsRequest, LogLines};
use crate::Result;

/// Podman's `ContainerLogs`.
#[async_trait]
pub trait ContainerLogs: Send + Sync {
    /// `logs` and `pod logs`: the lines of the target's logs, as a stream.
    /// Resolving the target fails before any line: a missing container or pod,
    /// a container logging to the `none` driver, a `container` not in the pod.
    async fn container_logs(&self, request: ContainerLogsRequest) -> Result<LogLines>;
}
