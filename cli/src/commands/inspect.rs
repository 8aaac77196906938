//! `inspect`, `container inspect` and `image inspect`.

use clap::Args;
use rpod_api::container::InspectOptions;
use rpod_api::image::{History, ImageData, RootFs};
use rpod_api::inspect::DriverData;
use rpod_api::GoTime;
use rpod_api::{ErrorKind, FrontDoor};
use rpod_engine::storage::Image;
use rpod_engine::Engine;
use serde_json::{json, Value};
use std::collections::BTreeMap;

use super::common::{open_engine, open_front_door, Globals};
use crate::cli_error::{CliError, CliResult};
use crate::format::{self, GoValue, HeaderMap, Origin, ToTemplate};

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Format the output to a Go template or json
    #[arg(short = 'f', long, overrides_with = "format")]
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
    #[arg(short = 'f', long, overrides_with = "format")]
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
    #[arg(short = 'f', long, overrides_with = "format")]
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
    let front = match kind {
        Kind::Image => None,
        _ => Some(open_front_door(g)?),
    };
    // Opened on the first image lookup.
    let mut engine = None;
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for name in names {
        let container = match &front {
            Some(front) => container(front.as_ref(), name).await,
            None => Ok(None),
        };
        let res = match container {
            Ok(None) if !matches!(kind, Kind::Container) => {
                if engine.is_none() {
                    engine = Some(open_engine(g)?);
                }
                match &engine {
                    Some(engine) => lookup_image(engine, name),
                    None => Ok(None),
                }
            }
            other => other,
        };
        match res {
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
        Some(f) if !f.is_empty() && !format::is_json(f) => {
            let f = inspect_normalize(f, matches!(kind, Kind::Image));
            let out = format::render_typed(
                Origin::User,
                &f,
                &found,
                &HeaderMap::new("inspect").json_style("     ", false),
                false,
            )
            .map_err(|e| CliError::usage(e.to_string()))?;
            print!("{out}");
        }
        _ => {
            let list = Value::Array(found.iter().map(GoValue::to_json).collect());
            println!("{}", format::typed_json(&list, "     ", false));
        }
    }
    if let Some(last) = errors.pop() {
        for e in errors {
            eprintln!("Error: {e}");
        }
        return Err(CliError::usage(last));
    }
    Ok(0)
}

/// Podman's InspectNormalize: `{{.Id}}` means `.ID`, `.Src`/`.Dst`/`.ImageID` are aliases of
/// `.Source`/`.Destination`/`.Image`, and for images `.Config.Healthcheck` of `.HealthCheck`.
fn inspect_normalize(format: &str, image: bool) -> String {
    let id = regex::Regex::new(r"\{\{\s*\.Id\s*\}\}")
        .map(|re| re.replace_all(format, "{{.ID}}").into_owned());
    let mut f = id.unwrap_or_else(|_| format.to_owned());
    let mut pairs = vec![
        (".Src", ".Source"),
        (".Dst", ".Destination"),
        (".ImageID", ".Image"),
    ];
    if image {
        pairs.push((".Config.Healthcheck", ".HealthCheck"));
    }
    for (from, to) in pairs {
        f = f.replace(from, to);
    }
    f
}

/// The container `name` as its inspect report; `None` when there is none.
async fn container(front: &dyn FrontDoor, name: &str) -> CliResult<Option<GoValue>> {
    let (found, errors) = front
        .container_inspect(&[name.to_owned()], InspectOptions::default())
        .await?;
    if let Some(c) = found.first() {
        return Ok(Some(c.to_template()));
    }
    match errors.into_iter().next() {
        Some(e) if e.kind != ErrorKind::NoSuchContainer => Err(e.into()),
        _ => Ok(None),
    }
}

fn lookup_image(engine: &Engine, name: &str) -> CliResult<Option<GoValue>> {
    if let Some(img) = engine
        .store()
        .lookup_image(name)
        .map_err(anyhow::Error::from)?
    {
        return Ok(Some(inspect_image(engine, &img)?.to_template()));
    }
    Ok(None)
}

/// Podman's image inspect report (pkg/inspect.ImageData).
pub fn inspect_image(engine: &Engine, img: &Image) -> CliResult<ImageData> {
    let raw = engine
        .store()
        .image_config(img)
        .map_err(anyhow::Error::from)?;
    let config: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();
    let repo_digests: Vec<String> = img
        .names
        .iter()
        .map(|n| format!("{}@{}", repo_of(n), img.digest))
        .collect();
    let layers: Vec<String> = config
        .pointer("/rootfs/diff_ids")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default();
    let created = config
        .get("created")
        .and_then(|c| serde_json::from_value::<GoTime>(c.clone()).ok());
    let history: Vec<History> = config
        .get("history")
        .and_then(|h| serde_json::from_value(h.clone()).ok())
        .unwrap_or_default();
    let labels: Option<BTreeMap<String, String>> = config
        .pointer("/config/Labels")
        .and_then(|l| serde_json::from_value(l.clone()).ok());
    let health_check = config
        .pointer("/config/Healthcheck")
        .and_then(|h| serde_json::from_value(h.clone()).ok());
    let size = i64::try_from(img.size).unwrap_or(i64::MAX);
    Ok(ImageData {
        id: img.id.clone(),
        digest: img.digest.clone(),
        repo_tags: Some(img.names.clone()),
        repo_digests: Some(repo_digests),
        parent: String::new(),
        comment: text(config.get("comment")),
        created,
        config: Some(config.get("config").cloned().unwrap_or_else(|| json!({}))),
        version: text(config.get("docker_version")),
        author: text(config.get("author")),
        architecture: text(config.get("architecture")),
        os: text(config.get("os")),
        size,
        virtual_size: size,
        graph_driver: Some(DriverData {
            name: engine.store().graph_driver_name().to_owned(),
            data: Some(BTreeMap::new()),
        }),
        root_fs: Some(RootFs {
            r#type: "layers".into(),
            layers: Some(layers),
        }),
        labels,
        annotations: Some(BTreeMap::new()),
        manifest_type: manifest_type(engine, img),
        user: text(config.pointer("/config/User")),
        history: Some(history),
        names_history: Some(img.names.clone()),
        health_check,
    })
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
