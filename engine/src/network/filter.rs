//! `network ls --filter` and `network prune --filter`, as containers/common's
//! `GenerateNetworkFilters` and Podman's dangling filter: values of one key
//! are alternatives (labels: all must match), different keys must all match.

use std::collections::BTreeMap;

use super::types::Network;

/// A filter Podman would refuse, in its words.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FilterError(String);

/// Which command the filters are for: `prune` knows only label, label! and until.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterUse {
    List,
    Prune,
}

/// Parsed filters.
#[derive(Clone, Debug, Default)]
pub struct NetworkFilters {
    names: Vec<String>,
    drivers: Vec<String>,
    ids: Vec<String>,
    labels: Vec<String>,
    not_labels: Vec<String>,
    /// Unix nanoseconds: only networks created before.
    until: Option<i64>,
    /// `dangling=`: only networks no container uses (true) or the others.
    dangling: Option<bool>,
}

impl NetworkFilters {
    pub fn parse(specs: &[String], usage: FilterUse) -> Result<NetworkFilters, FilterError> {
        let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for s in specs {
            let (k, v) = s
                .split_once('=')
                .ok_or_else(|| FilterError(format!("invalid filter {s:?}")))?;
            by_key.entry(k.to_owned()).or_default().push(v.to_owned());
        }
        let mut f = NetworkFilters::default();
        for (key, values) in by_key {
            match (key.to_lowercase().as_str(), usage) {
                ("dangling", FilterUse::List) => f.dangling = Some(dangling(&values)?),
                ("name", FilterUse::List) => f.names = values,
                ("driver", FilterUse::List) => f.drivers = values,
                ("id", FilterUse::List) => f.ids = values,
                ("label", _) => f.labels = values,
                ("label!", _) => f.not_labels = values,
                ("until", _) => {
                    let [v] = values.as_slice() else {
                        return Err(FilterError(
                            "specify exactly one timestamp for until".into(),
                        ));
                    };
                    f.until = Some(rpod_api::input_time::until_nanos(v).ok_or_else(|| {
                        FilterError(format!("failed to parse until timestamp {v:?}"))
                    })?);
                }
                _ => return Err(FilterError(format!("invalid filter {key:?}"))),
            }
        }
        Ok(f)
    }

    /// Whether the filters need to know which networks are in use.
    pub fn wants_dangling(&self) -> bool {
        self.dangling.is_some()
    }

    /// Whether `n` passes; `in_use` says whether a container uses it (the
    /// default network always counts as used).
    pub fn matches(&self, n: &Network, in_use: bool) -> bool {
        let labels: Vec<(String, String)> = n
            .labels
            .iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        (self.names.is_empty() || self.names.iter().any(|re| regex_matches(re, &n.name)))
            && (self.drivers.is_empty() || self.drivers.contains(&n.driver))
            && (self.ids.is_empty() || self.ids.iter().any(|want| id_matches(want, &n.id)))
            && self
                .labels
                .iter()
                .all(|l| crate::container::filter::label_matches(l, &labels))
            && !self
                .not_labels
                .iter()
                .any(|l| crate::container::filter::label_matches(l, &labels))
            && self.until.is_none_or(|u| created_nanos(n) < u)
            && self.dangling.is_none_or(|want| want != in_use)
    }
}

fn dangling(values: &[String]) -> Result<bool, FilterError> {
    match values {
        [] => Err(FilterError(
            "got no values for filter key \"dangling\"".into(),
        )),
        [v] => super::create::go_bool(v)
            .ok_or_else(|| FilterError(format!("invalid dangling filter value \"{v}\""))),
        _ => Err(FilterError(
            "got more than one value for filter key \"dangling\"".into(),
        )),
    }
}

/// Go's `regexp.MatchString` (unanchored); a bad pattern matches nothing.
fn regex_matches(pattern: &str, s: &str) -> bool {
    regex::Regex::new(pattern).is_ok_and(|re| re.is_match(s))
}

/// containers/common `FilterID`: a hex value is an ID prefix, anything else
/// a regular expression.
fn id_matches(want: &str, id: &str) -> bool {
    if want.chars().all(|c| c.is_ascii_hexdigit()) {
        id.starts_with(&want.to_lowercase())
    } else {
        regex_matches(want, id)
    }
}

/// The network's creation time; Go's zero time when it has none.
fn created_nanos(n: &Network) -> i64 {
    n.created
        .as_deref()
        .and_then(|c| chrono::DateTime::parse_from_rfc3339(c).ok())
        .and_then(|t| t.timestamp_nanos_opt())
        .unwrap_or(i64::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(name: &str, id: &str, labels: &[(&str, &str)], created: &str) -> Network {
        Network {
            name: name.into(),
            id: id.into(),
            driver: "bridge".into(),
            created: Some(created.into()),
            labels: Some(
                labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            ..Network::default()
        }
    }

    fn parse(specs: &[&str], usage: FilterUse) -> Result<NetworkFilters, FilterError> {
        let specs: Vec<String> = specs.iter().map(|s| s.to_string()).collect();
        NetworkFilters::parse(&specs, usage)
    }

    #[test]
    fn keys_and_values() {
        let a = net(
            "web-a",
            "abc123",
            &[("tier", "web")],
            "2020-01-01T00:00:00Z",
        );
        let b = net(
            "db",
            "def456",
            &[("tier", "db"), ("x", "")],
            "2030-01-01T00:00:00Z",
        );
        let m =
            |specs: &[&str], n: &Network| parse(specs, FilterUse::List).unwrap().matches(n, false);
        assert!(m(&["name=web"], &a) && !m(&["name=web"], &b));
        assert!(m(&["name=^db$", "name=web"], &b));
        assert!(m(&["id=ABC"], &a) && !m(&["id=abd"], &a));
        assert!(m(&["id=^d.f"], &b));
        assert!(m(&["driver=bridge"], &a) && !m(&["driver=macvlan"], &a));
        assert!(m(&["label=tier=web"], &a) && !m(&["label=tier=web"], &b));
        assert!(m(&["label=tier", "label=x"], &b) && !m(&["label=tier", "label=x"], &a));
        assert!(m(&["label!=tier=db"], &a) && !m(&["label!=tier=db"], &b));
        assert!(m(&["until=2025-01-01T00:00:00Z"], &a) && !m(&["until=2025-01-01T00:00:00Z"], &b));
        let dangling = parse(&["dangling=true"], FilterUse::List).unwrap();
        assert!(dangling.wants_dangling());
        assert!(dangling.matches(&a, false) && !dangling.matches(&a, true));
    }

    #[test]
    fn podmans_errors() {
        let e = |specs: &[&str], u| parse(specs, u).unwrap_err().to_string();
        assert_eq!(e(&["name"], FilterUse::List), "invalid filter \"name\"");
        assert_eq!(e(&["bogus=1"], FilterUse::List), "invalid filter \"bogus\"");
        assert_eq!(e(&["name=x"], FilterUse::Prune), "invalid filter \"name\"");
        assert_eq!(
            e(&["dangling=maybe"], FilterUse::List),
            "invalid dangling filter value \"maybe\""
        );
        assert_eq!(
            e(&["dangling=1", "dangling=0"], FilterUse::List),
            "got more than one value for filter key \"dangling\""
        );
        assert_eq!(
            e(&["until=1h", "until=2h"], FilterUse::Prune),
            "specify exactly one timestamp for until"
        );
    }
}
