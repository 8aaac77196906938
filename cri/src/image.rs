//! ImageService over the front door's image operations.

use std::collections::HashMap;
use std::sync::Arc;

use k8s_cri::v1 as cri;
use k8s_cri::v1::image_service_server::ImageService;
use rpod_api::front_door::images::{
    ImageListOptions, ImagePullOptions, ImageRemoveOptions, RegistryOptions,
};
use rpod_api::image::ImageData;
use tonic::{Request, Response, Status};

use crate::serve::Shared;
use crate::status::{from_api, is_not_found, missing};

/// The ImageService of one server.
pub struct ImageSvc {
    shared: Arc<Shared>,
}

impl ImageSvc {
    pub(crate) fn new(shared: Arc<Shared>) -> ImageSvc {
        ImageSvc { shared }
    }
}

/// The image a request names.
fn named(spec: Option<&cri::ImageSpec>) -> Result<String, Status> {
    spec.map(|i| i.image.clone())
        .filter(|i| !i.is_empty())
        .ok_or_else(|| missing("image"))
}

/// The image's user: a number as `uid`, a name as `username`.
fn user(config_user: &str) -> (Option<cri::Int64Value>, String) {
    let name = config_user.split(':').next().unwrap_or_default();
    match name.parse::<i64>() {
        Ok(uid) => (Some(cri::Int64Value { value: uid }), String::new()),
        Err(_) if name.is_empty() => (Some(cri::Int64Value { value: 0 }), String::new()),
        Err(_) => (None, name.to_owned()),
    }
}

fn image_of(d: &ImageData) -> cri::Image {
    let user_text = d
        .config
        .as_ref()
        .and_then(|c| c.get("User"))
        .and_then(|u| u.as_str())
        .unwrap_or(&d.user);
    let (uid, username) = user(user_text);
    cri::Image {
        id: d.id.clone(),
        repo_tags: d.repo_tags.clone().unwrap_or_default(),
        repo_digests: d.repo_digests.clone().unwrap_or_default(),
        size: u64::try_from(d.size).unwrap_or(0),
        uid,
        username,
        spec: Some(cri::ImageSpec {
            image: d.id.clone(),
            ..Default::default()
        }),
        pinned: false,
    }
}

/// `username`/`password` of a CRI auth config (`auth` is base64 `user:pass`).
fn credentials(auth: &cri::AuthConfig) -> Result<(Option<String>, Option<String>), Status> {
    if !auth.identity_token.is_empty() || !auth.registry_token.is_empty() {
        return Err(Status::unimplemented(
            "identity and registry tokens are not supported by rpod's CRI endpoint: use username and password",
        ));
    }
    if !auth.username.is_empty() {
        return Ok((Some(auth.username.clone()), Some(auth.password.clone())));
    }
    if auth.auth.is_empty() {
        return Ok((None, None));
    }
    let decoded = base64_decode(&auth.auth)
        .ok_or_else(|| Status::invalid_argument("AuthConfig.auth is not base64 user:password"))?;
    let (u, p) = decoded
        .split_once(':')
        .ok_or_else(|| Status::invalid_argument("AuthConfig.auth is not base64 user:password"))?;
    Ok((Some(u.to_owned()), Some(p.to_owned())))
}

/// Standard base64 (with or without padding) as text.
fn base64_decode(s: &str) -> Option<String> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(s.trim_end_matches('='))
        .ok()?;
    String::from_utf8(bytes).ok()
}

#[tonic::async_trait]
impl ImageService for ImageSvc {
    async fn list_images(
        &self,
        req: Request<cri::ListImagesRequest>,
    ) -> Result<Response<cri::ListImagesResponse>, Status> {
        let engine = &self.shared.engine;
        let wanted = req
            .into_inner()
            .filter
            .and_then(|f| f.image)
            .map(|i| i.image)
            .filter(|i| !i.is_empty());
        let ids: Vec<String> = match wanted {
            Some(name) => vec![name],
            None => engine
                .image_list(ImageListOptions::default())
                .await
                .map_err(from_api)?
                .into_iter()
                .map(|i| i.id)
                .collect(),
        };
        let mut images = Vec::new();
        for id in ids {
            match engine.image_inspect(&id).await {
                Ok(d) => images.push(image_of(&d)),
                Err(e) if is_not_found(&e) => {}
                Err(e) => return Err(from_api(e)),
            }
        }
        Ok(Response::new(cri::ListImagesResponse { images }))
    }

