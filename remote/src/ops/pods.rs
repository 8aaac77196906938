//! Pods: create, list, rm, exists, inspect, prune and the actions.

use hyper::Method;
use rpod_api::front_door::pods::{
    PodCreateReport, PodPsOptions, PodReport, PodRmOptions, PodSelect, PodSpec,
};
use rpod_api::pod::{ListPodsReport, PodInspectReport};
use rpod_api::{Error, ErrorKind, Result};
use serde_json::{json, Map, Value};

use super::{filter_list_json, seg};
use crate::error::unsupported;
use crate::query::with_query;
use crate::transport::body;
use crate::RemoteEngine;

/// A 404 of a pod endpoint is a missing pod.
pub(super) fn pod_error(e: Error) -> Error {
    if e.kind == ErrorKind::NoSuchContainer {
        Error::new(ErrorKind::NoSuchPod, e.message)
    } else {
        e
    }
}

impl RemoteEngine {
    pub(crate) async fn pod_create_remote(&self, s: &PodSpec) -> Result<PodCreateReport> {
        let bare = PodSpec {
            name: s.name.clone(),
            no_infra: s.no_infra,
            infra_command: s.infra_command.clone(),
            infra_name: s.infra_name.clone(),
            hostname: s.hostname.clone(),
            labels: s.labels.clone(),
            share: s.share.clone(),
            exit_policy: s.exit_policy.clone(),
            restart: s.restart,
            ..Default::default()
        };
        let rpod_service = self.is_rpod_service().await;
        if &bare != s && !rpod_service {
            return Err(unsupported(
                "pod create with options other than --name, --infra, --infra-command, --infra-name, --hostname, --label, --share, --exit-policy and --restart",
            ));
        }
        let mut g = Map::new();
        if let Some(n) = &s.name {
            g.insert("name".into(), json!(n));
        }
        g.insert("no_infra".into(), json!(s.no_infra));
        if let Some(c) = &s.infra_command {
            g.insert("infra_command".into(), json!(c));
        }
        if let Some(n) = &s.infra_name {
            g.insert("infra_name".into(), json!(n));
        }
        if let Some(h) = &s.hostname {
            g.insert("hostname".into(), json!(h));
        }
        if !s.labels.is_empty() {
            let l: Map<String, Value> = s
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            g.insert("labels".into(), Value::Object(l));
        }
        if let Some(share) = &s.share {
            g.insert("shared_namespaces".into(), json!(share));
        }
        if let Some(p) = &s.exit_policy {
            g.insert("exit_policy".into(), json!(p));
        }
        if let Some(r) = &s.restart {
            g.insert("restart_policy".into(), json!(r.name));
            if r.max_retries > 0 {
                g.insert("restart_tries".into(), json!(r.max_retries));
            }
        }
        if rpod_service {
            // rpod's service takes every option as they are here.
            g.insert(
                "rpod_options".into(),
                serde_json::to_value(s).map_err(|e| Error::other(e.to_string()))?,
            );
        }
        #[derive(serde::Deserialize)]
        struct Id {
            #[serde(rename = "Id")]
            id: String,
        }
        let r: Id = self
            .transport
            .json(Method::POST, "/pods/create", body(&Value::Object(g))?)
            .await?;
        Ok(PodCreateReport { id: r.id })
    }

    pub(crate) async fn pods(&self, o: &PodPsOptions) -> Result<Vec<ListPodsReport>> {
        if o.latest {
            return Err(unsupported("pod ps --latest"));
        }
        let mut q = Vec::new();
        if !o.filters.is_empty() {
            q.push(("filters", filter_list_json(&o.filters)));
        }
        let mut pods: Vec<ListPodsReport> =
            self.transport.get(&with_query("/pods/json", &q)).await?;
        // The service sorts newest first; another order is the client's.
        rpod_api::pod::sort_pods(&mut pods, &o.sort)?;
        Ok(pods)
    }

