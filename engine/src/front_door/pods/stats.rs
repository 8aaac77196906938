//! `pod stats`: one sample of each member of the selected pods, as text
//! (Podman's `PodStatsReport`: CPU since each member's start).

use rpod_api::front_door::pods::PodSelect;
use rpod_api::stats::{bytes_pair, human_pair, percent, PodStatsOptions, PodStatsReport};
use rpod_api::{Error, Result};

use crate::container::stats::container_stats;
use crate::engine::Engine;
use crate::pod::PodError;

/// A pair of values; `-- / --` when both are 0 (a member that does not run).
fn pair(a: u64, b: u64, f: fn(u64, u64) -> String) -> String {
    if a == 0 && b == 0 {
        "-- / --".to_owned()
    } else {
        f(a, b)
    }
}

pub(super) async fn stats(engine: &Engine, o: PodStatsOptions) -> Result<Vec<PodStatsReport>> {
    let given = o.latest as u8 + o.all as u8 + !o.names.is_empty() as u8;
    if given > 1 {
        return Err(Error::invalid(
            "--all, --latest and arguments cannot be used together",
        ));
    }
    let select = PodSelect {
        // Nothing named: every pod (Podman v1's behaviour, kept by Podman).
        all: given == 0 || o.all,
        latest: o.latest,
    };
    let mut out = Vec::new();
    for (_, pod) in super::select::pods(engine, &o.names, select, false)? {
        let pod = pod?;
        let mut members = match engine.pod_members(&pod.id) {
            Ok(m) => m,
            Err(PodError::NotFound(_)) => continue,
            Err(e) => return Err(e.into()),
        };
        members.sort_by_key(|c| c.created_at);
        let pod_id = pod.id[..12.min(pod.id.len())].to_owned();
        let reports = tokio::task::spawn_blocking(move || {
            members
                .iter()
                .filter_map(|rec| container_stats(rec, None))
                .collect::<Vec<_>>()
        })
        .await
        .map_err(|e| Error::other(format!("pod stats task: {e}")))?;
        for s in reports {
            let (rx, tx) = s.net_io();
            out.push(PodStatsReport {
                cpu: percent(s.cpu),
                mem_usage: pair(s.mem_usage, s.mem_limit, human_pair),
                mem_usage_bytes: pair(s.mem_usage, s.mem_limit, bytes_pair),
                mem: percent(s.mem_perc),
                net_io: pair(rx, tx, human_pair),
                block_io: pair(s.block_input, s.block_output, human_pair),
                pids: if s.pids == 0 {
                    "--".to_owned()
                } else {
                    s.pids.to_string()
                },
                pod: pod_id.clone(),
                cid: s.container_id[..12.min(s.container_id.len())].to_owned(),
                name: s.name,
            });
        }
    }
    Ok(out)
}
