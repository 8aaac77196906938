//! The reports of `pod ps` (Podman's ListPodsReport, filtered and sorted)
//! and `pod inspect` (InspectPodData), built from a pod's row and its
//! reconciled members.

use std::collections::BTreeMap;

use rpod_api::front_door::pods::PodPsOptions;
use rpod_api::inspect::InspectHostPort;
use rpod_api::pod::{
    InspectPodContainerInfo, InspectPodData, InspectPodInfraConfig, ListPodContainer,
    ListPodsReport, PodInspectReport,
};
use rpod_api::{Error, GoTime, Result};

use crate::container::filter::{regexes, IdMatch};
use crate::engine::Engine;
use crate::pod::{PodError, PodHandle, PodRecord, PodStatus};
use crate::state::ContainerRecord;

/// A pod with its reconciled members.
struct PodView {
    pod: PodRecord,
    members: Vec<ContainerRecord>,
}

impl PodView {
    fn load(engine: &Engine, pod: PodRecord) -> Result<PodView, PodError> {
        let members = engine.pod_members(&pod.id)?;
        Ok(PodView { pod, members })
    }

    fn status(&self) -> PodStatus {
        // Init containers run to completion: they do not make a pod
        // "Stopped" or "Created".
        let states: Vec<_> = self
            .members
            .iter()
            .filter(|c| c.options.pod.as_ref().is_none_or(|m| m.init_ctr.is_none()))
            .map(|c| c.state)
            .collect();
        PodStatus::from_members(&states)
    }

    fn labels(&self) -> BTreeMap<String, String> {
        self.pod.options.labels.iter().cloned().collect()
    }
}

/// `pod ps`: every pod passing all filters (the latest only with
/// `latest`), sorted.
pub(super) fn list(engine: &Engine, options: &PodPsOptions) -> Result<Vec<ListPodsReport>> {
    let mut pods = engine.pods()?;
    if options.latest {
        pods = pods
            .into_iter()
            .max_by_key(|p| p.created_at)
            .into_iter()
            .collect();
    }
    let filters = PodFilter::parse_all(&options.filters)?;
    let mut reports = Vec::new();
    for pod in pods {
        let v = PodView::load(engine, pod)?;
        if filters.iter().all(|f| f.matches(&v)) {
            reports.push(list_report(&v));
        }
    }
    rpod_api::pod::sort_pods(&mut reports, &options.sort)?;
    Ok(reports)
}

/// One `pod ps --filter` key with all its values: values of one key match
/// when any does, keys together when all do (Podman's pod filters).
enum PodFilter {
    Id(Vec<IdMatch>),
    Name(Vec<regex::Regex>),
    Status(Vec<String>),
    Label(Vec<String>),
    CtrNames(Vec<regex::Regex>),
    CtrIds(Vec<IdMatch>),
    CtrNumber(Vec<usize>),
}

impl PodFilter {
    fn parse_all(filters: &[String]) -> Result<Vec<PodFilter>> {
        let mut by_key: Vec<(String, Vec<String>)> = Vec::new();
        for f in filters {
            let (key, value) = f
                .split_once('=')
                .ok_or_else(|| Error::invalid(format!("invalid filter {f:?}")))?;
            match by_key.iter_mut().find(|(k, _)| k == key) {
                Some((_, values)) => values.push(value.to_owned()),
                None => by_key.push((key.to_owned(), vec![value.to_owned()])),
            }
        }
        by_key
            .into_iter()
            .map(|(key, values)| PodFilter::parse(&key, values))
            .collect()
    }

    fn parse(key: &str, values: Vec<String>) -> Result<PodFilter> {
        let ids = |values: &[String]| -> Result<Vec<IdMatch>> {
            values.iter().map(|v| IdMatch::parse(v)).collect()
        };
        Ok(match key {
            "id" => PodFilter::Id(ids(&values)?),
            "name" => PodFilter::Name(regexes(&values)?),
            "status" => PodFilter::Status(values),
            "label" => PodFilter::Label(values),
            "ctr-names" => PodFilter::CtrNames(regexes(&values)?),
            "ctr-ids" => PodFilter::CtrIds(ids(&values)?),
            "ctr-number" => PodFilter::CtrNumber(
                values
                    .iter()
                    .map(|v| {
                        v.parse::<usize>().map_err(|_| {
                            Error::invalid(format!("strconv.Atoi: parsing {v:?}: invalid syntax"))
                        })
                    })
                    .collect::<Result<_>>()?,
            ),
            other => return Err(Error::invalid(format!("{other} is an invalid filter"))),
        })
    }

