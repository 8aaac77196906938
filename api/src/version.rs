//! `version` (libpod/define.Version, entities.SystemVersionReport).

use gotmpl::ToTemplate;
use serde::{Deserialize, Serialize};

/// libpod/define.Version: the engine's build and platform.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "define.Version")]
pub struct Version {
    #[serde(rename = "APIVersion")]
    #[go(name = "APIVersion")]
    pub api_version: String,
    #[serde(rename = "Version")]
    pub version: String,
    #[serde(rename = "GoVersion")]
    pub go_version: String,
    #[serde(rename = "GitCommit")]
    pub git_commit: String,
    #[serde(rename = "BuiltTime")]
    pub built_time: String,
    #[serde(rename = "Built")]
    pub built: i64,
    #[serde(
        rename = "BuildOrigin",
        skip_serializing_if = "String::is_empty",
        default
    )]
    pub build_origin: String,
    #[serde(rename = "OsArch")]
    pub os_arch: String,
    #[serde(rename = "Os")]
    pub os: String,
}

/// entities.SystemVersionReport: `Client` always, `Server` only for remote clients.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "entities.SystemVersionReport")]
pub struct SystemVersionReport {
    #[serde(rename = "Client")]
    pub client: Version,
    #[serde(rename = "Server", skip_serializing_if = "Option::is_none", default)]
    pub server: Option<Version>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keys_and_go_names() {
        let r = SystemVersionReport {
            client: Version {
                api_version: "5.8.0".into(),
                version: "0.1.0".into(),
                os_arch: "linux/amd64".into(),
                os: "linux".into(),
                ..Version::default()
            },
            server: None,
        };
        let j = serde_json::to_value(&r).unwrap();
        assert_eq!(j["Client"]["APIVersion"], "5.8.0");
        assert!(j.get("Server").is_none());
        assert!(j["Client"].get("BuildOrigin").is_none());
        let out = gotmpl::render_value(
            "{{.Client.Version}} {{.Client.OsArch}}",
            &r.to_template(),
            "version",
        )
        .unwrap();
        assert_eq!(out, "0.1.0 linux/amd64\n");
        let err =
            gotmpl::render_value("{{.Client.Nope}}", &r.to_template(), "version").unwrap_err();
        assert!(
            err.to_string()
                .contains("can't evaluate field Nope in type define.Version"),
            "{err}"
        );
    }
}
