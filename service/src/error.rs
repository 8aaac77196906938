//! Errors as the Docker and libpod APIs send them: a status code and the
//! body `{"cause": ..., "message": ..., "response": CODE}` (Podman's
//! `errorhandling.ErrorModel`; Docker's clients read `message`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rpod_api::{Error, ErrorKind};
use serde_json::json;

/// A request that failed, with its HTTP status.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// The front door's kind of the error, when it came from the engine:
    /// sent as `"kind"` beside Podman's keys so rpod's remote client
    /// gets the exact kind back (other clients ignore it).
    pub kind: Option<ErrorKind>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            kind: None,
        }
    }

    /// 400: the request itself is wrong (a bad body or parameter).
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    /// 501: an endpoint or option rpod does not implement yet.
    pub fn not_implemented(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_IMPLEMENTED, message)
    }

    /// 404 for a missing container, as Docker words it.
    pub fn no_such_container(name: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no container with name or ID \"{name}\" found: no such container"),
        )
    }
}

/// The most a JSON request body may hold.
pub const BODY_LIMIT: usize = 4 << 20;

/// A request's JSON body, read whole; 413 with Docker's error body when it
/// is larger than [`BODY_LIMIT`].
pub async fn read_body(body: axum::body::Body) -> ApiResult<axum::body::Bytes> {
    axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|e| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("reading the request body: {e} (at most {BODY_LIMIT} bytes)"),
        )
    })
}

/// A JSON request body as `T`; an empty body is `T::default()`. A body
/// that is not `T` is a 400 with Podman's `Decode(): ...` message.
pub async fn json_body<T: serde::de::DeserializeOwned + Default>(
    body: axum::body::Body,
) -> ApiResult<T> {
    let bytes = read_body(body).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(&bytes).map_err(|e| ApiError::bad_request(format!("Decode(): {e}")))
}

/// The status for a front-door error kind (Podman's compat handlers).
pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::NoSuchContainer
        | ErrorKind::NoSuchPod
        | ErrorKind::NoSuchImage
        | ErrorKind::NoSuchExecSession
        | ErrorKind::NoSuchVolume
        | ErrorKind::NoSuchNetwork
        | ErrorKind::NoSuchSecret => StatusCode::NOT_FOUND,
        ErrorKind::InvalidState | ErrorKind::InUse | ErrorKind::AlreadyExists => {
            StatusCode::CONFLICT
        }
        ErrorKind::InvalidArgument => StatusCode::BAD_REQUEST,
        ErrorKind::NotImplemented => StatusCode::NOT_IMPLEMENTED,
        ErrorKind::CommandNotFound
        | ErrorKind::CommandNotExecutable
        | ErrorKind::Unreachable
        | ErrorKind::Other => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        ApiError {
            kind: Some(e.kind),
            ..ApiError::new(status_of(e.kind), e.message)
        }
    }
}

/// The error body of `status` with `message`.
pub fn body(status: StatusCode, message: &str) -> serde_json::Value {
    let cause = message.rsplit(": ").next().unwrap_or(message);
    json!({"cause": cause, "message": message, "response": status.as_u16()})
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::warn!(status = %self.status, "{}", self.message);
        } else {
            tracing::debug!(status = %self.status, "{}", self.message);
        }
        let mut b = body(self.status, &self.message);
        if let (Some(kind), Some(obj)) = (self.kind, b.as_object_mut()) {
            obj.insert("kind".into(), json!(kind));
        }
        (self.status, Json(b)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_map_to_docker_statuses() {
        assert_eq!(status_of(ErrorKind::NoSuchContainer), StatusCode::NOT_FOUND);
        assert_eq!(status_of(ErrorKind::InUse), StatusCode::CONFLICT);
        assert_eq!(
            status_of(ErrorKind::InvalidArgument),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            status_of(ErrorKind::NotImplemented),
            StatusCode::NOT_IMPLEMENTED
        );
        assert_eq!(
            status_of(ErrorKind::Other),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn body_has_message_cause_and_code() {
        let b = body(StatusCode::NOT_FOUND, "outer: no such container");
        assert_eq!(b["message"], "outer: no such container");
        assert_eq!(b["cause"], "no such container");
        assert_eq!(b["response"], 404);
    }
}
