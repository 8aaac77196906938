//! `history`: the layers an image was built from, newest first.

use clap::Args;
use serde_json::{json, Value};

use super::common::{open_engine, print_listing, Globals};
use super::tag::find_image;
use crate::cli_error::{CliError, CliResult};
use crate::format::HeaderMap;
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
    let engine = open_engine(g)?;
    let image = find_image(&engine, &a.image)?;
    let raw = engine
        .store()
        .image_config(&image)
        .map_err(|e| CliError::usage(e.to_string()))?;
    let config: Value = serde_json::from_slice(&raw)
        .map_err(|e| CliError::usage(format!("parsing image config: {e}")))?;
    let entries = config
        .get("history")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut sizes = Vec::new();
    for chain in &image.layers {
        let layer = engine
            .store()
            .layer(chain)
            .map_err(|e| CliError::usage(e.to_string()))?;
        sizes.push(layer.map(|l| l.size).unwrap_or(0));
    }
    // Entries without empty_layer consume the layers bottom up.
    let mut layer_index = 0;
    let mut rows = Vec::new();
    for e in &entries {
        let empty = e
            .get("empty_layer")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let size = if empty {
            0
        } else {
            let s = sizes.get(layer_index).copied().unwrap_or(0);
            layer_index += 1;
            s
        };
        rows.push((e.clone(), size));
    }
    if entries.is_empty() {
        for s in &sizes {
            rows.push((json!({}), *s));
        }
    }
    rows.reverse();
    let mut out = Vec::new();
    for (i, (e, size)) in rows.iter().enumerate() {
        let id = if i == 0 {
            if a.no_trunc {
                image.id.clone()
            } else {
                image.id[..12].to_string()
            }
        } else {
            "<missing>".to_string()
        };
        if a.quiet {
            println!("{id}");
            continue;
        }
        let created = e.get("created").and_then(Value::as_str).unwrap_or("");
        let nanos = chrono::DateTime::parse_from_rfc3339(created)
            .ok()
            .and_then(|t| t.timestamp_nanos_opt())
            .unwrap_or(0);
        // Podman prints Go's RFC 3339 (whole seconds) when not human.
        let created_rfc3339 = chrono::DateTime::parse_from_rfc3339(created)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default();
        let created_human = if nanos == 0 {
            String::new()
        } else if a.human {
            human::since(nanos) + " ago"
        } else {
            created_rfc3339.clone()
        };
        if a.format.as_deref() == Some("json") {
            // Podman's JSON is its ImageHistoryLayer: lowercase keys, the
            // full ID, the timestamp and the size in bytes.
            let full_id = if i == 0 {
                image.id.clone()
            } else {
                "<missing>".to_string()
            };
            let mut layer = serde_json::Map::new();
            layer.insert("id".into(), json!(full_id));
            if !created.is_empty() {
                layer.insert("created".into(), json!(created));
            }
            let by = e.get("created_by").and_then(Value::as_str).unwrap_or("");
            if !by.is_empty() {
                layer.insert("CreatedBy".into(), json!(by));
            }
            if i == 0 && !image.names.is_empty() {
                layer.insert("tags".into(), json!(image.names));
            }
            layer.insert("size".into(), json!(size));
            let comment = e.get("comment").and_then(Value::as_str).unwrap_or("");
            if !comment.is_empty() {
                layer.insert("comment".into(), json!(comment));
            }
            out.push(Value::Object(layer));
            continue;
        }
        let mut by = e
            .get("created_by")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if !a.no_trunc && by.chars().count() > CREATED_BY_WIDTH {
            by = by.chars().take(CREATED_BY_WIDTH - 3).collect::<String>() + "...";
        }
        out.push(json!({
            "ID": id,
            "Created": created_human,
            "CreatedAt": created,
            "CreatedSince": created_human,
            "CreatedBy": by,
            "Size": if a.human { human::size(*size) } else { size.to_string() },
            "Comment": e.get("comment").and_then(Value::as_str).unwrap_or(""),
            // Go prints a []string as `[a b]`.
            "Tags": if i == 0 { format!("[{}]", image.names.join(" ")) } else { "[]".to_string() },
        }));
    }
    if a.quiet {
        return Ok(0);
    }
    if a.format.as_deref() == Some("json") {
        println!("{}", crate::format::json_pretty(&Value::Array(out)));
        return Ok(0);
    }
    let headers = HeaderMap::new("history").with_all(HEADERS);
    print_listing(a.format.as_deref(), DEFAULT_FORMAT, &out, &headers, false)?;
    Ok(0)
}
