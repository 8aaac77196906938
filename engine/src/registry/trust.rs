//! Image trust: containers-policy.json(5) with `insecureAcceptAnything` and
//! `reject` requirements, globally (`default`) and per `docker` transport
//! scope (`registry`, `registry/namespace`, `registry/repo`, exact
//! `registry/repo:tag`, `*.domain` wildcards), enforced on pull. Signature
//! requirements (`signedBy`, `sigstoreSigned`) cannot be verified by rpod
//! and reject the image.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use crate::image_ref::reference::ImageReference;

/// The system policy file.
pub const DEFAULT_POLICY: &str = "/etc/containers/policy.json";

/// Why a policy could not be used or an image was refused.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// Reading or writing the policy failed.
    #[error("{op} policy {}: {source}", path.display())]
    Io {
        /// "reading", "writing".
        op: &'static str,
        /// The policy file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The policy is not valid.
    #[error("invalid policy in {}: {message}", path.display())]
    Invalid {
        /// The policy file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The policy rejects the image.
    #[error("Source image rejected: {0}")]
    Rejected(String),
}

/// One row of `image trust show`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustEntry {
    /// `all` for the default, else the transport (`docker`, ...).
    pub transport: String,
    /// `default` or the scope.
    pub name: String,
    /// `accept`, `reject`, `signed`, `sigstoreSigned`.
    pub kind: String,
}

/// A loaded policy.
#[derive(Debug, Clone)]
pub struct Policy {
    path: PathBuf,
    doc: Map<String, Value>,
}

