//! Container lifecycle, listing and inspect.

use hyper::Method;
use rpod_api::container::{
    ContainerListOptions, ContainerReport, InspectOptions, KillOptions, PauseUnpauseOptions,
    RestartOptions, RmOptions, Selected, StartSelectOptions, StopOptions, StringSliceReport,
    TopOptions, WaitOptions, WaitReport,
};
use rpod_api::inspect::InspectContainerData;
use rpod_api::ps::ListContainer;
use rpod_api::{Error, ErrorKind, Result};

use super::{filters_json, seg};
use crate::error::unsupported;
use crate::query::with_query;
use crate::transport::decode;
use crate::RemoteEngine;

impl RemoteEngine {
    pub(crate) async fn list(&self, o: &ContainerListOptions) -> Result<Vec<ListContainer>> {
        if o.latest {
            return Err(unsupported("--latest"));
        }
        let mut q = vec![("all", o.all.to_string())];
        if o.last >= 0 {
            q.push(("limit", o.last.to_string()));
        }
        if !o.filters.is_empty() {
            q.push(("filters", filters_json(&o.filters)));
        }
        for (k, on) in [("size", o.size), ("pod", o.pod), ("namespace", o.namespace)] {
            if on {
                q.push((k, "true".into()));
            }
        }
        self.transport
            .get(&with_query("/containers/json", &q))
            .await
    }

    pub(crate) async fn inspect_one(&self, name: &str, size: bool) -> Result<InspectContainerData> {
        let q = [("size", size.to_string())];
        self.transport
            .get(&with_query(&format!("/containers/{}/json", seg(name)), &q))
            .await
    }

    pub(crate) async fn inspect(
        &self,
        names: &[String],
        o: &InspectOptions,
    ) -> Result<(Vec<InspectContainerData>, Vec<Error>)> {
        if o.latest {
            return Err(unsupported("--latest"));
        }
        let (mut found, mut errors) = (Vec::new(), Vec::new());
        for n in names {
            match self.inspect_one(n, o.size).await {
                Ok(d) => found.push(d),
                Err(e) => errors.push(e),
            }
        }
        Ok((found, errors))
    }

