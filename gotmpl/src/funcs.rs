//! Template functions: Go's built-ins and Podman's report functions
//! (`join json lower pad split title truncate upper`, as in containers/common pkg/report).

use super::gojson::GoJson;
use super::printf;
use super::value::{go_print, Key, Shape, Val};
use serde_json::Value;
use std::cmp::Ordering;

/// Declared type of a function parameter (Go's static type, checked before the call).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Param {
    /// `interface{}` / `reflect.Value`: anything.
    Any,
    Str,
    Int,
    StrList,
}

impl Param {
    /// Go's spelling of the type, for "expected T" messages.
    pub(crate) fn go_name(self) -> &'static str {
        match self {
            Param::Any => "interface {}",
            Param::Str => "string",
            Param::Int => "int",
            Param::StrList => "[]string",
        }
    }
}

/// A function's parameter list.
pub(crate) struct Sig {
    pub fixed: &'static [Param],
    pub variadic: bool,
}

use Param::{Any, Int, Str, StrList};

/// Signature of a known function, `None` if the name is not defined.
pub(crate) fn signature(name: &str) -> Option<Sig> {
    let (fixed, variadic): (&'static [Param], bool) = match name {
        "and" | "or" => (&[Any], true),
        "not" | "len" | "json" => (&[Any], false),
        "index" | "slice" | "eq" => (&[Any], true),
        "ne" | "lt" | "le" | "gt" | "ge" => (&[Any, Any], false),
        "print" | "println" | "html" | "js" | "urlquery" => (&[], true),
        "printf" => (&[Str], true),
        "join" => (&[StrList, Str], false),
        "lower" | "upper" | "title" => (&[Str], false),
        "pad" => (&[Str, Int, Int], false),
        "split" => (&[Str, Str], false),
        "truncate" => (&[Str, Int], false),
        _ => return None,
    };
    Some(Sig { fixed, variadic })
}

/// Whether `name` is a defined function (checked at parse time, like Go).
pub(crate) fn exists(name: &str) -> bool {
    signature(name).is_some()
}

/// Calls a function with already type-checked arguments. `Err` is the function's own error,
/// which the executor wraps as `error calling NAME: ...`.
pub(crate) fn call<'a>(name: &str, args: Vec<Val<'a>>) -> Result<Val<'a>, String> {
    let s = |i: usize| args.get(i).and_then(Val::as_str).unwrap_or("").to_string();
    let n = |i: usize| args.get(i).and_then(Val::as_int).unwrap_or(0);
    Ok(match name {
        "and" => args
            .iter()
            .find(|a| !a.truth())
            .or(args.last())
            .cloned()
            .unwrap_or(Val::Missing),
        "or" => args
            .iter()
            .find(|a| a.truth())
            .or(args.last())
            .cloned()
            .unwrap_or(Val::Missing),
        "not" => Val::bool(!args[0].truth()),
        "len" => Val::int(length(&args[0])?),
        "index" => index(&args[0], &args[1..])?,
        "slice" => slice(&args[0], &args[1..])?,
        "print" => Val::str(printf::sprint(&args)),
        "println" => Val::str(printf::sprintln(&args)),
        "printf" => Val::str(printf::sprintf(&s(0), &args[1..])),
        "html" => Val::str(html_escape(&escaper_arg(&args))),
        "js" => Val::str(js_escape(&escaper_arg(&args))),
        "urlquery" => Val::str(query_escape(&escaper_arg(&args))),
        "eq" => {
            if args.len() < 2 {
                return Err("missing argument for comparison".into());
            }
            let mut truth = false;
            for b in &args[1..] {
                if equal(&args[0], b)? {
                    truth = true;
                    break;
                }
            }
            Val::bool(truth)
        }
        "ne" => Val::bool(!equal(&args[0], &args[1])?),
        "lt" => Val::bool(less(&args[0], &args[1])?),
        "le" => Val::bool(less(&args[0], &args[1])? || equal(&args[0], &args[1])?),
        "gt" => Val::bool(!less(&args[0], &args[1])? && !equal(&args[0], &args[1])?),
        "ge" => Val::bool(!less(&args[0], &args[1])?),
        "join" => {
            let list: Vec<String> = args[0]
                .elements()
                .unwrap_or_default()
                .iter()
                .map(|e| e.as_str().unwrap_or("").to_string())
                .collect();
            Val::str(list.join(&s(1)))
        }
        "json" => {
            let (v, shape) = match &args[0] {
                Val::Json(v, shape) => (v.as_ref().clone(), *shape),
                Val::Struct(_) | Val::Map(_) => (args[0].to_json(), Shape::Ordered),
                other => (other.to_json(), Shape::Map),
            };
            let enc = GoJson {
                escape_html: false,
                indent: None,
            };
            Val::str(enc.encode(&v, shape))
        }
        "lower" => Val::str(s(0).to_lowercase()),
        "upper" => Val::str(s(0).to_uppercase()),
        "title" => Val::str(title(&s(0))),
        "pad" => {
            let src = s(0);
            if src.is_empty() {
                Val::str("")
            } else {
                let rep = |c: i64| {
                    usize::try_from(c).map_err(|_| "strings: negative Repeat count".to_string())
                };
                Val::str(format!(
                    "{}{src}{}",
                    " ".repeat(rep(n(1))?),
                    " ".repeat(rep(n(2))?)
                ))
            }
        }
        "split" => {
            let (src, sep) = (s(0), s(1));
            let parts: Vec<Value> = if sep.is_empty() {
                src.chars().map(|c| Value::String(c.to_string())).collect()
            } else {
                src.split(sep.as_str())
                    .map(|p| Value::String(p.to_string()))
                    .collect()
            };
            Val::owned(Value::Array(parts))
        }
        "truncate" => {
            let (src, len) = (s(0), n(1));
            let Ok(len) = usize::try_from(len) else {
                return Err(format!("runtime error: slice bounds out of range [:{len}]"));
            };
            if src.len() < len {
                Val::str(src)
            } else {
                let mut end = len;
                while !src.is_char_boundary(end) {
                    end -= 1;
                }
                Val::str(&src[..end])
            }
        }
        other => return Err(format!("function {other:?} not defined")),
    })
}

