//! Images: `image inspect` (pkg/inspect.ImageData, entities.ImageInspectReport) and
//! `images` (entities/types.ImageSummary).

use crate::inspect::{DriverData, HealthConfig};
use crate::time::GoTime;
use gotmpl::ToTemplate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// pkg/inspect.ImageData: what `image inspect` prints for one image.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "*entities.ImageInspectReport")]
pub struct ImageData {
    #[serde(rename = "Id")]
    #[go(name = "ID")]
    pub id: String,
    #[serde(rename = "Digest")]
    pub digest: String,
    #[serde(rename = "RepoTags")]
    pub repo_tags: Option<Vec<String>>,
    #[serde(rename = "RepoDigests")]
    pub repo_digests: Option<Vec<String>>,
    #[serde(rename = "Parent")]
    pub parent: String,
    #[serde(rename = "Comment")]
    pub comment: String,
    #[serde(rename = "Created")]
    pub created: Option<GoTime>,
    /// The OCI image config (v1.ImageConfig): its JSON keys are its Go names.
    #[serde(rename = "Config")]
    pub config: Option<ImageConfig>,
    #[serde(rename = "Version")]
    pub version: String,
    #[serde(rename = "Author")]
    pub author: String,
    #[serde(rename = "Architecture")]
    pub architecture: String,
    #[serde(rename = "Os")]
    pub os: String,
    #[serde(rename = "Size")]
    pub size: i64,
    #[serde(rename = "VirtualSize")]
    pub virtual_size: i64,
    #[serde(rename = "GraphDriver")]
    pub graph_driver: Option<DriverData>,
    #[serde(rename = "RootFS")]
    #[go(name = "RootFS")]
    pub root_fs: Option<RootFs>,
    #[serde(rename = "Labels")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "Annotations")]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(rename = "ManifestType")]
    pub manifest_type: String,
    #[serde(rename = "User")]
    pub user: String,
    #[serde(rename = "History")]
    pub history: Option<Vec<History>>,
    #[serde(rename = "NamesHistory")]
    pub names_history: Option<Vec<String>>,
    #[serde(
        rename = "Healthcheck",
        skip_serializing_if = "Option::is_none",
        default
    )]
    #[go(name = "HealthCheck")]
    pub health_check: Option<HealthConfig>,
}

/// OCI image-spec v1.ImageConfig as `image inspect` holds it: the image's
/// config JSON as stored. Templates see Podman's Go struct: a field the
/// image leaves out reads as its zero value (`{{.Config.Env}}` of an image
/// without `Env` is `[]`, not `<no value>`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ImageConfig(pub serde_json::Value);

/// The stored JSON, for readers of its fields.
impl std::ops::Deref for ImageConfig {
    type Target = serde_json::Value;

    fn deref(&self) -> &serde_json::Value {
        &self.0
    }
}

impl ImageConfig {
    /// A string field; `""` when absent.
    fn text(&self, key: &str) -> gotmpl::GoValue {
        let s = self.0.get(key).and_then(|v| v.as_str()).unwrap_or_default();
        gotmpl::GoValue::Str(s.to_owned())
    }

    /// A list of strings; `[]` when absent or `null`.
    fn list(&self, key: &str) -> gotmpl::GoValue {
        let items = self.0.get(key).and_then(|v| v.as_array());
        gotmpl::GoValue::List(
            items
                .into_iter()
                .flatten()
                .map(|v| gotmpl::GoValue::Str(v.as_str().unwrap_or_default().to_owned()))
                .collect(),
        )
    }

    /// A map (`Labels`, `ExposedPorts`, `Volumes`); `map[]` when absent.
    fn map(&self, key: &str) -> gotmpl::GoValue {
        match self.0.get(key) {
            Some(v @ serde_json::Value::Object(_)) => gotmpl::GoValue::Json(v.clone()),
            _ => gotmpl::GoValue::Map(BTreeMap::new()),
        }
    }
}

