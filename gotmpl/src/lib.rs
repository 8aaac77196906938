//! Podman's `--format` handling for listing and inspect commands.
//!
//! Callers serialize their rows to `serde_json::Value` objects keyed by Podman's Go field
//! names (`{"ID": ..., "Names": ..., "Status": ...}`) and call [`render_rows`]. This module
//! reproduces containers/common `pkg/report`:
//!
//! * `json` or `{{json .}}` (with optional spaces) prints the whole list as indented JSON;
//! * a format starting with `table ` prints a header row, then one row per item, aligned like
//!   Go's text/tabwriter with Podman's settings; spaces and literal `\t` become column breaks;
//! * any other format is executed once per row (`{{range .}}...{{end}}` is added unless the
//!   format has its own), with literal `\t` / `\n` turned into tab / newline and a newline
//!   appended when missing.
//!
//! The template language is a Go text/template subset evaluated over JSON (see `exec`), with
//! Go's built-in functions and Podman's `join json lower pad split title truncate upper`.
//! JSON objects stand for Go structs or maps: a row is a struct (an unknown field is an error,
//! as in Podman); a nested object is a map when reached through a well-known map field
//! (`Labels`, `Annotations`, `Options`, ...) or when any key is not a Go exported identifier,
//! otherwise a struct. Errors carry Go's wording; the CLI prints them as `Error: ...` and
//! exits with 125.

mod error;
mod exec;
mod funcs;
mod go;
mod gojson;
mod headers;
mod lexer;
mod parser;
mod printf;
mod tabwriter;
mod value;

pub use error::FormatError;
pub use go::{GoMethods, GoStruct, GoValue, ToTemplate};
pub use gotmpl_derive::ToTemplate;
pub use headers::HeaderMap;
/// Re-exported for the derive's generated code.
pub use serde_json;
pub use tabwriter::{align, TabSettings};

use serde_json::Value;
use value::{Shape, Val};

/// Where a format string comes from; decides wrapping and alignment (report.Origin).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `--format` given by the user: aligned with headers only for `table` formats.
    User,
    /// A command's built-in default format: always aligned, headers unless `--noheading`.
    Podman,
}

/// Renders `rows` with a user's `--format` (see the module docs). The result is what Podman
/// writes to stdout, newline-terminated rows included.
pub fn render_rows(
    format: &str,
    rows: &[Value],
    headers: &HeaderMap,
) -> Result<String, FormatError> {
    render(Origin::User, format, rows, headers, false)
}

/// Renders `rows` with a format of the given origin. `no_heading` suppresses the header row
/// (`--noheading`); headers are only ever printed for `table` formats and Podman's defaults.
pub fn render(
    origin: Origin,
    format: &str,
    rows: &[Value],
    headers: &HeaderMap,
    no_heading: bool,
) -> Result<String, FormatError> {
    if origin == Origin::User && is_json(format) {
        let (indent, escape_html) = headers.json_settings();
        let list = Value::Array(rows.to_vec());
        return Ok(json_indent(&list, indent, escape_html) + "\n");
    }
    render_data(origin, format, exec::rows_data(rows), headers, no_heading)
}

/// Renders typed rows (see [`ToTemplate`]): templates see Go field names and methods,
/// `json` prints each row's JSON form (serde keys, declaration order).
pub fn render_typed(
    origin: Origin,
    format: &str,
    rows: &[GoValue],
    headers: &HeaderMap,
    no_heading: bool,
) -> Result<String, FormatError> {
    if origin == Origin::User && is_json(format) {
        let (indent, escape_html) = headers.json_settings();
        let list = Value::Array(rows.iter().map(GoValue::to_json).collect());
        return Ok(typed_json(&list, indent, escape_html) + "\n");
    }
    let data = Val::List(rows.iter().map(Val::from_go).collect());
    render_data(origin, format, data, headers, no_heading)
}

/// Executes a user's template once over one typed value (report.OriginUnknown: no implicit
/// `range`, as `info`, `version` and `inspect` do). The result ends with a newline.
pub fn render_value(format: &str, value: &GoValue, name: &str) -> Result<String, FormatError> {
    let norm = normalize_format(format);
    let (text, nodes) = match parser::parse(&norm) {
        Ok(nodes) => (norm, nodes),
        Err(_) => match parser::parse(format) {
            Ok(nodes) => (format.to_string(), nodes),
            Err(e) => {
                return Err(FormatError::Parse {
                    name: name.to_string(),
                    line: e.line,
                    msg: e.msg,
                })
            }
        },
    };
    exec::execute(name, &text, "struct", &nodes, Val::from_go(value))
}

/// Go's indented JSON of typed data: objects keep serde's key order.
pub fn typed_json(v: &Value, indent: &str, escape_html: bool) -> String {
    let enc = gojson::GoJson {
        escape_html,
        indent: Some(indent),
    };
    enc.encode(v, Shape::Ordered)
}

fn render_data(
    origin: Origin,
    format: &str,
    data: Val<'_>,
    headers: &HeaderMap,
    no_heading: bool,
) -> Result<String, FormatError> {
    let tmpl = Template::parse(origin, format, headers.command())?;
    let mut out = String::new();
    if tmpl.table && !no_heading {
        let mut names = Vec::new();
        parser::field_names(&tmpl.nodes, &mut names);
        let header_row: serde_json::Map<String, Value> = names
            .into_iter()
            .map(|n| {
                let h = headers.header(&n);
                (n, Value::String(h))
            })
            .collect();
        let header_row = Value::Object(header_row);
        let data = Val::List(vec![Val::Json(
            std::borrow::Cow::Borrowed(&header_row),
            Shape::Map,
        )]);
        out.push_str(&exec::execute(
            headers.command(),
            &tmpl.text,
            headers.row_type_name(),
            &tmpl.nodes,
            data,
        )?);
    }
    out.push_str(&exec::execute(
        headers.command(),
        &tmpl.text,
        headers.row_type_name(),
        &tmpl.nodes,
        data,
    )?);
    if tmpl.table {
        out = align(&out, TabSettings::PODMAN);
    }
    Ok(out)
}

