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

/// go-units `RAMInBytes`: `512`, `32m`, `1.5g`, `2GiB` (binary units, an
/// optional space, `i` and `b`, case-insensitive). The error is go-units'
/// (`invalid size: 'abc'`).
pub fn ram_in_bytes(s: &str) -> Result<i64, String> {
    let bad = || format!("invalid size: '{s}'");
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    if num.is_empty() || num.starts_with('.') || num.ends_with('.') {
        return Err(bad());
    }
    let num: f64 = num.parse().map_err(|_| bad())?;
    let unit = unit.strip_prefix(' ').unwrap_or(unit).to_ascii_lowercase();
    let mut rest = unit.as_str();
    let shift = match rest.chars().next() {
        Some(c @ ('k' | 'm' | 'g' | 't' | 'p')) => {
            rest = &rest[1..];
            10 * (1 + "kmgtp".find(c).unwrap_or(0) as i32)
        }
        _ => 0,
    };
    let rest = rest.strip_prefix('i').unwrap_or(rest);
    let rest = rest.strip_prefix('b').unwrap_or(rest);
    if !rest.is_empty() {
        return Err(bad());
    }
    Ok((num * 2f64.powi(shift)) as i64)
}

/// go-units `HumanDuration`.
pub fn human_duration(d: std::time::Duration) -> String {
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
pub fn human_since(nanos: i64) -> String {
    let now = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0);
    human_duration(std::time::Duration::from_nanos(
        now.saturating_sub(nanos).max(0) as u64,
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn podmans_memory_sizes() {
        assert_eq!(ram_in_bytes("32m"), Ok(32 << 20));
        assert_eq!(ram_in_bytes("1.5g"), Ok(3 << 29));
        assert_eq!(ram_in_bytes("2GiB"), Ok(2 << 30));
        assert_eq!(ram_in_bytes("512"), Ok(512));
        assert_eq!(ram_in_bytes("10 kb"), Ok(10 << 10));
        assert_eq!(ram_in_bytes("abc"), Err("invalid size: 'abc'".into()));
        assert!(ram_in_bytes("-1").is_err());
        assert!(ram_in_bytes("1x").is_err());
    }

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
