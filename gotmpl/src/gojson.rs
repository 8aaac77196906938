//! JSON output byte-for-byte like Go's encoding/json (escaping, floats, indentation).

use super::value::{classify, go_exp, Shape};
use serde_json::{Number, Value};

/// Encoding options matching the Go calls Podman makes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GoJson<'i> {
    /// Escape `<`, `>`, `&` as `\u003c` etc. (json.Marshal / MarshalIndent do; Podman's
    /// `{{json}}` template function turns it off).
    pub escape_html: bool,
    /// `None`: compact; `Some(indent)`: MarshalIndent with this indent string.
    pub indent: Option<&'i str>,
}

impl GoJson<'_> {
    /// Encodes `v`; `shape` tells whether a top-level object is a struct (keeps key order)
    /// or a map (Go sorts map keys).
    pub(crate) fn encode(&self, v: &Value, shape: Shape) -> String {
        let mut out = String::new();
        self.write(&mut out, v, shape, 0);
        out
    }

    fn newline(&self, out: &mut String, depth: usize) {
        if let Some(ind) = self.indent {
            out.push('\n');
            for _ in 0..depth {
                out.push_str(ind);
            }
        }
    }

    fn write(&self, out: &mut String, v: &Value, shape: Shape, depth: usize) {
        match v {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => out.push_str(&json_number(n)),
            Value::String(s) => write_string(out, s, self.escape_html),
            Value::Array(a) => {
                if a.is_empty() {
                    out.push_str("[]");
                    return;
                }
                out.push('[');
                for (i, e) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    self.newline(out, depth + 1);
                    self.write(out, e, child_shape(e, None, shape), depth + 1);
                }
                self.newline(out, depth);
                out.push(']');
            }
            Value::Object(o) => {
                if o.is_empty() {
                    out.push_str("{}");
                    return;
                }
                let mut keys: Vec<&String> = o.keys().collect();
                if shape == Shape::Map {
                    keys.sort();
                }
                out.push('{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    self.newline(out, depth + 1);
                    write_string(out, k, self.escape_html);
                    out.push(':');
                    if self.indent.is_some() {
                        out.push(' ');
                    }
                    let e = &o[k];
                    self.write(out, e, child_shape(e, Some(k), shape), depth + 1);
                }
                self.newline(out, depth);
                out.push('}');
            }
        }
    }
}

fn child_shape(v: &Value, key: Option<&str>, parent: Shape) -> Shape {
    if parent == Shape::Ordered {
        Shape::Ordered
    } else {
        shape_of(v, key)
    }
}

fn shape_of(v: &Value, key: Option<&str>) -> Shape {
    match v {
        Value::Object(o) => classify(o, key),
        _ => Shape::Map,
    }
}

/// Go's float encoding: `'f'` format, or `'e'` below 1e-6 / from 1e21, exponent cleaned up.
fn json_number(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let s = go_exp(&format!("{f:e}"));
        // Go turns e-07 into e-7.
        if let Some((mant, exp)) = s.split_once("e-0") {
            return format!("{mant}e-{exp}");
        }
        return s;
    }
    format!("{f}")
}

fn write_string(out: &mut String, s: &str, escape_html: bool) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '<' | '>' | '&' if escape_html => {
                let b = c as u8;
                out.push_str("\\u00");
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 0xf)] as char);
            }
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 => {
                let b = c as u8;
                out.push_str("\\u00");
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 0xf)] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn compact_without_html_escape() {
        let enc = GoJson {
            escape_html: false,
            indent: None,
        };
        let v = json!({"Name": "a<b>&c", "List": ["x", 1, 2.5, null, true]});
        assert_eq!(
            enc.encode(&v, Shape::Struct),
            r#"{"Name":"a<b>&c","List":["x",1,2.5,null,true]}"#
        );
    }

    #[test]
    fn indented_with_html_escape() {
        let enc = GoJson {
            escape_html: true,
            indent: Some("    "),
        };
        let v = json!([{"Id": "x<", "Labels": {"b": "1", "a": "2"}, "Empty": [], "E2": {}}]);
        assert_eq!(
            enc.encode(&v, Shape::Map),
            "[\n    {\n        \"Id\": \"x\\u003c\",\n        \"Labels\": {\n            \"a\": \"2\",\n            \"b\": \"1\"\n        },\n        \"Empty\": [],\n        \"E2\": {}\n    }\n]"
        );
    }

    #[test]
    fn floats_and_controls() {
        assert_eq!(json_number(&Number::from_f64(3.0).unwrap()), "3");
        assert_eq!(json_number(&Number::from_f64(1e21).unwrap()), "1e+21");
        assert_eq!(json_number(&Number::from_f64(1e-7).unwrap()), "1e-7");
        assert_eq!(json_number(&Number::from_f64(0.5).unwrap()), "0.5");
        let mut s = String::new();
        write_string(&mut s, "\u{1}\u{2028}", false);
        assert_eq!(s, r#""\u0001\u2028""#);
    }
}