    async fn image_status(
        &self,
        req: Request<cri::ImageStatusRequest>,
    ) -> Result<Response<cri::ImageStatusResponse>, Status> {
        let req = req.into_inner();
        let name = named(req.image.as_ref())?;
        let (image, info) = match self.shared.engine.image_inspect(&name).await {
            Ok(d) => {
                let mut info = HashMap::new();
                if req.verbose {
                    let json = serde_json::to_string(&d)
                        .map_err(|e| Status::internal(format!("encoding the image: {e}")))?;
                    info.insert("info".to_owned(), json);
                }
                (Some(image_of(&d)), info)
            }
            // CRI: an image that is not stored is no error, just no image.
            Err(e) if is_not_found(&e) => (None, HashMap::new()),
            Err(e) => return Err(from_api(e)),
        };
        Ok(Response::new(cri::ImageStatusResponse { image, info }))
    }

    async fn pull_image(
        &self,
        req: Request<cri::PullImageRequest>,
    ) -> Result<Response<cri::PullImageResponse>, Status> {
        let req = req.into_inner();
        let name = named(req.image.as_ref())?;
        let (username, password) = match &req.auth {
            Some(a) => credentials(a)?,
            None => (None, None),
        };
        let options = ImagePullOptions {
            registry: RegistryOptions {
                username,
                password,
                ..RegistryOptions::default()
            },
            quiet: true,
            ..ImagePullOptions::default()
        };
        let report = self
            .shared
            .engine
            .image_pull(&name, options, None)
            .await
            .map_err(from_api)?;
        let image_ref = report
            .images
            .into_iter()
            .next()
            .ok_or_else(|| Status::internal(format!("pulling {name}: no image was stored")))?;
        Ok(Response::new(cri::PullImageResponse { image_ref }))
    }

    async fn remove_image(
        &self,
        req: Request<cri::RemoveImageRequest>,
    ) -> Result<Response<cri::RemoveImageResponse>, Status> {
        let name = named(req.into_inner().image.as_ref())?;
        let options = ImageRemoveOptions {
            force: false,
            ..ImageRemoveOptions::default()
        };
        match self.shared.engine.image_remove(vec![name], options).await {
            Ok(report) => match report.errors.into_iter().find(|e| !is_not_found(e)) {
                Some(e) => Err(from_api(e)),
                None => Ok(Response::new(cri::RemoveImageResponse {})),
            },
            // CRI: removing an image that is gone is no error.
            Err(e) if is_not_found(&e) => Ok(Response::new(cri::RemoveImageResponse {})),
            Err(e) => Err(from_api(e)),
        }
    }

    async fn image_fs_info(
        &self,
        _req: Request<cri::ImageFsInfoRequest>,
    ) -> Result<Response<cri::ImageFsInfoResponse>, Status> {
        let engine = &self.shared.engine;
        let info = engine.system_info().await.map_err(from_api)?;
        let used: i64 = engine
            .image_list(ImageListOptions::default())
            .await
            .map_err(from_api)?
            .iter()
            .map(|i| i.size)
            .sum();
        let usage = cri::FilesystemUsage {
            timestamp: chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default(),
            fs_id: Some(cri::FilesystemIdentifier {
                mountpoint: info.store.graph_root,
            }),
            used_bytes: Some(cri::UInt64Value {
                value: u64::try_from(used).unwrap_or(0),
            }),
            inodes_used: None,
        };
        Ok(Response::new(cri::ImageFsInfoResponse {
            image_filesystems: vec![usage],
            container_filesystems: Vec::new(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_forms() {
        let a = cri::AuthConfig {
            auth: "dXNlcjpwYXNz".into(),
            ..Default::default()
        };
        assert_eq!(
            credentials(&a).unwrap(),
            (Some("user".into()), Some("pass".into()))
        );
        let a = cri::AuthConfig {
            username: "u".into(),
            password: "p".into(),
            ..Default::default()
        };
        assert_eq!(
            credentials(&a).unwrap(),
            (Some("u".into()), Some("p".into()))
        );
        let a = cri::AuthConfig {
            registry_token: "t".into(),
            ..Default::default()
        };
        assert_eq!(
            credentials(&a).unwrap_err().code(),
            tonic::Code::Unimplemented
        );
        assert_eq!(
            credentials(&cri::AuthConfig {
                auth: "!!".into(),
                ..Default::default()
            })
            .unwrap_err()
            .code(),
            tonic::Code::InvalidArgument
        );
    }

    #[test]
    fn users() {
        assert_eq!(user("1000:10").0, Some(cri::Int64Value { value: 1000 }));
        assert_eq!(user("").0, Some(cri::Int64Value { value: 0 }));
        assert_eq!(user("nobody"), (None, "nobody".to_owned()));
    }
}
