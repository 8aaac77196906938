//! `system df` (entities/types.SystemDfReport).

use crate::time::GoTime;
use gotmpl::ToTemplate;
use serde::{Deserialize, Serialize};

/// Disk usage of images, containers and volumes.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[serde(rename_all = "PascalCase")]
#[go(type = "*entities.SystemDfReport")]
pub struct SystemDfReport {
    /// Sum of the sizes of all image layers.
    pub images_size: i64,
    pub images: Vec<SystemDfImageReport>,
    pub containers: Vec<SystemDfContainerReport>,
    pub volumes: Vec<SystemDfVolumeReport>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[serde(rename_all = "PascalCase")]
#[go(type = "*entities.SystemDfImageReport")]
pub struct SystemDfImageReport {
    pub repository: String,
    pub tag: String,
    #[serde(rename = "ImageID")]
    #[go(name = "ImageID")]
    pub image_id: String,
    pub created: GoTime,
    pub size: i64,
    pub shared_size: i64,
    pub unique_size: i64,
    pub containers: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[serde(rename_all = "PascalCase")]
#[go(type = "*entities.SystemDfContainerReport")]
pub struct SystemDfContainerReport {
    #[serde(rename = "ContainerID")]
    #[go(name = "ContainerID")]
    pub container_id: String,
    pub image: String,
    pub command: Option<Vec<String>>,
    pub local_volumes: i64,
    pub size: i64,
    #[serde(rename = "RWSize")]
    #[go(name = "RWSize")]
    pub rw_size: i64,
    pub created: GoTime,
    pub status: String,
    pub names: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, ToTemplate)]
#[serde(rename_all = "PascalCase")]
#[go(type = "*entities.SystemDfVolumeReport")]
pub struct SystemDfVolumeReport {
    pub volume_name: String,
    pub links: i64,
    pub size: i64,
    pub reclaimable_size: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keys_and_go_names() {
        let r = SystemDfReport {
            images_size: 10,
            images: vec![SystemDfImageReport {
                image_id: "abc".into(),
                size: 10,
                ..SystemDfImageReport::default()
            }],
            containers: vec![SystemDfContainerReport {
                container_id: "c".into(),
                rw_size: 3,
                ..SystemDfContainerReport::default()
            }],
            volumes: Vec::new(),
        };
        let j = serde_json::to_value(&r).unwrap();
        assert_eq!(j["ImagesSize"], 10);
        assert_eq!(j["Images"][0]["ImageID"], "abc");
        assert_eq!(j["Containers"][0]["RWSize"], 3);
        assert_eq!(j["Volumes"], serde_json::json!([]));
        let out = gotmpl::render_value(
            "{{.ImagesSize}} {{range .Images}}{{.ImageID}}{{end}} {{range .Containers}}{{.ContainerID}} {{.RWSize}}{{end}}",
            &r.to_template(),
            "df",
        )
        .unwrap();
        assert_eq!(out, "10 abc c 3\n");
    }
}