    pub(crate) async fn exists(&self, name: &str) -> Result<bool> {
        match self
            .transport
            .call(
                Method::GET,
                &format!("/containers/{}/exists", seg(name)),
                None,
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.kind == ErrorKind::NoSuchContainer => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The containers a batch acts on: the names, or with `all` those
    /// listed (`running_only`: the running ones).
    async fn select(
        &self,
        names: &[String],
        all: bool,
        latest: bool,
        filters: &rpod_api::container::Filters,
        running_only: bool,
    ) -> Result<Vec<String>> {
        if latest {
            return Err(unsupported("--latest"));
        }
        if !all && filters.is_empty() {
            return Ok(names.to_vec());
        }
        let list = self
            .list(&ContainerListOptions {
                all: !running_only,
                filters: filters.clone(),
                last: -1,
                ..Default::default()
            })
            .await?;
        Ok(list.into_iter().map(|c| c.id).collect())
    }

    /// One request per container; a report each (missing ones skipped
    /// with `ignore`).
    async fn each(
        &self,
        targets: Vec<String>,
        ignore: bool,
        path: impl Fn(&str) -> (Method, String),
    ) -> Vec<ContainerReport> {
        let mut reports = Vec::new();
        for t in targets {
            let (method, p) = path(&seg(&t));
            let result = self.transport.call(method, &p, None).await;
            let (id, err) = match result {
                Ok(_) => (t.clone(), None),
                Err(e) if ignore && e.kind == ErrorKind::NoSuchContainer => continue,
                Err(e) => (String::new(), Some(e)),
            };
            reports.push(ContainerReport {
                id,
                raw_input: t,
                err,
            });
        }
        reports
    }

    pub(crate) async fn stop(&self, o: &StopOptions) -> Result<Vec<ContainerReport>> {
        let targets = self
            .select(&o.names, o.all, o.latest, &o.filters, true)
            .await?;
        let q: Vec<(&str, String)> = o
            .timeout
            .map(|t| ("timeout", t.to_string()))
            .into_iter()
            .collect();
        Ok(self
            .each(targets, o.ignore, |id| {
                (
                    Method::POST,
                    with_query(&format!("/containers/{id}/stop"), &q),
                )
            })
            .await)
    }

    pub(crate) async fn kill(&self, o: &KillOptions) -> Result<Vec<ContainerReport>> {
        let none = Default::default();
        let targets = self.select(&o.names, o.all, o.latest, &none, true).await?;
        let signal = o.signal;
        Ok(self
            .each(targets, false, |id| {
                (
                    Method::POST,
                    format!("/containers/{id}/kill?signal={signal}"),
                )
            })
            .await)
    }

    pub(crate) async fn rm(&self, o: &RmOptions) -> Result<Vec<ContainerReport>> {
        let targets = self
            .select(&o.names, o.all, o.latest, &o.filters, false)
            .await?;
        let mut q = vec![
            ("force", o.force.to_string()),
            ("depend", o.depend.to_string()),
            ("v", o.volumes.to_string()),
        ];
        if let Some(t) = o.timeout {
            q.push(("timeout", t.to_string()));
        }
        #[derive(serde::Deserialize)]
        struct Removed {
            #[serde(rename = "Id")]
            id: String,
            /// What the removal was asked as: the name given, or for a
            /// container removed with it (`--depend`), its ID.
            #[serde(rename = "RawInput", default)]
            raw_input: String,
        }
        let mut reports = Vec::new();
        for t in targets {
            let path = with_query(&format!("/containers/{}", seg(&t)), &q);
            match self
                .transport
                .json::<Vec<Removed>>(Method::DELETE, &path, None)
                .await
            {
                // The service reports nothing for a missing container it
                // was told to ignore (`--force` implies that, as Podman).
                Ok(removed) => reports.extend(removed.into_iter().map(|r| ContainerReport {
                    raw_input: if r.raw_input.is_empty() {
                        t.clone()
                    } else {
                        r.raw_input
                    },
                    id: r.id,
                    err: None,
                })),
                Err(e) if (o.ignore || o.force) && e.kind == ErrorKind::NoSuchContainer => {}
                Err(e) => reports.push(ContainerReport {
                    id: String::new(),
                    raw_input: t,
                    err: Some(e),
                }),
            }
        }
        Ok(reports)
    }

    pub(crate) async fn wait(&self, o: &WaitOptions) -> Result<Vec<WaitReport>> {
        if o.latest {
            return Err(unsupported("--latest"));
        }
        let mut reports = Vec::new();
        for name in &o.names {
            let q: Vec<(&str, String)> = o
                .conditions
                .iter()
                .map(|c| ("condition", c.clone()))
                .collect();
            let path = with_query(&format!("/containers/{}/wait", seg(name)), &q);
            let report = match self.transport.call(Method::POST, &path, None).await {
                Ok((_, body)) => WaitReport {
                    id: name.clone(),
                    raw_input: name.clone(),
                    error: None,
                    exit_code: decode(&body)?,
                },
                Err(e) if o.ignore && e.kind == ErrorKind::NoSuchContainer => WaitReport {
                    id: name.clone(),
                    raw_input: name.clone(),
                    error: None,
                    exit_code: -1,
                },
                Err(e) => WaitReport {
                    id: String::new(),
                    raw_input: name.clone(),
                    error: Some(e),
                    exit_code: -1,
                },
            };
            reports.push(report);
        }
        Ok(reports)
    }

    pub(crate) async fn start_select(&self, o: &StartSelectOptions) -> Result<Vec<Selected>> {
        if o.latest {
            return Err(unsupported("--latest"));
        }
        if o.all || !o.filters.is_empty() {
            let ids = self
                .select(&o.names, true, false, &o.filters, false)
                .await?;
            if o.names.is_empty() {
                return Ok(ids
                    .into_iter()
                    .map(|id| Selected {
                        raw_input: id.clone(),
                        id,
                    })
                    .collect());
            }
            // Names with a filter: those of the named that match, as named.
            let mut picked = Vec::new();
            for n in &o.names {
                let id = self.inspect_one(n, false).await?.id;
                if ids.contains(&id) {
                    picked.push(Selected {
                        raw_input: n.clone(),
                        id,
                    });
                }
            }
            return Ok(picked);
        }
        let mut out = Vec::new();
        for n in &o.names {
            let d = self.inspect_one(n, false).await?;
            out.push(Selected {
                raw_input: n.clone(),
                id: d.id,
            });
        }
        Ok(out)
    }
}

impl RemoteEngine {
    pub(crate) async fn restart(&self, o: &RestartOptions) -> Result<Vec<ContainerReport>> {
        let targets = self
            .select(&o.names, o.all, o.latest, &o.filters, o.running)
            .await?;
        let q: Vec<(&str, String)> = o
            .timeout
            .map(|t| ("t", t.to_string()))
            .into_iter()
            .collect();
        Ok(self
            .each(targets, false, |id| {
                (
                    Method::POST,
                    with_query(&format!("/containers/{id}/restart"), &q),
                )
            })
            .await)
    }

    /// `pause` or `unpause` of the selected containers.
    pub(crate) async fn pause_unpause(
        &self,
        o: &PauseUnpauseOptions,
        action: &'static str,
    ) -> Result<Vec<ContainerReport>> {
        // `--all`: the running containers to pause, the paused ones to
        // unpause (as Podman).
        let mut filters = o.filters.clone();
        if o.all && action == "unpause" {
            filters
                .entry("status".to_owned())
                .or_default()
                .push("paused".to_owned());
        }
        let targets = self
            .select(&o.names, o.all, o.latest, &filters, action == "pause")
            .await?;
        Ok(self
            .each(targets, false, |id| {
                (Method::POST, format!("/containers/{id}/{action}"))
            })
            .await)
    }

    pub(crate) async fn rename(&self, name_or_id: &str, new_name: &str) -> Result<()> {
        let path = with_query(
            &format!("/containers/{}/rename", seg(name_or_id)),
            &[("name", new_name.to_owned())],
        );
        self.transport.call(Method::POST, &path, None).await?;
        Ok(())
    }

    /// `top`: the service's titles and processes as tab-separated lines.
    pub(crate) async fn top(&self, o: &TopOptions) -> Result<StringSliceReport> {
        if o.latest {
            return Err(unsupported("top --latest"));
        }
        #[derive(serde::Deserialize)]
        struct Top {
            #[serde(rename = "Titles", default)]
            titles: Vec<String>,
            #[serde(rename = "Processes", default)]
            processes: Vec<Vec<String>>,
        }
        let q: Vec<(&str, String)> = if o.descriptors.is_empty() {
            Vec::new()
        } else {
            vec![("ps_args", o.descriptors.join(" "))]
        };
        let path = with_query(&format!("/containers/{}/top", seg(&o.name_or_id)), &q);
        let top: Top = self.transport.get(&path).await?;
        let mut value = vec![top.titles.join("\t")];
        value.extend(top.processes.iter().map(|p| p.join("\t")));
        Ok(StringSliceReport { value })
    }
}
