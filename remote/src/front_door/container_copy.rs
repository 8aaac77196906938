//! `ContainerCopy` over the libpod API.

use rpod_api::Result;

use async_trait::async_trait;
#[allow(clippy::wildcard_imports)]
use rpod_api::front_door::container_copy::*;
use rpod_api::front_door::ContainerCopy;

use crate::error::unsupported;
use crate::RemoteEngine;

#[async_trait]
impl ContainerCopy for RemoteEngine {
    async fn container_copy(&self, _request: CopyRequest) -> Result<()> {
        Err(unsupported("container copy"))
    }
}
