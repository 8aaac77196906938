//! `manifest create|add|inspect|exists|rm`: multi-arch manifest lists in
//! the local store, printed as Podman prints them.

use crate::prep::Lazy;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;

use rpod_api::error::ErrorKind;
use rpod_api::front_door::images::ProgressSink;
use rpod_api::front_door::manifests::{
    ManifestAddOptions, ManifestAnnotateOptions, ManifestPushOptions,
};

use super::common::{open_front_door, Globals};
use super::progress_bars::StderrProgress;
use super::push::CompressionArgs;
use super::registry_opts::RegistryArgs;
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Subcommand)]
pub enum ManifestCommand {
    /// Add images to a manifest list or image index
    Add(Lazy<AddArgs>),
    /// Add or update information about an entry in a manifest list or image index
    Annotate(Lazy<AnnotateArgs>),
    /// Create manifest list or image index
    Create(Lazy<CreateArgs>),
    /// Check if a manifest list exists in local storage
    Exists(Lazy<NameArg>),
    /// Display the contents of a manifest list or image index
    Inspect(Lazy<InspectArgs>),
    /// Push a manifest list or image index to a registry
    Push(Lazy<PushArgs>),
    /// Remove manifest list or image index from local storage
    Rm(Lazy<RmArgs>),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Add all of the lists' images if the images to add are lists
    #[arg(long)]
    all: bool,
    /// Modify an existing list if one with the desired name already exists
    #[arg(short = 'a', long)]
    amend: bool,
    /// Require HTTPS and verify certificates when accessing the registry
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    tls_verify: Option<bool>,
    /// Name of the list
    name: String,
    /// Images to add
    images: Vec<String>,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Add all of the list's images if the image is a list
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    registry: RegistryArgs,
    /// The manifest list
    list: String,
    /// The image to add
    image: String,
}

#[derive(Debug, Args)]
pub struct AnnotateArgs {
    /// Set an annotation on the entry (or the list with --index)
    #[arg(long = "annotation")]
    annotations: Vec<String>,
    /// Override the architecture of the entry
    #[arg(long)]
    arch: Option<String>,
    /// Override the OS of the entry
    #[arg(long)]
    os: Option<String>,
    /// Override the architecture variant of the entry
    #[arg(long)]
    variant: Option<String>,
    /// Override the OS version of the entry
    #[arg(long)]
    os_version: Option<String>,
    /// Override the features of the entry
    #[arg(long)]
    features: Vec<String>,
    /// Override the OS features of the entry
    #[arg(long)]
    os_features: Vec<String>,
    /// Apply --annotation values to the list itself
    #[arg(long)]
    index: bool,
    /// The manifest list
    list: String,
    /// The entry's digest
    instance: Option<String>,
}

#[derive(Debug, Args)]
pub struct NameArg {
    /// The manifest list
    list: String,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Ignore lists that do not exist
    #[arg(short = 'i', long)]
    ignore: bool,
    /// Manifest lists to remove
    #[arg(required = true)]
    lists: Vec<String>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Neither require HTTPS nor verify certificates when accessing the registry
    #[arg(long, hide = true, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    insecure: Option<bool>,
    /// Print additional information (the list is always printed whole)
    #[arg(short = 'v', long)]
    verbose: bool,
    #[command(flatten)]
    registry: RegistryArgs,
    /// The manifest list
    list: String,
}

#[derive(Debug, Args)]
pub struct PushArgs {
    /// Also push the images in the list
    #[arg(long, num_args = 0..=1, require_equals = true, default_value = "true", default_missing_value = "true")]
    all: bool,
    /// Remove the manifest list if push succeeds
    #[arg(long, visible_alias = "purge", short = 'p')]
    rm: bool,
    /// Manifest type (oci or v2s2) to use when pushing the list (default: as stored)
    #[arg(short = 'f', long)]
    format: Option<String>,
    /// After copying the list, write its digest to the file
    #[arg(long)]
    digestfile: Option<PathBuf>,
    /// Don't output progress information when pushing lists
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Don't copy signatures when pushing images (accepted; rpod stores none)
    #[arg(long)]
    remove_signatures: bool,
    /// Neither require HTTPS nor verify certificates when accessing the registry
    #[arg(long, hide = true, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    insecure: Option<bool>,
    #[command(flatten)]
    registry: RegistryArgs,
    #[command(flatten)]
    compression: CompressionArgs,
    /// The manifest list
    list: String,
    /// Destination: [docker://]REGISTRY/REPOSITORY[:TAG] (default: the list's name)
    destination: Option<String>,
}

