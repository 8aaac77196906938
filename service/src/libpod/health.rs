//! Podman's `define.UpdateHealthCheckConfig` (the `health_*` keys of
//! libpod's update body: the CLI flags' text) as the front door's
//! [`HealthUpdate`]; Podman's rules: `none` disables the command, a JSON
//! array is `CMD` arguments, other text a `CMD-SHELL` command, an interval
//! of `disable` is no schedule.

use rpod_api::container_run::{HealthOnFailure, HealthUpdate};
use rpod_api::input_time::parse_go_duration;
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};

#[derive(Deserialize, Default, Debug)]
#[serde(default)]
pub struct HealthWire {
    health_log_destination: Option<String>,
    health_max_log_size: Option<u32>,
    health_max_log_count: Option<u32>,
    health_on_failure: Option<String>,
    no_healthcheck: Option<bool>,
    health_cmd: Option<String>,
    health_interval: Option<String>,
    health_retries: Option<u32>,
    health_timeout: Option<String>,
    health_start_period: Option<String>,
    health_startup_cmd: Option<String>,
    health_startup_interval: Option<String>,
    health_startup_retries: Option<u32>,
    health_startup_timeout: Option<String>,
    health_startup_success: Option<u32>,
}

fn test(cmd: &str) -> ApiResult<Vec<String>> {
    if cmd == "none" {
        return Ok(vec!["NONE".to_owned()]);
    }
    Ok(if cmd.trim_start().starts_with('[') {
        let argv: Vec<String> = serde_json::from_str(cmd)
            .map_err(|e| ApiError::bad_request(format!("invalid health_cmd JSON: {e}")))?;
        std::iter::once("CMD".to_owned()).chain(argv).collect()
    } else {
        vec!["CMD-SHELL".to_owned(), cmd.to_owned()]
    })
}

fn ms(key: &str, v: &str) -> ApiResult<u64> {
    parse_go_duration(v)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .ok_or_else(|| {
            ApiError::bad_request(format!("invalid {key} {v:?}: time: invalid duration"))
        })
}

fn interval(key: &str, v: &str) -> ApiResult<u64> {
    if v == "disable" {
        Ok(0)
    } else {
        ms(key, v)
    }
}

impl HealthWire {
    /// The changes the keys ask for (400 for a value Podman refuses).
    pub fn update(self) -> ApiResult<HealthUpdate> {
        let opt = |key: &str, v: Option<String>, f: fn(&str, &str) -> ApiResult<u64>| {
            v.map(|v| f(key, &v)).transpose()
        };
        Ok(HealthUpdate {
            test: self.health_cmd.as_deref().map(test).transpose()?,
            interval_ms: opt("health_interval", self.health_interval, interval)?,
            timeout_ms: opt("health_timeout", self.health_timeout, ms)?,
            start_period_ms: opt("health_start_period", self.health_start_period, ms)?,
            retries: self.health_retries,
            on_failure: self
                .health_on_failure
                .map(|s| {
                    HealthOnFailure::parse(&s).ok_or_else(|| {
                        ApiError::bad_request(format!(
                            "invalid on-failure action \"{s}\" for health check: supported actions are none,kill,restart,stop"
                        ))
                    })
                })
                .transpose()?,
            disable: self.no_healthcheck.unwrap_or(false),
            startup_test: self.health_startup_cmd.as_deref().map(test).transpose()?,
            startup_interval_ms: opt(
                "health_startup_interval",
                self.health_startup_interval,
                interval,
            )?,
            startup_timeout_ms: opt("health_startup_timeout", self.health_startup_timeout, ms)?,
            startup_retries: self.health_startup_retries,
            startup_successes: self.health_startup_success,
            log_destination: self.health_log_destination,
            max_log_count: self.health_max_log_count,
            max_log_size: self.health_max_log_size,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(v: serde_json::Value) -> HealthWire {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn podman_keys() {
        let h = wire(serde_json::json!({
            "health_cmd": "curl -f localhost", "health_interval": "disable",
            "health_timeout": "1m30s", "health_retries": 4, "health_on_failure": "kill",
            "health_startup_cmd": "[\"true\", \"x\"]", "health_max_log_count": 7
        }))
        .update()
        .unwrap();
        assert_eq!(h.test.unwrap(), ["CMD-SHELL", "curl -f localhost"]);
        assert_eq!(h.interval_ms, Some(0));
        assert_eq!(h.timeout_ms, Some(90_000));
        assert_eq!(h.retries, Some(4));
        assert_eq!(h.on_failure, Some(HealthOnFailure::Kill));
        assert_eq!(h.startup_test.unwrap(), ["CMD", "true", "x"]);
        assert_eq!(h.max_log_count, Some(7));
        assert!(wire(serde_json::json!({})).update().unwrap().is_empty());
        let none = wire(serde_json::json!({"health_cmd": "none"}))
            .update()
            .unwrap();
        assert_eq!(none.test.unwrap(), ["NONE"]);
        let e = wire(serde_json::json!({"health_timeout": "soon"}))
            .update()
            .unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
        let e = wire(serde_json::json!({"health_on_failure": "panic"}))
            .update()
            .unwrap_err();
        assert!(e.message.contains("supported actions"), "{}", e.message);
    }
}
