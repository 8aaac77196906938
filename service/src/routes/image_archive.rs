//! Image archives over the API: Docker's `GET /images/{name}/get`,
//! `GET /images/get?names=` (docker-archive tarballs) and `POST
//! /images/load`; libpod's `GET /libpod/images/{name}/get` and `GET
//! /libpod/images/export?references=` (`format`), and `POST
//! /libpod/images/import` (a root filesystem tarball as a new image).

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rpod_api::front_door::images::{
    ArchiveSource, ImageArchiveFormat, ImageImportOptions, ImageSaveOptions, SaveDestination,
};
use serde_json::json;
use tokio::io::AsyncReadExt;

use crate::docker::query::{bool_value, Params, RepeatedParams};
use crate::error::{ApiError, ApiResult};
use crate::Engine;

/// `names` saved as one archive into a private file (as Podman), then
/// streamed: every image is looked up first, so a missing one is a 404
/// with the engine's message, and a failed save is an error status, never
/// a cut archive.
async fn save_stream(
    engine: Engine,
    names: Vec<String>,
    options: ImageSaveOptions,
) -> ApiResult<Response> {
    for name in &names {
        engine.image_inspect(name).await?;
    }
    let path = std::env::temp_dir().join(format!(
        "rpod-save-{}-{}.tar",
        std::process::id(),
        next_id()
    ));
    let spool = super::libpod_load::Spool(path.clone());
    if matches!(
        options.format,
        ImageArchiveFormat::OciDir | ImageArchiveFormat::DockerDir
    ) {
        save_dir_as_tar(&engine, names, options, &path).await?;
    } else {
        engine
            .image_save(names, options, SaveDestination::Path(path.clone()))
            .await?;
    }
    let file = tokio::fs::File::open(&path).await.map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("failed to read the exported tarfile: {e}"),
        )
    })?;
    // The open file keeps the data; the name goes now.
    drop(spool);
    let stream = futures_util::stream::unfold(file, |mut file| async move {
        let mut buf = vec![0u8; 1 << 16];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(Bytes::from(buf)), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    });
    Ok((
        [(header::CONTENT_TYPE, "application/x-tar")],
        Body::from_stream(stream),
    )
        .into_response())
}

/// A directory format saved into a private directory, then archived
/// into `tar_path` (its entries relative to the directory, as Podman's).
async fn save_dir_as_tar(
    engine: &Engine,
    names: Vec<String>,
    options: ImageSaveOptions,
    tar_path: &std::path::Path,
) -> ApiResult<()> {
    let internal = |e: std::io::Error| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("archiving the saved directory: {e}"),
        )
    };
    let dir =
        std::env::temp_dir().join(format!("rpod-save-{}-{}.d", std::process::id(), next_id()));
    let _dir_guard = RemoveDir(dir.clone());
    engine
        .image_save(names, options, SaveDestination::Path(dir.clone()))
        .await?;
    let tar_path = tar_path.to_owned();
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let file = std::fs::File::create(&tar_path)?;
        let mut builder = tar::Builder::new(std::io::BufWriter::new(file));
        builder.follow_symlinks(false);
        builder.append_dir_all(".", &dir)?;
        builder
            .into_inner()?
            .into_inner()
            .map_err(|e| e.into_error())?;
        Ok(())
    })
    .await
    .map_err(|e| internal(std::io::Error::other(e)))?
    .map_err(internal)
}

/// A directory removed (with its content) when dropped.
struct RemoveDir(std::path::PathBuf);

impl Drop for RemoveDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A number no other save of this service uses at the same time.
fn next_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

const DOCKER_ARCHIVE: ImageSaveOptions = ImageSaveOptions {
    format: ImageArchiveFormat::DockerArchive,
    uncompressed: false,
};

/// `GET /images/{name}/get`: the image as a docker-archive tarball.
pub async fn docker_get_one(engine: Engine, name: &str) -> ApiResult<Response> {
    save_stream(engine, vec![name.to_owned()], DOCKER_ARCHIVE).await
}

/// `GET /images/get?names=A&names=B`: one docker-archive with them all.
pub async fn docker_get_many(
    State(engine): State<Engine>,
    Query(q): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let names = RepeatedParams(&q).all("names");
    if names.is_empty() {
        return Err(ApiError::bad_request("no images to download"));
    }
    save_stream(engine, names, DOCKER_ARCHIVE).await
}