    fn matches(&self, v: &PodView) -> bool {
        match self {
            PodFilter::Id(m) => m.iter().any(|m| m.matches(&v.pod.id)),
            PodFilter::Name(r) => r.iter().any(|r| r.is_match(&v.pod.name)),
            PodFilter::Status(s) => {
                let status = v.status();
                s.iter().any(|s| status.as_str().eq_ignore_ascii_case(s))
            }
            PodFilter::Label(values) => values.iter().all(|value| {
                let (k, val) = match value.split_once('=') {
                    Some((k, val)) => (k, Some(val)),
                    None => (value.as_str(), None),
                };
                v.pod
                    .options
                    .labels
                    .iter()
                    .any(|(lk, lv)| lk == k && val.is_none_or(|x| x == lv))
            }),
            PodFilter::CtrNames(r) => v
                .members
                .iter()
                .any(|c| r.iter().any(|r| r.is_match(&c.name))),
            PodFilter::CtrIds(m) => v.members.iter().any(|c| m.iter().any(|m| m.matches(&c.id))),
            PodFilter::CtrNumber(n) => n.contains(&v.members.len()),
        }
    }
}

/// Podman's ListPodsReport of a pod.
fn list_report(v: &PodView) -> ListPodsReport {
    let p = &v.pod;
    ListPodsReport {
        cgroup: p.cgroup_parent(),
        containers: Some(
            v.members
                .iter()
                .map(|c| ListPodContainer {
                    id: c.id.clone(),
                    names: c.name.clone(),
                    status: c.state.as_str().to_owned(),
                    restart_count: 0,
                })
                .collect(),
        ),
        created: GoTime::from_unix_nanos(p.created_at),
        id: p.id.clone(),
        infra_id: p.infra_id.clone().unwrap_or_default(),
        name: p.name.clone(),
        namespace: String::new(),
        networks: Some(Vec::new()),
        status: v.status().as_str().to_owned(),
        labels: Some(v.labels()),
    }
}

/// `pod inspect` of one pod (its row read through its actor).
pub(super) async fn inspect_one(
    engine: &Engine,
    pod: Result<PodHandle, PodError>,
) -> Result<PodInspectReport> {
    let rec = pod?.get().await?;
    Ok(inspect_report(&PodView::load(engine, rec)?))
}

/// `host:container[/proto]` port specs as Podman's PortBindings map.
fn port_bindings(specs: &[String]) -> BTreeMap<String, Option<Vec<InspectHostPort>>> {
    let mut out: BTreeMap<String, Option<Vec<InspectHostPort>>> = BTreeMap::new();
    for spec in specs {
        let (ports, proto) = spec.split_once('/').unwrap_or((spec, "tcp"));
        let parts: Vec<&str> = ports.split(':').collect();
        let (host_ip, host_port, ctr) = match parts.as_slice() {
            [c] => ("", "", *c),
            [h, c] => ("", *h, *c),
            [ip, h, c] => (*ip, *h, *c),
            _ => continue,
        };
        out.entry(format!("{ctr}/{proto}"))
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(InspectHostPort {
                host_ip: host_ip.to_owned(),
                host_port: host_port.to_owned(),
            });
    }
    out
}

