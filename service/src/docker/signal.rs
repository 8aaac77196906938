//! Signal names and numbers as the API takes them (`SIGKILL`, `KILL`, `9`).

use std::str::FromStr;

use nix::sys::signal::Signal;

use crate::error::{ApiError, ApiResult};

/// A signal by name (with or without `SIG`, any case) or number (1..=64).
pub fn parse_signal(raw: &str) -> ApiResult<i32> {
    if let Ok(n) = raw.parse::<i32>() {
        return if (1..=64).contains(&n) {
            Ok(n)
        } else {
            Err(ApiError::bad_request(format!("invalid signal: {raw}")))
        };
    }
    let upper = raw.to_ascii_uppercase();
    let name = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    Signal::from_str(&name)
        .map(|s| s as i32)
        .map_err(|_| ApiError::bad_request(format!("invalid signal: {raw}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        assert_eq!(parse_signal("SIGKILL").unwrap(), 9);
        assert_eq!(parse_signal("term").unwrap(), 15);
        assert_eq!(parse_signal("10").unwrap(), 10);
        assert!(parse_signal("0").is_err());
        assert!(parse_signal("SIGNOPE").is_err());
    }
}
