//! Kubernetes resource quantities (`128Mi`, `1G`, `500m`, `1.5`): parsed
//! for limits, written back for `kube generate` in Kubernetes' canonical
//! form.

use rpod_api::Error;

fn bad(q: &str) -> Error {
    Error::invalid(format!("invalid resource quantity {q:?}"))
}

/// The quantity as a number (`500m` is 0.5, `1Ki` is 1024).
pub(crate) fn parse(q: &str) -> Result<f64, Error> {
    let q = q.trim();
    let split = q
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(q.len());
    let (num, suffix) = q.split_at(split);
    let n: f64 = num.parse().map_err(|_| bad(q))?;
    let mult = match suffix {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        s if s.starts_with(['e', 'E']) => {
            let exp: i32 = s[1..].parse().map_err(|_| bad(q))?;
            10f64.powi(exp)
        }
        _ => return Err(bad(q)),
    };
    if n < 0.0 {
        return Err(bad(q));
    }
    Ok(n * mult)
}

/// Bytes of a memory quantity.
pub(crate) fn bytes(q: &str) -> Result<i64, Error> {
    Ok(parse(q)?.ceil() as i64)
}

/// Nanoseconds of CPU per second of a CPU quantity (`500m` → 5e8).
pub(crate) fn nano_cpus(q: &str) -> Result<i64, Error> {
    Ok((parse(q)? * 1e9).round() as i64)
}

/// Bytes in Kubernetes' binary canonical form (`128Mi`, `1Gi`, `1000`).
pub(crate) fn format_bytes(n: i64) -> String {
    const SUFFIXES: [&str; 6] = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    let mut v = n;
    let mut idx = None;
    while v != 0 && v % 1024 == 0 && idx.is_none_or(|i: usize| i + 1 < SUFFIXES.len()) {
        v /= 1024;
        idx = Some(idx.map_or(0, |i| i + 1));
    }
    match idx {
        Some(i) => format!("{v}{}", SUFFIXES[i]),
        None => n.to_string(),
    }
}

/// Millicores in Kubernetes' decimal canonical form (`500m`, `2`).
pub(crate) fn format_millis(m: i64) -> String {
    if m % 1000 == 0 {
        (m / 1000).to_string()
    } else {
        format!("{m}m")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(bytes("128Mi").unwrap(), 128 << 20);
        assert_eq!(bytes("1G").unwrap(), 1_000_000_000);
        assert_eq!(bytes("1e3").unwrap(), 1000);
        assert_eq!(nano_cpus("500m").unwrap(), 500_000_000);
        assert_eq!(nano_cpus("1.5").unwrap(), 1_500_000_000);
        assert!(parse("12x").is_err());
        assert!(parse("-1").is_err());
        assert_eq!(format_bytes(128 << 20), "128Mi");
        assert_eq!(format_bytes(1000), "1000");
        assert_eq!(format_millis(500), "500m");
        assert_eq!(format_millis(2000), "2");
    }
}
