//! [`rpod_api::front_door::ContainerLogs`] for the local engine: resolves
//! the target to containers and their log files, then hands them to a
//! [`LogReader`].

use async_trait::async_trait;
use rpod_api::front_door::ContainerLogs;
use rpod_api::logs::{ContainerLogsRequest, LogLines, LogsTarget};
use rpod_api::{Error, Result};

use super::LocalEngine;
use crate::config::EventsLogger;
use crate::container::ContainerPaths;
use crate::engine::Engine;
use crate::logs::{LogReader, LogTarget, Order};
use crate::state::ContainerRecord;

#[async_trait]
impl ContainerLogs for LocalEngine {
    async fn container_logs(&self, request: ContainerLogsRequest) -> Result<LogLines> {
        let engine = self.engine();
        let (targets, order) = match &request.target {
            LogsTarget::Containers(names) => (containers(engine, names).await?, Order::Sequential),
            LogsTarget::Pod { pod, container } => (
                pod_members(engine, pod, container.as_deref())?,
                Order::ByTime,
            ),
        };
        let logger = engine.config().events_logger;
        if request.options.follow
            && logger != EventsLogger::Journald
            && targets.iter().any(|t| t.journald.is_some())
        {
            // Podman (#10323): following a journald log ends at the
            // container's `died` event, which must be in the journal too.
            return Err(Error::invalid(format!(
                "using --follow with the journald --log-driver but without the journald --events-backend ({}) is not supported",
                logger.name()
            )));
        }
        Ok(Box::new(LogReader::new(targets, order, &request.options)))
    }
}

/// The containers `names`, in order; each must log to a file.
async fn containers(engine: &Engine, names: &[String]) -> Result<Vec<LogTarget>> {
    let mut targets = Vec::with_capacity(names.len());
    for name in names {
        let handle = engine.container(name)?;
        let rec = handle.get().await?;
        if !rec.options.logs_output() {
            return Err(Error::invalid(format!(
                "failed to obtain logs for Container '{name}': this container is using the 'none' log driver, cannot read logs: this container is not logging output"
            )));
        }
        targets.push(LogTarget {
            log: ContainerPaths::new(engine.config(), &rec.id).log,
            journald: journald(&rec),
            id: rec.id,
            name: rec.name,
            handle: Some(handle),
        });
    }
    Ok(targets)
}

/// The members of pod `pod` other than its infra container, or the one
/// named (or whose ID starts with) `container`.
fn pod_members(engine: &Engine, pod: &str, container: Option<&str>) -> Result<Vec<LogTarget>> {
    let pod = engine.pod(pod)?;
    let mut members: Vec<_> = engine
        .pod_members(&pod.id)?
        .into_iter()
        .filter(|c| !c.options.pod.as_ref().is_some_and(|m| m.infra))
        .collect();
    if let Some(want) = container {
        members.retain(|c| c.name == want || c.id.starts_with(want));
        if members.is_empty() {
            return Err(Error::invalid(format!(
                "container {want} is not in pod {}",
                pod.name
            )));
        }
    }
    Ok(members
        .into_iter()
        .map(|c| LogTarget {
            log: ContainerPaths::new(engine.config(), &c.id).log,
            journald: journald(&c),
            handle: engine.container(&c.id).ok(),
            id: c.id,
            name: c.name,
        })
        .collect())
}

/// `Some(running now)` for a container that logs to the journal.
fn journald(rec: &ContainerRecord) -> Option<bool> {
    rec.options
        .logs_to_journal()
        .then(|| rec.state.has_monitor())
}
