//! `save` and `load`: images to and from docker-archive, oci-archive, OCI
//! layout and `dir` form.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use rpod_engine::storage::archive::{
    load_path, load_reader, save_with, ArchiveFormat, SaveItem, SaveTarget,
};

use super::common::{open_engine, Globals};
use super::tag::find_image;
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
    let format = ArchiveFormat::from_name(&a.format)
        .filter(|f| *f != ArchiveFormat::OciDir || a.format == "oci-dir")
        .ok_or_else(|| {
            CliError::usage(format!(
                "unsupported format {:?}: use docker-archive, oci-archive, oci-dir or docker-dir",
                a.format
            ))
        })?;
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
    if a.images.len() > 1 && format == ArchiveFormat::Dir {
        return Err(CliError::usage("--format docker-dir holds a single image"));
    }
    let engine = open_engine(g)?;
    let mut items = Vec::new();
    for name in &a.images {
        let image = find_image(&engine, name)?;
        let names = engine
            .store()
            .matching_name(&image, name)
            .into_iter()
            .collect();
        items.push(SaveItem { image, names });
    }
    let result = match &a.output {
        Some(path) => save_with(
            engine.store(),
            &items,
            format,
            SaveTarget::Path(path),
            a.uncompressed,
        ),
        None => {
            if std::io::stdout().is_terminal() {
                return Err(CliError::usage(
                    "refusing to save to terminal. Use -o flag or redirect",
                ));
            }
            let out = std::io::stdout().lock();
            save_with(
                engine.store(),
                &items,
                format,
                SaveTarget::Writer(Box::new(std::io::BufWriter::new(out))),
                a.uncompressed,
            )
        }
    };
    result.map_err(|e| CliError::usage(e.to_string()))?;
    Ok(0)
}

pub async fn run_load(g: &Globals, a: LoadArgs) -> CliResult {
    let engine = open_engine(g)?;
    let loaded = match &a.input {
        Some(p) => load_path(engine.store(), p, None),
        None => {
            if std::io::stdin().is_terminal() {
                return Err(CliError::usage(
                    "cannot read from terminal, use command-line redirection or the --input flag",
                ));
            }
            load_reader(engine.store(), &mut std::io::stdin().lock(), None)
        }
    }
    .map_err(|e| CliError::usage(e.to_string()))?;
    for l in &loaded {
        if l.names.is_empty() {
            println!("Loaded image: sha256:{}", l.image.id);
        }
        for n in &l.names {
            println!("Loaded image: {n}");
        }
    }
    Ok(0)
}
