//! Human-readable durations and sizes, as Podman prints them (Go's
//! docker/go-units HumanDuration and HumanSizeWithPrecision).

use std::time::Duration;

/// go-units `HumanDuration`.
pub fn duration(d: Duration) -> String {
    let secs = d.as_secs();
    let hours = secs / 3600;
    if secs < 1 {
        "Less than a second".into()
    } else if secs == 1 {
        "1 second".into()
    } else if secs < 60 {
        format!("{secs} seconds")
    } else if secs / 60 == 1 {
        "About a minute".into()
    } else if secs < 3600 {
        format!("{} minutes", secs / 60)
    } else if hours == 1 {
        "About an hour".into()
    } else if hours < 48 {
        format!("{hours} hours")
    } else if hours < 24 * 7 * 2 {
        format!("{} days", hours / 24)
    } else if hours < 24 * 30 * 2 {
        format!("{} weeks", hours / 24 / 7)
    } else if hours < 24 * 365 * 2 {
        format!("{} months", hours / 24 / 30)
    } else {
        format!("{} years", hours / 24 / 365)
    }
}

/// Time since `nanos` (Unix nanoseconds) as go-units prints it.
pub fn since(nanos: i64) -> String {
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0);
    duration(Duration::from_nanos(now.saturating_sub(nanos).max(0) as u64))
}

/// go-units `HumanSizeWithPrecision(size, 3)`: decimal units.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    format!("{} {}", rpod_api::units::significant(value, 3), UNITS[unit])
}

/// go-units `HumanSizeWithPrecision(size, precision)` exactly as Go prints it, without a
/// space (`2.13MB`); `HumanSize` is precision 4.
pub fn size_compact(bytes: u64, precision: i32) -> String {
    rpod_api::units::human_size(bytes, precision)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_match_go_units() {
        assert_eq!(duration(Duration::from_millis(10)), "Less than a second");
        assert_eq!(duration(Duration::from_secs(1)), "1 second");
        assert_eq!(duration(Duration::from_secs(42)), "42 seconds");
        assert_eq!(duration(Duration::from_secs(90)), "About a minute");
        assert_eq!(duration(Duration::from_secs(600)), "10 minutes");
        assert_eq!(duration(Duration::from_secs(3700)), "About an hour");
        assert_eq!(duration(Duration::from_secs(5 * 3600)), "5 hours");
        assert_eq!(duration(Duration::from_secs(3 * 86400)), "3 days");
    }

    #[test]
    fn sizes_match_go_units() {
        assert_eq!(size(0), "0 B");
        assert_eq!(size(999), "999 B");
        assert_eq!(size(1_234_567), "1.23 MB");
        assert_eq!(size(4_260_000), "4.26 MB");
        assert_eq!(size(12_000), "12 kB");
    }
}
