//! [`rpod_api::front_door::Volumes`] for the local engine.

use async_trait::async_trait;
use rpod_api::front_door::Volumes;

use super::LocalEngine;

#[async_trait]
impl Volumes for LocalEngine {}
