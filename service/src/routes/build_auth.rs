//! Registry credentials of a build request, for the pulls its `FROM`s
//! make: `X-Registry-Config` (base64url JSON, a map of registry to
//! `{"username", "password"}` as Docker's and Podman's clients send it) or
//! `X-Registry-Auth` (one `{"username", "password"}`, or such a map).
//! One pair becomes Buildah's `--creds`; a map a private auth file
//! (removed with the returned [`BuildAuth`]) passed as `--authfile`.

use std::io::Write;
use std::path::PathBuf;

use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use rpod_api::front_door::images::RegistryOptions;
use serde_json::{json, Map, Value};

use super::registry_auth::decode_header;
use crate::error::{ApiError, ApiResult};

/// The credentials a build uses.
pub(super) enum BuildAuth {
    Creds { username: String, password: String },
    File(PathBuf),
}

impl BuildAuth {
    pub(super) fn apply(&self, r: &mut RegistryOptions) {
        match self {
            BuildAuth::Creds { username, password } => {
                r.username = Some(username.clone());
                r.password = Some(password.clone());
            }
            BuildAuth::File(p) => r.authfile = Some(p.clone()),
        }
    }
}

impl Drop for BuildAuth {
    fn drop(&mut self) {
        if let BuildAuth::File(p) = self {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn field<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// containers-auth.json for a registry map (entries without a user name
/// and password, or with only an identity token, are left out).
fn auth_file(map: &Map<String, Value>) -> Value {
    let mut auths = Map::new();
    for (registry, creds) in map {
        let (user, pass) = (field(creds, "username"), field(creds, "password"));
        let auth = field(creds, "auth");
        let encoded = if !user.is_empty() {
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
        } else if !auth.is_empty() {
            auth.to_owned()
        } else {
            continue;
        };
        let key = registry
            .strip_prefix("https://")
            .or_else(|| registry.strip_prefix("http://"))
            .unwrap_or(registry);
        let key = key
            .strip_suffix("/v1/")
            .unwrap_or(key)
            .trim_end_matches('/');
        auths.insert(key.to_owned(), json!({ "auth": encoded }));
    }
    json!({ "auths": auths })
}

/// The request's credentials, if it sent any.
pub(super) fn registry_config(headers: &HeaderMap) -> ApiResult<Option<BuildAuth>> {
    let value = match decode_header(headers, "X-Registry-Config")? {
        Some(v) => v,
        None => match decode_header(headers, "X-Registry-Auth")? {
            Some(v) => v,
            None => return Ok(None),
        },
    };
    if value.get("username").is_some() || value.get("password").is_some() {
        let username = field(&value, "username").to_owned();
        if username.is_empty() {
            return Ok(None);
        }
        let password = field(&value, "password").to_owned();
        return Ok(Some(BuildAuth::Creds { username, password }));
    }
    let Some(map) = value.as_object() else {
        return Err(ApiError::bad_request(
            "failed to parse X-Registry-Config: not a JSON object",
        ));
    };
    if map.is_empty() {
        return Ok(None);
    }
    let path = std::env::temp_dir().join(format!(
        "rpod-build-auth-{}-{}.json",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    let write = || -> std::io::Result<()> {
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        f.write_all(auth_file(map).to_string().as_bytes())
    };
    let auth = BuildAuth::File(path.clone());
    write().map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("writing the build's credentials {}: {e}", path.display()),
        )
    })?;
    Ok(Some(auth))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(name: &str, json: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let v = base64::engine::general_purpose::URL_SAFE.encode(json);
        h.insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
        h
    }

    #[test]
    fn a_map_becomes_an_auth_file_removed_afterwards() {
        let h = headers(
            "x-registry-config",
            r#"{"https://reg.example:5000/v1/":{"username":"u","password":"p"},"empty":{}}"#,
        );
        let auth = registry_config(&h).unwrap().unwrap();
        let BuildAuth::File(path) = &auth else {
            panic!("not a file")
        };
        let path = path.clone();
        let v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(v["auths"]["reg.example:5000"]["auth"], "dTpw");
        assert!(v["auths"].get("empty").is_none());
        drop(auth);
        assert!(!path.exists());
    }

    #[test]
    fn one_pair_is_creds() {
        let h = headers("x-registry-auth", r#"{"username":"u","password":"p"}"#);
        let mut r = RegistryOptions::default();
        registry_config(&h).unwrap().unwrap().apply(&mut r);
        assert_eq!(r.username.as_deref(), Some("u"));
        assert!(registry_config(&HeaderMap::new()).unwrap().is_none());
        assert!(registry_config(&headers("x-registry-config", "[")).is_err());
    }
}
