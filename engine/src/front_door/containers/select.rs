//! Which containers a request acts on: names as given, `--latest`, `--all` and
//! `--filter` (Podman's getContainers in pkg/domain/infra/abi).

use rpod_api::container::{Filters, Selected, StartSelectOptions};
use rpod_api::{Error, ErrorKind};

use crate::container::filter::{ContainerFilters, FilterContext};
use crate::container::{health, ContainerError, ContainerHandle};
use crate::engine::Engine;
use crate::state::ContainerRecord;

/// The container created last; Podman's `no such container` when there is none.
pub(super) fn latest(engine: &Engine) -> Result<ContainerRecord, Error> {
    engine
        .containers()?
        .into_iter()
        .max_by_key(|c| c.created_at)
        .ok_or_else(|| Error::new(ErrorKind::NoSuchContainer, "no such container"))
}

/// `name` (a name, an ID or an ID prefix), or the latest container.
pub(super) fn name_or_latest(
    engine: &Engine,
    name: &str,
    use_latest: bool,
) -> Result<String, Error> {
    if use_latest {
        Ok(latest(engine)?.id)
    } else {
        Ok(name.to_owned())
    }
}

/// The containers among all that pass `filters` (and `keep`), by ID.
pub(super) fn filtered(
    engine: &Engine,
    filters: &Filters,
    keep: impl Fn(&ContainerRecord) -> bool,
) -> Result<Vec<String>, Error> {
    let all = engine.containers()?;
    let pods: Vec<(String, String)> = if filters.contains_key("pod") {
        engine.pods()?.into_iter().map(|p| (p.id, p.name)).collect()
    } else {
        Vec::new()
    };
    let filters = ContainerFilters::parse(
        filters,
        &FilterContext {
            all: &all,
            pods: &pods,
        },
    )?;
    let config = engine.config();
    let health_of = |c: &ContainerRecord| {
        if filters.has_health() {
            health::state(config, c).map(|h| h.status)
        } else {
            None
        }
    };
    Ok(all
        .iter()
        .filter(|c| keep(c) && filters.matches(c, health_of(c).as_deref()))
        .map(|c| c.id.clone())
        .collect())
}

/// The containers a batch request names: `--latest`, `--all` or filters (their
/// IDs, among those `keep` accepts), else the names as given.
pub(super) fn select(
    engine: &Engine,
    names: &[String],
    all: bool,
    latest_flag: bool,
    filters: &Filters,
    keep: impl Fn(&ContainerRecord) -> bool,
) -> Result<Vec<String>, Error> {
    if latest_flag {
        if !names.is_empty() {
            return Err(Error::invalid(
                "--latest and containers cannot be used together",
            ));
        }
        return Ok(vec![latest(engine)?.id]);
    }
    if all || !filters.is_empty() {
        return filtered(engine, filters, keep);
    }
    if names.is_empty() {
        return Err(Error::invalid("you must provide at least one name or id"));
    }
    Ok(names.to_vec())
}

/// The actor of `name`; `Ok(None)` when the container does not exist.
pub(super) fn find(engine: &Engine, name: &str) -> Result<Option<ContainerHandle>, Error> {
    match engine.container(name) {
        Ok(h) => Ok(Some(h)),
        Err(ContainerError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The `--filter` keys `start` accepts.
const START_FILTER_KEYS: &[&str] = &[
    "restart-policy",
    "name",
    "id",
    "status",
    "label",
    "until",
    "exited",
];

/// `start`'s containers: the names as given; with `--all` or `--filter` the
/// matching ones (only among the names, when there are names); or the latest.
pub(super) fn start_targets(
    engine: &Engine,
    o: &StartSelectOptions,
) -> Result<Vec<Selected>, Error> {
    if let Some(k) = o
        .filters
        .keys()
        .find(|k| !START_FILTER_KEYS.contains(&k.as_str()))
    {
        return Err(Error::invalid(format!("{k} is an invalid filter")));
    }
    let chosen = |id: String| Selected {
        raw_input: id.clone(),
        id,
    };
    if o.latest {
        return Ok(vec![chosen(latest(engine)?.id)]);
    }
    if !o.all && o.filters.is_empty() {
        return Ok(o
            .names
            .iter()
            .map(|n| Selected {
                raw_input: n.clone(),
                id: n.clone(),
            })
            .collect());
    }
    let matching = filtered(engine, &o.filters, |_| true)?;
    if o.names.is_empty() {
        return Ok(matching.into_iter().map(chosen).collect());
    }
    let mut picked = Vec::new();
    for name in &o.names {
        let id = engine.container(name)?.id;
        if matching.contains(&id) {
            picked.push(Selected {
                raw_input: name.clone(),
                id,
            });
        }
    }
    Ok(picked)
}
