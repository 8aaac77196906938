//! Reading Kubernetes YAML: one or more documents (`---`), `List`s
//! flattened, each document's `kind` decoded into its schema-exact type
//! (k8s-openapi), the workloads (Pod, Deployment, DaemonSet, Job) last as
//! Podman sorts them.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolumeClaim, Pod, PodTemplateSpec, Secret};
use rpod_api::Error;

/// A Pod, or the pod template of a Deployment, DaemonSet or Job.
#[derive(Clone, Debug)]
pub(crate) struct Workload {
    /// The pod's name: the Pod's own, `<name>-pod` for the others.
    pub pod_name: String,
    pub template: PodTemplateSpec,
    /// The annotations Podman reads (the Pod's, or the controller's).
    pub annotations: BTreeMap<String, String>,
    /// Whether the name was derived (`<name>-pod`), for error messages.
    pub controller: bool,
}

/// One document of the YAML.
#[derive(Clone, Debug)]
pub(crate) enum Doc {
    Workload(Box<Workload>),
    Claim(Box<PersistentVolumeClaim>),
    ConfigMap(Box<ConfigMap>),
    Secret(Box<Secret>),
}

/// The documents rpod acts on, in Podman's order, and the warnings reading
/// them gave.
#[derive(Clone, Debug, Default)]
pub(crate) struct Parsed {
    pub docs: Vec<Doc>,
    pub warnings: Vec<String>,
}

impl Parsed {
    pub(crate) fn workloads(&self) -> impl Iterator<Item = &Workload> {
        self.docs.iter().filter_map(|d| match d {
            Doc::Workload(w) => Some(w.as_ref()),
            _ => None,
        })
    }
}

const WORKLOAD_KINDS: [&str; 4] = ["Pod", "Deployment", "DaemonSet", "Job"];

/// One document: its own YAML text (decoded from the text, so plain
/// scalars such as `true` read as the strings the schema wants, as
/// Kubernetes' decoder does) or, for a `List`'s items, its value.
#[derive(Clone, Debug)]
pub(crate) struct RawDoc {
    text: Option<String>,
    value: serde_json::Value,
}

/// The document texts between `---` lines.
fn split_texts(text: &str) -> Vec<String> {
    let mut docs = vec![String::new()];
    for line in text.lines() {
        let sep = line == "---" || line.starts_with("--- ") || line.starts_with("---\t");
        if sep {
            docs.push(String::new());
            let rest = line[3..].trim();
            if !rest.is_empty() && !rest.starts_with('#') {
                if let Some(d) = docs.last_mut() {
                    d.push_str(rest);
                }
            }
            continue;
        }
        if let Some(d) = docs.last_mut() {
            d.push_str(line);
            d.push('\n');
        }
    }
    docs
}

fn split_error(e: impl std::fmt::Display) -> Error {
    Error::invalid(format!("multi doc yaml could not be split: {e}"))
}

/// Splits the YAML into its documents (a `List`'s items become documents
/// of their own).
pub(crate) fn split_documents(yaml: &[u8]) -> Result<Vec<RawDoc>, Error> {
    let text = std::str::from_utf8(yaml).map_err(split_error)?;
    let mut out = Vec::new();
    for doc in split_texts(text) {
        let value: serde_json::Value = if doc.trim().is_empty() {
            serde_json::Value::Null
        } else {
            serde_norway::from_str(&doc).map_err(split_error)?
        };
        if value.is_null() {
            continue;
        }
        if value.get("kind").and_then(|k| k.as_str()) == Some("List") {
            if let Some(items) = value.get("items").and_then(|i| i.as_array()) {
                out.extend(items.iter().map(|v| RawDoc {
                    text: None,
                    value: v.clone(),
                }));
            }
            continue;
        }
        out.push(RawDoc {
            text: Some(doc),
            value,
        });
    }
    Ok(out)
}

fn kind_of(doc: &serde_json::Value) -> Result<String, Error> {
    match doc.get("kind") {
        Some(serde_json::Value::String(k)) => Ok(k.clone()),
        Some(_) => Err(Error::invalid(
            "unable to read kube YAML: couldn't get object kind: kind is not a string",
        )),
        None => Ok(String::new()),
    }
}

/// Puts every non-workload document before the workloads, as Podman's
/// `sortKubeKinds` does (the others in reverse order).
fn sort_kinds(docs: Vec<RawDoc>) -> Result<Vec<(String, RawDoc)>, Error> {
    let mut sorted = std::collections::VecDeque::new();
    for d in docs {
        let kind = kind_of(&d.value)?;
        if WORKLOAD_KINDS.contains(&kind.as_str()) {
            sorted.push_back((kind, d));
        } else {
            sorted.push_front((kind, d));
        }
    }
    Ok(sorted.into())
}

fn decode<T: serde::de::DeserializeOwned>(doc: RawDoc, what: &str) -> Result<T, Error> {
    let fail =
        |e: &dyn std::fmt::Display| Error::invalid(format!("unable to read YAML as {what}: {e}"));
    match &doc.text {
        Some(t) => serde_norway::from_str(t).map_err(|e| fail(&e)),
        None => serde_json::from_value(doc.value).map_err(|e| fail(&e)),
    }
}

