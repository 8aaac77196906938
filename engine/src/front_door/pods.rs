//! [`rpod_api::front_door::Pods`] for the local engine.

use async_trait::async_trait;
use rpod_api::front_door::Pods;

use super::LocalEngine;

#[async_trait]
impl Pods for LocalEngine {}