impl ToTemplate for ImageConfig {
    fn to_template(&self) -> gotmpl::GoValue {
        let args_escaped = self
            .0
            .get("ArgsEscaped")
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        gotmpl::GoValue::from_struct(
            gotmpl::GoStruct::new("v1.ImageConfig", self.0.clone())
                .field("User", self.text("User"))
                .field("ExposedPorts", self.map("ExposedPorts"))
                .field("Env", self.list("Env"))
                .field("Entrypoint", self.list("Entrypoint"))
                .field("Cmd", self.list("Cmd"))
                .field("Volumes", self.map("Volumes"))
                .field("WorkingDir", self.text("WorkingDir"))
                .field("Labels", self.map("Labels"))
                .field("StopSignal", self.text("StopSignal"))
                .field("ArgsEscaped", gotmpl::GoValue::Bool(args_escaped)),
        )
    }
}

/// pkg/inspect.RootFS.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "*inspect.RootFS")]
pub struct RootFs {
    #[serde(rename = "Type")]
    pub r#type: String,
    #[serde(rename = "Layers")]
    pub layers: Option<Vec<String>>,
}

/// OCI image-spec v1.History: one step of an image's history.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[go(type = "v1.History")]
pub struct History {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub created: Option<GoTime>,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub created_by: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub author: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub comment: String,
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub empty_layer: bool,
}

/// entities/types.ImageSummary: one image as `images` lists it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[serde(rename_all = "PascalCase")]
#[go(type = "entities.ImageSummary")]
pub struct ImageSummary {
    #[serde(rename = "Id")]
    #[go(name = "ID")]
    pub id: String,
    pub parent_id: String,
    pub repo_tags: Option<Vec<String>>,
    pub repo_digests: Option<Vec<String>>,
    pub created: i64,
    pub size: i64,
    pub shared_size: i64,
    #[serde(skip_serializing_if = "crate::inspect::is_zero", default)]
    pub virtual_size: i64,
    pub labels: Option<BTreeMap<String, String>>,
    pub containers: i64,
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub read_only: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub dangling: bool,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub arch: String,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub digest: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub history: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub is_manifest_list: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub names: Option<Vec<String>>,
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub os: String,
}

/// entities.ImageHistoryLayer: one step of `history`, newest first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, ToTemplate)]
#[go(type = "entities.ImageHistoryLayer")]
pub struct ImageHistoryLayer {
    /// The image ID on the newest layer, `<missing>` below it.
    #[serde(rename = "id")]
    #[go(name = "ID")]
    pub id: String,
    #[serde(rename = "created", skip_serializing_if = "GoTime::is_zero", default)]
    pub created: GoTime,
    #[serde(
        rename = "CreatedBy",
        skip_serializing_if = "String::is_empty",
        default
    )]
    pub created_by: String,
    #[serde(rename = "tags", skip_serializing_if = "Vec::is_empty", default)]
    pub tags: Vec<String>,
    #[serde(rename = "size")]
    pub size: i64,
    #[serde(rename = "comment", skip_serializing_if = "String::is_empty", default)]
    pub comment: String,
}

/// entities.ImageRemoveReport: what `rmi` untagged and deleted, and why some
/// images could not be removed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageRemoveReport {
    pub deleted: Vec<String>,
    pub untagged: Vec<String>,
    /// One error per image that could not be removed, in request order.
    pub errors: Vec<crate::Error>,
}

/// reports.PruneReport of an image.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImagePruneReport {
    pub id: String,
    pub size: u64,
}

/// entities.ImageLoadReport: the names of the loaded images (`sha256:ID` for
/// an image without a name).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageLoadReport {
    pub names: Vec<String>,
}

/// entities.ImageMountReport.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageMountReport {
    pub id: String,
    /// The image's first name, else its ID.
    pub name: String,
    pub path: String,
}

/// `image tree`: an image and its layers, bottom up.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageTreeReport {
    pub id: String,
    pub names: Vec<String>,
    pub size: u64,
    pub layers: Vec<ImageTreeLayer>,
}

/// One layer of [`ImageTreeReport`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageTreeLayer {
    /// The layer's chain ID (`sha256:...`).
    pub id: String,
    pub size: u64,
    /// The images this layer is the top layer of (names, or `<none>:ID12`).
    pub top_layer_of: Vec<String>,
}

