//! `--filter KEY=VALUE` on containers, as the CLI passes them: specs grouped by
//! key for a front-door request. The filter itself (Podman's rules, one for
//! every command) is the engine's (`rpod_engine::container::filter`).
//!
//! [`Filters`] remains for `start` and `container prune`, which still select
//! containers in the CLI until they move behind the front door.

use rpod_api::container::Filters as FilterSpecs;
use rpod_engine::container::filter::{ContainerFilters, FilterContext};
use rpod_engine::state::ContainerRecord;

use crate::cli_error::{CliError, CliResult};

/// Groups `KEY=VALUE` specs by key (`invalid filter "x"` without `=`).
pub fn group_specs(specs: &[String]) -> CliResult<FilterSpecs> {
    let mut map = FilterSpecs::new();
    for spec in specs {
        let (k, v) = spec
            .split_once('=')
            .ok_or_else(|| CliError::usage(format!("invalid filter {spec:?}")))?;
        map.entry(k.to_owned()).or_default().push(v.to_owned());
    }
    Ok(map)
}

/// Prepared filters restricted to some keys (the engine's filter, checked here
/// for the keys a command accepts).
pub struct Filters(ContainerFilters);

/// The `--filter` keys of `start` and `restart`.
pub const START_FILTER_KEYS: &[&str] = &[
    "restart-policy",
    "name",
    "id",
    "status",
    "label",
    "until",
    "exited",
];

impl Filters {
    pub fn parse(specs: &[String], allowed: &[&str]) -> CliResult<Filters> {
        let grouped = group_specs(specs)?;
        if let Some(k) = specs
            .iter()
            .filter_map(|s| s.split_once('=').map(|(k, _)| k))
            .find(|k| !allowed.contains(k))
        {
            return Err(CliError::usage(format!("{k} is an invalid filter")));
        }
        Ok(Filters(ContainerFilters::parse(
            &grouped,
            &FilterContext::default(),
        )?))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn matches(&self, c: &ContainerRecord) -> bool {
        self.0.matches(c, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_group_by_key() {
        let g = group_specs(&["a=1".into(), "a=2".into(), "b=".into()]).unwrap();
        assert_eq!(g["a"], vec!["1", "2"]);
        assert_eq!(g["b"], vec![""]);
        let e = group_specs(&["nokey".into()]).unwrap_err().to_string();
        assert_eq!(e, "invalid filter \"nokey\"");
    }
}
