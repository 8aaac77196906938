//! `push`: copy a local image to a registry or to an archive / layout
//! (`docker-archive:`, `oci-archive:`, `oci:`, `dir:`).

use std::path::PathBuf;

use clap::Args;
use rpod_engine::registry::push::{push, PushOptions};
use rpod_engine::registry::registries_conf::RegistriesConf;
use rpod_engine::registry::ImageReference;
use rpod_engine::storage::archive::{save, ArchiveFormat, SaveItem, SaveTarget};

use super::common::{open_engine, Globals};
use super::registry_opts::RegistryArgs;
use super::tag::find_image;
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

/// A parsed destination.
pub enum Destination {
    Registry(String),
    Archive {
        format: ArchiveFormat,
        path: PathBuf,
        reference: Option<String>,
    },
}

/// Splits `transport:path[:reference]`.
pub fn parse_destination(dest: &str) -> Destination {
    if let Some(r) = dest.strip_prefix("docker://") {
        return Destination::Registry(r.to_string());
    }
    if let Some((transport, rest)) = dest.split_once(':') {
        if let Some(format) = ArchiveFormat::from_name(transport)
            .filter(|_| transport != "oci-dir" && transport != "docker-dir")
        {
            let (path, reference) = match (format, rest.split_once(':')) {
                (ArchiveFormat::Dir, _) | (_, None) => (rest, None),
                (_, Some((p, r))) => (p, Some(r.to_string())),
            };
            return Destination::Archive {
                format,
                path: PathBuf::from(path),
                reference: reference.filter(|r| !r.is_empty()),
            };
        }
    }
    Destination::Registry(dest.to_string())
}

/// The names an archive records for `reference`: docker-archive wants a
/// normalized name, OCI keeps the text as given.
pub fn archive_names(format: ArchiveFormat, reference: &str) -> CliResult<Vec<String>> {
    if format == ArchiveFormat::OciArchive || format == ArchiveFormat::OciDir {
        return Ok(vec![reference.to_string()]);
    }
    let r = ImageReference::parse(reference)
        .map_err(|e| CliError::usage(format!("{reference}: {e}")))?;
    let r = if r.is_short_name() {
        r.qualify("docker.io")
    } else {
        r
    };
    Ok(vec![r.storage_name()])
}

pub async fn run(g: &Globals, a: PushArgs) -> CliResult {
    let engine = open_engine(g)?;
    let image = find_image(&engine, &a.image)?;
    let dest = a.destination.clone().unwrap_or_else(|| {
        engine
            .store()
            .matching_name(&image, &a.image)
            .unwrap_or_else(|| a.image.clone())
    });
    match parse_destination(&dest) {
        Destination::Archive {
            format,
            path,
            reference,
        } => {
            let names = match reference {
                Some(r) => archive_names(format, &r)?,
                None => engine
                    .store()
                    .matching_name(&image, &a.image)
                    .into_iter()
                    .collect(),
            };
            if !a.quiet {
                eprintln!("Getting image source signatures");
                eprintln!("Writing manifest to image destination");
            }
            save(
                engine.store(),
                &[SaveItem { image, names }],
                format,
                SaveTarget::Path(&path),
            )
            .map_err(|e| CliError::usage(e.to_string()))?;
            Ok(0)
        }
        Destination::Registry(r) => {
            let reference =
                ImageReference::parse(&r).map_err(|e| CliError::usage(format!("{r}: {e}")))?;
            let registries_conf =
                RegistriesConf::load().map_err(|e| CliError::usage(e.to_string()))?;
            let opts = PushOptions {
                connect: a.registry.connect_options()?,
                registries_conf,
                quiet: a.quiet,
            };
            let mut progress = std::io::stderr();
            let digest = push(engine.store(), &image, &reference, &opts, &mut progress)
                .await
                .map_err(|e| CliError::usage(e.to_string()))?;
            if let Some(f) = &a.digestfile {
                std::fs::write(f, &digest)
                    .map_err(|e| CliError::usage(format!("writing {}: {e}", f.display())))?;
            }
            Ok(0)
        }
    }
}
