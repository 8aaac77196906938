//! `--filter KEY=VALUE` on containers (the subset `start` and
//! `container prune` need): `restart-policy`, `name`, `id`, `status`,
//! `label`, `until`, `exited`. Filters with different keys must all match; values of
//! the same key are alternatives.

use std::collections::BTreeMap;

use rpod_engine::state::ContainerRecord;

use crate::cli_error::{CliError, CliResult};

pub struct Filters(BTreeMap<String, Vec<String>>);

/// The values `restart-policy=` accepts (`none`: no policy given).
const RESTART_POLICIES: &[&str] = &["none", "no", "always", "on-failure", "unless-stopped"];

impl Filters {
    pub fn parse(specs: &[String], allowed: &[&str]) -> CliResult<Filters> {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for spec in specs {
            let (k, v) = spec
                .split_once('=')
                .ok_or_else(|| CliError::usage(format!("invalid filter {spec:?}")))?;
            if !allowed.contains(&k) {
                return Err(CliError::usage(format!("{k} is an invalid filter")));
            }
            if k == "exited" && v.parse::<i32>().is_err() {
                return Err(CliError::usage(format!(
                    "exited code out of range {v:?}: strconv.ParseInt: parsing {v:?}: invalid syntax"
                )));
            }
            map.entry(k.to_owned()).or_default().push(v.to_owned());
        }
        // Podman names every unknown restart policy at once.
        if let Some(policies) = map.get("restart-policy") {
            let invalid: Vec<&str> = policies
                .iter()
                .map(String::as_str)
                .filter(|p| !RESTART_POLICIES.contains(p))
                .collect();
            if !invalid.is_empty() {
                let what = if invalid.len() > 1 {
                    "invalid restart policies"
                } else {
                    "invalid restart policy"
                };
                return Err(CliError::usage(format!("{} {what}", invalid.join(", "))));
            }
        }
        Ok(Filters(map))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn matches(&self, c: &ContainerRecord) -> bool {
        self.0.iter().all(|(k, values)| {
            values.iter().any(|v| match k.as_str() {
                "restart-policy" => {
                    let p = c.options.restart.map_or("no", |r| r.policy.as_str());
                    p == v || (matches!(v.as_str(), "no" | "none") && matches!(p, "" | "no"))
                }
                "exited" => {
                    c.state == rpod_engine::state::ContainerState::Exited
                        && c.exit_code.is_some_and(|code| v.parse() == Ok(code))
                }
                "name" => c.name.contains(v.as_str()),
                "id" => c.id.starts_with(v.as_str()),
                "status" => c.state.as_str() == v,
                "label" => match v.split_once('=') {
                    Some((lk, lv)) => c.options.labels.iter().any(|(a, b)| a == lk && b == lv),
                    None => c.options.labels.iter().any(|(a, _)| a == v),
                },
                "until" => until_nanos(v).is_some_and(|t| c.created_at < t),
                _ => false,
            })
        })
    }
}

/// `until=`: a Unix timestamp or a Go duration before now.
pub fn until_nanos(v: &str) -> Option<i64> {
    let now = chrono::Utc::now().timestamp_nanos_opt()?;
    if let Ok(secs) = v.parse::<i64>() {
        return Some(secs * 1_000_000_000);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(v) {
        return t.timestamp_nanos_opt();
    }
    let d = super::survival_flags::parse_go_duration(v)?;
    Some(now - d.as_nanos() as i64)
}
