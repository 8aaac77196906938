//! Human-readable durations and sizes, as Podman prints them (Go's
//! docker/go-units HumanDuration and HumanSizeWithPrecision).

pub use rpod_api::units::human_since as since;

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
    use rpod_api::units::human_duration as duration;
    use std::time::Duration;

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
