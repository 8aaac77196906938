//! ConfigMaps and Secrets a play can draw on: the YAML's own, the
//! `--configmap` files' and (Secrets) the ones stored with `secret create`
//! or an earlier play; and the container environment built from them
//! (`env` with `value`/`valueFrom`, `envFrom`).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Container, EnvFromSource, EnvVar, Secret};
use rpod_api::Error;

/// The key/value content of a ConfigMap or Secret.
pub(crate) type Content = BTreeMap<String, Vec<u8>>;

/// Everything a play can read values from.
#[derive(Clone, Debug, Default)]
pub(crate) struct Sources {
    pub configmaps: BTreeMap<String, Content>,
    pub secrets: BTreeMap<String, Content>,
}

/// A ConfigMap's `data` and `binaryData`.
pub(crate) fn configmap_content(cm: &ConfigMap) -> Content {
    let mut c: Content = BTreeMap::new();
    for (k, v) in cm.binary_data.iter().flatten() {
        c.insert(k.clone(), v.0.clone());
    }
    for (k, v) in cm.data.iter().flatten() {
        c.insert(k.clone(), v.clone().into_bytes());
    }
    c
}

/// A Secret's `data` (decoded) and `stringData` (which wins).
pub(crate) fn secret_content(s: &Secret) -> Content {
    let mut c: Content = BTreeMap::new();
    for (k, v) in s.data.iter().flatten() {
        c.insert(k.clone(), v.0.clone());
    }
    for (k, v) in s.string_data.iter().flatten() {
        c.insert(k.clone(), v.clone().into_bytes());
    }
    c
}

/// A stored secret's data read as a Kubernetes Secret (as `kube play`
/// stores them); `None` when it is not one.
pub(crate) fn stored_secret(data: &[u8]) -> Option<Content> {
    let s: Secret = serde_norway::from_slice(data).ok()?;
    Some(secret_content(&s))
}

/// Who a value comes from, for messages.
#[derive(Clone, Copy)]
enum From {
    ConfigMap,
    Secret,
}

impl From {
    fn word(self) -> &'static str {
        match self {
            From::ConfigMap => "configmap",
            From::Secret => "secret",
        }
    }
}

impl Sources {
    fn map(&self, from: From) -> &BTreeMap<String, Content> {
        match from {
            From::ConfigMap => &self.configmaps,
            From::Secret => &self.secrets,
        }
    }

    /// `name`'s content; `Ok(None)` when it is missing and optional.
    pub(crate) fn content(
        &self,
        secret: bool,
        name: &str,
        optional: bool,
    ) -> Result<Option<&Content>, Error> {
        let from = if secret {
            From::Secret
        } else {
            From::ConfigMap
        };
        match self.map(from).get(name) {
            Some(c) => Ok(Some(c)),
            None if optional => Ok(None),
            None => Err(Error::new(
                if secret {
                    rpod_api::ErrorKind::NoSuchSecret
                } else {
                    rpod_api::ErrorKind::InvalidArgument
                },
                format!("{} {name:?} not found", from.word()),
            )),
        }
    }

    fn key(
        &self,
        from: From,
        name: &str,
        key: &str,
        optional: bool,
    ) -> Result<Option<String>, Error> {
        let Some(content) = self.content(matches!(from, From::Secret), name, optional)? else {
            return Ok(None);
        };
        match content.get(key) {
            Some(v) => Ok(Some(String::from_utf8_lossy(v).into_owned())),
            None if optional => Ok(None),
            None => Err(Error::invalid(format!(
                "cannot set env: key {key} not found in {} {name}",
                from.word()
            ))),
        }
    }
}

/// What `fieldRef`s can name.
pub(crate) struct PodFields<'a> {
    pub pod_name: &'a str,
    pub labels: &'a BTreeMap<String, String>,
    pub annotations: &'a BTreeMap<String, String>,
}

fn field_ref(path: &str, fields: &PodFields<'_>) -> Result<String, Error> {
    let quoted = |prefix: &str| {
        path.strip_prefix(prefix)
            .and_then(|r| r.strip_suffix("']"))
            .map(str::to_owned)
    };
    if path == "metadata.name" {
        return Ok(fields.pod_name.to_owned());
    }
    if path == "metadata.namespace" {
        return Ok("default".into());
    }
    if let Some(k) = quoted("metadata.labels['") {
        return Ok(fields.labels.get(&k).cloned().unwrap_or_default());
    }
    if let Some(k) = quoted("metadata.annotations['") {
        return Ok(fields.annotations.get(&k).cloned().unwrap_or_default());
    }
    Err(Error::invalid(format!(
        "can not set env: fieldRef {path:?} is not supported"
    )))
}

