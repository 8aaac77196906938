//! `POST /auth`: checks credentials with the registry as `login` does,
//! storing nothing (Podman's compat handler); and `GET /images/search`,
//! which rpod does not have.

use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rpod_api::front_door::images::{LoginOptions, RegistryOptions};
use serde::Deserialize;
use serde_json::json;

use crate::error::{json_body, ApiError, ApiResult};
use crate::Engine;

/// Docker's `registry.AuthConfig` (the keys `auth` uses).
#[derive(Default, Deserialize)]
#[serde(default)]
struct AuthConfig {
    username: String,
    password: String,
    serveraddress: String,
    /// `user:password` in base64, as some clients send it instead.
    auth: String,
}

/// A directory removed when dropped: the throw-away auth file's.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir() -> ApiResult<TempDir> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("rpod-auth-{}-{n}", std::process::id()));
    std::fs::create_dir(&dir).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("creating {}: {e}", dir.display()),
        )
    })?;
    Ok(TempDir(dir))
}

/// `POST /auth`: 200 `{"Status": "Login Succeeded", "IdentityToken": ""}`,
/// or 500 "login attempt to ADDRESS failed with status: ..." (`401
/// Unauthorized` for rejected credentials), as Podman.
pub async fn auth(State(engine): State<Engine>, body: Body) -> ApiResult<Response> {
    let mut c: AuthConfig = json_body(body).await?;
    if c.username.is_empty() && !c.auth.is_empty() {
        use base64::Engine as _;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(c.auth.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| ApiError::bad_request("auth is not base64 of user:password"))?;
        let (u, p) = decoded
            .split_once(':')
            .ok_or_else(|| ApiError::bad_request("auth is not base64 of user:password"))?;
        (c.username, c.password) = (u.to_owned(), p.to_owned());
    }
    if c.serveraddress.is_empty() {
        return Err(ApiError::bad_request(
            "serveraddress is required (rpod has no default registry to log in to)",
        ));
    }
    // Podman skips TLS verification for localhost only; elsewhere
    // registries.conf decides.
    let a = c.serveraddress.as_str();
    let local = a.starts_with("https://localhost/")
        || a.starts_with("https://localhost:")
        || a.starts_with("localhost:");
    // The credentials are checked, then written to a throw-away auth file:
    // the service's own stays untouched (Podman's NoWriteBack).
    let dir = temp_dir()?;
    let options = LoginOptions {
        registry: c.serveraddress.clone(),
        username: c.username,
        password: c.password,
        options: RegistryOptions {
            authfile: Some(dir.0.join("auth.json")),
            tls_verify: local.then_some(false),
            ..Default::default()
        },
    };
    match engine.registry_login(options).await {
        Ok(()) => {
            Ok(Json(json!({"IdentityToken": "", "Status": "Login Succeeded"})).into_response())
        }
        Err(e) => {
            let status = if e.message.contains("invalid username/password")
                || e.message.contains("unauthorized")
            {
                "401 Unauthorized".to_owned()
            } else {
                e.message
            };
            Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!(
                    "login attempt to {} failed with status: {status}",
                    c.serveraddress
                ),
            ))
        }
    }
}

/// `GET /images/search` (and libpod's): rpod has no `search`.
pub async fn search() -> ApiError {
    ApiError::not_implemented(
        "image search is not implemented by rpod (rpod has no search command; see docs/compatibility.md)",
    )
}
