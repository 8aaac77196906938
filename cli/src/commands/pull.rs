//! `pull`: fetch an image from a registry into local storage.

use clap::Args;
use rpod_engine::registry::registries_conf::RegistriesConf;
use rpod_engine::registry::{self, PullOptions};
use rpod_engine::Engine;

use super::common::{open_engine, Globals};
use super::progress_bars::Bars;
use super::registry_opts::RegistryArgs;
use crate::cli_error::{CliError, CliResult};
use rpod_engine::registry::progress::Progress;

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
    /// Specify the platform for selecting the image (OS/ARCH[/VARIANT])
    #[arg(long)]
    platform: Option<String>,
    /// Image to pull
    #[arg(required = true)]
    images: Vec<String>,
}

pub async fn run(g: &Globals, a: PullArgs) -> CliResult {
    let engine = open_engine(g)?;
    let mut opts = pull_options(a.registry.tls_verify, a.quiet)?;
    opts.connect = a.registry.connect_options()?;
    opts.policy = a.signature_policy.clone();
    opts.arch = a.arch.clone();
    opts.os = a.os.clone();
    if a.platform.is_some() && (a.arch.is_some() || a.os.is_some()) {
        return Err(CliError::usage(
            "--platform option can not be specified with --arch or --os",
        ));
    }
    if let Some(p) = &a.platform {
        let mut parts = p.split('/');
        opts.os = parts.next().map(str::to_owned);
        opts.arch = parts.next().map(str::to_owned);
        opts.variant = parts.next().map(str::to_owned);
        if opts.arch.is_none() {
            return Err(CliError::usage(format!(
                "invalid platform syntax for --platform=\"{p}\""
            )));
        }
    }
    for image in &a.images {
        let id = pull_with(&engine, image, &opts).await?;
        println!("{id}");
    }
    Ok(0)
}

/// Options with the registries.conf in effect (`CONTAINERS_REGISTRIES_CONF`
/// or /etc/containers/registries.conf).
fn pull_options(tls_verify: Option<bool>, quiet: bool) -> CliResult<PullOptions> {
    let registries_conf = RegistriesConf::load().map_err(|e| CliError::usage(e.to_string()))?;
    Ok(PullOptions {
        tls_verify,
        quiet,
        registries_conf,
        ..Default::default()
    })
}

async fn pull_with(engine: &Engine, image: &str, opts: &PullOptions) -> CliResult<String> {
    let mut progress = std::io::stderr();
    let mut opts = opts.clone();
    if !opts.quiet && std::io::IsTerminal::is_terminal(&progress) {
        opts.progress = Progress(Some(std::sync::Arc::new(Bars::new())));
    }
    let opts = &opts;
    let img = registry::pull(engine.store(), image, opts, &mut progress)
        .await
        .map_err(|e| CliError::usage(e.to_string()))?;
    Ok(img.id)
}
