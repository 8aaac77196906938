//! Commit over the API: Docker's `POST /commit` and libpod's `POST
//! /libpod/commit` (`container repo tag comment author pause changes`,
//! libpod also `format`): 201 `{"Id": ID}`.

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rpod_api::front_door::images::CommitOptions;
use serde_json::{json, Value};

use crate::docker::query::RepeatedParams;
use crate::error::{read_body, ApiError, ApiResult};
use crate::Engine;

/// Podman's `util.DecodeChanges`: each value may hold several lines, and
/// `KEY=VALUE` before the first blank is `KEY VALUE`.
pub fn decode_changes(values: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for value in values {
        for change in value.split('\n') {
            let change = change.trim();
            if change.is_empty() {
                continue;
            }
            let eq = change.find('=');
            let space = change.find(char::is_whitespace);
            match eq {
                Some(i) if space.is_none_or(|s| i < s) => {
                    out.push(format!("{} {}", &change[..i], &change[i + 1..]));
                }
                _ => out.push(change.to_owned()),
            }
        }
    }
    out
}

/// Which API's commit.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavor {
    Docker,
    Libpod,
}

async fn commit(
    engine: Engine,
    q: Vec<(String, String)>,
    body: Body,
    flavor: Flavor,
) -> ApiResult<Response> {
    let params = RepeatedParams(&q);
    let one = |k: &str| params.last(k);
    let flag = |k: &str| params.flag(k);
    if flag("squash")? {
        return Err(ApiError::not_implemented(
            "commit --squash is not supported by rpod yet",
        ));
    }
    if flavor == Flavor::Libpod && flag("stream")? {
        return Err(ApiError::not_implemented(
            "streaming the commit's progress is not supported by rpod's service yet",
        ));
    }
    // The body may carry a container configuration to apply over the
    // container's own (Docker's clients send none or an empty one).
    let bytes = read_body(body).await?;
    if !bytes.iter().all(u8::is_ascii_whitespace) {
        let v: Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::bad_request(format!("Decode(): {e}")))?;
        let empty = v.is_null() || v.as_object().is_some_and(|o| o.values().all(is_zero));
        if !empty {
            return Err(ApiError::not_implemented(
                "a configuration in the body of a commit is not supported by rpod yet: use changes",
            ));
        }
    }
    let container =
        one("container").ok_or_else(|| ApiError::bad_request("container is required"))?;
    let tag = one("tag").unwrap_or_else(|| "latest".to_owned());
    let image_name = one("repo").map(|r| format!("{r}:{tag}"));
    let format = match flavor {
        Flavor::Docker => "docker".to_owned(),
        Flavor::Libpod => one("format").unwrap_or_else(|| "oci".to_owned()),
    };
    let changes: Vec<String> = q
        .iter()
        .filter(|(k, _)| k == "changes")
        .map(|(_, v)| v.clone())
        .collect();
    let options = CommitOptions {
        author: one("author"),
        changes: decode_changes(&changes),
        message: one("comment"),
        pause: flag("pause")?,
        format: Some(format),
        image_name,
    };
    if !engine
        .container_exists(&container, Default::default())
        .await?
    {
        return Err(ApiError::no_such_container(&container));
    }
    let id = engine
        .container_commit(&container, options)
        .await
        .map_err(|e| ApiError {
            kind: Some(e.kind),
            ..ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.message)
        })?;
    Ok((StatusCode::CREATED, Json(json!({"Id": id}))).into_response())
}

/// Whether a JSON value is its type's zero (nothing to apply).
fn is_zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.values().all(is_zero),
    }
}

/// `POST /commit`: the image in Docker's format (so `comment` is kept).
pub async fn docker(
    State(engine): State<Engine>,
    Query(q): Query<Vec<(String, String)>>,
    body: Body,
) -> ApiResult<Response> {
    commit(engine, q, body, Flavor::Docker).await
}

/// `POST /libpod/commit` (`format` oci, the default, or docker).
pub async fn libpod(
    State(engine): State<Engine>,
    Query(q): Query<Vec<(String, String)>>,
    body: Body,
) -> ApiResult<Response> {
    commit(engine, q, body, Flavor::Libpod).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_decoded_as_podman() {
        let v = vec![
            "CMD=/bin/sh\nENV A=b".to_owned(),
            "  LABEL x=y ".to_owned(),
            String::new(),
        ];
        assert_eq!(decode_changes(&v), ["CMD /bin/sh", "ENV A=b", "LABEL x=y"]);
        assert!(is_zero(&json!({"Env": [], "Cmd": null, "Tty": false})));
        assert!(!is_zero(&json!({"Cmd": ["sh"]})));
    }
}