fn requirement_kind(reqs: &Value) -> String {
    let first = reqs
        .as_array()
        .and_then(|a| a.first())
        .and_then(|r| r.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("");
    match first {
        "insecureAcceptAnything" => "accept",
        "reject" => "reject",
        "signedBy" => "signed",
        other => other,
    }
    .to_string()
}

impl Policy {
    /// Loads `path` (or the system policy). A missing system policy accepts
    /// everything; a missing explicit one is an error.
    pub fn load(path: Option<&Path>) -> Result<Policy, TrustError> {
        let explicit = path.is_some();
        let path = path
            .map(Path::to_path_buf)
            .or_else(|| crate::rootless::dirs::user_containers_file("policy.json"))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_POLICY));
        let doc = match fs::read(&path) {
            Ok(data) => match serde_json::from_slice::<Value>(&data) {
                Ok(Value::Object(m)) => m,
                Ok(_) => {
                    return Err(TrustError::Invalid {
                        path,
                        message: "not a JSON object".into(),
                    })
                }
                Err(e) => {
                    return Err(TrustError::Invalid {
                        path,
                        message: e.to_string(),
                    })
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
                let mut m = Map::new();
                m.insert(
                    "default".into(),
                    json!([{"type": "insecureAcceptAnything"}]),
                );
                m
            }
            Err(source) => {
                return Err(TrustError::Io {
                    op: "reading",
                    path,
                    source,
                })
            }
        };
        Ok(Policy { path, doc })
    }

    /// The requirements that apply to `r` pulled from a registry, most
    /// specific scope first, then the default.
    fn requirements_for(&self, r: &ImageReference) -> Option<(&Value, String)> {
        let scopes = self
            .doc
            .get("transports")
            .and_then(|t| t.get("docker"))
            .and_then(Value::as_object);
        if let Some(scopes) = scopes {
            let domain = r.domain.clone().unwrap_or_default();
            let name = r.name();
            let mut candidates = Vec::new();
            if let Some(d) = &r.digest {
                candidates.push(format!("{name}@{d}"));
            }
            if let Some(t) = &r.tag {
                candidates.push(format!("{name}:{t}"));
            } else if r.digest.is_none() {
                candidates.push(format!("{name}:latest"));
            }
            let mut n = name.as_str();
            loop {
                candidates.push(n.to_string());
                match n.rfind('/') {
                    Some(i) => n = &n[..i],
                    None => break,
                }
            }
            // Wildcards: *.example.com matches sub.example.com.
            let mut host = domain.split(':').next().unwrap_or("").to_string();
            while let Some(i) = host.find('.') {
                host = host[i + 1..].to_string();
                candidates.push(format!("*.{host}"));
            }
            candidates.push(String::new());
            for c in candidates {
                if let Some(v) = scopes.get(&c) {
                    let shown = if c.is_empty() {
                        "docker default".to_string()
                    } else {
                        c
                    };
                    return Some((v, shown));
                }
            }
        }
        self.doc.get("default").map(|v| (v, "default".to_string()))
    }

    /// Whether pulling `r` is allowed.
    pub fn check_pull(&self, r: &ImageReference) -> Result<(), TrustError> {
        let shown = format!("docker://{r}");
        let Some((reqs, scope)) = self.requirements_for(r) else {
            return Err(TrustError::Rejected(format!(
                "no policy requirement applies to {shown} in {}",
                self.path.display()
            )));
        };
        let list = reqs.as_array().cloned().unwrap_or_default();
        if list.is_empty() {
            return Err(TrustError::Rejected(format!(
                "no policy requirement for {shown} ({scope})"
            )));
        }
        for req in &list {
            match req.get("type").and_then(Value::as_str) {
                Some("insecureAcceptAnything") => {}
                Some("reject") => {
                    return Err(TrustError::Rejected(format!(
                        "Running image {shown} is rejected by policy."
                    )))
                }
                Some(other) => {
                    return Err(TrustError::Rejected(format!(
                        "{shown}: policy requirement {other:?} ({scope}) needs signature verification, which rpod does not support"
                    )))
                }
                None => {
                    return Err(TrustError::Invalid {
                        path: self.path.clone(),
                        message: "requirement without type".into(),
                    })
                }
            }
        }
        Ok(())
    }

    /// The rows of `image trust show`: the default, then each scope of
    /// each transport.
    pub fn entries(&self) -> Vec<TrustEntry> {
        let mut out = Vec::new();
        if let Some(d) = self.doc.get("default") {
            out.push(TrustEntry {
                transport: "all".into(),
                name: "default".into(),
                kind: requirement_kind(d),
            });
        }
        if let Some(t) = self.doc.get("transports").and_then(Value::as_object) {
            for (transport, scopes) in t {
                for (scope, reqs) in scopes.as_object().into_iter().flatten() {
                    out.push(TrustEntry {
                        transport: if transport == "docker" {
                            "repository".into()
                        } else {
                            transport.clone()
                        },
                        name: scope.clone(),
                        kind: requirement_kind(reqs),
                    });
                }
            }
        }
        out
    }

    /// The raw policy JSON.
    pub fn raw(&self) -> Value {
        Value::Object(self.doc.clone())
    }

    /// Sets the requirement for `scope` (`default` for the global default,
    /// else a docker scope): `accept`, `reject` or `signedBy` with keys.
    pub fn set(&mut self, scope: &str, kind: &str, keys: &[PathBuf]) -> Result<(), TrustError> {
        let req = match kind {
            "accept" => json!([{"type": "insecureAcceptAnything"}]),
            "reject" => json!([{"type": "reject"}]),
            "signedBy" => {
                if keys.is_empty() {
                    return Err(TrustError::Invalid {
                        path: self.path.clone(),
                        message: "at least one public key must be defined for type 'signedBy'"
                            .into(),
                    });
                }
                Value::Array(
                    keys.iter()
                        .map(|k| json!({"type": "signedBy", "keyType": "GPGKeys", "keyPath": k}))
                        .collect(),
                )
            }
            other => {
                return Err(TrustError::Invalid {
                    path: self.path.clone(),
                    message: format!(
                        "invalid trust type {other:?}: use accept, reject or signedBy"
                    ),
                })
            }
        };
        if scope == "default" {
            self.doc.insert("default".into(), req);
            return Ok(());
        }
        let transports = self.doc.entry("transports").or_insert_with(|| json!({}));
        if !transports.is_object() {
            *transports = json!({});
        }
        let docker = transports
            .as_object_mut()
            .expect("made an object")
            .entry("docker")
            .or_insert_with(|| json!({}));
        if !docker.is_object() {
            *docker = json!({});
        }
        docker
            .as_object_mut()
            .expect("made an object")
            .insert(scope.to_string(), req);
        Ok(())
    }

    /// Writes the policy back atomically.
    pub fn save(&self) -> Result<(), TrustError> {
        let io = |source| TrustError::Io {
            op: "writing",
            path: self.path.clone(),
            source,
        };
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(io)?;
        }
        let data =
            serde_json::to_vec_pretty(&self.raw()).map_err(|e| io(std::io::Error::other(e)))?;
        let tmp = self
            .path
            .with_file_name(format!(".policy.json.tmp-{}", std::process::id()));
        let res = (|| {
            let mut f = fs::File::create(&tmp)?;
            f.write_all(&data)?;
            f.write_all(b"\n")?;
            f.sync_all()?;
            fs::rename(&tmp, &self.path)
        })();
        if res.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        res.map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(doc: Value) -> Policy {
        Policy {
            path: "/p.json".into(),
            doc: doc.as_object().unwrap().clone(),
        }
    }

    fn r(s: &str) -> ImageReference {
        ImageReference::parse(s).unwrap()
    }

    #[test]
    fn scopes_most_specific_first() {
        let p = policy(json!({
            "default": [{"type": "reject"}],
            "transports": {"docker": {
                "good.io": [{"type": "insecureAcceptAnything"}],
                "good.io/bad": [{"type": "reject"}],
                "good.io/bad/ok:v1": [{"type": "insecureAcceptAnything"}],
                "*.wild.org": [{"type": "insecureAcceptAnything"}],
                "signed.io": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/k"}]
            }}
        }));
        assert!(p.check_pull(&r("good.io/x/y:1")).is_ok());
        assert!(p.check_pull(&r("good.io/bad/y")).is_err());
        assert!(p.check_pull(&r("good.io/bad/ok:v1")).is_ok());
        assert!(p.check_pull(&r("good.io/bad/ok:v2")).is_err());
        assert!(p.check_pull(&r("reg.wild.org/a")).is_ok());
        assert!(p.check_pull(&r("other.io/a")).is_err());
        let e = p.check_pull(&r("signed.io/a")).unwrap_err().to_string();
        assert!(e.contains("signature"), "{e}");
        let e = p.check_pull(&r("other.io/a")).unwrap_err().to_string();
        assert_eq!(e, "Source image rejected: Running image docker://other.io/a:latest is rejected by policy.");
    }

    #[test]
    fn set_and_entries() {
        let mut p = policy(json!({"default": [{"type": "insecureAcceptAnything"}]}));
        p.set("quay.io", "reject", &[]).unwrap();
        p.set("default", "reject", &[]).unwrap();
        assert!(p.set("x", "signedBy", &[]).is_err());
        let e = p.entries();
        assert_eq!(e[0].kind, "reject");
        assert_eq!(e[1].name, "quay.io");
        assert_eq!(e[1].transport, "repository");
    }
}
