//! `commit` and `import`: new images from a container's changes or from a
//! root filesystem tarball.

use std::io::IsTerminal;
use std::path::Path;

use clap::Args;
use rpod_engine::container::ContainerOptions;
use rpod_engine::registry::platform::host_arch;
use rpod_engine::state::ContainerState;
use rpod_engine::storage::CommitOptions;

use super::common::{open_engine, Globals};
use super::tag::normalize_name;
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

/// The container's own run settings as `--change` instructions, which
/// Podman's commit also writes into the new image's config (command,
/// entrypoint, environment, working directory, user, labels, stop signal).
fn container_changes(o: &ContainerOptions) -> Vec<String> {
    // Values are quoted for the instruction parser (`k="v w"`).
    let quote = |v: &str| {
        if v.contains('"') {
            format!("'{v}'")
        } else {
            format!("\"{v}\"")
        }
    };
    let json = |v: &[String]| serde_json::to_string(v).unwrap_or_default();
    let mut out = Vec::new();
    for (k, v) in o.env.iter().filter_map(|e| e.split_once('=')) {
        out.push(format!("ENV {k}={}", quote(v)));
    }
    if let Some(ep) = &o.entrypoint {
        out.push(format!("ENTRYPOINT {}", json(ep)));
    }
    if !o.command.is_empty() {
        out.push(format!("CMD {}", json(&o.command)));
    }
    if let Some(w) = &o.workdir {
        out.push(format!("WORKDIR {w}"));
    }
    if let Some(u) = &o.user {
        out.push(format!("USER {u}"));
    }
    for (k, v) in &o.labels {
        out.push(format!("LABEL {k}={}", quote(v)));
    }
    if let Some(sig) = o.stop_signal {
        out.push(format!("STOPSIGNAL {sig}"));
    }
    out
}

pub async fn commit(g: &Globals, a: CommitArgs) -> CliResult {
    if let Some(f) = a
        .format
        .as_deref()
        .filter(|f| *f != "oci" && *f != "docker")
    {
        return Err(CliError::usage(format!("unrecognized image type {f:?}")));
    }
    let names = match &a.image {
        Some(n) => vec![normalize_name(n)?],
        None => Vec::new(),
    };
    let engine = open_engine(g)?;
    let handle = engine.container(&a.container)?;
    let rec = handle.get().await?;
    let base = engine
        .store()
        .images()
        .map_err(|e| CliError::usage(e.to_string()))?
        .into_iter()
        .find(|i| i.id == rec.image_id)
        .ok_or_else(|| CliError::usage(format!("{}: image not known", rec.image_name)))?;
    // The container's own settings first, then the user's instructions.
    let mut changes = container_changes(&rec.options);
    changes.extend(a.change.iter().cloned());
    let opts = CommitOptions {
        changes,
        author: a.author.clone(),
        message: a.message.clone(),
        names,
        created_by: format!("/bin/sh -c #(nop) commit of {}", rec.name),
    };
    let paused = a.pause && rec.state == ContainerState::Running;
    if paused {
        handle.pause().await?;
    }
    let store = engine.store().clone();
    let id = rec.id.clone();
    let result = tokio::task::spawn_blocking(move || store.commit_container(&id, &base, &opts))
        .await
        .map_err(|e| CliError::usage(format!("commit task failed: {e}")));
    if paused {
        handle.unpause().await?;
    }
    let image = result?.map_err(|e| CliError::usage(e.to_string()))?;
    if !a.quiet {
        eprintln!("Getting image source signatures");
        eprintln!("Writing manifest to image destination");
    }
    println!("{}", image.id);
    Ok(0)
}

pub async fn import(g: &Globals, a: ImportArgs) -> CliResult {
    let names = match &a.reference {
        Some(n) => vec![normalize_name(n)?],
        None => Vec::new(),
    };
    let engine = open_engine(g)?;
    let opts = CommitOptions {
        changes: a.change.clone(),
        author: None,
        message: a.message.clone(),
        names,
        created_by: format!("/bin/sh -c #(nop) ADD file:{} in /", a.source),
    };
    let os = a.os.clone().unwrap_or_else(|| "linux".into());
    let arch = a.arch.clone().unwrap_or_else(|| host_arch().to_string());
    let store = engine.store().clone();
    let source = a.source.clone();
    if source == "-" && std::io::stdin().is_terminal() {
        return Err(CliError::usage(
            "cannot read from terminal, use command-line redirection",
        ));
    }
    let image = tokio::task::spawn_blocking(move || {
        let mut input: Box<dyn std::io::Read + Send> = if source == "-" {
            Box::new(std::io::stdin())
        } else {
            let p = Path::new(&source);
            Box::new(std::fs::File::open(p).map_err(|e| format!("opening {}: {e}", p.display()))?)
        };
        store
            .import_tarball(&mut input, &os, &arch, &opts)
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| CliError::usage(format!("import task failed: {e}")))?
    .map_err(CliError::usage)?;
    if !a.quiet {
        eprintln!("Getting image source signatures");
        eprintln!("Writing manifest to image destination");
    }
    println!("sha256:{}", image.id);
    Ok(0)
}