/// Podman's InspectPodData (plus rpod's Transition).
fn inspect_report(v: &PodView) -> PodInspectReport {
    let p = &v.pod;
    let o = &p.options;
    let r = &o.resources;
    let (cpu_period, cpu_quota) = match r.nano_cpus {
        Some(n) => rpod_api::container_run::ResourceSpec::cpus_period_quota(n),
        None => (r.cpu_period.unwrap_or(0), r.cpu_quota.unwrap_or(0)),
    };
    let data = InspectPodData {
        cpu_period,
        cpu_quota,
        cpu_shares: r.cpu_shares.unwrap_or(0),
        cpuset_cpus: r.cpuset_cpus.clone().unwrap_or_default(),
        cpu_set_mems: r.cpuset_mems.clone().unwrap_or_default(),
        memory_limit: r.memory.and_then(|m| u64::try_from(m).ok()).unwrap_or(0),
        memory_swap: r
            .memory_swap
            .and_then(|m| u64::try_from(m).ok())
            .unwrap_or(0),
        blkio_weight: u64::from(r.blkio_weight.unwrap_or(0)),
        id: p.id.clone(),
        name: p.name.clone(),
        created: GoTime::from_unix_nanos(p.created_at),
        exit_policy: o.exit_policy.as_str().to_owned(),
        restart_policy: o
            .restart
            .map(|r| r.policy.as_str().to_owned())
            .unwrap_or_default(),
        state: v.status().as_str().to_owned(),
        hostname: p.hostname(),
        labels: Some(v.labels()),
        create_cgroup: true,
        cgroup_parent: "/rpod".to_owned(),
        cgroup_path: p.cgroup_parent(),
        create_infra: o.infra,
        infra_container_id: p.infra_id.clone().unwrap_or_default(),
        infra_config: o.infra.then(|| InspectPodInfraConfig {
            port_bindings: Some(port_bindings(&o.ports)),
            host_network: o
                .infra_network
                .as_ref()
                .is_some_and(|(mode, _)| *mode == crate::container::NetworkMode::Host),
            ..InspectPodInfraConfig::default()
        }),
        shared_namespaces: Some(o.share.clone()),
        num_containers: u64::try_from(v.members.len()).unwrap_or(0),
        containers: Some(
            v.members
                .iter()
                .map(|c| InspectPodContainerInfo {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    state: c.state.as_str().to_owned(),
                })
                .collect(),
        ),
        ..InspectPodData::default()
    };
    PodInspectReport {
        data,
        transition: p.transition.as_str().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pod::{PodOptions, PodTransition};

    fn pod(labels: &[(&str, &str)]) -> PodView {
        PodView {
            pod: PodRecord {
                id: "abcdef0123456789".into(),
                name: "web".into(),
                options: PodOptions {
                    infra: true,
                    share: vec!["net".into()],
                    labels: labels
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                    ports: vec!["8080:80".into(), "127.0.0.1:53:53/udp".into()],
                    ..PodOptions::default()
                },
                infra_id: Some("infra".into()),
                transition: PodTransition::Idle,
                created_at: 1_000_000_000,
            },
            members: Vec::new(),
        }
    }

    fn matches_filter(v: &PodView, filters: &[&str]) -> Result<bool> {
        let filters: Vec<String> = filters.iter().map(|f| (*f).to_owned()).collect();
        Ok(PodFilter::parse_all(&filters)?.iter().all(|f| f.matches(v)))
    }

    #[test]
    fn filters() {
        let v = pod(&[("app", "x")]);
        assert!(matches_filter(&v, &["id=abc"]).unwrap());
        assert!(matches_filter(&v, &["id=^ab.*"]).unwrap());
        assert!(!matches_filter(&v, &["id=^b.*"]).unwrap());
        assert!(
            matches_filter(&v, &["id=ffff", "id=abcd"]).unwrap(),
            "alternatives"
        );
        assert!(
            !matches_filter(&v, &["id=abc", "name=other"]).unwrap(),
            "keys together"
        );
        assert!(matches_filter(&v, &["name=we"]).unwrap());
        assert!(matches_filter(&v, &["status=created"]).unwrap());
        assert!(matches_filter(&v, &["label=app"]).unwrap());
        assert!(matches_filter(&v, &["label=app=x"]).unwrap());
        assert!(!matches_filter(&v, &["label=app=y"]).unwrap());
        assert!(matches_filter(&v, &["ctr-number=0"]).unwrap());
        assert_eq!(
            matches_filter(&v, &["bogus=1"]).unwrap_err().message,
            "bogus is an invalid filter"
        );
        assert!(matches_filter(&v, &["noequals"]).is_err());
        assert!(matches_filter(&v, &["id=("]).is_err());
    }

    #[test]
    fn reports() {
        let v = pod(&[]);
        let r = list_report(&v);
        assert_eq!(r.status, "Created");
        assert_eq!(r.infra_id, "infra");
        assert_eq!(r.cgroup, "/rpod/pod-abcdef0123456789");
        let i = inspect_report(&v);
        assert_eq!(i.data.hostname, "web");
        let ports = i.data.infra_config.unwrap().port_bindings.unwrap();
        assert_eq!(ports["80/tcp"].as_ref().unwrap()[0].host_port, "8080");
        assert_eq!(ports["53/udp"].as_ref().unwrap()[0].host_ip, "127.0.0.1");
    }

    #[test]
    fn sorting() {
        let mut a = list_report(&pod(&[]));
        a.name = "b".into();
        let mut b = a.clone();
        b.name = "a".into();
        b.created = GoTime::from_unix_nanos(2_000_000_000);
        let mut v = vec![a, b];
        rpod_api::pod::sort_pods(&mut v, "name").unwrap();
        assert_eq!(v[0].name, "a");
        rpod_api::pod::sort_pods(&mut v, "created").unwrap();
        assert_eq!(v[0].name, "a", "newest first");
        assert!(rpod_api::pod::sort_pods(&mut v, "bogus").is_err());
    }
}
