//! `save` and `load`: images to and from docker-archive, oci-archive, OCI
//! layout and `dir` form.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use rpod_api::front_door::images::{
    ArchiveSource, ImageArchiveFormat, ImageSaveOptions, SaveDestination,
};

use super::common::{open_front_door, Globals};
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args)]
pub struct SaveArgs {
    /// Write to a specified file (default: stdout, which must be redirected)
    #[arg(short = 'o', long)]
    output: Option<PathBuf>,
    /// Save image to oci-archive, oci-dir (directory with oci manifest type), docker-archive, docker-dir (directory with v2s2 manifest type)
    #[arg(long, default_value = "docker-archive")]
    format: String,
    /// Interpret additional arguments as images not tags and create a multi-image-archive (only for docker-archive)
    #[arg(short = 'm', long)]
    multi_image_archive: bool,
    /// Suppress the output
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Compress tarball image layers when saving to a directory (not supported yet)
    #[arg(long)]
    compress: bool,
    /// Accept uncompressed layers when copying OCI images (oci-archive and
    /// oci-dir layers are written uncompressed; docker formats always are)
    #[arg(long)]
    uncompressed: bool,
    /// Images to save
    #[arg(required = true)]
    images: Vec<String>,
}

#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Read from specified archive file (default: stdin)
    #[arg(short = 'i', long)]
    input: Option<PathBuf>,
    /// Suppress the output
    #[arg(short = 'q', long)]
    quiet: bool,
}

pub async fn run_save(g: &Globals, a: SaveArgs) -> CliResult {
    let format = match a.format.as_str() {
        "docker-archive" => ImageArchiveFormat::DockerArchive,
        "oci-archive" => ImageArchiveFormat::OciArchive,
        "oci-dir" => ImageArchiveFormat::OciDir,
        "dir" | "docker-dir" => ImageArchiveFormat::DockerDir,
        _ => {
            return Err(CliError::usage(format!(
                "unsupported format {:?}: use docker-archive, oci-archive, oci-dir or docker-dir",
                a.format
            )))
        }
    };
    if a.compress {
        // Podman's checks first, then rpod's own limit.
        if !matches!(a.format.as_str(), "oci-dir" | "docker-dir") {
            return Err(CliError::usage(
                "--compress can only be set when --format is 'oci-dir' or 'docker-dir'",
            ));
        }
        if a.uncompressed {
            return Err(CliError::usage(
                "--compress and --uncompressed are mutually exclusive",
            ));
        }
        return Err(CliError::usage(
            "--compress is not supported yet: layers are saved as stored (see docs/compatibility.md)",
        ));
    }
    if a.images.len() > 1 && format == ImageArchiveFormat::DockerDir {
        return Err(CliError::usage("--format docker-dir holds a single image"));
    }
    let fd = open_front_door(g)?;
    let options = ImageSaveOptions {
        format,
        uncompressed: a.uncompressed,
    };
    let to = match &a.output {
        Some(path) => SaveDestination::Path(path.clone()),
        None => {
            if std::io::stdout().is_terminal() {
                // Podman checks the images first.
                for name in &a.images {
                    if !fd.image_exists(name).await? {
                        return Err(CliError::usage(format!("{name}: image not known")));
                    }
                }
                return Err(CliError::usage(
                    "refusing to save to terminal. Use -o flag or redirect",
                ));
            }
            SaveDestination::Stream(Box::new(std::io::stdout()))
        }
    };
    fd.image_save(a.images.clone(), options, to).await?;
    Ok(0)
}

pub async fn run_load(g: &Globals, a: LoadArgs) -> CliResult {
    let fd = open_front_door(g)?;
    let from = match &a.input {
        Some(p) => ArchiveSource::Path(p.clone()),
        None => {
            if std::io::stdin().is_terminal() {
                return Err(CliError::usage(
                    "cannot read from terminal, use command-line redirection or the --input flag",
                ));
            }
            ArchiveSource::Stream(Box::new(std::io::stdin()))
        }
    };
    let report = fd.image_load(from).await?;
    for n in &report.names {
        println!("Loaded image: {n}");
    }
    Ok(0)
}