fn length(v: &Val<'_>) -> Result<i64, String> {
    let n = match v {
        Val::Missing => return Err("len of untyped nil".into()),
        Val::List(l) => l.len(),
        Val::Map(m) => m.len(),
        Val::Struct(_) => return Err(format!("len of type {}", v.type_name())),
        Val::Json(j, _) => match j.as_ref() {
            Value::Null => 0,
            Value::String(s) => s.len(),
            Value::Array(a) => a.len(),
            Value::Object(o) => o.len(),
            _ => return Err(format!("len of type {}", v.type_name())),
        },
    };
    Ok(i64::try_from(n).unwrap_or(i64::MAX))
}

fn index_int(v: &Val<'_>) -> Result<i64, String> {
    v.as_int()
        .ok_or_else(|| format!("cannot index slice/array with type {}", v.type_name()))
}

/// Zero value of a map's element type, guessed from its values (map[string]string is the
/// common case in Podman: Labels, Annotations).
fn map_zero<'a>(o: &serde_json::Map<String, Value>) -> Val<'a> {
    if o.values().all(Value::is_string) {
        Val::str("")
    } else if o.values().all(|v| v.as_i64().is_some()) {
        Val::int(0)
    } else if o.values().all(Value::is_boolean) {
        Val::bool(false)
    } else {
        Val::Missing
    }
}

