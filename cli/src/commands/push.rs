//! `push`: copy a local image to a registry or to an archive / layout
//! (`docker-archive:`, `oci-archive:`, `oci:`, `dir:`).

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use rpod_api::front_door::images::{ImagePushOptions, ProgressSink};

use super::common::{open_front_door, Globals};
use super::progress_bars::StderrProgress;
use super::registry_opts::RegistryArgs;
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args)]
pub struct PushArgs {
    #[command(flatten)]
    registry: RegistryArgs,
    /// Suppress output information when pushing images
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Write the digest of the pushed image to the specified file
    #[arg(long)]
    digestfile: Option<PathBuf>,
    /// Discard any pre-existing signatures in the image (accepted; rpod stores none)
    #[arg(long)]
    remove_signatures: bool,
    /// Image to push
    image: String,
    /// Destination: [docker://]REFERENCE, docker-archive:PATH[:REF], oci-archive:PATH[:REF], oci:PATH[:REF], dir:PATH
    destination: Option<String>,
}

pub async fn run(g: &Globals, a: PushArgs) -> CliResult {
    let fd = open_front_door(g)?;
    let options = ImagePushOptions {
        registry: a.registry.options()?,
        quiet: a.quiet,
        remove_signatures: a.remove_signatures,
    };
    let sink = (!a.quiet).then(|| StderrProgress::new(false) as Arc<dyn ProgressSink>);
    let report = fd
        .image_push(&a.image, a.destination.as_deref(), options, sink)
        .await?;
    if let Some(f) = &a.digestfile {
        if !report.manifest_digest.is_empty() {
            std::fs::write(f, &report.manifest_digest)
                .map_err(|e| CliError::usage(format!("writing {}: {e}", f.display())))?;
        }
    }
    Ok(0)
}