/// `POST /images/load` (`quiet`: there is no progress to leave out): the
/// body is the archive; `{"stream": "Loaded image: NAME[,NAME]"}`.
pub async fn docker_load(
    State(engine): State<Engine>,
    Query(q): Query<HashMap<String, String>>,
    body: Body,
) -> ApiResult<Response> {
    Params(q).bool("quiet", false)?;
    let report = super::libpod_load::receive_and_load(&engine, body).await?;
    if report.names.is_empty() {
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "one or more images are required",
        ));
    }
    Ok(
        Json(json!({"stream": format!("Loaded image: {}", report.names.join(","))}))
            .into_response(),
    )
}

/// libpod's `format` (default oci-archive; oci-dir and docker-dir are sent
/// as a tar of the directory) and `compress` / `ociAcceptUncompressedLayers`.
fn libpod_save_options(q: &[(String, String)]) -> ApiResult<ImageSaveOptions> {
    let get = |k: &str| {
        q.iter()
            .rev()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    let flag = |k: &str| -> ApiResult<bool> {
        match get(k) {
            None | Some("") => Ok(false),
            Some(v) => bool_value(k, v),
        }
    };
    let format = match get("format").unwrap_or("") {
        "" | "oci-archive" => ImageArchiveFormat::OciArchive,
        "docker-archive" => ImageArchiveFormat::DockerArchive,
        "oci-dir" => ImageArchiveFormat::OciDir,
        "docker-dir" => ImageArchiveFormat::DockerDir,
        other => {
            return Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("unknown format {other:?}"),
            ))
        }
    };
    if flag("compress")? {
        return Err(ApiError::not_implemented(
            "compress (directory formats only) is not supported by rpod's service yet",
        ));
    }
    Ok(ImageSaveOptions {
        format,
        uncompressed: flag("ociAcceptUncompressedLayers")?,
    })
}

/// `GET /libpod/images/{name}/get` (`format`, default oci-archive).
pub async fn libpod_get_one(
    engine: Engine,
    name: &str,
    q: &[(String, String)],
) -> ApiResult<Response> {
    let options = libpod_save_options(q)?;
    save_stream(engine, vec![name.to_owned()], options).await
}

/// `GET /libpod/images/export?references=A&references=B` (`format`;
/// several images only as docker-archive, as Podman).
pub async fn libpod_export(
    State(engine): State<Engine>,
    Query(q): Query<Vec<(String, String)>>,
) -> ApiResult<Response> {
    let names = RepeatedParams(&q).all("references");
    if names.is_empty() {
        return Err(ApiError::bad_request("no references"));
    }
    let options = libpod_save_options(&q)?;
    if names.len() > 1 && options.format != ImageArchiveFormat::DockerArchive {
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "multi-image archives must use format of docker-archive",
        ));
    }
    save_stream(engine, names, options).await
}

/// `POST /libpod/images/import` (`reference`, `message`, `changes`
/// repeated, each one change as the client gave it (Podman's import does not split them at
/// newlines as its commit does), `OS`, `Architecture`; `URL`, `Variant`: 501): the body is a
/// root filesystem tarball; `{"Id": ID}`.
pub async fn libpod_import(
    State(engine): State<Engine>,
    Query(q): Query<Vec<(String, String)>>,
    body: Body,
) -> ApiResult<Response> {
    let params = RepeatedParams(&q);
    let one = |k: &str| params.last(k);
    if one("URL").is_some() || one("Variant").is_some() {
        return Err(ApiError::not_implemented(
            "importing from a URL or with a variant over the API is not supported by rpod yet",
        ));
    }
    let options = ImageImportOptions {
        changes: params.all("changes"),
        message: one("message"),
        reference: one("reference"),
        arch: one("Architecture"),
        os: one("OS"),
        source_name: "-".to_owned(),
    };
    let spool = super::libpod_load::spool(body).await?;
    let id = engine
        .image_import(ArchiveSource::Path(spool.0.clone()), options)
        .await
        .map_err(|e| ApiError {
            kind: Some(e.kind),
            ..ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("unable to import tarball: {}", e.message),
            )
        })?;
    Ok(Json(json!({"Id": id})).into_response())
}
