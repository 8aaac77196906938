//! `Volumes` over the libpod API (mount, unmount, export and import are
//! local-only, as with Podman's remote client).

use hyper::Method;
use rpod_api::front_door::containers::ExportOutput;
use rpod_api::front_door::images::ArchiveSource;
use rpod_api::prune::PruneReport;
use rpod_api::volume::{
    VolumeConfigResponse, VolumeCreateOptions, VolumeListOptions, VolumePruneOptions,
    VolumeRmOptions, VolumeRmReport,
};
use rpod_api::{ErrorKind, Result};
use serde_json::json;

use async_trait::async_trait;
use rpod_api::front_door::Volumes;

use crate::error::unsupported;
use crate::ops::{filter_list_json, seg};
use crate::query::with_query;
use crate::transport::body;
use crate::RemoteEngine;

fn filters_query(filters: &[String]) -> Vec<(&'static str, String)> {
    if filters.is_empty() {
        Vec::new()
    } else {
        vec![("filters", filter_list_json(filters))]
    }
}

impl RemoteEngine {
    async fn volume_names(&self) -> Result<Vec<String>> {
        let all = self.volume_list(VolumeListOptions::default()).await?;
        Ok(all.into_iter().map(|v| v.name).collect())
    }
}

#[async_trait]
impl Volumes for RemoteEngine {
    async fn volume_create(&self, o: VolumeCreateOptions) -> Result<String> {
        let b = json!({
            "Name": o.name.unwrap_or_default(),
            "Driver": o.driver,
            "Label": o.label,
            "Options": o.options,
            "IgnoreIfExists": o.ignore_if_exists,
        });
        let v: VolumeConfigResponse = self
            .transport
            .json(Method::POST, "/volumes/create", body(&b)?)
            .await?;
        Ok(v.name)
    }

    async fn volume_inspect(
        &self,
        names: &[String],
        all: bool,
    ) -> Result<(Vec<VolumeConfigResponse>, Vec<rpod_api::Error>)> {
        if all {
            return Ok((
                self.volume_list(VolumeListOptions::default()).await?,
                Vec::new(),
            ));
        }
        let mut found = Vec::new();
        let mut errors = Vec::new();
        for n in names {
            match self
                .transport
                .get(&format!("/volumes/{}/json", seg(n)))
                .await
            {
                Ok(v) => found.push(v),
                Err(e) if e.kind == ErrorKind::NoSuchVolume => errors.push(e),
                Err(e) => return Err(e),
            }
        }
        Ok((found, errors))
    }

    async fn volume_list(&self, o: VolumeListOptions) -> Result<Vec<VolumeConfigResponse>> {
        let path = with_query("/volumes/json", &filters_query(&o.filters));
        self.transport.get(&path).await
    }

    async fn volume_remove(
        &self,
        names: &[String],
        o: VolumeRmOptions,
    ) -> Result<Vec<VolumeRmReport>> {
        let names = if o.all {
            self.volume_names().await?
        } else {
            names.to_vec()
        };
        let mut q = vec![("force", o.force.to_string())];
        if let Some(t) = o.timeout {
            q.push(("timeout", t.to_string()));
        }
        let mut out = Vec::new();
        for n in names {
            // `--force`: a missing volume is no error and no line (the
            // service answers its removal as done).
            if o.force && !self.volume_exists(&n).await? {
                continue;
            }
            let path = with_query(&format!("/volumes/{}", seg(&n)), &q);
            let err = self.transport.call(Method::DELETE, &path, None).await.err();
            out.push(VolumeRmReport { err, id: n });
        }
        Ok(out)
    }

    async fn volume_prune(&self, o: VolumePruneOptions) -> Result<Vec<PruneReport>> {
        let path = with_query("/volumes/prune", &filters_query(&o.filters));
        self.transport.json(Method::POST, &path, None).await
    }

    async fn volume_exists(&self, name: &str) -> Result<bool> {
        let path = format!("/volumes/{}/exists", seg(name));
        match self.transport.call(Method::GET, &path, None).await {
            Ok(_) => Ok(true),
            Err(e) if e.kind == ErrorKind::NoSuchVolume || e.kind == ErrorKind::NoSuchContainer => {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    async fn volume_export(&self, _name: &str, _output: ExportOutput) -> Result<()> {
        Err(unsupported("volume export"))
    }

    async fn volume_import(&self, _name: &str, _from: ArchiveSource) -> Result<()> {
        Err(unsupported("volume import"))
    }

    async fn volume_mount(&self, _name: &str) -> Result<String> {
        Err(unsupported("volume mount"))
    }

    async fn volume_unmount(&self, _name: &str) -> Result<()> {
        Err(unsupported("volume unmount"))
    }
}
