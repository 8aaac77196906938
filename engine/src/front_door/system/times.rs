//! The times users give `events --since/--until` and `--filter until=`:
//! timestamps (RFC 3339, local date-times, Unix seconds) and Go durations.

/// Parses a Go duration (`1h2m3.5s`, `300ms`, `0`).
pub(crate) fn parse_go_duration(s: &str) -> Option<std::time::Duration> {
    if s == "0" {
        return Some(std::time::Duration::ZERO);
    }
    let mut total = 0f64;
    let mut rest = s;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return None;
        }
        let n: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += n * scale;
        rest = &rest[unit_len..];
    }
    Some(std::time::Duration::from_secs_f64(total))
}

/// `until=` of a prune filter: a Unix timestamp, an RFC 3339 time or a Go
/// duration before now; Unix nanoseconds.
pub(crate) fn until_nanos(v: &str) -> Option<i64> {
    let now = chrono::Utc::now().timestamp_nanos_opt()?;
    if let Ok(secs) = v.parse::<i64>() {
        return Some(secs * 1_000_000_000);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
        return t.timestamp_nanos_opt();
    }
    let d = parse_go_duration(v)?;
    Some(now - d.as_nanos() as i64)
}

/// `events --since/--until` as Podman parses them; Unix nanoseconds. A
/// duration is that long before now.
pub(crate) fn parse_time(s: &str) -> Option<i64> {
    // `date --iso-8601=ns` writes a comma before the fraction.
    let iso = s.replacen(',', ".", 1);
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(&iso) {
        return t.timestamp_nanos_opt();
    }
    // Without a zone: local time, as Go's time.ParseInLocation(Local).
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(&iso, fmt) {
            return t
                .and_local_timezone(chrono::Local)
                .single()?
                .timestamp_nanos_opt();
        }
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d
            .and_hms_opt(0, 0, 0)?
            .and_local_timezone(chrono::Local)
            .single()?
            .timestamp_nanos_opt();
    }
    if let Ok(secs) = s.parse::<f64>() {
        return Some((secs * 1e9) as i64);
    }
    let now = chrono::Utc::now().timestamp_nanos_opt()?;
    let (num, unit) = s.split_at(s.find(|c: char| c.is_ascii_alphabetic())?);
    let n: f64 = num.parse().ok()?;
    let mult = match unit {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" => 60e9,
        "h" => 3600e9,
        _ => return None,
    };
    Some(now - (n * mult) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_go_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_go_duration("0"), Some(Duration::ZERO));
        assert!(parse_go_duration("10").is_none());
        assert!(parse_go_duration("").is_none());
    }

    #[test]
    fn times() {
        assert_eq!(until_nanos("10"), Some(10_000_000_000));
        assert_eq!(parse_time("1.5"), Some(1_500_000_000));
        assert_eq!(parse_time("1970-01-01T00:00:02,5Z"), Some(2_500_000_000));
        let ago = parse_time("1h").unwrap();
        let now = chrono::Utc::now().timestamp_nanos_opt().unwrap();
        assert!((now - ago - 3_600_000_000_000).abs() < 10_000_000_000);
        assert!(parse_time("yesterday").is_none());
    }
}