    pub(crate) async fn pod_remove(
        &self,
        names: &[String],
        o: &PodRmOptions,
    ) -> Result<Vec<PodReport>> {
        if o.select.latest {
            return Err(unsupported("pod rm --latest"));
        }
        let names = if o.select.all {
            self.pods(&PodPsOptions::default())
                .await?
                .into_iter()
                .map(|p| p.id)
                .collect()
        } else {
            names.to_vec()
        };
        let mut q = vec![("force", o.force.to_string())];
        if let Some(t) = o.timeout {
            q.push(("timeout", t.to_string()));
        }
        let mut out = Vec::new();
        for n in &names {
            let path = with_query(&format!("/pods/{}", seg(n)), &q);
            #[derive(serde::Deserialize)]
            struct Rm {
                #[serde(rename = "Id")]
                id: String,
            }
            match self.transport.json::<Rm>(Method::DELETE, &path, None).await {
                Ok(r) => out.push(PodReport {
                    id: r.id,
                    raw_input: n.clone(),
                    err: None,
                }),
                Err(e) => {
                    let e = pod_error(e);
                    if o.ignore && e.kind == ErrorKind::NoSuchPod {
                        continue;
                    }
                    out.push(PodReport {
                        id: String::new(),
                        raw_input: n.clone(),
                        err: Some(e),
                    });
                }
            }
        }
        Ok(out)
    }

    pub(crate) async fn pod_exists_remote(&self, name: &str) -> Result<bool> {
        match self
            .transport
            .call(Method::GET, &format!("/pods/{}/exists", seg(name)), None)
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.kind == ErrorKind::NoSuchContainer || e.kind == ErrorKind::NoSuchPod => {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }
}

/// A pod action's answer (`{"Errs", "Id"}`).
#[derive(serde::Deserialize)]
struct ActionReport {
    #[serde(rename = "Id", default)]
    id: String,
    #[serde(rename = "Errs", default)]
    errs: Option<Vec<Value>>,
}

impl RemoteEngine {
    /// The pods `names` (or every pod with `all`) an action applies to.
    async fn pod_targets(&self, names: &[String], s: PodSelect, what: &str) -> Result<Vec<String>> {
        if s.latest {
            return Err(unsupported(&format!("pod {what} --latest")));
        }
        if !s.all {
            return Ok(names.to_vec());
        }
        Ok(self
            .pods(&PodPsOptions::default())
            .await?
            .into_iter()
            .map(|p| p.id)
            .collect())
    }

    /// `POST /pods/{name}/{action}?query` for each pod.
    pub(crate) async fn pod_action(
        &self,
        action: &str,
        names: &[String],
        select: PodSelect,
        ignore_missing: bool,
        q: &[(&str, String)],
    ) -> Result<Vec<PodReport>> {
        let mut out = Vec::new();
        for n in self.pod_targets(names, select, action).await? {
            let path = with_query(&format!("/pods/{}/{action}", seg(&n)), q);
            let report = match self
                .transport
                .json::<ActionReport>(Method::POST, &path, None)
                .await
            {
                Ok(r) => {
                    let err = r
                        .errs
                        .unwrap_or_default()
                        .into_iter()
                        .map(|e| match e {
                            Value::String(s) => s,
                            other => other.to_string(),
                        })
                        .reduce(|a, b| format!("{a}\n{b}"))
                        .map(Error::other);
                    PodReport {
                        id: r.id,
                        raw_input: n.clone(),
                        err,
                    }
                }
                Err(e) => {
                    let e = pod_error(e);
                    if ignore_missing && e.kind == ErrorKind::NoSuchPod {
                        continue;
                    }
                    PodReport {
                        id: String::new(),
                        raw_input: n.clone(),
                        err: Some(e),
                    }
                }
            };
            out.push(report);
        }
        Ok(out)
    }

    pub(crate) async fn pod_inspect_remote(
        &self,
        names: &[String],
        select: PodSelect,
    ) -> Result<(Vec<PodInspectReport>, Vec<Error>)> {
        let mut found = Vec::new();
        let mut errors = Vec::new();
        for n in self.pod_targets(names, select, "inspect").await? {
            match self.transport.get(&format!("/pods/{}/json", seg(&n))).await {
                Ok(p) => found.push(p),
                Err(e) => {
                    let e = pod_error(e);
                    if e.kind != ErrorKind::NoSuchPod {
                        return Err(e);
                    }
                    errors.push(e);
                }
            }
        }
        Ok((found, errors))
    }

    pub(crate) async fn pod_prune_remote(&self) -> Result<Vec<PodReport>> {
        #[derive(serde::Deserialize)]
        struct Pruned {
            #[serde(rename = "Id")]
            id: String,
            #[serde(rename = "Err", default)]
            err: Option<String>,
        }
        let pruned: Vec<Pruned> = self
            .transport
            .json(Method::POST, "/pods/prune", None)
            .await?;
        Ok(pruned
            .into_iter()
            .map(|p| PodReport {
                raw_input: p.id.clone(),
                id: p.id,
                err: p.err.map(Error::other),
            })
            .collect())
    }
}
