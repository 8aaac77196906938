//! `inspect`, `container inspect` and `image inspect`.

use clap::Args;
use rpod_api::container::InspectOptions;
use rpod_api::{ErrorKind, FrontDoor};
use serde_json::Value;

use super::common::{open_front_door, Globals};
use crate::cli_error::{CliError, CliResult};
use crate::format::{self, GoValue, HeaderMap, Origin, ToTemplate};

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Format the output to a Go template or json
    #[arg(
        short = 'f',
        long,
        overrides_with = "format",
        allow_hyphen_values = true
    )]
    format: Option<String>,
    /// Specify inspect-object type ("image", "container", "volume" or "all")
    #[arg(short = 't', long = "type", default_value = "all")]
    kind: String,
    /// Display total file size (accepted for compatibility)
    #[arg(short = 's', long)]
    size: bool,
    /// Act on the latest container podman is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    #[arg(required_unless_present = "latest")]
    names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ContainerInspectArgs {
    /// Format the output to a Go template or json
    #[arg(
        short = 'f',
        long,
        overrides_with = "format",
        allow_hyphen_values = true
    )]
    format: Option<String>,
    /// Display filesystem usage (accepted for compatibility)
    #[arg(short = 's', long)]
    size: bool,
    /// Act on the latest container podman is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    #[arg(required_unless_present = "latest")]
    names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ImageInspectArgs {
    /// Format the output to a Go template or json
    #[arg(
        short = 'f',
        long,
        overrides_with = "format",
        allow_hyphen_values = true
    )]
    format: Option<String>,
    #[arg(required = true)]
    names: Vec<String>,
}

enum Kind {
    Container,
    Image,
    Volume,
    Network,
    All,
}

pub async fn run(g: &Globals, a: InspectArgs) -> CliResult {
    let kind = match a.kind.as_str() {
        "container" => Kind::Container,
        "image" => Kind::Image,
        "volume" => Kind::Volume,
        "network" => Kind::Network,
        "all" => Kind::All,
        other => {
            return Err(CliError::usage(format!(
            "invalid type {other:?}: must be one of \"container\", \"image\", \"volume\", \"network\", \"all\""
        )))
        }
    };
    if a.latest {
        let names = latest(g, &a.names).await?;
        return inspect(g, &names, a.format.as_deref(), Kind::Container).await;
    }
    inspect(g, &a.names, a.format.as_deref(), kind).await
}

pub async fn containers(g: &Globals, a: ContainerInspectArgs) -> CliResult {
    let names = if a.latest {
        latest(g, &a.names).await?
    } else {
        a.names
    };
    inspect(g, &names, a.format.as_deref(), Kind::Container).await
}

/// `--latest`: the ID of the container created last (no names besides).
async fn latest(g: &Globals, names: &[String]) -> CliResult<Vec<String>> {
    if !names.is_empty() {
        return Err(CliError::usage(
            "--latest and containers cannot be used together",
        ));
    }
    let options = InspectOptions {
        latest: true,
        ..Default::default()
    };
    let (found, errors) = open_front_door(g)?.container_inspect(&[], options).await?;
    match (found.into_iter().next(), errors.into_iter().next()) {
        (Some(c), _) => Ok(vec![c.id]),
        (None, Some(e)) => Err(e.into()),
        (None, None) => Err(CliError::usage("no containers to inspect")),
    }
}

pub async fn images(g: &Globals, a: ImageInspectArgs) -> CliResult {
    inspect(g, &a.names, a.format.as_deref(), Kind::Image).await
}

/// `network inspect`.
pub async fn networks(g: &Globals, names: &[String], format: Option<&str>) -> CliResult {
    inspect(g, names, format, Kind::Network).await
}

async fn inspect(g: &Globals, names: &[String], format: Option<&str>, kind: Kind) -> CliResult {
    let front = open_front_door(g)?;
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for name in names {
        let front = front.as_ref();
        let res = match kind {
            Kind::Container => container(front, name).await,
            Kind::Image => image(front, name).await,
            Kind::Volume => volume(front, name).await,
            Kind::Network => network(front, name, false).await,
            // Podman's order: container, image, volume, network.
            Kind::All => match container(front, name).await {
                Ok(None) => match image(front, name).await {
                    Ok(None) => match volume(front, name).await {
                        Ok(None) => network(front, name, true).await,
                        other => other,
                    },
                    other => other,
                },
                other => other,
            },
        };
        match res {
            Ok(Some(v)) => found.push(v),
            Ok(None) => errors.push(match kind {
                Kind::Container => format!("no such container \"{name}\""),
                Kind::Image => format!("{name}: image not known"),
                Kind::Volume => format!("no such volume {name}"),
                Kind::All | Kind::Network => format!("no such object: \"{name}\""),
            }),
            Err(e) => errors.push(e.to_string()),
        }
    }
    let format = format.map(|f| inspect_normalize(f, matches!(kind, Kind::Image)));
    print_reports(format.as_deref(), &found)?;
    if let Some(last) = errors.pop() {
        for e in errors {
            eprintln!("Error: {e}");
        }
        return Err(CliError::usage(last));
    }
    Ok(0)
}

/// Prints inspect reports as Podman does: each through the Go template
/// `format`, or (none, empty or `json`) all as one indented JSON array.
pub(crate) fn print_reports(format: Option<&str>, reports: &[GoValue]) -> CliResult<()> {
    match format {
        Some(f) if !f.is_empty() && !format::is_json(f) => {
            let out = format::render_typed(
                Origin::User,
                f,
                reports,
                &HeaderMap::new("inspect").json_style("     ", false),
                false,
            )
            .map_err(|e| CliError::usage(e.to_string()))?;
            print!("{out}");
        }
        _ => {
            let list = Value::Array(reports.iter().map(GoValue::to_json).collect());
            println!("{}", format::typed_json(&list, "     ", false));
        }
    }
    Ok(())
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

/// The volume `name` as its inspect report; `None` when there is none.
async fn volume(front: &dyn FrontDoor, name: &str) -> CliResult<Option<GoValue>> {
    let (found, errors) = front.volume_inspect(&[name.to_owned()], false).await?;
    if let Some(v) = found.first() {
        return Ok(Some(v.to_template()));
    }
    match errors.into_iter().next() {
        Some(e) if e.kind != ErrorKind::NoSuchVolume => Err(e.into()),
        _ => Ok(None),
    }
}

/// The network `name` as its inspect report; `None` when there is none and
/// `quiet` (the engine's error otherwise).
async fn network(front: &dyn FrontDoor, name: &str, quiet: bool) -> CliResult<Option<GoValue>> {
    let (found, errors) = front.network_inspect(&[name.to_owned()]).await?;
    if let Some(n) = found.first() {
        return Ok(Some(n.to_template()));
    }
    match errors.into_iter().next() {
        Some(e) if !(quiet && e.kind == ErrorKind::NoSuchNetwork) => Err(e.into()),
        _ => Ok(None),
    }
}

/// The image `name` as its inspect report; `None` when there is none.
async fn image(front: &dyn FrontDoor, name: &str) -> CliResult<Option<GoValue>> {
    match front.image_inspect(name).await {
        Ok(d) => Ok(Some(d.to_template())),
        Err(e) if e.kind == ErrorKind::NoSuchImage => Ok(None),
        Err(e) => Err(e.into()),
    }
}
