//! `export` (`GET .../export`, the tar stream) and `diff`
//! (`GET .../changes`) of a container.

use std::io::Write;

use http_body_util::BodyExt;
use hyper::Method;
use rpod_api::container::{Change, DiffOptions, DiffReport, DiffType};
use rpod_api::front_door::containers::ExportOutput;
use rpod_api::{Error, Result};

use super::seg;
use crate::error::transport;
use crate::query::with_query;
use crate::RemoteEngine;

#[derive(serde::Deserialize)]
struct ChangeJson {
    #[serde(rename = "Path")]
    path: String,
    #[serde(rename = "Kind")]
    kind: u8,
}

fn io_error(e: std::io::Error) -> Error {
    Error::other(e.to_string())
}

/// Where a streamed response body goes.
pub(crate) enum BodySink<'a> {
    Stream(Box<dyn Write + Send>),
    /// A file, written whole or not at all: a temporary file beside it,
    /// renamed into place once the body has ended.
    File(&'a std::path::Path),
}

/// Copies `body` into `sink`; `what` names it in transport errors.
pub(crate) async fn write_body(
    mut body: hyper::body::Incoming,
    sink: BodySink<'_>,
    what: &str,
) -> Result<()> {
    let (mut w, file): (Box<dyn Write + Send>, _) = match sink {
        BodySink::Stream(w) => (w, None),
        BodySink::File(path) => {
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let tmp = tempfile::NamedTempFile::new_in(dir).map_err(io_error)?;
            let f = tmp.reopen().map_err(io_error)?;
            (Box::new(std::io::BufWriter::new(f)), Some((tmp, path)))
        }
    };
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| transport(&format!("reading {what}"), e))?;
        if let Some(chunk) = frame.data_ref() {
            w.write_all(chunk).map_err(io_error)?;
        }
    }
    w.flush().map_err(io_error)?;
    drop(w);
    if let Some((tmp, path)) = file {
        tmp.persist(path).map_err(|e| io_error(e.error))?;
    }
    Ok(())
}

impl RemoteEngine {
    pub(crate) async fn export(&self, name: &str, output: ExportOutput) -> Result<()> {
        let body = self
            .transport
            .stream(
                Method::GET,
                &format!("/containers/{}/export", seg(name)),
                None,
            )
            .await?;
        match output {
            ExportOutput::Stream(w) => write_body(body, BodySink::Stream(w), "the export").await,
            ExportOutput::File(path) => write_body(body, BodySink::File(&path), "the export").await,
        }
    }

    pub(crate) async fn diff(&self, name: &str, o: DiffOptions) -> Result<DiffReport> {
        if o.latest {
            return Err(crate::error::unsupported("diff --latest"));
        }
        let kind = match o.r#type {
            DiffType::All => "all",
            DiffType::Container => "container",
            DiffType::Image => "image",
        };
        let path = with_query(
            &format!("/containers/{}/changes", seg(name)),
            &[("diffType", kind.to_owned())],
        );
        let changes: Vec<ChangeJson> = self.transport.get(&path).await?;
        Ok(DiffReport {
            changes: changes
                .into_iter()
                .map(|c| Change {
                    path: c.path,
                    kind: match c.kind {
                        1 => 'A',
                        2 => 'D',
                        _ => 'C',
                    },
                })
                .collect(),
        })
    }
}
