//! Template values: JSON data seen through Go's type system (struct vs map, int vs float, nil).

use crate::go::{GoStruct, GoValue};
use serde_json::{Number, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Whether a JSON object stands for a Go struct or a Go map.
///
/// Structs reject unknown fields (`can't evaluate field X in type T`) and print as `{v1 v2}`;
/// maps yield `<no value>` for missing keys and print as `map[k:v]` with sorted keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Struct,
    Map,
    /// A top-level row: a struct whose Go type name is configured by the caller.
    Row,
    /// JSON produced by serde from typed data: every object keeps its key order (maps were
    /// already sorted by their Rust type).
    Ordered,
}

/// Object keys that are Go maps in Podman's types even when their keys look like field names.
const MAP_KEYS: &[&str] = &[
    "Labels",
    "Annotations",
    "Options",
    "DriverOpts",
    "Ports",
    "ExposedPorts",
    "Volumes",
    "Networks",
];

/// Classifies an object reached through `key` (None: no parent field, e.g. list elements).
pub(crate) fn classify(obj: &serde_json::Map<String, Value>, key: Option<&str>) -> Shape {
    if key.is_some_and(|k| MAP_KEYS.contains(&k)) || obj.is_empty() {
        return Shape::Map;
    }
    let exported = |k: &String| {
        let mut cs = k.chars();
        cs.next().is_some_and(|c| c.is_ascii_uppercase())
            && cs.all(|c| c == '_' || c.is_alphanumeric())
    };
    if obj.keys().all(exported) {
        Shape::Struct
    } else {
        Shape::Map
    }
}

/// Selects a child of a JSON container.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Key<'k> {
    Idx(usize),
    Name(&'k str),
}

