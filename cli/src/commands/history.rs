//! `history`: the layers an image was built from, newest first.

use clap::Args;
use rpod_api::image::ImageHistoryLayer;
use serde::Serialize;
use serde_json::Value;

use super::common::{open_front_door, Globals};
use crate::cli_error::{CliError, CliResult};
use crate::format::{self, GoMethods, GoValue, HeaderMap, Origin, ToTemplate};
use crate::human;

const DEFAULT_FORMAT: &str = "table {{.ID}}\t{{.Created}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}";
const HEADERS: &[(&str, &str)] = &[
    ("ID", "ID"),
    ("Created", "CREATED"),
    ("CreatedBy", "CREATED BY"),
    ("Size", "SIZE"),
    ("Comment", "COMMENT"),
];
/// Podman cuts CREATED BY at this many characters unless `--no-trunc`.
const CREATED_BY_WIDTH: usize = 45;

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Display sizes and dates in human readable format
    #[arg(short = 'H', long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    human: bool,
    /// Do not truncate the output
    #[arg(long, alias = "notruncate")]
    no_trunc: bool,
    /// Display the numeric IDs only
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Change the output to JSON or a Go template
    #[arg(long, allow_hyphen_values = true)]
    format: Option<String>,
    /// Image
    image: String,
}

pub async fn run(g: &Globals, a: HistoryArgs) -> CliResult {
    let fd = open_front_door(g)?;
    let layers = fd.image_history(&a.image).await?;
    let rows: Vec<HistoryReporter> = layers
        .into_iter()
        .map(|layer| HistoryReporter {
            layer,
            human: a.human,
            no_trunc: a.no_trunc,
        })
        .collect();
    if a.quiet {
        for r in &rows {
            println!("{}", r.id());
        }
        return Ok(0);
    }
    if a.format.as_deref() == Some("json") {
        // Podman's JSON is its ImageHistoryLayer: lowercase keys, the
        // full ID, the timestamp and the size in bytes.
        let list = rows
            .iter()
            .map(|r| serde_json::to_value(&r.layer))
            .collect::<Result<Vec<_>, _>>()
            .map_err(anyhow::Error::from)?;
        println!("{}", crate::format::json_pretty(&Value::Array(list)));
        return Ok(0);
    }
    let headers = HeaderMap::new("history")
        .with_all(HEADERS)
        .row_type("images.historyReporter");
    let (origin, fmt) = match a.format.as_deref() {
        Some(f) => (Origin::User, f),
        None => (Origin::Podman, DEFAULT_FORMAT),
    };
    let values: Vec<GoValue> = rows.iter().map(ToTemplate::to_template).collect();
    let out = format::render_typed(origin, fmt, &values, &headers, false)
        .map_err(|e| CliError::usage(e.to_string()))?;
    print!("{out}");
    Ok(0)
}

/// Podman's historyReporter: one layer with the template methods `history`
/// offers (human sizes and times, truncated IDs and commands).
#[derive(Clone, Debug, Serialize, ToTemplate)]
#[go(type = "images.historyReporter", methods)]
struct HistoryReporter {
    #[serde(flatten)]
    #[go(embed)]
    layer: ImageHistoryLayer,
    #[serde(skip)]
    #[go(skip)]
    human: bool,
    #[serde(skip)]
    #[go(skip)]
    no_trunc: bool,
}

impl HistoryReporter {
    fn id(&self) -> String {
        let id = &self.layer.id;
        if !self.no_trunc && id.len() > 12 {
            id[..12].to_owned()
        } else {
            id.clone()
        }
    }

    fn created(&self) -> String {
        match self.layer.created.unix_nanos() {
            None | Some(0) => String::new(),
            Some(nanos) if self.human => human::since(nanos) + " ago",
            // Podman prints Go's RFC 3339 (whole seconds) when not human.
            Some(_) => self
                .layer
                .created
                .0
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                .unwrap_or_default(),
        }
    }

    fn created_by(&self) -> String {
        let by = &self.layer.created_by;
        if !self.no_trunc && by.chars().count() > CREATED_BY_WIDTH {
            by.chars().take(CREATED_BY_WIDTH - 3).collect::<String>() + "..."
        } else {
            by.clone()
        }
    }

    fn size(&self) -> String {
        let size = u64::try_from(self.layer.size).unwrap_or(0);
        if self.human {
            human::size(size)
        } else {
            size.to_string()
        }
    }
}

impl GoMethods for HistoryReporter {
    fn arity(&self, name: &str) -> Option<usize> {
        matches!(
            name,
            "ID" | "Created" | "CreatedAt" | "CreatedSince" | "CreatedBy" | "Size"
        )
        .then_some(0)
    }

    fn call(&self, name: &str, _args: &[&str]) -> Result<GoValue, String> {
        Ok(GoValue::Str(match name {
            "ID" => self.id(),
            "Created" | "CreatedSince" => self.created(),
            "CreatedAt" => self.layer.created.rfc3339(),
            "CreatedBy" => self.created_by(),
            "Size" => self.size(),
            other => return Err(format!("no method {other}")),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reporter(human: bool, no_trunc: bool) -> HistoryReporter {
        HistoryReporter {
            layer: ImageHistoryLayer {
                id: "0123456789abcdef".into(),
                created_by: "x".repeat(50),
                tags: vec!["a:1".into(), "b:2".into()],
                size: 2048,
                comment: "c".into(),
                ..ImageHistoryLayer::default()
            },
            human,
            no_trunc,
        }
    }

    #[test]
    fn template_names_are_podmans() {
        let r = reporter(false, false);
        let out = format::render_value(
            "{{.ID}} {{.Size}} {{len .CreatedBy}} {{.Tags}} {{.Comment}} [{{.Created}}]",
            &r.to_template(),
            "history",
        )
        .unwrap();
        assert_eq!(out, "0123456789ab 2048 45 [a:1 b:2] c []\n");
        let r = reporter(true, true);
        let out = format::render_value("{{.ID}} {{.Size}}", &r.to_template(), "history").unwrap();
        assert_eq!(out, "0123456789abcdef 2.05 kB\n");
    }

    #[test]
    fn json_keys_are_the_layers() {
        let v = serde_json::to_value(reporter(false, false)).unwrap();
        assert_eq!(v["id"], "0123456789abcdef");
        assert_eq!(v["size"], 2048);
        assert_eq!(v["tags"][1], "b:2");
        assert!(v.get("human").is_none());
    }
}
