//! info and version.

use rpod_api::info::Info;
use rpod_api::version::{SystemVersionReport, Version};
use rpod_api::Result;
use serde::Deserialize;

use crate::RemoteEngine;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Details {
    #[serde(rename = "APIVersion")]
    api_version: String,
    #[serde(rename = "GitCommit")]
    git_commit: String,
    #[serde(rename = "GoVersion")]
    go_version: String,
    #[serde(rename = "BuildTime")]
    build_time: String,
    #[serde(rename = "Os")]
    os: String,
    #[serde(rename = "Arch")]
    arch: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Component {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Version")]
    version: String,
    #[serde(rename = "Details")]
    details: Details,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DockerVersion {
    #[serde(rename = "Components")]
    components: Vec<Component>,
}

/// Go's name of this machine's architecture.
fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    }
}

impl RemoteEngine {
    pub(crate) async fn info(&self) -> Result<Info> {
        self.transport.get("/info").await
    }

    pub(crate) async fn version(&self) -> Result<SystemVersionReport> {
        let v: DockerVersion = self.transport.get("/version").await?;
        let engine = v
            .components
            .into_iter()
            .find(|c| c.name == "Podman Engine")
            .unwrap_or_default();
        let d = engine.details;
        let server = Version {
            api_version: d.api_version.clone(),
            version: engine.version,
            go_version: d.go_version,
            git_commit: d.git_commit,
            built_time: d.build_time,
            os_arch: format!("{}/{}", d.os, d.arch),
            os: d.os,
            ..Version::default()
        };
        Ok(SystemVersionReport {
            client: client_version(),
            server: Some(server),
        })
    }
}

/// This client's own version (Podman's remote `version` and `info` show it
/// beside the service's, or alone when the service cannot be reached).
pub fn client_version() -> Version {
    Version {
        api_version: env!("CARGO_PKG_VERSION").to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        os_arch: format!("linux/{}", go_arch()),
        os: "linux".to_owned(),
        ..Version::default()
    }
}
