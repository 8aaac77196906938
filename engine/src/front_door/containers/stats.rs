//! `stats`: which containers (the names, `--latest`, `--all`, else the
//! running ones) and one sample of each, from the files of their cgroups.

use rpod_api::stats::{ContainerStats, ContainerStatsOptions};
use rpod_api::{Error, Result};

use super::select;
use crate::container::stats::container_stats;
use crate::engine::Engine;
use crate::state::{ContainerRecord, ContainerState};

pub(super) async fn stats(
    engine: &Engine,
    options: ContainerStatsOptions,
) -> Result<Vec<ContainerStats>> {
    let selected = if options.latest as u8 + options.all as u8 + !options.names.is_empty() as u8 > 1
    {
        return Err(Error::invalid(
            "--all, --latest and containers cannot be used together",
        ));
    } else if options.latest {
        vec![select::latest(engine)?]
    } else if !options.names.is_empty() {
        let mut recs = Vec::new();
        for name in &options.names {
            recs.push(engine.container(name)?.get().await?);
        }
        recs
    } else {
        let running = |c: &ContainerRecord| {
            options.all || matches!(c.state, ContainerState::Running | ContainerState::Paused)
        };
        engine.containers()?.into_iter().filter(running).collect()
    };
    // Containers named by the user must all answer; among --all or the
    // running ones, one that exited while it was read is left out.
    let named = !options.names.is_empty();
    let previous = options.previous;
    tokio::task::spawn_blocking(move || {
        let mut out = Vec::new();
        for rec in &selected {
            let prev = previous.iter().find(|p| p.container_id == rec.id);
            match container_stats(rec, prev) {
                Some(s) => out.push(s),
                None if named => {
                    return Err(Error::new(
                        rpod_api::ErrorKind::InvalidState,
                        format!("container {} is stopped", rec.id),
                    ))
                }
                None => {}
            }
        }
        Ok(out)
    })
    .await
    .map_err(|e| Error::other(format!("stats task: {e}")))?
}