fn name_of(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> String {
    meta.name.clone().unwrap_or_default()
}

fn workload(
    name: String,
    template: PodTemplateSpec,
    annotations: Option<BTreeMap<String, String>>,
    what: &str,
) -> Result<Workload, Error> {
    if name.is_empty() {
        return Err(Error::invalid(format!("{what} does not have a name")));
    }
    Ok(Workload {
        pod_name: format!("{name}-pod"),
        template,
        annotations: annotations.unwrap_or_default(),
        controller: true,
    })
}

/// Reads the YAML. Kinds rpod does not act on are skipped (as Podman
/// does); a document of a known kind that does not fit its schema is an
/// error.
pub(crate) fn parse(yaml: &[u8]) -> Result<Parsed, Error> {
    let mut parsed = Parsed::default();
    for (kind, value) in sort_kinds(split_documents(yaml)?)? {
        let doc = match kind.as_str() {
            "Pod" => {
                let pod: Pod = decode(value, "Kube Pod")?;
                let name = name_of(&pod.metadata);
                if name.is_empty() {
                    return Err(Error::invalid("pod does not have a name"));
                }
                let annotations = pod.metadata.annotations.clone().unwrap_or_default();
                Doc::Workload(Box::new(Workload {
                    pod_name: name,
                    template: PodTemplateSpec {
                        metadata: Some(pod.metadata),
                        spec: pod.spec,
                    },
                    annotations,
                    controller: false,
                }))
            }
            "Deployment" => {
                let d: Deployment = decode(value, "Kube Deployment")?;
                let spec = d.spec.unwrap_or_default();
                if spec.replicas.unwrap_or(1) > 1 {
                    parsed.warnings.push(
                        "Limiting replica count to 1, more than one replica is not supported by Podman"
                            .into(),
                    );
                }
                Doc::Workload(Box::new(workload(
                    name_of(&d.metadata),
                    spec.template,
                    d.metadata.annotations,
                    "deployment",
                )?))
            }
            "DaemonSet" => {
                let d: DaemonSet = decode(value, "Kube DaemonSet")?;
                Doc::Workload(Box::new(workload(
                    name_of(&d.metadata),
                    d.spec.unwrap_or_default().template,
                    d.metadata.annotations,
                    "daemonSet",
                )?))
            }
            "Job" => {
                let j: Job = decode(value, "Kube Job")?;
                Doc::Workload(Box::new(workload(
                    name_of(&j.metadata),
                    j.spec.unwrap_or_default().template,
                    j.metadata.annotations,
                    "job",
                )?))
            }
            "PersistentVolumeClaim" => {
                Doc::Claim(Box::new(decode(value, "Kube PersistentVolumeClaim")?))
            }
            "ConfigMap" => Doc::ConfigMap(Box::new(decode(value, "Kube ConfigMap")?)),
            "Secret" => Doc::Secret(Box::new(decode(value, "kube secret")?)),
            other => {
                tracing::info!("Kube kind {other} not supported");
                continue;
            }
        };
        parsed.docs.push(doc);
    }
    Ok(parsed)
}

/// The ConfigMaps of a `--configmap` file (only ConfigMaps allowed).
pub(crate) fn configmap_file(path: &str, content: &[u8]) -> Result<Vec<ConfigMap>, Error> {
    let mut out = Vec::new();
    for value in split_documents(content).map_err(|e| {
        Error::invalid(format!(
            "{path:?}: unable to read as kube YAML: {}",
            e.message
        ))
    })? {
        let kind = kind_of(&value.value)?;
        if kind != "ConfigMap" {
            return Err(Error::invalid(format!(
                "{path:?}: invalid YAML kind: {kind:?}. [ConfigMap] is the only supported by --configmap"
            )));
        }
        out.push(decode(value, "Kube ConfigMap")?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_sorted_and_names_derived() {
        let yaml = b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 3\n  selector: {}\n  template:\n    spec:\n      containers:\n      - name: c\n        image: alpine\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  k: v\n---\nkind: Service\napiVersion: v1\nmetadata:\n  name: s\n";
        let p = parse(yaml).unwrap();
        assert_eq!(p.docs.len(), 2);
        assert!(matches!(p.docs[0], Doc::ConfigMap(_)));
        let w = p.workloads().next().unwrap();
        assert_eq!(w.pod_name, "web-pod");
        assert_eq!(p.warnings.len(), 1);
    }

    #[test]
    fn plain_scalars_read_as_strings_and_lists_flatten() {
        let p = parse(b"kind: List\napiVersion: v1\nitems:\n- kind: ConfigMap\n  metadata:\n    name: a\n---\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    command:\n    - true\n").unwrap();
        assert!(matches!(p.docs[0], Doc::ConfigMap(_)));
        let w = p.workloads().next().unwrap();
        let c = &w.template.spec.as_ref().unwrap().containers[0];
        assert_eq!(c.command.as_deref().unwrap(), ["true"]);
    }

    #[test]
    fn bad_documents_are_errors() {
        let e = parse(b"kind: Pod\napiVersion: v1\nmetadata:\n  name: p\nspec:\n  containers: 3\n")
            .unwrap_err();
        assert!(
            e.message.starts_with("unable to read YAML as Kube Pod:"),
            "{e}"
        );
        let e = parse(b"kind: Pod\nmetadata: {}\nspec: {containers: []}\n").unwrap_err();
        assert_eq!(e.message, "pod does not have a name");
        assert!(parse(b"a: [").is_err());
        let e = configmap_file("f.yaml", b"kind: Pod\n").unwrap_err();
        assert!(
            e.message.contains("[ConfigMap] is the only supported"),
            "{e}"
        );
    }
}
