//! [`rpod_api::front_door::ContainerRun`] for the local engine.

use async_trait::async_trait;
use rpod_api::front_door::ContainerRun;

use super::LocalEngine;

#[async_trait]
impl ContainerRun for LocalEngine {}
