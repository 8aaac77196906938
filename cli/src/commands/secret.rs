//! `secret create|exists|inspect|ls|rm`: flags into the front door's
//! secret requests, its reports printed as Podman's.

use crate::prep::Lazy;
use std::collections::BTreeMap;
use std::io::Read;

use clap::{Args, Subcommand};
use rpod_api::secret::{SecretCreateOptions, SecretListReport, SecretRmOptions};

use super::common::{open_front_door, print_removals, Globals};
use crate::cli_error::{CliError, CliResult};
use crate::format::{self, GoValue, HeaderMap, Origin, ToTemplate};

/// `secret inspect --pretty`.
const PRETTY: &str = "ID:              {{.ID}}
Name:              {{.Spec.Name}}
{{- if .Spec.Labels }}
Labels:
{{- range $k, $v := .Spec.Labels }}
 - {{ $k }}{{if $v }}={{ $v }}{{ end }}
{{- end }}{{ end }}
Driver:            {{.Spec.Driver.Name}}
Created at:        {{.CreatedAt}}
Updated at:        {{.UpdatedAt}}
";

#[derive(Debug, Subcommand)]
pub enum SecretCommand {
    /// Create a new secret
    Create(Lazy<CreateArgs>),
    /// Check if a secret exists in local storage
    Exists(Lazy<ExistsArgs>),
    /// Inspect a secret
    Inspect(Lazy<InspectArgs>),
    /// List secrets
    #[command(alias = "list")]
    Ls(Lazy<LsArgs>),
    /// Remove one or more secrets
    Rm(Lazy<RmArgs>),
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Specify secret driver
    #[arg(short = 'd', long, default_value = "file")]
    driver: String,
    /// Specify driver specific options
    #[arg(long = "driver-opts")]
    driver_opts: Vec<String>,
    /// Read secret data from environment variable
    #[arg(long)]
    env: bool,
    /// If a secret with the same name exists, replace it
    #[arg(long)]
    replace: bool,
    /// If a secret with the same name exists, ignore and do not create a new secret
    #[arg(long)]
    ignore: bool,
    /// Specify labels on the secret
    #[arg(short = 'l', long = "label")]
    label: Vec<String>,
    name: String,
    /// A file, `-` for standard input, or with --env a variable's name
    source: String,
}

#[derive(Debug, Args)]
pub struct ExistsArgs {
    name: String,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Format inspect output using Go template
    #[arg(short = 'f', long)]
    format: Option<String>,
    /// Display the secret
    #[arg(long)]
    showsecret: bool,
    /// Print inspect output in human-readable format
    #[arg(long)]
    pretty: bool,
    #[arg(required = true)]
    names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// Format secret output using Go template
    #[arg(long)]
    format: Option<String>,
    /// Filter secret output
    #[arg(short = 'f', long)]
    filter: Vec<String>,
    /// Do not print headers
    #[arg(short = 'n', long)]
    noheading: bool,
    /// Print secret IDs only
    #[arg(short = 'q', long)]
    quiet: bool,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Remove all secrets
    #[arg(short = 'a', long)]
    all: bool,
    /// Ignore errors when a specified secret is missing
    #[arg(short = 'i', long)]
    ignore: bool,
    names: Vec<String>,
}

pub async fn dispatch(g: &Globals, cmd: SecretCommand) -> CliResult {
    match cmd {
        SecretCommand::Create(Lazy(a)) => create(g, a).await,
        SecretCommand::Exists(Lazy(a)) => match open_front_door(g)?.secret_exists(&a.name).await? {
            true => Ok(0),
            false => Ok(1),
        },
        SecretCommand::Inspect(Lazy(a)) => inspect(g, a).await,
        SecretCommand::Ls(Lazy(a)) => ls(g, a).await,
        SecretCommand::Rm(Lazy(a)) => rm(g, a).await,
    }
}

/// `--driver-opts k=v[,k=v]` (pflag's StringToString).
fn driver_opts(items: &[String]) -> CliResult<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for item in items {
        for kv in item.split(',') {
            let (k, v) = kv.split_once('=').ok_or_else(|| {
                CliError::usage(format!(
                    "invalid argument {item:?} for \"--driver-opts\" flag: {kv} must be formatted as key=value"
                ))
            })?;
            out.insert(k.to_owned(), v.to_owned());
        }
    }
    Ok(out)
}

