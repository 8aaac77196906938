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
    let d = (n * mult) as i64;
    Some(if since { now - d } else { now + d })
}

#[cfg(test)]
mod tests {
    use super::*;

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
