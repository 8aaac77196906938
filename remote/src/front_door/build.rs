//! `Builds` over the libpod API: `POST /libpod/build` (see `ops::build`).

use std::sync::Arc;

use async_trait::async_trait;
use rpod_api::front_door::build::{BuildContext, BuildOptions, BuildOutcome, BuildSink};
use rpod_api::front_door::Builds;
use rpod_api::Result;

use crate::RemoteEngine;

#[async_trait]
impl Builds for RemoteEngine {
    async fn image_build(
        &self,
        context: BuildContext,
        options: BuildOptions,
        sink: Arc<dyn BuildSink>,
    ) -> Result<BuildOutcome> {
        self.build(context, options, sink).await
    }
}
