//! Go's fmt.Sprint / Sprintln / Sprintf for template values.

use super::lexer::go_quote;
use super::value::{go_exp, go_print, Val};
use serde_json::Value;

fn is_string(v: &Val<'_>) -> bool {
    matches!(v.json(), Some(Value::String(_)))
}

/// `fmt.Sprint`: spaces between operands when neither side is a string.
pub(crate) fn sprint(args: &[Val<'_>]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 && !is_string(a) && !is_string(&args[i - 1]) {
            out.push(' ');
        }
        out.push_str(&print_nil(a));
    }
    out
}

/// `fmt.Sprintln`: always spaces, trailing newline.
pub(crate) fn sprintln(args: &[Val<'_>]) -> String {
    let parts: Vec<String> = args.iter().map(print_nil).collect();
    format!("{}\n", parts.join(" "))
}

/// `%v` where a missing value is a nil interface (function arguments).
fn print_nil(v: &Val<'_>) -> String {
    match v {
        Val::Missing => "<nil>".to_string(),
        v => go_print(v),
    }
}

#[derive(Default, Clone, Copy)]
struct Spec {
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// `fmt.Sprintf` with Go's verbs `v s d q x X o b c U e E f F g G t %` and flags.
pub(crate) fn sprintf(format: &str, args: &[Val<'_>]) -> String {
    let mut out = String::new();
    let mut argi = 0;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '#' => spec.sharp = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                _ => break,
            }
            chars.next();
        }
        let num = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>, argi: &mut usize| {
            if chars.peek() == Some(&'*') {
                chars.next();
                let n = args.get(*argi).and_then(Val::as_int);
                *argi += 1;
                return n.map(|n| n.unsigned_abs() as usize);
            }
            let mut n: Option<usize> = None;
            while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                n = Some(n.unwrap_or(0) * 10 + d as usize);
                chars.next();
            }
            n
        };
        spec.width = num(&mut chars, &mut argi);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.prec = Some(num(&mut chars, &mut argi).unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(argi) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        argi += 1;
        let body = format_one(verb, spec, arg);
        out.push_str(&pad(&body, spec, verb));
    }
    if argi < args.len() {
        out.push_str("%!(EXTRA ");
        let extra: Vec<String> = args[argi..]
            .iter()
            .map(|a| format!("{}={}", a.type_name(), print_nil(a)))
            .collect();
        out.push_str(&extra.join(", "));
        out.push(')');
    }
    out
}

fn bad_verb(verb: char, arg: &Val<'_>) -> String {
    match arg {
        Val::Missing => format!("%!{verb}(<nil>)"),
        Val::Json(v, _) if v.is_null() => format!("%!{verb}(<nil>)"),
        a => format!("%!{verb}({}={})", a.type_name(), go_print(a)),
    }
}

fn pad(body: &str, spec: Spec, verb: char) -> String {
    let Some(width) = spec.width else {
        return body.to_string();
    };
    let len = body.chars().count();
    if len >= width {
        return body.to_string();
    }
    let fill = width - len;
    if spec.minus {
        return format!("{body}{}", " ".repeat(fill));
    }
    let numeric = matches!(
        verb,
        'd' | 'x' | 'X' | 'o' | 'b' | 'e' | 'E' | 'f' | 'F' | 'g' | 'G' | 'v'
    );
    if spec.zero && numeric && body.starts_with(['-', '+', ' ']) {
        let (sign, rest) = body.split_at(1);
        return format!("{sign}{}{rest}", "0".repeat(fill));
    }
    if spec.zero {
        return format!("{}{body}", "0".repeat(fill));
    }
    format!("{}{body}", " ".repeat(fill))
}

