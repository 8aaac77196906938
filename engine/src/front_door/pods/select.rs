//! Which pods a batch acts on (names, `--all`, `--latest`, `--ignore`) and
//! running the operation on each, one by one or concurrently, with one
//! report per pod in the order selected.

use std::future::Future;

use rpod_api::front_door::pods::{PodReport, PodSelect};
use rpod_api::{Error, ErrorKind};

use crate::engine::Engine;
use crate::pod::{PodError, PodHandle};

/// The pods selected: each with the name it was asked by (its id for
/// `--all`/`--latest`) and its actor, or why there is none.
pub(super) type Selected = Vec<(String, Result<PodHandle, PodError>)>;

/// Resolves a batch's names. `all` wins over names, then `latest`; with
/// `ignore`, names that are no pod are dropped.
pub(super) fn pods(
    engine: &Engine,
    names: &[String],
    select: PodSelect,
    ignore: bool,
) -> Result<Selected, Error> {
    if select.all {
        return Ok(engine
            .pods()?
            .into_iter()
            .map(|p| {
                let handle = engine.pod(&p.id);
                (p.id, handle)
            })
            .collect());
    }
    if select.latest {
        let latest = engine
            .pods()?
            .into_iter()
            .max_by_key(|p| p.created_at)
            .ok_or_else(|| Error::new(ErrorKind::NoSuchPod, "no pods found: no such pod"))?;
        let handle = engine.pod(&latest.id);
        return Ok(vec![(latest.id, handle)]);
    }
    if names.is_empty() {
        return Err(Error::invalid("you must provide at least one name or id"));
    }
    Ok(names
        .iter()
        .map(|n| (n.clone(), engine.pod(n)))
        .filter(|(_, p)| !(ignore && matches!(p, Err(PodError::NotFound(_)))))
        .collect())
}

/// How a batch runs: Podman stops and removes pods concurrently, and
/// starts, kills, pauses and restarts them one by one; rpod starts and
/// restarts them concurrently too, bounded (each start mostly waits on
/// monitors and the runtime).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fanout {
    Serial,
    Concurrent,
    /// Concurrently, at most [`rpod_api::parallel::jobs`] at a time.
    Bounded,
}

/// Runs `op` on every selected pod; the reports keep the selection's order.
pub(super) async fn each<F, Fut>(pods: Selected, fanout: Fanout, op: F) -> Vec<PodReport>
where
    F: Fn(PodHandle) -> Fut,
    Fut: Future<Output = Result<(), PodError>>,
{
    let op = &op;
    let one = |(raw_input, pod): (String, Result<PodHandle, PodError>)| async move {
        match pod {
            Ok(p) => {
                let id = p.id.clone();
                let err = op(p).await.err().map(Error::from);
                PodReport { id, raw_input, err }
            }
            Err(e) => PodReport {
                id: String::new(),
                raw_input,
                err: Some(e.into()),
            },
        }
    };
    match fanout {
        Fanout::Serial => {
            let mut out = Vec::with_capacity(pods.len());
            for p in pods {
                out.push(one(p).await);
            }
            out
        }
        Fanout::Concurrent => futures_util::future::join_all(pods.into_iter().map(one)).await,
        Fanout::Bounded => {
            rpod_api::parallel::all_ordered(pods, rpod_api::parallel::jobs(), one).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn concurrent_reports_keep_the_selection_order() {
        // Errors only (no engine needed): the order and the inputs survive.
        let pods: Selected = ["b", "a", "c"]
            .iter()
            .map(|n| (n.to_string(), Err(PodError::NotFound(n.to_string()))))
            .collect();
        let reports = each(pods, Fanout::Concurrent, |_| async { Ok(()) }).await;
        let raw: Vec<_> = reports.iter().map(|r| r.raw_input.as_str()).collect();
        assert_eq!(raw, ["b", "a", "c"]);
        let e = reports[0].err.as_ref().unwrap();
        assert_eq!(e.kind, ErrorKind::NoSuchPod);
        assert_eq!(e.message, "no pod with name or ID b found: no such pod");
    }
}
