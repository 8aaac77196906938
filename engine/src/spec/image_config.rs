//! The parts of an image configuration a container's process inherits.
//!
//! The raw JSON is read with `serde_json::Value` rather than
//! `oci_spec::image::ImageConfiguration` so Docker-only fields and `null`s
//! never make an image unusable.

use serde_json::Value;

use super::SpecError;

/// Process defaults from the image's `config` object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageDefaults {
    /// `Entrypoint`; `None` when absent or `null`.
    pub entrypoint: Option<Vec<String>>,
    /// `Cmd`; `None` when absent or `null`.
    pub cmd: Option<Vec<String>>,
    /// `Env`, `KEY=VALUE` entries.
    pub env: Vec<String>,
    /// `WorkingDir`, empty when unset.
    pub working_dir: String,
    /// `User`, empty when unset.
    pub user: String,
}

impl ImageDefaults {
    /// Parses raw OCI or Docker image config JSON. Empty input means an
    /// image without a configuration (all defaults).
    pub fn parse(raw: &[u8]) -> Result<Self, SpecError> {
        if raw.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        let doc: Value =
            serde_json::from_slice(raw).map_err(|e| SpecError::ImageConfig(e.to_string()))?;
        let Some(top) = doc.as_object() else {
            return Err(SpecError::ImageConfig("not a JSON object".into()));
        };
        let config = match top.get("config") {
            None | Some(Value::Null) => return Ok(Self::default()),
            Some(Value::Object(c)) => c,
            Some(_) => return Err(SpecError::ImageConfig("\"config\" is not an object".into())),
        };
        Ok(Self {
            entrypoint: string_list(config.get("Entrypoint"), "Entrypoint")?,
            cmd: string_list(config.get("Cmd"), "Cmd")?,
            env: string_list(config.get("Env"), "Env")?.unwrap_or_default(),
            working_dir: string(config.get("WorkingDir"), "WorkingDir")?,
            user: string(config.get("User"), "User")?,
        })
    }
}

/// A list of strings; a bare string (Docker's shell form in some tools) is
/// accepted as a one-element list.
fn string_list(v: Option<&Value>, field: &str) -> Result<Option<Vec<String>>, SpecError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| SpecError::ImageConfig(format!("{field} holds a non-string")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(SpecError::ImageConfig(format!(
            "{field} is not a list of strings"
        ))),
    }
}

fn string(v: Option<&Value>, field: &str) -> Result<String, SpecError> {
    match v {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(SpecError::ImageConfig(format!("{field} is not a string"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_config_with_unknown_fields_and_nulls() {
        let raw = br#"{"architecture":"amd64","os":"linux",
            "config":{"Hostname":"","Entrypoint":null,"Cmd":["/bin/sh"],
            "Env":["PATH=/bin","A=1"],"WorkingDir":"/srv","User":"nobody",
            "Healthcheck":{"Test":["CMD","true"]},"StopTimeout":3,"Shell":["/bin/sh","-c"]},
            "container_config":{"Cmd":["ignored"]},"rootfs":{"type":"layers","diff_ids":[]}}"#;
        let d = ImageDefaults::parse(raw).unwrap();
        assert_eq!(d.entrypoint, None);
        assert_eq!(d.cmd, Some(vec!["/bin/sh".to_string()]));
        assert_eq!(d.env, vec!["PATH=/bin", "A=1"]);
        assert_eq!(d.working_dir, "/srv");
        assert_eq!(d.user, "nobody");
    }

    #[test]
    fn missing_config_and_empty_input() {
        assert_eq!(
            ImageDefaults::parse(br#"{"os":"linux"}"#).unwrap(),
            ImageDefaults::default()
        );
        assert_eq!(ImageDefaults::parse(b"").unwrap(), ImageDefaults::default());
    }

    #[test]
    fn malformed_is_an_error() {
        assert!(ImageDefaults::parse(b"{").is_err());
        assert!(ImageDefaults::parse(br#"{"config":{"Cmd":[1]}}"#).is_err());
        assert!(ImageDefaults::parse(br#"{"config":{"User":5}}"#).is_err());
    }
}