/// Whether `format` asks for JSON output, as Podman's report.IsJSON
/// (`^\s*(json|{{\s*json\.?\s*}})\s*$`): `json`, `{{json}}` or `{{ json. }}`.
/// `{{json .}}` is not: it is a template, one compact object per row.
pub fn is_json(format: &str) -> bool {
    let f = format.trim_matches(is_re_space);
    if f == "json" {
        return true;
    }
    let Some(inner) = f.strip_prefix("{{").and_then(|r| r.strip_suffix("}}")) else {
        return false;
    };
    let inner = inner.trim_matches(is_re_space);
    let Some(rest) = inner.strip_prefix("json") else {
        return false;
    };
    rest.is_empty() || rest == "."
}

/// RE2's `\s`: `[\t\n\f\r ]`.
fn is_re_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ')
}

/// Go's `json.MarshalIndent(v, "", "    ")`: 4-space indentation, `<`, `>`, `&` escaped.
pub fn json_pretty(v: &Value) -> String {
    json_indent(v, "    ", true)
}

/// Go's indented JSON with any indent; `escape_html` as `json.Marshal` (true) or an encoder
/// with `SetEscapeHTML(false)`. Struct-like objects keep their key order, maps are sorted.
pub fn json_indent(v: &Value, indent: &str, escape_html: bool) -> String {
    let enc = gojson::GoJson {
        escape_html,
        indent: Some(indent),
    };
    let shape = match v {
        Value::Object(o) => value::classify(o, None),
        _ => Shape::Map,
    };
    enc.encode(v, shape)
}

/// A parsed report template (report.Formatter after Parse).
struct Template {
    /// The text actually parsed (after normalization and range wrapping).
    text: String,
    nodes: Vec<parser::Node>,
    /// Aligned output with a header row.
    table: bool,
}

impl Template {
    /// Normalizes and parses like report.Formatter.Parse: try the normalized text first and
    /// fall back to the raw text (so `{{printf "\n"}}` keeps working).
    fn parse(origin: Origin, format: &str, name: &str) -> Result<Template, FormatError> {
        let (norm, raw, table) = match format.strip_prefix("table ") {
            Some(without) => (
                format!("{{{{range .}}}}{}{{{{end -}}}}", normalize_format(format)),
                format!("{{{{range .}}}}{without}{{{{end -}}}}"),
                true,
            ),
            None if origin == Origin::User => (
                enforce_range(&normalize_format(format)),
                enforce_range(format),
                false,
            ),
            None => (normalize_format(format), format.to_string(), false),
        };
        let table = table || origin == Origin::Podman;
        match parser::parse(&norm) {
            Ok(nodes) => Ok(Template {
                text: norm,
                nodes,
                table,
            }),
            Err(_) => match parser::parse(&raw) {
                Ok(nodes) => Ok(Template {
                    text: raw,
                    nodes,
                    table,
                }),
                Err(e) => Err(FormatError::Parse {
                    name: name.to_string(),
                    line: e.line,
                    msg: e.msg,
                }),
            },
        }
    }
}

/// report.NormalizeFormat: for `table ` formats drop every `table `, turn literal `\t`, `\n`
/// and every space into tab/newline/tab; otherwise only literal `\t` and `\n`. A final
/// newline is added when missing.
pub fn normalize_format(format: &str) -> String {
    let table = format.starts_with("table ");
    let mut out = String::with_capacity(format.len() + 1);
    let mut rest = format;
    while let Some(c) = rest.chars().next() {
        if table && rest.starts_with("table ") {
            rest = &rest["table ".len()..];
        } else if rest.starts_with("\\t") {
            out.push('\t');
            rest = &rest[2..];
        } else if rest.starts_with("\\n") {
            out.push('\n');
            rest = &rest[2..];
        } else if table && c == ' ' {
            out.push('\t');
            rest = &rest[1..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// report.EnforceRange: wrap in `{{range .}}...{{end -}}` unless the format already ranges
/// over dot (`{{range .}}` followed somewhere by `{{end}}`).
fn enforce_range(format: &str) -> String {
    if has_range_over_dot(format) {
        format.to_string()
    } else {
        format!("{{{{range .}}}}{format}{{{{end -}}}}")
    }
}

fn skip_ws(s: &str) -> &str {
    s.trim_start_matches(is_re_space)
}

fn has_range_over_dot(format: &str) -> bool {
    let open = |s: &str, word: &str| -> Option<usize> {
        let r = skip_ws(s.strip_prefix("{{")?);
        let r = r.strip_prefix(word)?;
        Some(s.len() - r.len())
    };
    for (i, _) in format.match_indices("{{") {
        let s = &format[i..];
        let Some(n) = open(s, "range") else { continue };
        let r = skip_ws(&s[n..]);
        let Some(r) = r.strip_prefix('.') else {
            continue;
        };
        let Some(r) = skip_ws(r).strip_prefix("}}") else {
            continue;
        };
        for (j, _) in r.match_indices("{{") {
            let t = &r[j..];
            let Some(m) = open(t, "end") else { continue };
            let u = skip_ws(&t[m..]);
            let u = skip_ws(u.strip_prefix('-').unwrap_or(u));
            if u.starts_with("}}") {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod go_tests;
#[cfg(test)]
mod tests;
