//! `ContainerCopy` over the archive endpoints (see `ops::copy`).

use rpod_api::Result;

use async_trait::async_trait;
#[allow(clippy::wildcard_imports)]
use rpod_api::front_door::container_copy::*;
use rpod_api::front_door::ContainerCopy;

use crate::RemoteEngine;

#[async_trait]
impl ContainerCopy for RemoteEngine {
    async fn container_copy(&self, request: CopyRequest) -> Result<()> {
        self.copy(request).await
    }

    async fn container_stat(&self, container: &str, path: &str) -> Result<Option<PathStat>> {
        self.stat(container, path).await
    }
}
