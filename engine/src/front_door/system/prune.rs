//! `container prune` and `system prune`: stopped containers, pods none of
//! whose containers runs, and dangling (or unused) images.

use std::collections::BTreeMap;

use rpod_api::prune::{PodPruneReport, PruneReport, SystemPruneOptions, SystemPruneReport};
use rpod_api::{Error, Result};

use super::df::dir_size;
use super::times::until_nanos;
use crate::container::ContainerError;
use crate::engine::Engine;
use crate::pod::PodError;
use crate::state::{ContainerRecord, ContainerState};
use crate::storage::Image;

/// The `--filter` keys a prune accepts.
const PRUNE_FILTER_KEYS: &[&str] = &["until", "label"];

/// Prune filters on containers (`label=k[=v]`, `until=`): different keys
/// must all match; values of one key are alternatives.
pub(crate) struct PruneFilters(BTreeMap<String, Vec<String>>);

impl PruneFilters {
    pub(crate) fn parse(specs: &[String]) -> Result<PruneFilters> {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for spec in specs {
            let (k, v) = spec
                .split_once('=')
                .ok_or_else(|| Error::invalid(format!("invalid filter {spec:?}")))?;
            if !PRUNE_FILTER_KEYS.contains(&k) {
                return Err(Error::invalid(format!("{k} is an invalid filter")));
            }
            map.entry(k.to_owned()).or_default().push(v.to_owned());
        }
        Ok(PruneFilters(map))
    }

    fn matches(&self, c: &ContainerRecord) -> bool {
        self.0.iter().all(|(k, values)| {
            values.iter().any(|v| match k.as_str() {
                "label" => match v.split_once('=') {
                    Some((lk, lv)) => c.options.labels.iter().any(|(a, b)| a == lk && b == lv),
                    None => c.options.labels.iter().any(|(a, _)| a == v),
                },
                "until" => until_nanos(v).is_some_and(|t| c.created_at < t),
                _ => false,
            })
        })
    }

    /// The image side of the same filters: `label=` on the image's config
    /// labels, `until=` on the time the image was stored (Unix seconds).
    fn image_filters(&self) -> (Vec<(String, Option<String>)>, Option<i64>) {
        let labels = self
            .0
            .get("label")
            .into_iter()
            .flatten()
            .map(|v| match v.split_once('=') {
                Some((k, val)) => (k.to_owned(), Some(val.to_owned())),
                None => (v.clone(), None),
            })
            .collect();
        let until = self
            .0
            .get("until")
            .and_then(|v| v.last())
            .and_then(|v| until_nanos(v))
            .map(|n| n / 1_000_000_000);
        (labels, until)
    }
}