fn index<'a>(item: &Val<'a>, idx: &[Val<'a>]) -> Result<Val<'a>, String> {
    let mut cur = item.clone();
    for i in idx {
        cur = match &cur {
            Val::Missing => return Err("index of untyped nil".into()),
            Val::List(l) => {
                let k = index_int(i)?;
                usize::try_from(k)
                    .ok()
                    .and_then(|k| l.get(k).cloned())
                    .ok_or_else(|| format!("index out of range: {k}"))?
            }
            Val::Struct(_) => return Err(format!("can't index item of type {}", cur.type_name())),
            Val::Map(m) => {
                let Some(key) = i.as_str() else {
                    return Err(format!(
                        "value has type {}; should be string",
                        i.type_name()
                    ));
                };
                m.get(key).map_or(Val::owned(Value::Null), Val::from_go)
            }
            Val::Json(j, shape) => match j.as_ref() {
                Value::Null => Val::str(""),
                Value::Array(a) => {
                    let k = index_int(i)?;
                    usize::try_from(k)
                        .ok()
                        .filter(|k| *k < a.len())
                        .and_then(|k| cur.child(Key::Idx(k)))
                        .ok_or_else(|| format!("index out of range: {k}"))?
                }
                Value::String(s) => {
                    let k = index_int(i)?;
                    let b = usize::try_from(k)
                        .ok()
                        .and_then(|k| s.as_bytes().get(k))
                        .ok_or_else(|| format!("index out of range: {k}"))?;
                    Val::int(i64::from(*b))
                }
                Value::Object(o) if *shape == Shape::Map => {
                    let Some(key) = i.as_str() else {
                        return Err(format!(
                            "value has type {}; should be string",
                            i.type_name()
                        ));
                    };
                    match cur.child(Key::Name(key)) {
                        Some(e) => e,
                        None => map_zero(o),
                    }
                }
                _ => return Err(format!("can't index item of type {}", cur.type_name())),
            },
        };
    }
    Ok(cur)
}

fn slice<'a>(item: &Val<'a>, idx: &[Val<'a>]) -> Result<Val<'a>, String> {
    if idx.len() > 3 {
        return Err(format!("too many slice indexes: {}", idx.len()));
    }
    let mut bounds = Vec::new();
    for i in idx {
        let k = index_int(i)?;
        bounds.push(usize::try_from(k).map_err(|_| format!("index out of range: {k}"))?);
    }
    let check = |len: usize| -> Result<(usize, usize), String> {
        let lo = bounds.first().copied().unwrap_or(0);
        let hi = bounds.get(1).copied().unwrap_or(len);
        if hi > len {
            return Err(format!("index out of range: {hi}"));
        }
        if lo > hi {
            return Err(format!("invalid slice index: {lo} > {hi}"));
        }
        Ok((lo, hi))
    };
    match item {
        Val::List(l) => {
            let (lo, hi) = check(l.len())?;
            Ok(Val::List(l[lo..hi].to_vec()))
        }
        Val::Json(j, _) => match j.as_ref() {
            Value::String(s) => {
                if bounds.len() == 3 {
                    return Err("cannot 3-index slice a string".into());
                }
                let (lo, hi) = check(s.len())?;
                let sub = s
                    .get(lo..hi)
                    .ok_or_else(|| format!("index out of range: {hi}"))?;
                Ok(Val::str(sub))
            }
            Value::Array(a) => {
                let (lo, hi) = check(a.len())?;
                Ok(Val::owned(Value::Array(a[lo..hi].to_vec())))
            }
            _ => Err(format!("can't slice item of type {}", item.type_name())),
        },
        Val::Missing => Err("slice of untyped nil".into()),
        Val::Struct(_) | Val::Map(_) => {
            Err(format!("can't slice item of type {}", item.type_name()))
        }
    }
}

/// Basic kinds Go can compare.
enum Basic<'v> {
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(&'v str),
    Nil,
    Other,
}

fn basic<'v>(v: &'v Val<'_>) -> Basic<'v> {
    match v.json() {
        None if matches!(v, Val::Missing) => Basic::Nil,
        None => Basic::Other,
        Some(j) => match j {
            Value::Null => Basic::Nil,
            Value::Bool(b) => Basic::Bool(*b),
            Value::String(s) => Basic::Str(s),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Basic::Int(i128::from(i))
                } else if let Some(u) = n.as_u64() {
                    Basic::Int(i128::from(u))
                } else {
                    Basic::Float(n.as_f64().unwrap_or(0.0))
                }
            }
            _ => Basic::Other,
        },
    }
}

const BAD_CMP: &str = "incompatible types for comparison";

fn equal(a: &Val<'_>, b: &Val<'_>) -> Result<bool, String> {
    Ok(match (basic(a), basic(b)) {
        (Basic::Bool(x), Basic::Bool(y)) => x == y,
        (Basic::Int(x), Basic::Int(y)) => x == y,
        (Basic::Float(x), Basic::Float(y)) => x == y,
        (Basic::Str(x), Basic::Str(y)) => x == y,
        (Basic::Nil, Basic::Nil) => true,
        (Basic::Nil, _) | (_, Basic::Nil) => false,
        (Basic::Other, _) | (_, Basic::Other) => {
            return Err(format!(
                "non-comparable type {}: {}",
                go_print(a),
                a.type_name()
            ))
        }
        _ => return Err(BAD_CMP.into()),
    })
}

