//! RuntimeService: each RPC handed to the module that does its job; the
//! RPCs rpod does not implement answer UNIMPLEMENTED.

use std::sync::Arc;

use k8s_cri::v1 as cri;
use k8s_cri::v1::runtime_service_server::RuntimeService;
use tonic::{Request, Response, Status};

use crate::serve::Shared;
use crate::status::unimplemented;
use crate::{container, events, exec, sandbox, stats, streaming};

/// The CRI API version rpod speaks.
const RUNTIME_API_VERSION: &str = "v1";

/// The RuntimeService of one server.
pub struct Runtime {
    shared: Arc<Shared>,
}

impl Runtime {
    pub(crate) fn new(shared: Arc<Shared>) -> Runtime {
        Runtime { shared }
    }
}

type EventStream = events::EventStream;

fn ok<T>(r: Result<T, Status>) -> Result<Response<T>, Status> {
    r.map(Response::new)
}

#[tonic::async_trait]
impl RuntimeService for Runtime {
    async fn version(
        &self,
        _req: Request<cri::VersionRequest>,
    ) -> Result<Response<cri::VersionResponse>, Status> {
        Ok(Response::new(cri::VersionResponse {
            version: "0.1.0".to_owned(),
            runtime_name: "rpod".to_owned(),
            runtime_version: self.shared.options.version.clone(),
            runtime_api_version: RUNTIME_API_VERSION.to_owned(),
        }))
    }

    async fn run_pod_sandbox(
        &self,
        req: Request<cri::RunPodSandboxRequest>,
    ) -> Result<Response<cri::RunPodSandboxResponse>, Status> {
        ok(sandbox::run(&self.shared, req.into_inner()).await)
    }

    async fn stop_pod_sandbox(
        &self,
        req: Request<cri::StopPodSandboxRequest>,
    ) -> Result<Response<cri::StopPodSandboxResponse>, Status> {
        ok(sandbox::stop(&self.shared, req.into_inner()).await)
    }

    async fn remove_pod_sandbox(
        &self,
        req: Request<cri::RemovePodSandboxRequest>,
    ) -> Result<Response<cri::RemovePodSandboxResponse>, Status> {
        ok(sandbox::remove(&self.shared, req.into_inner()).await)
    }

    async fn pod_sandbox_status(
        &self,
        req: Request<cri::PodSandboxStatusRequest>,
    ) -> Result<Response<cri::PodSandboxStatusResponse>, Status> {
        ok(sandbox::status(&self.shared, req.into_inner()).await)
    }

    async fn list_pod_sandbox(
        &self,
        req: Request<cri::ListPodSandboxRequest>,
    ) -> Result<Response<cri::ListPodSandboxResponse>, Status> {
        ok(sandbox::list(&self.shared, req.into_inner()).await)
    }

    async fn create_container(
        &self,
        req: Request<cri::CreateContainerRequest>,
    ) -> Result<Response<cri::CreateContainerResponse>, Status> {
        ok(container::create(&self.shared, req.into_inner()).await)
    }

    async fn start_container(
        &self,
        req: Request<cri::StartContainerRequest>,
    ) -> Result<Response<cri::StartContainerResponse>, Status> {
        ok(container::start(&self.shared, req.into_inner()).await)
    }

    async fn stop_container(
        &self,
        req: Request<cri::StopContainerRequest>,
    ) -> Result<Response<cri::StopContainerResponse>, Status> {
        ok(container::stop(&self.shared, req.into_inner()).await)
    }

    async fn remove_container(
        &self,
        req: Request<cri::RemoveContainerRequest>,
    ) -> Result<Response<cri::RemoveContainerResponse>, Status> {
        ok(container::remove(&self.shared, req.into_inner()).await)
    }

    async fn list_containers(
        &self,
        req: Request<cri::ListContainersRequest>,
    ) -> Result<Response<cri::ListContainersResponse>, Status> {
        ok(container::list(&self.shared, req.into_inner()).await)
    }

    async fn container_status(
        &self,
        req: Request<cri::ContainerStatusRequest>,
    ) -> Result<Response<cri::ContainerStatusResponse>, Status> {
        ok(container::status(&self.shared, req.into_inner()).await)
    }

    async fn update_container_resources(
        &self,
        req: Request<cri::UpdateContainerResourcesRequest>,
    ) -> Result<Response<cri::UpdateContainerResourcesResponse>, Status> {
        ok(container::update_resources(&self.shared, req.into_inner()).await)
    }

    async fn reopen_container_log(
        &self,
        req: Request<cri::ReopenContainerLogRequest>,
    ) -> Result<Response<cri::ReopenContainerLogResponse>, Status> {
        ok(container::reopen_log(&self.shared, req.into_inner()).await)
    }

    async fn exec_sync(
        &self,
        req: Request<cri::ExecSyncRequest>,
    ) -> Result<Response<cri::ExecSyncResponse>, Status> {
        ok(exec::exec_sync(&self.shared, req.into_inner()).await)
    }

    async fn exec(
        &self,
        req: Request<cri::ExecRequest>,
    ) -> Result<Response<cri::ExecResponse>, Status> {
        ok(streaming::exec(&self.shared, req.into_inner()).await)
    }

    async fn attach(
        &self,
        req: Request<cri::AttachRequest>,
    ) -> Result<Response<cri::AttachResponse>, Status> {
        ok(streaming::attach(&self.shared, req.into_inner()).await)
    }

