//! `volume ls --filter` and `volume prune --filter`, as Podman's volume
//! filters: values of one key are alternatives, different keys must all
//! match.

use std::collections::BTreeMap;

use regex::Regex;

use super::{VolumeError, VolumeRecord};

/// One parsed filter.
enum Filter {
    Name(Vec<Regex>),
    Label(Vec<String>),
    NotLabel(Vec<String>),
    Driver(Vec<String>),
    Scope(Vec<String>),
    Opt(Vec<String>),
    Dangling(bool),
    Until(i64),
}

/// The filters of one request.
pub struct VolumeFilters(Vec<Filter>);

/// What a filter needs to know beyond the volume itself.
pub struct Usage<'a> {
    pub in_use: &'a [String],
}

impl VolumeFilters {
    /// Parses `key=value` specs; `prune` accepts only `label`, `label!` and
    /// `until`, as Podman's prune.
    pub fn parse(specs: &[String], prune: bool) -> Result<VolumeFilters, VolumeError> {
        let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for spec in specs {
            let (k, v) = spec
                .split_once('=')
                .ok_or_else(|| VolumeError::Invalid(format!("invalid filter {spec:?}")))?;
            by_key.entry(k.to_owned()).or_default().push(v.to_owned());
        }
        let mut out = Vec::new();
        for (key, values) in by_key {
            let allowed = !prune || matches!(key.as_str(), "label" | "label!" | "until");
            let f = match key.as_str() {
                _ if !allowed => None,
                "name" => Some(Filter::Name(
                    values
                        .iter()
                        .map(|v| {
                            Regex::new(v).map_err(|e| {
                                VolumeError::Invalid(format!("invalid name filter {v:?}: {e}"))
                            })
                        })
                        .collect::<Result<_, _>>()?,
                )),
                "label" => Some(Filter::Label(values)),
                "label!" => Some(Filter::NotLabel(values)),
                "driver" => Some(Filter::Driver(values)),
                "scope" => Some(Filter::Scope(values)),
                "opt" => Some(Filter::Opt(values)),
                "dangling" => {
                    let v = values.last().map(String::as_str).unwrap_or("");
                    Some(Filter::Dangling(match v {
                        "true" | "1" => true,
                        "false" | "0" => false,
                        _ => {
                            return Err(VolumeError::Invalid(format!(
                                "{v:?} is not a valid value for the \"dangling\" filter - must be true or false"
                            )))
                        }
                    }))
                }
                "until" => {
                    let v = values.last().map(String::as_str).unwrap_or("");
                    Some(Filter::Until(
                        rpod_api::input_time::until_nanos(v).ok_or_else(|| {
                            VolumeError::Invalid(format!("invalid until filter value {v:?}"))
                        })?,
                    ))
                }
                _ => None,
            };
            out.push(f.ok_or_else(|| {
                VolumeError::Invalid(format!("{key:?} is an invalid volume filter"))
            })?);
        }
        Ok(VolumeFilters(out))
    }

    pub fn matches(&self, v: &VolumeRecord, usage: &Usage<'_>) -> bool {
        self.0.iter().all(|f| match f {
            Filter::Name(res) => res.iter().any(|re| re.is_match(&v.name)),
            Filter::Label(specs) => specs.iter().any(|s| label_matches(s, v)),
            Filter::NotLabel(specs) => !specs.iter().any(|s| label_matches(s, v)),
            Filter::Driver(ds) => ds.contains(&v.driver),
            Filter::Scope(ss) => ss.iter().any(|s| s == "local"),
            Filter::Opt(specs) => specs.iter().any(|s| match s.split_once('=') {
                Some((k, val)) => v.options.get(k).is_some_and(|x| x == val),
                None => v.options.contains_key(s),
            }),
            Filter::Dangling(want) => usage.in_use.contains(&v.name) != *want,
            Filter::Until(t) => v.created_at < *t,
        })
    }
}

fn label_matches(spec: &str, v: &VolumeRecord) -> bool {
    match spec.split_once('=') {
        Some((k, val)) => v.labels.get(k).is_some_and(|x| x == val),
        None => v.labels.contains_key(spec),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vol(name: &str, labels: &[(&str, &str)]) -> VolumeRecord {
        VolumeRecord {
            name: name.into(),
            driver: "local".into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            created_at: 10,
            ..Default::default()
        }
    }

    fn matching(
        specs: &[&str],
        prune: bool,
        vols: &[VolumeRecord],
        used: &[String],
    ) -> Vec<String> {
        let specs: Vec<String> = specs.iter().map(|s| s.to_string()).collect();
        let f = VolumeFilters::parse(&specs, prune).unwrap();
        vols.iter()
            .filter(|v| f.matches(v, &Usage { in_use: used }))
            .map(|v| v.name.clone())
            .collect()
    }

    #[test]
    fn filters() {
        let vols = [
            vol("volume_1_x", &[("a", "1")]),
            vol("volume_2_x", &[("a", "2"), ("b", "")]),
            vol("other", &[]),
        ];
        let used = vec!["other".to_string()];
        assert_eq!(
            matching(&["name=volume_1.+"], false, &vols, &used),
            ["volume_1_x"]
        );
        // A regular expression, not a glob: `_1*` matches `_` alone.
        assert_eq!(
            matching(&["name=volume_1*"], false, &vols, &used),
            ["volume_1_x", "volume_2_x"]
        );
        assert_eq!(
            matching(&["label=a=2"], false, &vols, &used),
            ["volume_2_x"]
        );
        assert_eq!(matching(&["label=b"], true, &vols, &used), ["volume_2_x"]);
        assert_eq!(matching(&["label!=a"], true, &vols, &used), ["other"]);
        assert_eq!(
            matching(&["dangling=false"], false, &vols, &used),
            ["other"]
        );
        assert_eq!(
            matching(&["driver=local", "name=other"], false, &vols, &used),
            ["other"]
        );
        assert_eq!(
            matching(&["driver=nfs"], false, &vols, &used),
            Vec::<String>::new()
        );
        assert!(VolumeFilters::parse(&["name=x".into()], true).is_err());
        let e = VolumeFilters::parse(&["bogus=x".into()], false)
            .err()
            .unwrap();
        assert_eq!(e.to_string(), "\"bogus\" is an invalid volume filter");
        assert!(VolumeFilters::parse(&["dangling=maybe".into()], false).is_err());
    }
}
