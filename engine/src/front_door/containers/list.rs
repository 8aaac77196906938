//! `ps`: the containers, reconciled with their monitors, as Podman's ListContainer
//! reports (pkg/domain/infra/abi/containers.go ContainerList, pkg/ps).

use std::collections::HashMap;

use rpod_api::container::ContainerListOptions;
use rpod_api::ps::{ContainerSize, ListContainer, ListContainerNamespaces};
use rpod_api::{GoTime, Result};

use crate::container::filter::{ContainerFilters, FilterContext};
use crate::container::{health, restart};
use crate::engine::Engine;
use crate::state::{ContainerRecord, ContainerState};

/// Go's zero time in Unix seconds (Podman's ExitedAt/StartedAt when unset).
const GO_ZERO_UNIX: i64 = -62_135_596_800;

/// Bytes used by the files under `path` (not following symlinks); 0 when absent.
fn disk_usage(path: &std::path::Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(path) {
        for e in entries.flatten() {
            total += disk_usage(&e.path());
        }
    }
    total
}

/// The inode number of `/proc/PID/ns/KIND` (`ipc:[4026531839]` → `4026531839`).
fn namespace(pid: i32, kind: &str) -> String {
    std::fs::read_link(format!("/proc/{pid}/ns/{kind}"))
        .ok()
        .and_then(|l| {
            let l = l.to_string_lossy().into_owned();
            let start = l.find('[')? + 1;
            let end = l.rfind(']')?;
            l.get(start..end).map(str::to_owned)
        })
        .unwrap_or_default()
}

fn namespaces(c: &ContainerRecord) -> ListContainerNamespaces {
    if c.pid <= 0 || !c.state.has_monitor() {
        return ListContainerNamespaces::default();
    }
    let ns = |k| namespace(c.pid, k);
    ListContainerNamespaces {
        mnt: ns("mnt"),
        cgroup: ns("cgroup"),
        ipc: ns("ipc"),
        net: ns("net"),
        pidns: ns("pid"),
        uts: ns("uts"),
        user: ns("user"),
    }
}

struct Lister<'a> {
    engine: &'a Engine,
    pods: HashMap<String, String>,
    size: bool,
    ns: bool,
}

impl Lister<'_> {
    fn health(&self, c: &ContainerRecord) -> Option<String> {
        c.options.healthcheck.as_ref()?;
        health::state(self.engine.config(), c).map(|h| h.status)
    }

    fn size_of(&self, c: &ContainerRecord) -> ContainerSize {
        let upper = self.engine.store().container_storage_paths(&c.id).upper;
        let rw = i64::try_from(disk_usage(&upper)).unwrap_or(i64::MAX);
        let image = self
            .engine
            .store()
            .lookup_image(&c.image_id)
            .ok()
            .flatten()
            .map_or(0, |i| i64::try_from(i.size).unwrap_or(i64::MAX));
        ContainerSize {
            root_fs_size: image.saturating_add(rw),
            rw_size: rw,
        }
    }

    /// Podman's ListContainer for `c`. A live container whose monitor is between
    /// two runs of its restart policy is `restarting` (Docker's state), with the
    /// exit code and time of the last run.
    fn list_container(&self, c: &ContainerRecord) -> ListContainer {
        let exited = c.state == ContainerState::Exited;
        let pod = c.options.pod.as_ref();
        let config = self.engine.config();
        let mut l = ListContainer {
            auto_remove: c.options.remove,
            command: Some(c.listed_command()),
            created: GoTime::from_unix_nanos(c.created_at),
            created_at: String::new(),
            cid_file: String::new(),
            exited,
            exited_at: c.finished_at.map_or(GO_ZERO_UNIX, |n| n / 1_000_000_000),
            exit_code: c.exit_code.unwrap_or(0),
            exposed_ports: None,
            id: c.id.clone(),
            image: c.image_name.clone(),
            image_id: c.image_id.clone(),
            is_infra: pod.is_some_and(|m| m.infra),
            labels: Some(c.options.labels.iter().cloned().collect()),
            // Podman's UserVolumes: where every user mount goes.
            mounts: Some(
                c.options
                    .mounts
                    .iter()
                    .map(|m| m.destination.clone())
                    .chain(c.options.volumes.iter().map(|v| v.destination.clone()))
                    .chain(c.options.tmpfs.iter().map(|t| t.destination.clone()))
                    .collect(),
            ),
            names: vec![c.name.clone()],
            namespaces: if self.ns {
                namespaces(c)
            } else {
                ListContainerNamespaces::default()
            },
            networks: Some(c.options.net.networks.keys().cloned().collect()),
            pid: i64::from(c.pid),
            pod: pod.map(|m| m.pod_id.clone()).unwrap_or_default(),
            pod_name: pod
                .and_then(|m| self.pods.get(&m.pod_id).cloned())
                .unwrap_or_default(),
            ports: if crate::container::net_report::publishes(c) {
                let paths = crate::container::ContainerPaths::new(config, &c.id);
                let ports: Vec<rpod_api::ps::PortMapping> =
                    crate::container::net_report::port_mappings(&paths, c)
                        .into_iter()
                        .map(|m| rpod_api::ps::PortMapping {
                            host_ip: m.host_ip,
                            container_port: m.container_port,
                            host_port: m.host_port,
                            range: m.range,
                            protocol: m.protocol,
                        })
                        .collect();
                (!ports.is_empty()).then_some(ports)
            } else {
                None
            },
            restarts: u64::from(restart::restart_count(config, c)),
            size: self.size.then(|| self.size_of(c)),
            started_at: c.started_at.map_or(GO_ZERO_UNIX, |n| n / 1_000_000_000),
            state: c.state.as_str().to_owned(),
            status: if c.state == ContainerState::Running {
                self.health(c).unwrap_or_default()
            } else {
                String::new()
            },
        };
        if c.state.has_monitor() {
            if let Some(st) = restart::state(config, c).filter(|s| s.restarting) {
                let (code, at) = st
                    .last_exit
                    .map_or((0, c.created_at), |e| (e.code, e.finished_at));
                l.state = "restarting".into();
                l.exit_code = code;
                l.exited_at = at / 1_000_000_000;
            }
        }
        l
    }
}

pub(super) async fn list(engine: &Engine, o: ContainerListOptions) -> Result<Vec<ListContainer>> {
    let all_records = engine.containers()?;
    let pod_list: Vec<(String, String)> =
        engine.pods()?.into_iter().map(|p| (p.id, p.name)).collect();
    let filters = ContainerFilters::parse(
        &o.filters,
        &FilterContext {
            all: &all_records,
            pods: &pod_list,
        },
    )?;
    let lister = Lister {
        engine,
        pods: pod_list.iter().cloned().collect(),
        size: o.size,
        ns: o.namespace,
    };
    let last = if o.latest { 1 } else { o.last };
    let all = o.all || last > 0 || filters.has_status();
    let mut records: Vec<&ContainerRecord> = all_records
        .iter()
        .filter(|c| all || c.state == ContainerState::Running)
        .filter(|c| filters.matches(c, lister.health(c).as_deref()))
        .collect();
    // Oldest first, as Podman sorts its listing; `-n N` keeps the N newest.
    records.sort_by_key(|c| c.created_at);
    if last > 0 {
        let n = usize::try_from(last).unwrap_or(usize::MAX);
        let skip = records.len().saturating_sub(n);
        records.drain(..skip);
    }
    Ok(records.iter().map(|c| lister.list_container(c)).collect())
}
