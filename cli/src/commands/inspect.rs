//! `inspect`, `container inspect` and `image inspect`.

use clap::Args;
use rpod_engine::container::inspect::inspect_container;
use rpod_engine::container::ContainerError;
use rpod_engine::storage::Image;
use rpod_engine::Engine;
use serde_json::{json, Value};

use super::common::{open_engine, print_formatted, print_inspect_json, Globals};
use crate::cli_error::{CliError, CliResult};
use crate::format::HeaderMap;

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Format the output to a Go template or json
    #[arg(short = 'f', long)]
    format: Option<String>,
    /// Specify inspect-object type ("image", "container" or "all")
    #[arg(short = 't', long = "type", default_value = "all")]
    kind: String,
    /// Display total file size (accepted for compatibility)
    #[arg(short = 's', long)]
    size: bool,
    #[arg(required = true)]
    names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ContainerInspectArgs {
    /// Format the output to a Go template or json
    #[arg(short = 'f', long)]
    format: Option<String>,
    /// Display filesystem usage (accepted for compatibility)
    #[arg(short = 's', long)]
    size: bool,
    #[arg(required = true)]
    names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ImageInspectArgs {
    /// Format the output to a Go template or json
    #[arg(short = 'f', long)]
    format: Option<String>,
    #[arg(required = true)]
    names: Vec<String>,
}

enum Kind {
    Container,
    Image,
    All,
}

pub async fn run(g: &Globals, a: InspectArgs) -> CliResult {
    let kind = match a.kind.as_str() {
        "container" => Kind::Container,
        "image" => Kind::Image,
        "all" => Kind::All,
        other => {
            return Err(CliError::usage(format!(
                "invalid type {other:?}: must be one of \"container\", \"image\", \"all\""
            )))
        }
    };
    inspect(g, &a.names, a.format.as_deref(), kind).await
}

pub async fn containers(g: &Globals, a: ContainerInspectArgs) -> CliResult {
    inspect(g, &a.names, a.format.as_deref(), Kind::Container).await
}

pub async fn images(g: &Globals, a: ImageInspectArgs) -> CliResult {
    inspect(g, &a.names, a.format.as_deref(), Kind::Image).await
}

async fn inspect(g: &Globals, names: &[String], format: Option<&str>, kind: Kind) -> CliResult {
    let engine = open_engine(g)?;
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for name in names {
        match lookup(&engine, name, &kind).await {
            Ok(Some(v)) => found.push(v),
            Ok(None) => errors.push(match kind {
                Kind::Container => format!("no such container \"{name}\""),
                Kind::Image => format!("{name}: image not known"),
                Kind::All => format!("no such object: \"{name}\""),
            }),
            Err(e) => errors.push(e.to_string()),
        }
    }
    match format {
        None | Some("json") => print_inspect_json(&Value::Array(found)),
        Some(f) => print_formatted(
            f,
            &found,
            &HeaderMap::new("inspect").json_style("     ", false),
        )?,
    }
    if let Some(last) = errors.pop() {
        for e in errors {
            eprintln!("Error: {e}");
        }
        return Err(CliError::usage(last));
    }
    Ok(0)
}

async fn lookup(engine: &Engine, name: &str, kind: &Kind) -> CliResult<Option<Value>> {
    if matches!(kind, Kind::Container | Kind::All) {
        match engine.container(name) {
            Ok(h) => {
                let rec = h.get().await?;
                return Ok(Some(inspect_container(engine.ctx(), &rec)));
            }
            Err(ContainerError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if matches!(kind, Kind::Image | Kind::All) {
        if let Some(img) = engine
            .store()
            .lookup_image(name)
            .map_err(anyhow::Error::from)?
        {
            return Ok(Some(inspect_image(engine, &img)?));
        }
    }
    Ok(None)
}

/// Podman's image inspect shape (libpod's ImageData).
pub fn inspect_image(engine: &Engine, img: &Image) -> CliResult<Value> {
    let raw = engine
        .store()
        .image_config(img)
        .map_err(anyhow::Error::from)?;
    let config: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    let repo_digests: Vec<String> = img
        .names
        .iter()
        .map(|n| format!("{}@{}", repo_of(n), img.digest))
        .collect();
    let diff_ids = config
        .pointer("/rootfs/diff_ids")
        .cloned()
        .unwrap_or(json!([]));
    Ok(json!({
        "Id": img.id,
        "Digest": img.digest,
        "RepoTags": img.names,
        "RepoDigests": repo_digests,
        "Parent": "",
        "Comment": config.get("comment").cloned().unwrap_or(json!("")),
        "Created": config.get("created").cloned().unwrap_or(Value::Null),
        "Config": config.get("config").cloned().unwrap_or(json!({})),
        "Version": config.get("docker_version").cloned().unwrap_or(json!("")),
        "Author": config.get("author").cloned().unwrap_or(json!("")),
        "Architecture": config.get("architecture").cloned().unwrap_or(json!("")),
        "Os": config.get("os").cloned().unwrap_or(json!("")),
        "Size": img.size,
        "VirtualSize": img.size,
        "GraphDriver": { "Name": engine.store().graph_driver_name(), "Data": {} },
        "RootFS": { "Type": "layers", "Layers": diff_ids },
        "Labels": config.pointer("/config/Labels").cloned().unwrap_or(Value::Null),
        "Annotations": {},
        "ManifestType": manifest_type(engine, img),
        "User": config.pointer("/config/User").cloned().unwrap_or(json!("")),
        "History": config.get("history").cloned().unwrap_or(json!([])),
        "NamesHistory": img.names,
    }))
}

/// `registry/repo` of `registry/repo:tag`.
fn repo_of(name: &str) -> &str {
    match name.rfind(':') {
        Some(i) if !name[i..].contains('/') => &name[..i],
        _ => name,
    }
}

fn manifest_type(engine: &Engine, img: &Image) -> String {
    engine
        .store()
        .image_manifest(img)
        .ok()
        .and_then(|m| serde_json::from_slice::<Value>(&m).ok())
        .and_then(|m| {
            m.get("mediaType")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "application/vnd.oci.image.manifest.v1+json".into())
}