/// Removes every container that is not running (matching `filters`); a
/// pod's infra container goes with its pod (`pod rm`), never alone.
pub(crate) async fn prune_containers(
    engine: &Engine,
    filters: &PruneFilters,
) -> Result<Vec<PruneReport>> {
    let mut removed = Vec::new();
    for c in engine.containers()? {
        let infra = c.options.pod.as_ref().is_some_and(|p| p.infra);
        if infra
            || !matches!(c.state, ContainerState::Created | ContainerState::Exited)
            || !filters.matches(&c)
        {
            continue;
        }
        let size = dir_size(&engine.store().container_storage_paths(&c.id).upper);
        match engine.container(&c.id)?.remove(false, None).await {
            Ok(()) => removed.push(PruneReport {
                id: c.id,
                err: None,
                size,
            }),
            // Gone meanwhile, or started by someone else: not ours to prune.
            Err(ContainerError::NotFound(_) | ContainerError::StateImproper(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(removed)
}

/// Removes every pod none of whose containers runs (with its containers).
async fn prune_pods(engine: &Engine) -> Result<Vec<PodPruneReport>> {
    let mut removed = Vec::new();
    for pod in engine.pods()? {
        let members = engine.pod_members(&pod.id)?;
        if members.iter().any(|c| c.state.has_monitor()) {
            continue;
        }
        match engine.pod(&pod.id)?.remove(false, None).await {
            Ok(()) => removed.push(PodPruneReport {
                err: None,
                id: pod.id,
            }),
            // Gone meanwhile, or started by someone else: not ours to prune.
            Err(PodError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(removed)
}

/// An image's config labels.
fn image_labels(engine: &Engine, i: &Image) -> serde_json::Map<String, serde_json::Value> {
    engine
        .store()
        .image_config(i)
        .ok()
        .and_then(|raw| serde_json::from_slice::<serde_json::Value>(&raw).ok())
        .and_then(|c| c.pointer("/config/Labels").cloned())
        .and_then(|l| l.as_object().cloned())
        .unwrap_or_default()
}

/// Removes dangling images (with `all`: every image) that pass the label
/// filters, were stored before `until` and no container uses.
fn prune_images(
    engine: &Engine,
    all: bool,
    labels: &[(String, Option<String>)],
    until: Option<i64>,
) -> Result<Vec<PruneReport>> {
    let failed = |e: &dyn std::fmt::Display| Error::other(e.to_string());
    let store = engine.store();
    let images = store.images().map_err(|e| failed(&e))?;
    let mut removed = Vec::new();
    for image in &images {
        if !all && !image.names.is_empty() {
            continue;
        }
        let have = if labels.is_empty() {
            Default::default()
        } else {
            image_labels(engine, image)
        };
        let labelled = labels.iter().all(|(k, v)| match (have.get(k), v) {
            (Some(_), None) => true,
            (Some(h), Some(want)) => h.as_str() == Some(want.as_str()),
            (None, _) => false,
        });
        if !labelled || until.is_some_and(|t| image.added_at >= t) {
            continue;
        }
        let users = engine
            .ctx()
            .db
            .containers_using_image(&image.id)
            .map_err(|e| failed(&e))?;
        if !users.is_empty() {
            continue;
        }
        store.remove_image(&image.id).map_err(|e| failed(&e))?;
        removed.push(PruneReport {
            id: image.id.clone(),
            err: None,
            size: image.size,
        });
    }
    Ok(removed)
}

/// `system prune`: pods, then containers, then images.
pub(crate) async fn system_prune(
    engine: &Engine,
    options: &SystemPruneOptions,
) -> Result<SystemPruneReport> {
    let filters = PruneFilters::parse(&options.filters)?;
    let (labels, until) = filters.image_filters();
    let pod_prune_report = prune_pods(engine).await?;
    let container_prune_reports = prune_containers(engine, &filters).await?;
    // `--volumes`: after the containers, so their volumes are unused.
    let volume_prune_reports = if options.volume {
        crate::front_door::volumes::prune(engine, &options.filters)?
    } else {
        Vec::new()
    };
    let image_prune_reports = prune_images(engine, options.all, &labels, until)?;
    let reclaimed_space = container_prune_reports
        .iter()
        .chain(&volume_prune_reports)
        .chain(&image_prune_reports)
        .map(|r| r.size)
        .sum();
    Ok(SystemPruneReport {
        pod_prune_report,
        container_prune_reports,
        image_prune_reports,
        volume_prune_reports,
        reclaimed_space,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_checked() {
        let e = PruneFilters::parse(&["name=x".into()]).err().unwrap();
        assert_eq!(e.message, "name is an invalid filter");
        assert_eq!(e.kind, rpod_api::ErrorKind::InvalidArgument);
        let e = PruneFilters::parse(&["label".into()]).err().unwrap();
        assert_eq!(e.message, "invalid filter \"label\"");
        let f = PruneFilters::parse(&["label=a=b".into(), "label=c".into(), "until=10".into()])
            .unwrap();
        let (labels, until) = f.image_filters();
        assert_eq!(
            labels,
            [
                ("a".to_owned(), Some("b".to_owned())),
                ("c".to_owned(), None)
            ]
        );
        assert_eq!(until, Some(10));
    }
}
