//! Reading the systemd journal (journald logs and events) through
//! `journalctl -o json`.
//!
//! journalctl rather than a crate: it reads every journal file format,
//! compression and rotation journald writes (the pure-Rust readers cover a
//! subset), and it needs no link against libsystemd. Each read is one
//! short `journalctl` run from a cursor, so following is polling from the
//! last entry's cursor, the same loop the file-backed readers run.

use std::process::{Command, Stdio};

use serde_json::{Map, Value};

/// One journal entry.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// Where to continue after this entry (`--after-cursor`).
    pub(crate) cursor: String,
    /// `__REALTIME_TIMESTAMP`, Unix microseconds.
    pub(crate) realtime_usec: i64,
    fields: Map<String, Value>,
}

impl Entry {
    /// A field's value as text: a string, or an array of bytes (how
    /// journalctl gives values that are not valid UTF-8 or hold control
    /// characters); the first value of a repeated field.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        field_text(self.fields.get(name)?)
    }

    pub(crate) fn has(&self, name: &str) -> bool {
        self.fields.get(name).is_some_and(|v| !v.is_null())
    }
}

fn field_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(items) if items.iter().all(Value::is_number) => {
            let bytes: Vec<u8> = items
                .iter()
                .filter_map(|n| n.as_u64().and_then(|n| u8::try_from(n).ok()))
                .collect();
            Some(String::from_utf8_lossy(&bytes).into_owned())
        }
        Value::Array(items) => items.first().and_then(field_text),
        _ => None,
    }
}

/// What a read asks for.
#[derive(Debug, Clone, Default)]
pub(crate) struct Query {
    /// Alternatives (joined by `+`), each a list of `FIELD=value` terms
    /// that must all match.
    pub(crate) any_of: Vec<Vec<String>>,
    /// Entries after this cursor only.
    pub(crate) after_cursor: Option<String>,
    /// Entries at or after this time only (Unix nanoseconds).
    pub(crate) since_nanos: Option<i64>,
    /// Only the last `n` entries.
    pub(crate) last: Option<usize>,
}

/// `_UID=` of the user whose entries are read (the journal holds every
/// user's; Podman reads only its own).
pub(crate) fn uid_match() -> String {
    format!("_UID={}", nix::unistd::geteuid())
}

/// The journalctl arguments of `q`.
fn args(q: &Query) -> Vec<String> {
    let mut a: Vec<String> = ["--no-pager", "--quiet", "--all", "--output=json"]
        .map(String::from)
        .to_vec();
    if let Some(c) = &q.after_cursor {
        a.push(format!("--after-cursor={c}"));
    }
    if let Some(n) = q.since_nanos {
        let secs = n.div_euclid(1_000_000_000);
        let usec = n.rem_euclid(1_000_000_000) / 1000;
        a.push(format!("--since=@{secs}.{usec:06}"));
    }
    if let Some(n) = q.last {
        a.push(format!("--lines={n}"));
    }
    for (i, group) in q.any_of.iter().enumerate() {
        if i > 0 {
            a.push("+".into());
        }
        a.extend(group.iter().cloned());
    }
    a
}

/// Runs the read (blocking). The error says what failed.
pub(crate) fn read(q: &Query) -> Result<Vec<Entry>, String> {
    let out = Command::new("journalctl")
        .args(args(q))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("reading the journal: journalctl: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "reading the journal: journalctl: {}",
            err.trim().lines().last().unwrap_or("failed")
        ));
    }
    Ok(parse(&out.stdout))
}

/// The entries of journalctl's JSON output (one object per line; lines
/// that do not parse are skipped).
fn parse(out: &[u8]) -> Vec<Entry> {
    out.split(|&b| b == b'\n')
        .filter_map(|line| serde_json::from_slice::<Map<String, Value>>(line).ok())
        .filter_map(|fields| {
            let cursor = fields.get("__CURSOR")?.as_str()?.to_owned();
            let realtime_usec = fields.get("__REALTIME_TIMESTAMP")?.as_str()?.parse().ok()?;
            Some(Entry {
                cursor,
                realtime_usec,
                fields,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments() {
        let q = Query {
            any_of: vec![vec!["A=1".into(), "B=2".into()], vec!["C=3".into()]],
            after_cursor: Some("s=x".into()),
            since_nanos: Some(1_500_000_123_456_789),
            last: Some(1),
        };
        let a = args(&q);
        assert_eq!(
            &a[4..],
            [
                "--after-cursor=s=x",
                "--since=@1500000.123456",
                "--lines=1",
                "A=1",
                "B=2",
                "+",
                "C=3"
            ]
        );
    }

    #[test]
    fn entries_and_their_fields() {
        let out = br#"{"__CURSOR":"c1","__REALTIME_TIMESTAMP":"1700000000000001","MESSAGE":"hi","BIN":[104,105,10],"TWICE":["a","b"]}
not json
{"__CURSOR":"c2","MESSAGE":"no time"}
"#;
        let e = parse(out);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].cursor, "c1");
        assert_eq!(e[0].realtime_usec, 1_700_000_000_000_001);
        assert_eq!(e[0].get("MESSAGE").as_deref(), Some("hi"));
        assert_eq!(e[0].get("BIN").as_deref(), Some("hi\n"));
        assert_eq!(e[0].get("TWICE").as_deref(), Some("a"));
        assert!(!e[0].has("NOPE"));
    }
}