fn format_one(verb: char, spec: Spec, arg: &Val<'_>) -> String {
    match arg {
        Val::List(l) if verb != 'T' => {
            let parts: Vec<String> = l.iter().map(|e| format_one(verb, spec, e)).collect();
            return format!("[{}]", parts.join(" "));
        }
        Val::Missing if verb == 'v' => return "<nil>".into(),
        Val::Missing => return bad_verb(verb, arg),
        _ => {}
    }
    let Some(v) = arg.json() else {
        return bad_verb(verb, arg);
    };
    if verb == 'T' {
        return arg.type_name();
    }
    match v {
        Value::Array(a) => {
            if matches!(verb, 'x' | 'X') && a.is_empty() {
                return String::new();
            }
            let parts: Vec<String> = a
                .iter()
                .map(|e| format_one(verb, spec, &Val::borrowed(e, None)))
                .collect();
            format!("[{}]", parts.join(" "))
        }
        Value::Object(_) if verb == 'v' || verb == 's' => go_print(arg),
        Value::Object(_) => bad_verb(verb, arg),
        Value::Null => match verb {
            'v' => "<nil>".into(),
            _ => bad_verb(verb, arg),
        },
        Value::Bool(b) => match verb {
            'v' | 't' => b.to_string(),
            _ => bad_verb(verb, arg),
        },
        Value::String(s) => fmt_string(verb, spec, s).unwrap_or_else(|| bad_verb(verb, arg)),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                fmt_int(verb, spec, i128::from(i)).unwrap_or_else(|| bad_verb(verb, arg))
            } else if let Some(u) = n.as_u64() {
                fmt_int(verb, spec, i128::from(u)).unwrap_or_else(|| bad_verb(verb, arg))
            } else {
                fmt_float(verb, spec, n.as_f64().unwrap_or(0.0))
                    .unwrap_or_else(|| bad_verb(verb, arg))
            }
        }
    }
}

fn fmt_string(verb: char, spec: Spec, s: &str) -> Option<String> {
    let truncated: String = match spec.prec {
        Some(p) => s.chars().take(p).collect(),
        None => s.to_string(),
    };
    Some(match verb {
        'v' | 's' => truncated,
        'q' => {
            if spec.sharp && !truncated.contains('`') && !truncated.chars().any(char::is_control) {
                format!("`{truncated}`")
            } else {
                go_quote(&truncated)
            }
        }
        'x' => truncated.bytes().map(|b| format!("{b:02x}")).collect(),
        'X' => truncated.bytes().map(|b| format!("{b:02X}")).collect(),
        _ => return None,
    })
}

fn sign(spec: Spec, neg: bool) -> &'static str {
    if neg {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    }
}

fn fmt_int(verb: char, spec: Spec, i: i128) -> Option<String> {
    let neg = i < 0;
    let a = i.unsigned_abs();
    let (prefix, digits) = match verb {
        'v' | 'd' => ("", a.to_string()),
        'x' => (if spec.sharp { "0x" } else { "" }, format!("{a:x}")),
        'X' => (if spec.sharp { "0X" } else { "" }, format!("{a:X}")),
        'o' => (if spec.sharp { "0" } else { "" }, format!("{a:o}")),
        'O' => ("0o", format!("{a:o}")),
        'b' => ("", format!("{a:b}")),
        'c' => {
            return u32::try_from(i)
                .ok()
                .and_then(char::from_u32)
                .map(String::from)
        }
        'q' => {
            let c = u32::try_from(i).ok().and_then(char::from_u32)?;
            let q = go_quote(&c.to_string());
            let inner = &q[1..q.len() - 1];
            return Some(format!(
                "'{}'",
                if c == '\'' {
                    "\\'"
                } else if c == '"' {
                    "\""
                } else {
                    inner
                }
            ));
        }
        'U' => return Some(format!("U+{a:04X}")),
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' => return None,
        _ => return None,
    };
    let digits = match spec.prec {
        Some(p) if digits.len() < p => format!("{}{digits}", "0".repeat(p - digits.len())),
        Some(0) if a == 0 => String::new(),
        _ => digits,
    };
    Some(format!("{}{prefix}{digits}", sign(spec, neg)))
}

