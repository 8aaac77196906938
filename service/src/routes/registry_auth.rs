//! Registry credentials a client sends in `X-Registry-Auth` (base64url
//! JSON): one `{"username", "password"}` (Docker's clients, rpod's), or a
//! map of registry to credentials (Podman's remote client sends its auth
//! file that way), from which the entry for the image's registry is taken.

use axum::http::HeaderMap;
use base64::Engine as _;
use rpod_api::front_door::images::RegistryOptions;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};

/// The credentials for `reference` in the request's `X-Registry-Auth`.
pub fn registry_auth(headers: &HeaderMap, reference: &str) -> ApiResult<RegistryOptions> {
    let mut options = RegistryOptions::default();
    let Some(v) = decode_header(headers, "X-Registry-Auth")? else {
        return Ok(options);
    };
    let entry = if v.get("username").is_some() || v.get("password").is_some() {
        Some(&v)
    } else {
        entry_for(&v, reference)
    };
    let field = |k: &str| {
        entry
            .and_then(|e| e.get(k))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    options.username = field("username");
    options.password = field("password");
    Ok(options)
}

/// The base64url JSON of header `name`, when the request has it.
pub(super) fn decode_header(headers: &HeaderMap, name: &str) -> ApiResult<Option<Value>> {
    let Some(raw) = headers.get(name).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    if raw.is_empty() {
        return Ok(None);
    }
    let bad = |e: String| ApiError::bad_request(format!("failed to parse {name}: {e}"));
    let trimmed = raw.trim_end_matches('=');
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(trimmed)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(trimmed))
        .map_err(|e| bad(e.to_string()))?;
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| bad(e.to_string()))
}

/// `https://host/v1/` → `host`, `host/ns/` → `host/ns`.
fn normalize_key(key: &str) -> &str {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let k = k.strip_suffix("/v1/").unwrap_or(k);
    k.trim_end_matches('/')
}

/// The most specific entry of a registry map whose key is the
/// reference's registry or a repository prefix of it.
fn entry_for<'a>(map: &'a Value, reference: &str) -> Option<&'a Value> {
    let reference = reference.strip_prefix("docker://").unwrap_or(reference);
    let repo = reference.split('@').next().unwrap_or(reference);
    let repo = match repo.rsplit_once(':') {
        Some((r, tag)) if !tag.contains('/') => r,
        _ => repo,
    };
    let host = repo.split('/').next().unwrap_or(repo);
    map.as_object()?
        .iter()
        .filter(|(k, _)| {
            let k = normalize_key(k);
            k == host || k == repo || (repo.starts_with(k) && repo[k.len()..].starts_with('/'))
        })
        .max_by_key(|(k, _)| normalize_key(k).len())
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(json: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let v = base64::engine::general_purpose::URL_SAFE.encode(json);
        h.insert("x-registry-auth", v.parse().unwrap());
        h
    }

    #[test]
    fn single_and_map_forms() {
        let o = registry_auth(&header(r#"{"username":"u","password":"p"}"#), "x/y").unwrap();
        assert_eq!(
            (o.username.as_deref(), o.password.as_deref()),
            (Some("u"), Some("p"))
        );
        let map = r#"{"reg.example:5000":{"username":"a","password":"1"},
                      "reg.example:5000/team":{"username":"b","password":"2"},
                      "https://other.example/v1/":{"username":"c","password":"3"}}"#;
        let o = registry_auth(&header(map), "reg.example:5000/team/img:v1").unwrap();
        assert_eq!(o.username.as_deref(), Some("b"));
        let o = registry_auth(&header(map), "reg.example:5000/img").unwrap();
        assert_eq!(o.username.as_deref(), Some("a"));
        let o = registry_auth(&header(map), "other.example/img@sha256:00").unwrap();
        assert_eq!(o.username.as_deref(), Some("c"));
        let o = registry_auth(&header(map), "nowhere.example/img").unwrap();
        assert_eq!(o.username, None);
        assert_eq!(registry_auth(&header("{}"), "x").unwrap().username, None);
        assert!(registry_auth(&header("[1"), "x").is_err());
    }
}
