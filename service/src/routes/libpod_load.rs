//! `POST /libpod/images/load`: the body is an image archive (docker-archive
//! or oci-archive tarball), spooled to a private file the engine loads;
//! `{"Names": [...]}`.

use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::StreamExt;
use rpod_api::front_door::images::ArchiveSource;
use rpod_api::image::ImageLoadReport;
use tokio::io::AsyncWriteExt;

use crate::error::{ApiError, ApiResult};
use crate::Engine;

/// A file removed when dropped.
pub(super) struct Spool(pub(super) std::path::PathBuf);

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn spool_err(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        format!("receiving the image archive: {e}"),
    )
}

/// `POST /libpod/images/load`.
pub async fn load(State(engine): State<Engine>, body: Body) -> ApiResult<Response> {
    Ok(Json(receive_and_load(&engine, body).await?).into_response())
}

/// The body's archive, spooled to a private file, loaded.
pub(super) async fn receive_and_load(engine: &Engine, body: Body) -> ApiResult<ImageLoadReport> {
    let spool = spool(body).await?;
    Ok(engine
        .image_load(ArchiveSource::Path(spool.0.clone()))
        .await?)
}

/// The request body in a private file (removed when the [`Spool`] is
/// dropped).
pub(super) async fn spool(body: Body) -> ApiResult<Spool> {
    let spool = Spool(std::env::temp_dir().join(format!(
        "rpod-load-{}-{}.tar",
        std::process::id(),
        uuid_like()
    )));
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&spool.0)
        .await
        .map_err(spool_err)?;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        file.write_all(&chunk.map_err(spool_err)?)
            .await
            .map_err(spool_err)?;
    }
    file.flush().await.map_err(spool_err)?;
    drop(file);
    Ok(spool)
}

/// A name no other request of this service uses at the same time.
fn uuid_like() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("{n}-{nanos}")
}