/// A value during template execution.
#[derive(Debug, Clone)]
pub(crate) enum Val<'a> {
    /// Go's invalid `reflect.Value` (missing map key, nil interface): prints `<no value>`.
    Missing,
    /// JSON data; `Shape` matters for objects only.
    Json(Cow<'a, Value>, Shape),
    /// A list of values not backed by one JSON array (the rows passed to the template).
    List(Vec<Val<'a>>),
    /// A typed Go struct (fields, methods, JSON form).
    Struct(Arc<GoStruct>),
    /// A Go map whose values include structs.
    Map(Arc<BTreeMap<String, GoValue>>),
}

impl<'a> Val<'a> {
    /// Wraps borrowed data reached through field `key`.
    pub(crate) fn borrowed(v: &'a Value, key: Option<&str>) -> Val<'a> {
        let shape = match v {
            Value::Object(o) => classify(o, key),
            _ => Shape::Map,
        };
        Val::Json(Cow::Borrowed(v), shape)
    }

    /// Wraps an owned result (function output).
    pub(crate) fn owned(v: Value) -> Val<'a> {
        let shape = match &v {
            Value::Object(o) => classify(o, None),
            _ => Shape::Map,
        };
        Val::Json(Cow::Owned(v), shape)
    }

    /// The element `key` of this value's JSON (object member or array element), borrowing
    /// from the original data when possible. `None` when absent or not a container.
    pub(crate) fn child(&self, key: Key<'_>) -> Option<Val<'a>> {
        let Val::Json(parent, _) = self else {
            return None;
        };
        let name = match key {
            Key::Name(n) => Some(n),
            Key::Idx(_) => None,
        };
        match parent {
            Cow::Borrowed(p) => {
                let p: &'a Value = p;
                let c = match key {
                    Key::Name(n) => p.as_object().and_then(|o| o.get(n)),
                    Key::Idx(i) => p.as_array().and_then(|a| a.get(i)),
                }?;
                Some(Val::borrowed(c, name))
            }
            Cow::Owned(p) => {
                let c = match key {
                    Key::Name(n) => p.as_object().and_then(|o| o.get(n)),
                    Key::Idx(i) => p.as_array().and_then(|a| a.get(i)),
                }?
                .clone();
                let shape = match &c {
                    Value::Object(o) => classify(o, name),
                    _ => Shape::Map,
                };
                Some(Val::Json(Cow::Owned(c), shape))
            }
        }
    }

    /// The template view of a typed value: plain data becomes JSON (maps keep Go's map
    /// semantics), structs stay typed.
    pub(crate) fn from_go(v: &GoValue) -> Val<'a> {
        match v {
            GoValue::Struct(s) => Val::Struct(s.clone()),
            GoValue::Json(j) => Val::owned(j.clone()),
            GoValue::Map(m) if v.is_plain() => {
                let _ = m;
                Val::Json(Cow::Owned(v.to_json()), Shape::Map)
            }
            GoValue::Map(m) => Val::Map(Arc::new(m.clone())),
            GoValue::List(l) if !v.is_plain() => Val::List(l.iter().map(Val::from_go).collect()),
            other => Val::Json(Cow::Owned(other.to_json()), Shape::Map),
        }
    }

    pub(crate) fn str(s: impl Into<String>) -> Val<'a> {
        Val::owned(Value::String(s.into()))
    }

    pub(crate) fn int(i: i64) -> Val<'a> {
        Val::owned(Value::Number(i.into()))
    }

    pub(crate) fn bool(b: bool) -> Val<'a> {
        Val::owned(Value::Bool(b))
    }

    pub(crate) fn float(f: f64) -> Val<'a> {
        Number::from_f64(f).map_or(Val::Missing, |n| Val::owned(Value::Number(n)))
    }

    pub(crate) fn json(&self) -> Option<&Value> {
        match self {
            Val::Json(v, _) => Some(v),
            _ => None,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        self.json().and_then(Value::as_str)
    }

    /// Integer value (Go int kinds), if this is an integral JSON number.
    pub(crate) fn as_int(&self) -> Option<i64> {
        match self.json()? {
            Value::Number(n) => n.as_i64().or_else(|| n.as_u64().map(|u| u as i64)),
            _ => None,
        }
    }

    /// Elements of a list value (JSON array or row list).
    pub(crate) fn elements(&self) -> Option<Vec<Val<'_>>> {
        match self {
            Val::List(l) => Some(l.clone()),
            Val::Json(v, _) => v
                .as_array()
                .map(|a| a.iter().map(|e| Val::borrowed(e, None)).collect()),
            Val::Map(m) => Some(m.values().map(Val::from_go).collect()),
            Val::Missing | Val::Struct(_) => None,
        }
    }

    /// Converts to plain JSON (Missing becomes null).
    pub(crate) fn to_json(&self) -> Value {
        match self {
            Val::Missing => Value::Null,
            Val::Json(v, _) => v.as_ref().clone(),
            Val::List(l) => Value::Array(l.iter().map(Val::to_json).collect()),
            Val::Struct(s) => s.json().clone(),
            Val::Map(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
        }
    }

    /// Go's type name for error messages.
    pub(crate) fn type_name(&self) -> String {
        match self {
            Val::Missing => "<nil>".to_string(),
            Val::List(_) => "[]interface {}".to_string(),
            Val::Json(v, shape) => json_type_name(v, *shape),
            Val::Struct(s) => s.type_name().to_string(),
            Val::Map(_) => "map[string]interface {}".to_string(),
        }
    }

    /// Go's template truth: false, 0, nil, empty string/array/map are false.
    pub(crate) fn truth(&self) -> bool {
        match self {
            Val::Missing => false,
            Val::List(l) => !l.is_empty(),
            Val::Struct(_) => true,
            Val::Map(m) => !m.is_empty(),
            Val::Json(v, shape) => match v.as_ref() {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
                Value::String(s) => !s.is_empty(),
                Value::Array(a) => !a.is_empty(),
                Value::Object(o) => *shape != Shape::Map || !o.is_empty(),
            },
        }
    }
}

fn json_type_name(v: &Value, shape: Shape) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::Bool(_) => "bool".into(),
        Value::Number(n) if n.is_f64() => "float64".into(),
        Value::Number(_) => "int".into(),
        Value::String(_) => "string".into(),
        Value::Array(a) if !a.is_empty() && a.iter().all(Value::is_string) => "[]string".into(),
        Value::Array(_) => "[]interface {}".into(),
        Value::Object(o) if shape == Shape::Map && o.values().all(Value::is_string) => {
            "map[string]string".into()
        }
        Value::Object(_) if shape == Shape::Map => "map[string]interface {}".into(),
        Value::Object(_) => "struct".into(),
    }
}

/// Go's `%v` of a float64 (`strconv.FormatFloat(f, 'g', -1, 64)` rules).
pub(crate) fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let sci = format!("{f:e}");
    let exp: i32 = sci
        .split_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0);
    // Shortest 'g' formatting: exponent form when exp < -4 or exp >= 6.
    if !(-4..6).contains(&exp) {
        return go_exp(&sci);
    }
    format!("{f}")
}