fn env_var(v: &EnvVar, sources: &Sources, fields: &PodFields<'_>) -> Result<Option<String>, Error> {
    let Some(from) = &v.value_from else {
        return Ok(Some(v.value.clone().unwrap_or_default()));
    };
    if let Some(r) = &from.config_map_key_ref {
        return sources.key(
            From::ConfigMap,
            &r.name,
            &r.key,
            r.optional.unwrap_or(false),
        );
    }
    if let Some(r) = &from.secret_key_ref {
        return sources.key(From::Secret, &r.name, &r.key, r.optional.unwrap_or(false));
    }
    if let Some(r) = &from.field_ref {
        return field_ref(&r.field_path, fields).map(Some);
    }
    Err(Error::invalid(format!(
        "can not set env {}: resourceFieldRef is not supported",
        v.name
    )))
}

fn env_from(e: &EnvFromSource, sources: &Sources, out: &mut Vec<String>) -> Result<(), Error> {
    let prefix = e.prefix.clone().unwrap_or_default();
    let content = if let Some(r) = &e.config_map_ref {
        sources.content(false, &r.name, r.optional.unwrap_or(false))?
    } else if let Some(r) = &e.secret_ref {
        sources.content(true, &r.name, r.optional.unwrap_or(false))?
    } else {
        None
    };
    for (k, v) in content.into_iter().flatten() {
        out.push(format!("{prefix}{k}={}", String::from_utf8_lossy(v)));
    }
    Ok(())
}

/// The container's environment as `KEY=VALUE`: `envFrom` first, then
/// `env` (which wins), as Kubernetes applies them.
pub(crate) fn container_env(
    c: &Container,
    sources: &Sources,
    fields: &PodFields<'_>,
) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    for e in c.env_from.iter().flatten() {
        env_from(e, sources, &mut out)?;
    }
    for v in c.env.iter().flatten() {
        if let Some(value) = env_var(v, sources, fields)? {
            out.push(format!("{}={value}", v.name));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources() -> Sources {
        let mut s = Sources::default();
        s.configmaps.insert(
            "cm".into(),
            BTreeMap::from([("color".to_owned(), b"blue".to_vec())]),
        );
        s.secrets.insert(
            "sec".into(),
            BTreeMap::from([("pw".to_owned(), b"hunter2".to_vec())]),
        );
        s
    }

    #[test]
    fn env_from_values_configmaps_secrets_and_fields() {
        let c: Container = serde_json::from_value(serde_json::json!({
            "name": "c",
            "envFrom": [{"configMapRef": {"name": "cm"}, "prefix": "X_"}],
            "env": [
                {"name": "A", "value": "1"},
                {"name": "B", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "color"}}},
                {"name": "C", "valueFrom": {"secretKeyRef": {"name": "sec", "key": "pw"}}},
                {"name": "D", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "E", "valueFrom": {"secretKeyRef": {"name": "nope", "key": "k", "optional": true}}}
            ]
        }))
        .unwrap();
        let labels = BTreeMap::new();
        let f = PodFields {
            pod_name: "p",
            labels: &labels,
            annotations: &labels,
        };
        let env = container_env(&c, &sources(), &f).unwrap();
        assert_eq!(env, ["X_color=blue", "A=1", "B=blue", "C=hunter2", "D=p"]);
    }

    #[test]
    fn missing_keys_and_maps_are_errors() {
        let c: Container = serde_json::from_value(serde_json::json!({
            "name": "c",
            "env": [{"name": "B", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "nokey"}}}]
        }))
        .unwrap();
        let labels = BTreeMap::new();
        let f = PodFields {
            pod_name: "p",
            labels: &labels,
            annotations: &labels,
        };
        let e = container_env(&c, &sources(), &f).unwrap_err();
        assert!(
            e.message.contains("key nokey not found in configmap cm"),
            "{e}"
        );
        let c: Container = serde_json::from_value(serde_json::json!({
            "name": "c",
            "envFrom": [{"secretRef": {"name": "missing"}}]
        }))
        .unwrap();
        let e = container_env(&c, &sources(), &f).unwrap_err();
        assert_eq!(e.message, "secret \"missing\" not found");
    }

    #[test]
    fn stored_secrets_read_back() {
        let s: Secret = serde_json::from_value(serde_json::json!({
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {"k": "dmFsdWU="}
        }))
        .unwrap();
        let json = serde_json::to_vec(&s).unwrap();
        assert_eq!(stored_secret(&json).unwrap()["k"], b"value");
    }
}
