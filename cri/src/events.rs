//! `GetContainerEvents`: the engine's container events (`create`, `start`,
//! `died`, `remove`) of CRI containers, from the call on, each with the
//! status of the container's sandbox and of its containers then, as the
//! kubelet's evented PLEG reads them.

use std::pin::Pin;
use std::sync::Arc;

use k8s_cri::v1 as cri;
use rpod_api::events::{Event, EventsOptions};
use tonic::Status;

use crate::meta::{self, ContainerMeta, CONTAINER_KEY};
use crate::serve::Shared;
use crate::status::from_api;
use crate::{container, sandbox};

pub type EventStream =
    Pin<Box<dyn tokio_stream::Stream<Item = Result<cri::ContainerEventResponse, Status>> + Send>>;

/// The CRI event type of an engine container event (`None`: not one CRI has).
fn event_type(status: &str) -> Option<cri::ContainerEventType> {
    match status {
        "create" => Some(cri::ContainerEventType::ContainerCreatedEvent),
        "start" => Some(cri::ContainerEventType::ContainerStartedEvent),
        "died" => Some(cri::ContainerEventType::ContainerStoppedEvent),
        "remove" => Some(cri::ContainerEventType::ContainerDeletedEvent),
        _ => None,
    }
}

/// The CRI container and its sandbox an event is about (`None`: not a CRI
/// container, or an event CRI has no type for).
fn about(e: &Event) -> Option<(cri::ContainerEventType, ContainerMeta)> {
    let kind = event_type(&e.status)?;
    let (_, m) = meta::split::<ContainerMeta>(Some(&e.attributes), CONTAINER_KEY);
    Some((kind, m?))
}

/// The response for an event: the sandbox's status and its containers'
/// as they are now (the sandbox's is left out once it is gone).
async fn response(s: &Shared, e: &Event) -> Option<cri::ContainerEventResponse> {
    let (kind, m) = about(e)?;
    let pod_sandbox_status = sandbox::status(
        s,
        cri::PodSandboxStatusRequest {
            pod_sandbox_id: m.sandbox_id.clone(),
            verbose: false,
        },
    )
    .await
    .ok()
    .and_then(|r| r.status);
    let listed = container::list(
        s,
        cri::ListContainersRequest {
            filter: Some(cri::ContainerFilter {
                pod_sandbox_id: m.sandbox_id.clone(),
                ..Default::default()
            }),
        },
    )
    .await
    .map(|r| r.containers)
    .unwrap_or_default();
    let mut containers_statuses = Vec::new();
    for c in listed {
        let req = cri::ContainerStatusRequest {
            container_id: c.id,
            verbose: false,
        };
        if let Ok(Some(st)) = container::status(s, req).await.map(|r| r.status) {
            containers_statuses.push(st);
        }
    }
    Some(cri::ContainerEventResponse {
        container_id: e.id.clone(),
        container_event_type: kind as i32,
        created_at: e.time_nano,
        pod_sandbox_status,
        containers_statuses,
    })
}

/// The stream of CRI container events from now on; it ends when the
/// client goes away.
pub async fn stream(s: Arc<Shared>) -> Result<EventStream, Status> {
    let options = EventsOptions {
        filters: vec!["type=container".to_owned()],
        stream: true,
        ..EventsOptions::default()
    };
    let events = s.engine.system_events(options).await.map_err(from_api)?;
    let out = futures_util::stream::unfold((s, events), |(s, mut events)| async move {
        loop {
            match events.next_event().await? {
                Ok(e) => {
                    if let Some(r) = response(&s, &e).await {
                        return Some((Ok(r), (s, events)));
                    }
                }
                Err(e) => return Some((Err(from_api(e)), (s, events))),
            }
        }
    });
    Ok(Box::pin(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_cri_containers_and_cri_event_types() {
        let record = serde_json::to_string(&ContainerMeta {
            name: "app".into(),
            sandbox_id: "sb1".into(),
            ..Default::default()
        })
        .unwrap();
        let mut e = Event {
            id: "c1".into(),
            status: "died".into(),
            kind: "container".into(),
            ..Default::default()
        };
        assert!(about(&e).is_none(), "not a CRI container");
        e.attributes.insert(CONTAINER_KEY.into(), record);
        let (kind, m) = about(&e).unwrap();
        assert_eq!(kind, cri::ContainerEventType::ContainerStoppedEvent);
        assert_eq!(m.sandbox_id, "sb1");
        e.status = "exec".into();
        assert!(about(&e).is_none(), "no CRI type");
    }
}
