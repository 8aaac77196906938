//! [`rpod_api::front_door::Networks`] for the local engine.

use async_trait::async_trait;
use rpod_api::front_door::Networks;

use super::LocalEngine;

#[async_trait]
impl Networks for LocalEngine {}
