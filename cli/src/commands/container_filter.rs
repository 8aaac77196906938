//! `--filter KEY=VALUE` on containers (the subset `start` and
//! `container prune` need): `restart-policy`, `name`, `id`, `status`,
//! `label`, `until`. Filters with different keys must all match; values of
//! the same key are alternatives.

use std::collections::BTreeMap;

use rpod_engine::state::ContainerRecord;

use crate::cli_error::{CliError, CliResult};

pub struct Filters(BTreeMap<String, Vec<String>>);

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
            map.entry(k.to_owned()).or_default().push(v.to_owned());
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
                    p == v || (v == "no" && p.is_empty())
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