async fn create(g: &Globals, a: CreateArgs) -> CliResult {
    if a.ignore && a.replace {
        return Err(CliError::usage(
            "cannot use --ignore and --replace flags together",
        ));
    }
    let data = if a.env {
        match std::env::var_os(&a.source) {
            Some(v) if !v.is_empty() => std::os::unix::ffi::OsStringExt::into_vec(v),
            _ => {
                return Err(CliError::usage(format!(
                    "cannot create store secret data: environment variable {} is not set",
                    a.source
                )))
            }
        }
    } else if a.source == "-" || a.source == "/dev/stdin" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| CliError::usage(format!("reading standard input: {e}")))?;
        buf
    } else {
        std::fs::read(&a.source).map_err(|e| {
            CliError::usage(format!(
                "open {}: {}",
                a.source,
                rpod_api::error_chain::io_reason(&e)
            ))
        })?
    };
    let options = SecretCreateOptions {
        driver: a.driver,
        driver_opts: driver_opts(&a.driver_opts)?,
        labels: super::volume::key_values(&a.label),
        replace: a.replace,
        ignore: a.ignore,
    };
    let id = open_front_door(g)?
        .secret_create(&a.name, data, options)
        .await?;
    println!("{id}");
    Ok(0)
}

async fn inspect(g: &Globals, a: InspectArgs) -> CliResult {
    let (found, errs) = open_front_door(g)?
        .secret_inspect(&a.names, a.showsecret)
        .await?;
    let values: Vec<GoValue> = found.iter().map(ToTemplate::to_template).collect();
    let template = if a.pretty {
        Some(PRETTY.to_owned())
    } else {
        a.format.clone()
    };
    match template {
        Some(f) if !format::is_json(&f) => {
            let mut text = String::new();
            for v in &values {
                text.push_str(
                    &format::render_value(&f, v, "inspect")
                        .map_err(|e| CliError::usage(e.to_string()))?,
                );
            }
            print!("{text}");
        }
        _ => {
            let list = serde_json::Value::Array(values.iter().map(GoValue::to_json).collect());
            println!("{}", format::typed_json(&list, "    ", true));
        }
    }
    let mut errs = errs.into_iter();
    match errs.next() {
        None => Ok(0),
        Some(first) => {
            for e in errs {
                eprintln!("error inspecting secret: {}", e.message);
            }
            Err(CliError::usage(format!(
                "inspecting secret: {}",
                first.message
            )))
        }
    }
}

async fn ls(g: &Globals, a: LsArgs) -> CliResult {
    let reports = open_front_door(g)?.secret_list(&a.filter).await?;
    let rows: Vec<SecretListReport> = reports
        .iter()
        .map(|r| SecretListReport {
            id: r.id.clone(),
            name: r.spec.name.clone(),
            driver: r.spec.driver.name.clone(),
            created_at: ago(r.created_at.unix_nanos()),
            updated_at: ago(r.updated_at.unix_nanos()),
        })
        .collect();
    if a.quiet && a.format.is_none() {
        for r in &rows {
            println!("{}", r.id);
        }
        return Ok(0);
    }
    let values: Vec<GoValue> = rows.iter().map(ToTemplate::to_template).collect();
    let headers = HeaderMap::new("ls")
        .with_all(&[("CreatedAt", "CREATED"), ("UpdatedAt", "UPDATED")])
        .json_style("    ", true)
        .row_type("*types.SecretListReport");
    let (origin, fmt) = match a.format {
        Some(f) => (Origin::User, f),
        None => (
            Origin::Podman,
            "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.CreatedAt}}\t{{.UpdatedAt}}".to_owned(),
        ),
    };
    let out = format::render_typed(origin, &fmt, &values, &headers, a.noheading)
        .map_err(|e| CliError::usage(e.to_string()))?;
    print!("{out}");
    Ok(0)
}

/// go-units' human duration since a time, with " ago".
fn ago(nanos: Option<i64>) -> String {
    format!("{} ago", crate::human::since(nanos.unwrap_or(0)))
}

async fn rm(g: &Globals, a: RmArgs) -> CliResult {
    if a.all != a.names.is_empty() {
        return Err(CliError::usage(
            "`rpod secret rm` requires one argument, or the --all flag",
        ));
    }
    let reports = open_front_door(g)?
        .secret_remove(
            &a.names,
            SecretRmOptions {
                all: a.all,
                ignore: a.ignore,
            },
        )
        .await?;
    // Podman: every failure exits 125.
    let results = reports.into_iter().map(|r| r.err.map_or(Ok(r.id), Err));
    print_removals(results, |_| 125)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_options() {
        let o = driver_opts(&["path=/x,a=b".into(), "c=d".into()]).unwrap();
        assert_eq!(o["path"], "/x");
        assert_eq!(o["c"], "d");
        assert!(driver_opts(&["nokey".into()]).is_err());
    }
}