/// Rewrites Rust's `1.5e7` into Go's `1.5e+07`.
pub(crate) fn go_exp(sci: &str) -> String {
    let (mant, exp) = sci.split_once(['e', 'E']).unwrap_or((sci, "0"));
    let (sign, digits) = match exp.strip_prefix('-') {
        Some(d) => ('-', d),
        None => ('+', exp.trim_start_matches('+')),
    };
    format!("{mant}e{sign}{digits:0>2}")
}

/// Go's `%v` rendering of a value (as `fmt.Print` shows it).
pub(crate) fn go_print(v: &Val<'_>) -> String {
    let mut out = String::new();
    match v {
        Val::Missing => out.push_str("<no value>"),
        Val::List(l) => {
            out.push('[');
            for (i, e) in l.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(&go_print(e));
            }
            out.push(']');
        }
        Val::Json(j, shape) => print_json(&mut out, j, *shape),
        Val::Struct(s) => print_struct(&mut out, s),
        Val::Map(m) => print_map(&mut out, m),
    }
    out
}

/// Go's `%v` of a struct: its `String()` when it has one, else `{f1 f2 ...}`.
fn print_struct(out: &mut String, s: &GoStruct) {
    if let Some(text) = s.stringer_text() {
        out.push_str(text);
        return;
    }
    out.push('{');
    for (i, (_, v)) in s.fields().into_iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&go_print(&Val::from_go(v)));
    }
    out.push('}');
}

fn print_map(out: &mut String, m: &BTreeMap<String, GoValue>) {
    out.push_str("map[");
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(k);
        out.push(':');
        out.push_str(&go_print(&Val::from_go(v)));
    }
    out.push(']');
}

fn print_json(out: &mut String, v: &Value, shape: Shape) {
    match v {
        Value::Null => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number_str(n)),
        Value::String(s) => out.push_str(s),
        Value::Array(a) => {
            out.push('[');
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                print_json(out, e, child_shape(e, None));
            }
            out.push(']');
        }
        Value::Object(o) if shape != Shape::Map => {
            out.push('{');
            for (i, (k, e)) in o.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                print_json(out, e, child_shape(e, Some(k)));
            }
            out.push('}');
        }
        Value::Object(o) => {
            out.push_str("map[");
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                print_json(out, &o[k], child_shape(&o[k], Some(k)));
            }
            out.push(']');
        }
    }
}

fn child_shape(v: &Value, key: Option<&str>) -> Shape {
    match v {
        Value::Object(o) => classify(o, key),
        _ => Shape::Map,
    }
}

/// A JSON number as Go prints it: integers exactly, floats with `%v`.
pub(crate) fn number_str(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        i.to_string()
    } else if let Some(u) = n.as_u64() {
        u.to_string()
    } else {
        go_float(n.as_f64().unwrap_or(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn floats_like_go() {
        assert_eq!(go_float(3.0), "3");
        assert_eq!(go_float(1.5), "1.5");
        assert_eq!(go_float(123456.0), "123456");
        assert_eq!(go_float(1e6), "1e+06");
        assert_eq!(go_float(1234567.0), "1.234567e+06");
        assert_eq!(go_float(0.0001), "0.0001");
        assert_eq!(go_float(0.00001), "1e-05");
        assert_eq!(go_float(1e21), "1e+21");
    }

    #[test]
    fn prints_like_go() {
        let v = json!({"b": "2", "a": [1, "x", true, null]});
        assert_eq!(
            go_print(&Val::borrowed(&v, Some("Labels"))),
            "map[a:[1 x true <nil>] b:2]"
        );
        let s = json!({"Name": "n", "Config": {"Image": "i"}});
        assert_eq!(go_print(&Val::borrowed(&s, None)), "{n {i}}");
        assert_eq!(go_print(&Val::Missing), "<no value>");
    }

    #[test]
    fn shapes() {
        let m = json!({"com.example": "x"});
        assert_eq!(classify(m.as_object().unwrap(), None), Shape::Map);
        let s = json!({"Id": "x"});
        assert_eq!(classify(s.as_object().unwrap(), None), Shape::Struct);
        assert_eq!(classify(s.as_object().unwrap(), Some("Labels")), Shape::Map);
    }
}
