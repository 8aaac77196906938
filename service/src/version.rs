//! API versions: the `/vX.Y[.Z]/` path prefix clients send (stripped before
//! routing), the range of Docker API versions served, and the headers every
//! response carries.

use axum::extract::Request;
use axum::http::header::{HeaderName, HeaderValue};
use axum::http::{StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;

/// The Docker Engine API version served (Podman 5.8 advertises 1.44).
pub const DOCKER_API_VERSION: &str = "1.44";
/// The oldest Docker API version accepted.
pub const DOCKER_MIN_API_VERSION: &str = "1.24";
/// The libpod API version served: the shapes of Podman 5.8's.
pub const LIBPOD_API_VERSION: &str = "5.8.0";

const DOCKER_MAX: (u32, u32) = (1, 44);
const DOCKER_MIN: (u32, u32) = (1, 24);

/// The version a request's path asked for (none: the current one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestedVersion(pub Option<(u32, u32)>);

/// Splits `/v1.41/containers/json` into `(Some((1, 41)), "/containers/json")`.
pub fn split_prefix(path: &str) -> (Option<(u32, u32)>, &str) {
    let Some(rest) = path.strip_prefix("/v") else {
        return (None, path);
    };
    let (ver, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let mut parts = ver.split('.');
    let major = parts.next().and_then(|p| p.parse::<u32>().ok());
    let minor = parts.next().and_then(|p| p.parse::<u32>().ok());
    let patch_ok = parts.next().is_none_or(|p| p.parse::<u32>().is_ok());
    match (major, minor) {
        (Some(major), Some(minor)) if patch_ok && parts.next().is_none() => {
            (Some((major, minor)), tail)
        }
        _ => (None, path),
    }
}

/// Middleware: strips the version prefix (refusing Docker API versions out
/// of range) and sets the version headers on the response.
pub async fn versioned(mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let (version, tail) = split_prefix(&path);
    let libpod = tail.starts_with("/libpod/") || tail == "/libpod";
    if let (Some(v), false) = (version, libpod) {
        let text = format!("{}.{}", v.0, v.1);
        if v < DOCKER_MIN {
            return with_headers(
                ApiError::bad_request(format!(
                    "client version {text} is too old. Minimum supported API version is {DOCKER_MIN_API_VERSION}, please upgrade your client to a newer version"
                ))
                .into_response(),
            );
        }
        if v > DOCKER_MAX {
            return with_headers(
                ApiError::bad_request(format!(
                    "client version {text} is too new. Maximum supported API version is {DOCKER_API_VERSION}"
                ))
                .into_response(),
            );
        }
    }
    if version.is_some() {
        let new_path = match req.uri().query() {
            Some(q) => format!("{tail}?{q}"),
            None => tail.to_owned(),
        };
        match new_path.parse::<Uri>() {
            Ok(uri) => *req.uri_mut() = uri,
            Err(e) => {
                return with_headers(
                    ApiError::new(StatusCode::BAD_REQUEST, format!("invalid path: {e}"))
                        .into_response(),
                )
            }
        }
    }
    req.extensions_mut().insert(RequestedVersion(version));
    with_headers(next.run(req).await)
}

fn with_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    let mut set = |name: &'static str, value: &'static str| {
        h.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    };
    set("api-version", DOCKER_API_VERSION);
    set("libpod-api-version", LIBPOD_API_VERSION);
    set("ostype", "linux");
    set("server", "Libpod/5.8.0 (linux)");
    set("docker-experimental", "false");
    set("cache-control", "no-cache, no-store, must-revalidate");
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_version_prefixes() {
        assert_eq!(
            split_prefix("/v1.41/containers/json"),
            (Some((1, 41)), "/containers/json")
        );
        assert_eq!(
            split_prefix("/v5.8.0/libpod/_ping"),
            (Some((5, 8)), "/libpod/_ping")
        );
        assert_eq!(split_prefix("/_ping"), (None, "/_ping"));
        assert_eq!(split_prefix("/volumes/x"), (None, "/volumes/x"));
        assert_eq!(split_prefix("/v1.44"), (Some((1, 44)), "/"));
        assert_eq!(split_prefix("/vx.1/_ping"), (None, "/vx.1/_ping"));
    }
}