fn less(a: &Val<'_>, b: &Val<'_>) -> Result<bool, String> {
    let ord = match (basic(a), basic(b)) {
        (Basic::Int(x), Basic::Int(y)) => x.cmp(&y),
        (Basic::Float(x), Basic::Float(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        (Basic::Str(x), Basic::Str(y)) => x.cmp(y),
        (Basic::Bool(_), _)
        | (_, Basic::Bool(_))
        | (Basic::Nil, _)
        | (_, Basic::Nil)
        | (Basic::Other, _)
        | (_, Basic::Other) => return Err("invalid type for comparison".into()),
        _ => return Err(BAD_CMP.into()),
    };
    Ok(ord == Ordering::Less)
}

/// Go's `evalArgs` for the escapers: one string as is, otherwise `fmt.Sprint`.
fn escaper_arg(args: &[Val<'_>]) -> String {
    match args {
        [one] if one.as_str().is_some() => one.as_str().unwrap_or("").to_string(),
        _ => printf::sprint(args),
    }
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Go's deprecated `strings.Title`: upper-case the first letter of every word.
fn title(s: &str) -> String {
    let is_sep = |c: char| {
        if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else if c.is_alphanumeric() {
            false
        } else {
            c.is_whitespace()
        }
    };
    let mut prev = ' ';
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_sep(prev) {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev = c;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(j: Value) -> Val<'static> {
        Val::owned(j)
    }

    fn c(name: &str, args: Vec<Val<'static>>) -> Result<String, String> {
        call(name, args).map(|r| go_print(&r))
    }

    #[test]
    fn podman_funcs() {
        assert_eq!(
            c("join", vec![v(json!(["a", "b"])), v(json!(","))]),
            Ok("a,b".into())
        );
        assert_eq!(
            c("split", vec![v(json!("a:b")), v(json!(":"))]),
            Ok("[a b]".into())
        );
        assert_eq!(
            c("title", vec![v(json!("hello wORLD-x"))]),
            Ok("Hello WORLD-X".into())
        );
        assert_eq!(
            c("pad", vec![v(json!("x")), v(json!(1)), v(json!(2))]),
            Ok(" x  ".into())
        );
        assert_eq!(
            c("pad", vec![v(json!("")), v(json!(1)), v(json!(2))]),
            Ok("".into())
        );
        assert_eq!(
            c("truncate", vec![v(json!("abcdef")), v(json!(3))]),
            Ok("abc".into())
        );
        assert_eq!(
            c("truncate", vec![v(json!("ab")), v(json!(3))]),
            Ok("ab".into())
        );
        assert_eq!(
            c("json", vec![v(json!({"a": "<"}))]),
            Ok(r#"{"a":"<"}"#.into())
        );
        assert_eq!(c("json", vec![Val::Missing]), Ok("null".into()));
    }

    #[test]
    fn builtins() {
        assert_eq!(c("len", vec![v(json!("héllo"))]), Ok("6".into()));
        assert_eq!(
            c("index", vec![v(json!({"a": "1"})), v(json!("b"))]),
            Ok("".into())
        );
        assert_eq!(
            c("index", vec![v(json!([1, 2])), v(json!(5))]),
            Err("index out of range: 5".into())
        );
        assert_eq!(
            c("slice", vec![v(json!("abcd")), v(json!(1)), v(json!(3))]),
            Ok("bc".into())
        );
        assert_eq!(
            c("eq", vec![v(json!(1)), v(json!(2)), v(json!(1))]),
            Ok("true".into())
        );
        assert_eq!(
            c("eq", vec![v(json!(1)), v(json!("1"))]),
            Err(BAD_CMP.into())
        );
        assert_eq!(
            c("eq", vec![Val::Missing, v(json!("1"))]),
            Ok("false".into())
        );
        assert_eq!(
            c("lt", vec![v(json!("a")), v(json!("b"))]),
            Ok("true".into())
        );
        assert_eq!(c("ge", vec![v(json!(2)), v(json!(2))]), Ok("true".into()));
        assert_eq!(
            c("gt", vec![v(json!(1.5)), v(json!(2.5))]),
            Ok("false".into())
        );
        assert_eq!(
            c("html", vec![v(json!("<a href='x'>"))]),
            Ok("&lt;a href=&#39;x&#39;&gt;".into())
        );
        assert_eq!(c("urlquery", vec![v(json!("a b&c"))]), Ok("a+b%26c".into()));
    }
}