fn fmt_float(verb: char, spec: Spec, f: f64) -> Option<String> {
    let neg = f.is_sign_negative() && f != 0.0;
    let a = f.abs();
    let body = match verb {
        'v' | 'g' | 'G' => {
            let s = match spec.prec {
                None => super::value::go_float(a),
                Some(p) => fmt_g(a, p.max(1), spec.sharp),
            };
            if verb == 'G' {
                s.to_uppercase()
            } else {
                s
            }
        }
        'e' | 'E' => {
            let s = go_exp(&format!("{:.*e}", spec.prec.unwrap_or(6), a));
            if verb == 'E' {
                s.to_uppercase()
            } else {
                s
            }
        }
        'f' | 'F' => format!("{:.*}", spec.prec.unwrap_or(6), a),
        _ => return None,
    };
    Some(format!("{}{body}", sign(spec, neg)))
}

/// `%.Ng`: N significant digits, exponent form when exp < -4 or exp >= N.
fn fmt_g(a: f64, p: usize, sharp: bool) -> String {
    let sci = format!("{:.*e}", p - 1, a);
    let exp: i64 = sci
        .split_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0);
    let trim = |s: String| {
        if sharp || !s.contains('.') {
            s
        } else {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        }
    };
    if exp < -4 || exp >= p as i64 {
        let (m, e) = sci.split_once('e').unwrap_or((&sci, "0"));
        go_exp(&format!("{}e{e}", trim(m.to_string())))
    } else {
        let decimals = usize::try_from(p as i64 - 1 - exp).unwrap_or(0);
        trim(format!("{a:.decimals$}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(j: Value) -> Val<'static> {
        Val::owned(j)
    }

    #[test]
    fn sprintf_verbs() {
        let args = [v(json!("abc")), v(json!(42))];
        assert_eq!(sprintf("%s %d", &args), "abc 42");
        assert_eq!(
            sprintf(
                "%-5s|%5d|%05d",
                &[v(json!("ab")), v(json!(7)), v(json!(-7))]
            ),
            "ab   |    7|-0007"
        );
        assert_eq!(
            sprintf(
                "%q %x %X %o %b",
                &[
                    v(json!("a\"b")),
                    v(json!(255)),
                    v(json!("hi")),
                    v(json!(8)),
                    v(json!(5))
                ]
            ),
            "\"a\\\"b\" ff 6869 10 101"
        );
        assert_eq!(
            sprintf(
                "%.2f %e %g %v",
                &[
                    v(json!(1.23456)),
                    v(json!(1500.0)),
                    v(json!(0.5)),
                    v(json!(2.0))
                ]
            ),
            "1.23 1.500000e+03 0.5 2"
        );
        assert_eq!(
            sprintf(
                "%t %c %.2s %%",
                &[v(json!(true)), v(json!(65)), v(json!("hello"))]
            ),
            "true A he %"
        );
        assert_eq!(sprintf("%d", &[v(json!("x"))]), "%!d(string=x)");
        assert_eq!(sprintf("%s %s", &[v(json!("x"))]), "x %!s(MISSING)");
        assert_eq!(
            sprintf("%s", &[v(json!("x")), v(json!(1))]),
            "x%!(EXTRA int=1)"
        );
        assert_eq!(
            sprintf("%v %s", &[v(json!([1, 2])), v(json!(["a", "b"]))]),
            "[1 2] [a b]"
        );
        assert_eq!(
            sprintf("%.3g|%g", &[v(json!(1234.5678)), v(json!(1e7))]),
            "1.23e+03|1e+07"
        );
    }

    #[test]
    fn sprint_spacing() {
        assert_eq!(
            sprint(&[v(json!(1)), v(json!(2)), v(json!("a")), v(json!(3))]),
            "1 2a3"
        );
        assert_eq!(sprintln(&[v(json!("a")), v(json!(1))]), "a 1\n");
        assert_eq!(sprint(&[Val::Missing]), "<nil>");
    }
}
