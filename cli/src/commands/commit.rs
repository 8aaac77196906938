//! `commit` and `import`: new images from a container's changes or from a
//! root filesystem tarball.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use rpod_api::front_door::images::{ArchiveSource, CommitOptions, ImageImportOptions};

use super::common::{open_front_door, Globals};
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args)]
pub struct CommitArgs {
    /// Set the author for the image committed
    #[arg(short = 'a', long)]
    author: Option<String>,
    /// Apply the following possible instructions to the created image (default []): CMD | ENTRYPOINT | ENV | EXPOSE | LABEL | STOPSIGNAL | USER | VOLUME | WORKDIR
    #[arg(short = 'c', long)]
    change: Vec<String>,
    /// Set commit message for imported image
    #[arg(short = 'm', long)]
    message: Option<String>,
    /// Pause container during commit
    #[arg(short = 'p', long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false")]
    pause: bool,
    /// Suppress output
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Image format (accepted: oci, docker; rpod writes OCI)
    #[arg(short = 'f', long)]
    format: Option<String>,
    /// Container
    container: String,
    /// Name of the new image
    image: Option<String>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Apply the following possible instructions to the created image
    #[arg(short = 'c', long)]
    change: Vec<String>,
    /// Set commit message for imported image
    #[arg(short = 'm', long)]
    message: Option<String>,
    /// Suppress output
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Set the architecture of the imported image
    #[arg(long)]
    arch: Option<String>,
    /// Set the OS of the imported image
    #[arg(long)]
    os: Option<String>,
    /// Tarball path, or - for stdin
    source: String,
    /// Name of the new image
    reference: Option<String>,
}

pub async fn commit(g: &Globals, a: CommitArgs) -> CliResult {
    let fd = open_front_door(g)?;
    let id = fd
        .container_commit(
            &a.container,
            CommitOptions {
                author: a.author.clone(),
                changes: a.change.clone(),
                message: a.message.clone(),
                pause: a.pause,
                format: a.format.clone(),
                image_name: a.image.clone(),
            },
        )
        .await?;
    if !a.quiet {
        eprintln!("Getting image source signatures");
        eprintln!("Writing manifest to image destination");
    }
    println!("{id}");
    Ok(0)
}

pub async fn import(g: &Globals, a: ImportArgs) -> CliResult {
    let fd = open_front_door(g)?;
    if a.source == "-" && std::io::stdin().is_terminal() {
        return Err(CliError::usage(
            "cannot read from terminal, use command-line redirection",
        ));
    }
    let from = if a.source == "-" {
        ArchiveSource::Stream(Box::new(std::io::stdin()))
    } else {
        ArchiveSource::Path(PathBuf::from(&a.source))
    };
    let id = fd
        .image_import(
            from,
            ImageImportOptions {
                changes: a.change.clone(),
                message: a.message.clone(),
                arch: a.arch.clone(),
                os: a.os.clone(),
                reference: a.reference.clone(),
                source_name: a.source.clone(),
            },
        )
        .await?;
    if !a.quiet {
        eprintln!("Getting image source signatures");
        eprintln!("Writing manifest to image destination");
    }
    println!("sha256:{id}");
    Ok(0)
}
