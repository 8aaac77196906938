//! [`rpod_api::front_door::Images`] for the local engine.

use async_trait::async_trait;
use rpod_api::front_door::Images;

use super::LocalEngine;

#[async_trait]
impl Images for LocalEngine {}
