//! [`rpod_api::front_door::System`] for the local engine.

use async_trait::async_trait;
use rpod_api::front_door::System;

use super::LocalEngine;

#[async_trait]
impl System for LocalEngine {}