    async fn port_forward(
        &self,
        req: Request<cri::PortForwardRequest>,
    ) -> Result<Response<cri::PortForwardResponse>, Status> {
        ok(streaming::port_forward(&self.shared, req.into_inner()).await)
    }

    async fn container_stats(
        &self,
        req: Request<cri::ContainerStatsRequest>,
    ) -> Result<Response<cri::ContainerStatsResponse>, Status> {
        ok(stats::container_stats(&self.shared, req.into_inner()).await)
    }

    async fn list_container_stats(
        &self,
        req: Request<cri::ListContainerStatsRequest>,
    ) -> Result<Response<cri::ListContainerStatsResponse>, Status> {
        ok(stats::list_container_stats(&self.shared, req.into_inner()).await)
    }

    async fn pod_sandbox_stats(
        &self,
        req: Request<cri::PodSandboxStatsRequest>,
    ) -> Result<Response<cri::PodSandboxStatsResponse>, Status> {
        ok(stats::pod_sandbox_stats(&self.shared, req.into_inner()).await)
    }

    async fn list_pod_sandbox_stats(
        &self,
        req: Request<cri::ListPodSandboxStatsRequest>,
    ) -> Result<Response<cri::ListPodSandboxStatsResponse>, Status> {
        ok(stats::list_pod_sandbox_stats(&self.shared, req.into_inner()).await)
    }

    async fn update_runtime_config(
        &self,
        req: Request<cri::UpdateRuntimeConfigRequest>,
    ) -> Result<Response<cri::UpdateRuntimeConfigResponse>, Status> {
        // The pod CIDR is kept for `Status`; sandboxes take their addresses
        // from their network's subnet (the CNI configuration), as CRI-O's do.
        let cidr = req
            .into_inner()
            .runtime_config
            .and_then(|c| c.network_config)
            .map(|n| n.pod_cidr)
            .unwrap_or_default();
        for part in cidr.split(',').filter(|p| !p.is_empty()) {
            part.trim()
                .parse::<ipnet::IpNet>()
                .map_err(|e| Status::invalid_argument(format!("invalid pod CIDR {part:?}: {e}")))?;
        }
        *self
            .shared
            .pod_cidr
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = cidr;
        Ok(Response::new(cri::UpdateRuntimeConfigResponse {}))
    }

    async fn status(
        &self,
        req: Request<cri::StatusRequest>,
    ) -> Result<Response<cri::StatusResponse>, Status> {
        let verbose = req.into_inner().verbose;
        let (runtime_ready, message) = match self.shared.engine.system_info().await {
            Ok(_) => (true, String::new()),
            Err(e) => (false, e.message),
        };
        let condition = |kind: &str, ready: bool, message: &str| cri::RuntimeCondition {
            r#type: kind.to_owned(),
            status: ready,
            reason: if ready {
                String::new()
            } else {
                "EngineNotReady".to_owned()
            },
            message: message.to_owned(),
        };
        let mut info = std::collections::HashMap::new();
        if verbose {
            let pod_cidr = self
                .shared
                .pod_cidr
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            let config = serde_json::json!({
                "network": self.shared.options.network.clone().unwrap_or_default(),
                "podCIDR": pod_cidr,
                "streamURL": self.shared.stream.base(),
            });
            info.insert("config".to_owned(), config.to_string());
        }
        Ok(Response::new(cri::StatusResponse {
            status: Some(cri::RuntimeStatus {
                conditions: vec![
                    condition("RuntimeReady", runtime_ready, &message),
                    condition("NetworkReady", runtime_ready, &message),
                ],
            }),
            info,
            runtime_handlers: Vec::new(),
            features: None,
        }))
    }

    async fn checkpoint_container(
        &self,
        _req: Request<cri::CheckpointContainerRequest>,
    ) -> Result<Response<cri::CheckpointContainerResponse>, Status> {
        Err(unimplemented("CheckpointContainer"))
    }

    type GetContainerEventsStream = EventStream;

    async fn get_container_events(
        &self,
        _req: Request<cri::GetEventsRequest>,
    ) -> Result<Response<Self::GetContainerEventsStream>, Status> {
        ok(events::stream(Arc::clone(&self.shared)).await)
    }

    async fn list_metric_descriptors(
        &self,
        _req: Request<cri::ListMetricDescriptorsRequest>,
    ) -> Result<Response<cri::ListMetricDescriptorsResponse>, Status> {
        Err(unimplemented("ListMetricDescriptors"))
    }

    async fn list_pod_sandbox_metrics(
        &self,
        _req: Request<cri::ListPodSandboxMetricsRequest>,
    ) -> Result<Response<cri::ListPodSandboxMetricsResponse>, Status> {
        Err(unimplemented("ListPodSandboxMetrics"))
    }

    async fn runtime_config(
        &self,
        _req: Request<cri::RuntimeConfigRequest>,
    ) -> Result<Response<cri::RuntimeConfigResponse>, Status> {
        // rpod manages cgroupfs paths only (a systemd slice parent is
        // refused), so the kubelet must use its cgroupfs driver.
        Ok(Response::new(cri::RuntimeConfigResponse {
            linux: Some(cri::LinuxRuntimeConfiguration {
                cgroup_driver: cri::CgroupDriver::Cgroupfs as i32,
            }),
        }))
    }
}
