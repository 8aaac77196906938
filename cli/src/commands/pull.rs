//! `pull`: fetch an image from a registry into local storage.

use std::io::IsTerminal;
use std::sync::Arc;

use clap::Args;
use rpod_api::front_door::images::{ImagePullOptions, ProgressSink};

use super::common::{open_front_door, Globals};
use super::progress_bars::StderrProgress;
use super::registry_opts::RegistryArgs;
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args)]
pub struct PullArgs {
    /// Suppress output information when pulling images
    #[arg(short = 'q', long)]
    quiet: bool,
    #[command(flatten)]
    registry: RegistryArgs,
    /// Path of the trust policy file (default /etc/containers/policy.json)
    #[arg(long)]
    signature_policy: Option<std::path::PathBuf>,
    /// Use ARCH instead of the architecture of the machine for choosing images
    #[arg(long)]
    arch: Option<String>,
    /// Use OS instead of the running OS for choosing images
    #[arg(long)]
    os: Option<String>,
    /// All tagged images in the repository will be pulled
    #[arg(short = 'a', long)]
    all_tags: bool,
    /// Pull image policy (always, missing, never, newer)
    #[arg(long, default_value = "always")]
    policy: String,
    /// Use VARIANT instead of the running architecture variant for choosing images
    #[arg(long)]
    variant: Option<String>,
    /// Specify the platform for selecting the image (OS/ARCH[/VARIANT])
    #[arg(long)]
    platform: Option<String>,
    /// number of times to retry in case of failure when performing pull
    #[arg(long)]
    retry: Option<u32>,
    /// delay between retries in case of pull failures
    #[arg(long)]
    retry_delay: Option<String>,
    /// Image to pull
    #[arg(required = true)]
    images: Vec<String>,
}

pub async fn run(g: &Globals, a: PullArgs) -> CliResult {
    let fd = open_front_door(g)?;
    let bars = !a.quiet && std::io::stderr().is_terminal();
    let mut opts = ImagePullOptions {
        registry: a.registry.options()?,
        signature_policy: a.signature_policy.clone(),
        arch: a.arch.clone(),
        os: a.os.clone(),
        variant: a.variant.clone(),
        quiet: a.quiet,
        blob_progress: bars,
        retry: a.retry,
        retry_delay: a
            .retry_delay
            .as_deref()
            .map(|d| {
                rpod_api::input_time::parse_go_duration(d)
                    .ok_or_else(|| CliError::usage(format!("time: invalid duration {d:?}")))
            })
            .transpose()?,
        all_tags: a.all_tags,
        policy: Some(
            rpod_api::container_run::PullPolicy::parse(&a.policy).ok_or_else(|| {
                CliError::usage(format!("unsupported pull policy {:?}", a.policy))
            })?,
        ),
    };
    if a.platform.is_some() && (a.arch.is_some() || a.os.is_some()) {
        return Err(CliError::usage(
            "--platform option can not be specified with --arch or --os",
        ));
    }
    if let Some(p) = &a.platform {
        let mut parts = p.split('/');
        opts.os = parts.next().map(str::to_owned);
        opts.arch = parts.next().map(str::to_owned);
        opts.variant = parts.next().map(str::to_owned).or(opts.variant.take());
        if opts.arch.is_none() {
            return Err(CliError::usage(format!(
                "invalid platform syntax for --platform=\"{p}\""
            )));
        }
    }
    for image in &a.images {
        let sink = (!a.quiet).then(|| StderrProgress::new(bars) as Arc<dyn ProgressSink>);
        let mut opts = opts.clone();
        opts.registry = a.registry.options_for(g, image)?;
        let report = fd.image_pull(image, opts, sink).await?;
        for id in report.images {
            println!("{id}");
        }
    }
    Ok(0)
}
