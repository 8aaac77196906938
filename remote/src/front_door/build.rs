//! `Builds` over the libpod API: not carried yet.

use std::sync::Arc;

use async_trait::async_trait;
use rpod_api::front_door::build::{BuildContext, BuildOptions, BuildOutcome, BuildSink};
use rpod_api::front_door::Builds;
use rpod_api::Result;

use crate::error::unsupported;
use crate::RemoteEngine;

#[async_trait]
impl Builds for RemoteEngine {
    async fn image_build(
        &self,
        _context: BuildContext,
        _options: BuildOptions,
        _sink: Arc<dyn BuildSink>,
    ) -> Result<BuildOutcome> {
        Err(unsupported("build"))
    }
}
