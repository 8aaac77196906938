//! `push`: copy a local image to a registry or to an archive / layout
//! (`docker-archive:`, `oci-archive:`, `oci:`, `dir:`).

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use rpod_api::front_door::images::{ImagePushOptions, ProgressSink, PushCompression};

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
    #[command(flatten)]
    compression: CompressionArgs,
    /// Image to push
    image: String,
    /// Destination: [docker://]REFERENCE, docker-archive:PATH[:REF], oci-archive:PATH[:REF], oci:PATH[:REF], dir:PATH
    destination: Option<String>,
}

pub async fn run(g: &Globals, a: PushArgs) -> CliResult {
    let fd = open_front_door(g)?;
    let options = ImagePushOptions {
        registry: a
            .registry
            .options_for(g, a.destination.as_deref().unwrap_or(&a.image))?,
        quiet: a.quiet,
        remove_signatures: a.remove_signatures,
        compression: a.compression.options(),
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

/// `--compression-format`, `--compression-level`, `--force-compression`
/// (push and manifest push).
#[derive(Debug, Args, Clone, Default)]
pub struct CompressionArgs {
    /// Compression format to use (gzip or zstd)
    #[arg(long)]
    compression_format: Option<String>,
    /// Compression level to use
    #[arg(long)]
    compression_level: Option<i32>,
    /// Use the specified compression algorithm even if the destination contains a differently-compressed variant already (default true with --compression-format)
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    force_compression: Option<bool>,
}

impl CompressionArgs {
    /// The request's compression options.
    pub fn options(&self) -> PushCompression {
        PushCompression {
            format: self.compression_format.clone(),
            level: self.compression_level,
            force: self.force_compression,
        }
    }
}
