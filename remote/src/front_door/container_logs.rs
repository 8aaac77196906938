//! `ContainerLogs` over the libpod API.

use rpod_api::logs::{ContainerLogsRequest, LogLines};
use rpod_api::Result;

use async_trait::async_trait;
use rpod_api::front_door::ContainerLogs;

use crate::RemoteEngine;

#[async_trait]
impl ContainerLogs for RemoteEngine {
    async fn container_logs(&self, request: ContainerLogsRequest) -> Result<LogLines> {
        self.logs(request).await
    }
}