pub async fn dispatch(g: &Globals, c: ManifestCommand) -> CliResult {
    match c {
        ManifestCommand::Add(Lazy(a)) => add(g, a).await,
        ManifestCommand::Annotate(Lazy(a)) => annotate(g, a).await,
        ManifestCommand::Create(Lazy(a)) => create(g, a).await,
        ManifestCommand::Exists(Lazy(a)) => exists(g, a).await,
        ManifestCommand::Inspect(Lazy(a)) => inspect(g, a).await,
        ManifestCommand::Push(Lazy(a)) => push(g, a).await,
        ManifestCommand::Rm(Lazy(a)) => rm(g, a).await,
    }
}

/// `--tls-verify` with the hidden `--insecure` folded in.
fn tls_verify(registry: &RegistryArgs, insecure: Option<bool>) -> CliResult<Option<bool>> {
    match (registry.tls_verify, insecure) {
        (Some(_), Some(_)) => Err(CliError::usage(
            "--insecure may not be used with --tls-verify",
        )),
        (t, None) => Ok(t),
        (None, Some(i)) => Ok(Some(!i)),
    }
}

async fn push(g: &Globals, a: PushArgs) -> CliResult {
    let mut registry = a.registry.options()?;
    registry.tls_verify = tls_verify(&a.registry, a.insecure)?;
    let options = ManifestPushOptions {
        all: a.all,
        rm: a.rm,
        format: a.format,
        quiet: a.quiet,
        remove_signatures: a.remove_signatures,
        registry,
        compression: a.compression.options(),
    };
    let destination = a.destination.unwrap_or_else(|| a.list.clone());
    let fd = open_front_door(g)?;
    let sink = (!a.quiet).then(|| StderrProgress::new(false) as Arc<dyn ProgressSink>);
    let digest = fd
        .manifest_push(&a.list, &destination, options, sink)
        .await?;
    if let Some(f) = &a.digestfile {
        std::fs::write(f, &digest)
            .map_err(|e| CliError::usage(format!("writing {}: {e}", f.display())))?;
    }
    Ok(0)
}

async fn create(g: &Globals, a: CreateArgs) -> CliResult {
    let fd = open_front_door(g)?;
    let options = ManifestAddOptions {
        all: a.all,
        amend: a.amend,
        registry: rpod_api::front_door::images::RegistryOptions {
            tls_verify: a.tls_verify,
            ..Default::default()
        },
    };
    let id = fd.manifest_create(&a.name, a.images, options).await?;
    println!("{id}");
    Ok(0)
}

async fn add(g: &Globals, a: AddArgs) -> CliResult {
    let fd = open_front_door(g)?;
    let options = ManifestAddOptions {
        all: a.all,
        amend: false,
        registry: a.registry.options()?,
    };
    let id = fd.manifest_add(&a.list, &a.image, options).await?;
    println!("{id}");
    Ok(0)
}

async fn annotate(g: &Globals, a: AnnotateArgs) -> CliResult {
    if a.instance.is_none() && !a.index {
        return Err(CliError::usage(
            "requires at least 2 arguments, or 1 with --index",
        ));
    }
    let fd = open_front_door(g)?;
    let options = ManifestAnnotateOptions {
        annotations: a.annotations,
        arch: a.arch,
        os: a.os,
        variant: a.variant,
        os_version: a.os_version,
        features: a.features,
        os_features: a.os_features,
        index: a.index,
    };
    let id = fd
        .manifest_annotate(&a.list, a.instance.as_deref(), options)
        .await?;
    println!("{id}");
    Ok(0)
}

async fn inspect(g: &Globals, a: InspectArgs) -> CliResult {
    // --verbose only matters for a remote image that is not a list, which
    // rpod prints whole anyway.
    let _ = a.verbose;
    let mut registry = a.registry.options()?;
    registry.tls_verify = tls_verify(&a.registry, a.insecure)?;
    let fd = open_front_door(g)?;
    println!("{}", fd.manifest_inspect(&a.list, registry).await?);
    Ok(0)
}

async fn exists(g: &Globals, a: NameArg) -> CliResult {
    let fd = open_front_door(g)?;
    match fd.manifest_exists(&a.list).await? {
        true => Ok(0),
        false => Err(CliError::Exit(1)),
    }
}

async fn rm(g: &Globals, a: RmArgs) -> CliResult {
    let fd = open_front_door(g)?;
    let mut failed = None;
    for list in &a.lists {
        match fd.manifest_remove(list).await {
            Ok(r) => {
                for n in &r.untagged {
                    println!("Untagged: {n}");
                }
                println!("Deleted: {}", r.deleted);
            }
            Err(e) if e.kind == ErrorKind::NoSuchImage && a.ignore => {}
            Err(e) => {
                if let Some(prev) = failed.replace(e) {
                    eprintln!("Error: {}", prev.message);
                }
            }
        }
    }
    match failed {
        // A missing list exits 1, as Podman's `manifest rm`.
        Some(e) if e.kind == ErrorKind::NoSuchImage => {
            eprintln!("Error: {}", e.message);
            Err(CliError::Exit(1))
        }
        Some(e) => Err(e.into()),
        None => Ok(0),
    }
}
