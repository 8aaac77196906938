//! Sizes as Podman prints and reads them (go-units): decimal units.

const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];

/// go-units `HumanSizeWithPrecision(bytes, precision)` as Go prints it, without
/// a space (`2.13MB`); `HumanSize` is precision 4.
pub fn human_size(bytes: u64, precision: i32) -> String {
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    format!("{}{}", significant(value, precision), UNITS[unit])
}

/// Go's `%.*g`: `digits` significant digits without trailing zeros.
pub fn significant(v: f64, digits: i32) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let magnitude = v.abs().log10().floor() as i32;
    let decimals = (digits - 1 - magnitude).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// go-units `FromHumanSize`: `8000`, `1.5k`, `10MB`, `2g` (decimal units,
/// an optional `i` and `b`, case-insensitive).
pub fn from_human_size(s: &str) -> Option<u64> {
    let s = s.trim().to_ascii_lowercase();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let num: f64 = num.parse().ok()?;
    let unit = unit.trim_start();
    let unit = unit.strip_suffix('b').unwrap_or(unit);
    let unit = unit.strip_suffix('i').unwrap_or(unit);
    let mult = match unit {
        "" => 1e0,
        "k" => 1e3,
        "m" => 1e6,
        "g" => 1e9,
        "t" => 1e12,
        "p" => 1e15,
        _ => return None,
    };
    (num >= 0.0).then(|| (num * mult).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn podmans_log_sizes() {
        assert_eq!(from_human_size("1.091m"), Some(1_091_000));
        assert_eq!(human_size(1_091_000, 4), "1.091MB");
        assert_eq!(from_human_size("8000"), Some(8000));
        assert_eq!(human_size(8000, 4), "8kB");
        assert_eq!(human_size(400_000_000, 4), "400MB");
        assert_eq!(human_size(0, 4), "0B");
        assert_eq!(from_human_size("10MB"), Some(10_000_000));
        assert_eq!(from_human_size("1KiB"), Some(1000));
        assert_eq!(from_human_size("x"), None);
        assert_eq!(from_human_size("-1k"), None);
    }
}
