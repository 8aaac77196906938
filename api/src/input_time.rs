//! Times users type for `--since` and `--until` (Podman's
//! `util.ParseInputTime`): RFC 3339, a date and time without a zone (local
//! time), a date, Unix seconds, or a Go duration counted from now.

/// Parses a `--since` time into Unix nanoseconds; a duration is that long
/// before now.
pub fn parse_since(s: &str) -> Option<i64> {
    parse_input_time(s, true)
}

/// Parses an `--until` time into Unix nanoseconds; a duration is that long
/// after now (`logs --until 3s -f` follows for three seconds).
pub fn parse_until(s: &str) -> Option<i64> {
    parse_input_time(s, false)
}

fn parse_input_time(s: &str, since: bool) -> Option<i64> {
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
    // Go durations may carry a sign: `--since -1s` is a second ahead.
    let (sign, magnitude) = match s.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, s.strip_prefix('+').unwrap_or(s)),
    };
    let d = sign * i64::try_from(parse_go_duration(magnitude)?.as_nanos()).ok()?;
    Some(if since { now - d } else { now + d })
}

/// Parses a Go duration (`1h2m3.5s`, `300ms`, `0`), as Go's
/// `time.ParseDuration` (without signs).
pub fn parse_go_duration(s: &str) -> Option<std::time::Duration> {
    if s == "0" {
        return Some(std::time::Duration::ZERO);
    }
    if s.is_empty() {
        return None;
    }
    let mut total = 0f64;
    let mut rest = s;
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

/// `until=` of a filter: Unix seconds, an RFC 3339 time or a Go duration
/// before now; Unix nanoseconds.
pub fn until_nanos(v: &str) -> Option<i64> {
    if let Ok(secs) = v.parse::<i64>() {
        return Some(secs * 1_000_000_000);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
        return t.timestamp_nanos_opt();
    }
    let now = chrono::Utc::now().timestamp_nanos_opt()?;
    let d = i64::try_from(parse_go_duration(v)?.as_nanos()).ok()?;
    Some(now - d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_and_filter_times() {
        use std::time::Duration;
        assert_eq!(parse_go_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_go_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_go_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_go_duration("0"), Some(Duration::ZERO));
        assert!(parse_go_duration("10").is_none());
        assert!(parse_go_duration("").is_none());
        assert!(parse_go_duration("x").is_none());
        assert_eq!(until_nanos("10"), Some(10_000_000_000));
        let ago = parse_since("1h30m").unwrap();
        let now = chrono::Utc::now().timestamp_nanos_opt().unwrap();
        assert!((now - ago - 5_400_000_000_000).abs() < 10_000_000_000);
    }

    #[test]
    fn since_durations() {
        let now = chrono::Utc::now().timestamp_nanos_opt().unwrap();
        let t = parse_since("10m").unwrap();
        assert!((now - t - 600_000_000_000).abs() < 5_000_000_000);
        assert_eq!(
            parse_since("1700000000").unwrap(),
            1_700_000_000_000_000_000
        );
        assert!(parse_since("yesterday").is_none());
        assert!(
            parse_until("10m").unwrap() > now,
            "an --until duration is ahead"
        );
        assert!(
            parse_since("-1s").unwrap() > now,
            "a negative duration is in the future"
        );
    }

    #[test]
    fn since_timestamps_in_the_formats_users_type() {
        let want = 1_733_324_705_695_841_561;
        assert_eq!(
            parse_since("2024-12-04T15:05:05,695841561+00:00"),
            Some(want)
        );
        assert_eq!(parse_since("2024-12-04T15:05:05.695841561Z"), Some(want));
        assert!(parse_since("2024-12-04").is_some());
        assert!(parse_since("2024-12-04T15:05:05").is_some());
    }
}
