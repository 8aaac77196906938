//! [`rpod_api::front_door::ContainerLogs`] for the local engine.

use async_trait::async_trait;
use rpod_api::front_door::ContainerLogs;

use super::LocalEngine;

#[async_trait]
impl ContainerLogs for LocalEngine {}
