//! Go's `time.Time` as reports carry it: JSON in RFC 3339 with nanoseconds, templates print
//! Go's `String()` form and offer `.Unix`.

use chrono::{DateTime, FixedOffset, Local, TimeZone, Utc};
use gotmpl::{GoMethods, GoStruct, GoValue, ToTemplate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::sync::Arc;

/// A point in time (Go `time.Time`); the default is Go's zero time (year 1, UTC).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct GoTime(pub Option<DateTime<FixedOffset>>);

impl GoTime {
    /// A time from nanoseconds since the Unix epoch, in the local time zone (as Go shows
    /// times it reads from the database).
    pub fn from_unix_nanos(nanos: i64) -> GoTime {
        let t = Local.timestamp_nanos(nanos);
        GoTime(Some(t.fixed_offset()))
    }

    /// Seconds since the Unix epoch (Go's `Unix()`; the zero time gives -62135596800).
    pub fn unix(&self) -> i64 {
        match self.0 {
            Some(t) => t.timestamp(),
            None => -62_135_596_800,
        }
    }

    pub fn unix_nanos(&self) -> Option<i64> {
        self.0.and_then(|t| t.timestamp_nanos_opt())
    }

    pub fn is_zero(&self) -> bool {
        self.0.is_none()
    }

    /// RFC 3339 with trailing zeros of the fraction dropped (Go's `RFC3339Nano`).
    pub fn rfc3339(&self) -> String {
        match self.0 {
            None => "0001-01-01T00:00:00Z".to_string(),
            Some(t) => {
                let base = t.format("%Y-%m-%dT%H:%M:%S").to_string();
                let frac = fraction(t.timestamp_subsec_nanos());
                let zone = if t.offset().local_minus_utc() == 0 {
                    "Z".to_string()
                } else {
                    t.format("%:z").to_string()
                };
                format!("{base}{frac}{zone}")
            }
        }
    }

    /// Go's `Time.String()`: `2006-01-02 15:04:05.999999999 -0700 MST`.
    pub fn go_string(&self) -> String {
        match self.0 {
            None => "0001-01-01 00:00:00 +0000 UTC".to_string(),
            Some(t) => {
                let base = t.format("%Y-%m-%d %H:%M:%S").to_string();
                let frac = fraction(t.timestamp_subsec_nanos());
                let off = t.format("%z").to_string();
                // Go prints the zone's abbreviation; without tzdata names the offset stands
                // in for it, as Go does for unnamed zones.
                let name = if t.offset().local_minus_utc() == 0 {
                    "UTC".to_string()
                } else {
                    off.clone()
                };
                format!("{base}{frac} {off} {name}")
            }
        }
    }
}

/// `.999999999`: the fraction without trailing zeros, nothing when zero.
fn fraction(nanos: u32) -> String {
    if nanos == 0 {
        return String::new();
    }
    let s = format!(".{nanos:09}");
    s.trim_end_matches('0').to_string()
}

impl From<DateTime<Utc>> for GoTime {
    fn from(t: DateTime<Utc>) -> Self {
        GoTime(Some(t.fixed_offset()))
    }
}

impl Serialize for GoTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.rfc3339())
    }
}

impl<'de> Deserialize<'de> for GoTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.starts_with("0001-01-01") {
            return Ok(GoTime(None));
        }
        DateTime::parse_from_rfc3339(&s)
            .map(|t| GoTime(Some(t)))
            .map_err(serde::de::Error::custom)
    }
}

impl GoMethods for GoTime {
    fn arity(&self, name: &str) -> Option<usize> {
        match name {
            "Unix" | "UnixNano" | "String" | "IsZero" => Some(0),
            _ => None,
        }
    }

    fn call(&self, name: &str, _args: &[&str]) -> Result<GoValue, String> {
        Ok(match name {
            "Unix" => GoValue::Int(self.unix()),
            "UnixNano" => GoValue::Int(self.unix_nanos().unwrap_or(i64::MIN)),
            "IsZero" => GoValue::Bool(self.is_zero()),
            _ => GoValue::Str(self.go_string()),
        })
    }
}

impl ToTemplate for GoTime {
    fn to_template(&self) -> GoValue {
        // Formatted only when printed: a listing has a time in every row.
        let t = *self;
        GoValue::from_struct(
            GoStruct::lazy("time.Time", move || serde_json::Value::String(t.rfc3339()))
                .lazy_stringer(move || t.go_string())
                .methods(Arc::new(t)),
        )
    }
}

/// A Go `time.Duration` in a report: JSON carries the nanoseconds, a
/// template prints Go's `String()` form (`30s`, `1m30s`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GoDuration(pub i64);

impl GoDuration {
    pub fn from_millis(ms: u64) -> GoDuration {
        GoDuration(i64::try_from(ms.saturating_mul(1_000_000)).unwrap_or(i64::MAX))
    }
}

impl ToTemplate for GoDuration {
    fn to_template(&self) -> GoValue {
        let text = if self.0 < 0 {
            format!(
                "-{}",
                go_duration(std::time::Duration::from_nanos(self.0.unsigned_abs()))
            )
        } else {
            go_duration(std::time::Duration::from_nanos(self.0.unsigned_abs()))
        };
        GoValue::from_struct(
            GoStruct::new("time.Duration", serde_json::Value::from(self.0)).stringer(text),
        )
    }
}

/// Go's `time.Duration.String()`: `0s`, `1.5ms`, `2.5s`, `1m0s`, `1h2m3s`.
pub fn go_duration(d: std::time::Duration) -> String {
    let nanos = d.as_nanos();
    if nanos == 0 {
        return "0s".into();
    }
    let frac = |value: u128, unit: u128, suffix: &str| {
        let whole = value / unit;
        let rest = value % unit;
        if rest == 0 {
            return format!("{whole}{suffix}");
        }
        let digits = unit.to_string().len() - 1;
        let text = format!("{rest:0digits$}");
        format!("{whole}.{}{suffix}", text.trim_end_matches('0'))
    };
    if nanos < 1_000 {
        return format!("{nanos}ns");
    }
    if nanos < 1_000_000 {
        return frac(nanos, 1_000, "µs");
    }
    if nanos < 1_000_000_000 {
        return frac(nanos, 1_000_000, "ms");
    }
    let secs = nanos / 1_000_000_000;
    let (h, m) = (secs / 3600, secs / 60 % 60);
    let s = frac(nanos % 60_000_000_000, 1_000_000_000, "s");
    match (h, m) {
        (0, 0) => s,
        (0, m) => format!("{m}m{s}"),
        (h, m) => format!("{h}h{m}m{s}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_forms() {
        let t = GoTime(Some(
            DateTime::parse_from_rfc3339("2024-05-01T10:20:30.120Z").unwrap(),
        ));
        assert_eq!(t.rfc3339(), "2024-05-01T10:20:30.12Z");
        assert_eq!(t.go_string(), "2024-05-01 10:20:30.12 +0000 UTC");
        assert_eq!(GoTime::default().rfc3339(), "0001-01-01T00:00:00Z");
        assert_eq!(GoTime::default().unix(), -62_135_596_800);
    }
}
