//! `GET /containers/{id}/logs`: the log as a stream, in Docker's
//! multiplexed frames (8-byte header: stream, 0, 0, 0, big-endian length)
//! unless the container has a terminal, where the bytes go raw.

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use rpod_api::logs::{ContainerLogsOptions, ContainerLogsRequest, LogDevice, LogLine, LogsTarget};

use super::containers::inspect_one;
use crate::docker::query::Params;
use crate::error::{ApiError, ApiResult};
use crate::Engine;

/// One Docker stream frame: `kind` 1 is stdout, 2 stderr.
pub fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + payload.len());
    out.extend_from_slice(&[kind, 0, 0, 0]);
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// What to send of each line.
struct Shape {
    stdout: bool,
    stderr: bool,
    timestamps: bool,
    tty: bool,
}

impl Shape {
    fn bytes(&self, line: &LogLine) -> Option<Vec<u8>> {
        let (wanted, kind) = match line.device {
            LogDevice::Stdout => (self.stdout, 1),
            LogDevice::Stderr => (self.stderr, 2),
        };
        if !wanted {
            return None;
        }
        let mut text = Vec::new();
        if self.timestamps {
            text.extend_from_slice(line.time.as_bytes());
            text.push(b' ');
        }
        text.extend_from_slice(line.msg.as_bytes());
        if !line.partial {
            text.push(b'\n');
        }
        Some(if self.tty { text } else { frame(kind, &text) })
    }
}

/// A time parameter (`since`, `until`): Unix seconds, maybe fractional.
fn unix_nanos(p: &Params, key: &str) -> ApiResult<Option<i64>> {
    match p.get(key) {
        None | Some("") | Some("0") => Ok(None),
        Some(v) => v
            .parse::<f64>()
            .map(|s| Some((s * 1e9) as i64))
            .map_err(|_| {
                ApiError::bad_request(format!("invalid {key} {v:?}: Unix seconds expected"))
            }),
    }
}

pub async fn logs(
    State(engine): State<Engine>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let p = Params(q);
    let shape = Shape {
        stdout: p.bool("stdout", false)?,
        stderr: p.bool("stderr", false)?,
        timestamps: p.bool("timestamps", false)?,
        tty: false,
    };
    if !shape.stdout && !shape.stderr {
        return Err(ApiError::bad_request(
            "Bad parameters: you must choose at least one stream",
        ));
    }
    let tail = match p.get("tail") {
        None | Some("") | Some("all") => -1,
        Some(t) => t
            .parse::<i64>()
            .map_err(|_| ApiError::bad_request(format!("invalid tail {t:?}")))?,
    };
    let data = inspect_one(&engine, &id, false).await?;
    let shape = Shape {
        tty: data.config.as_ref().is_some_and(|c| c.tty),
        ..shape
    };
    let request = ContainerLogsRequest {
        target: LogsTarget::Containers(vec![data.id.clone()]),
        options: ContainerLogsOptions {
            follow: p.bool("follow", false)?,
            since: unix_nanos(&p, "since")?,
            until: unix_nanos(&p, "until")?,
            tail,
            times: p.bool("timestamps", false)?,
        },
    };
    let lines = engine.container_logs(request).await?;
    let content_type = if shape.tty {
        "application/vnd.docker.raw-stream"
    } else {
        "application/vnd.docker.multiplexed-stream"
    };
    let stream = futures_util::stream::unfold((lines, shape), |(mut lines, shape)| async move {
        loop {
            match lines.next_line().await {
                None => return None,
                Some(Err(e)) => {
                    tracing::warn!("reading logs: {e}");
                    return None;
                }
                Some(Ok(line)) => {
                    if let Some(bytes) = shape.bytes(&line) {
                        return Some((Ok::<_, std::io::Error>(Bytes::from(bytes)), (lines, shape)));
                    }
                }
            }
        }
    });
    Ok((
        [(header::CONTENT_TYPE, content_type)],
        Body::from_stream(stream),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_have_docker_headers() {
        assert_eq!(
            frame(2, b"hi\n"),
            [2, 0, 0, 0, 0, 0, 0, 3, b'h', b'i', b'\n']
        );
    }

    #[test]
    fn lines_as_sent() {
        let line = LogLine {
            container_id: "c".into(),
            container_name: "n".into(),
            device: LogDevice::Stdout,
            time: "2026-01-01T00:00:00.5Z".into(),
            time_nanos: 0,
            partial: false,
            msg: "hi".into(),
        };
        let s = Shape {
            stdout: true,
            stderr: false,
            timestamps: true,
            tty: true,
        };
        assert_eq!(s.bytes(&line).unwrap(), b"2026-01-01T00:00:00.5Z hi\n");
        let err = LogLine {
            device: LogDevice::Stderr,
            ..line
        };
        assert_eq!(s.bytes(&err), None);
    }
}