/// One entry of the trust policy (`image trust show`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustPolicyEntry {
    pub transport: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inspect_json_keys_and_go_names() {
        let d = ImageData {
            id: "sha".into(),
            os: "linux".into(),
            config: Some(ImageConfig(
                serde_json::json!({"Cmd": ["sh"], "Labels": {"a.b": "c"}}),
            )),
            root_fs: Some(RootFs {
                r#type: "layers".into(),
                layers: Some(vec!["sha256:1".into()]),
            }),
            history: Some(vec![History {
                created_by: "/bin/sh".into(),
                ..History::default()
            }]),
            ..ImageData::default()
        };
        let j = serde_json::to_value(&d).unwrap();
        assert_eq!(j["Id"], "sha");
        assert_eq!(j["RootFS"]["Type"], "layers");
        assert_eq!(j["History"][0]["created_by"], "/bin/sh");
        assert!(j.get("Healthcheck").is_none());
        let out = gotmpl::render_value(
            "{{.ID}} {{.Os}} {{.RootFS.Type}} {{index .Config.Cmd 0}} {{(index .History 0).CreatedBy}}",
            &d.to_template(),
            "inspect",
        )
        .unwrap();
        assert_eq!(out, "sha linux layers sh /bin/sh\n");
        assert_eq!(
            j["Config"],
            serde_json::json!({"Cmd": ["sh"], "Labels": {"a.b": "c"}})
        );
    }

    #[test]
    fn config_fields_the_image_leaves_out_read_as_go_zero_values() {
        let d = ImageData {
            config: Some(ImageConfig(serde_json::json!({"Labels": {"a": "b"}}))),
            ..ImageData::default()
        };
        let out = gotmpl::render_value(
            "{{.Config.Env}}|{{.Config.Cmd}}|{{.Config.Entrypoint}}|{{.Config.User}}|\
             {{.Config.WorkingDir}}|{{.Config.Volumes}}|{{.Config.Labels}}|{{.Config.ArgsEscaped}}|\
             {{json .Config}}",
            &d.to_template(),
            "inspect",
        )
        .unwrap();
        assert_eq!(
            out,
            "[]|[]|[]|||map[]|map[a:b]|false|{\"Labels\":{\"a\":\"b\"}}\n"
        );
    }

    #[test]
    fn summary_json_keys() {
        let s = ImageSummary {
            id: "x".into(),
            names: Some(vec!["n".into()]),
            ..ImageSummary::default()
        };
        let j = serde_json::to_value(&s).unwrap();
        assert_eq!(j["Id"], "x");
        assert_eq!(j["ParentId"], "");
        assert_eq!(j["Names"][0], "n");
        assert!(j.get("ReadOnly").is_none());
        let out =
            gotmpl::render_value("{{.ID}} {{.ParentId}}|", &s.to_template(), "images").unwrap();
        assert_eq!(out, "x |\n");
    }

    #[test]
    fn history_layer_json_keys_and_go_names() {
        let l = ImageHistoryLayer {
            id: "abc".into(),
            created_by: "/bin/sh".into(),
            size: 3,
            ..ImageHistoryLayer::default()
        };
        let j = serde_json::to_value(&l).unwrap();
        assert_eq!(j["id"], "abc");
        assert_eq!(j["CreatedBy"], "/bin/sh");
        assert_eq!(j["size"], 3);
        assert!(j.get("created").is_none());
        assert!(j.get("tags").is_none());
        let out = gotmpl::render_value("{{.ID}} {{.CreatedBy}} {{.Size}}", &l.to_template(), "h")
            .unwrap();
        assert_eq!(out, "abc /bin/sh 3\n");
    }

    #[test]
    fn remove_report_json_keys() {
        let r = ImageRemoveReport {
            deleted: vec!["d".into()],
            untagged: vec!["u".into()],
            errors: vec![crate::Error::other("x")],
        };
        let j = serde_json::to_value(&r).unwrap();
        assert_eq!(j["Deleted"][0], "d");
        assert_eq!(j["Untagged"][0], "u");
        assert_eq!(j["Errors"][0]["message"], "x");
    }
}
