//! Images: pull, push, list, inspect, remove, prune, tag, untag, exists, save,
//! load, import, commit, history, tree, mount, login, trust.
//!
//! Options follow Podman's `pkg/domain/entities/images.go`; reports live in
//! [`crate::image`]. Streams (pull/push progress, archives read or written on
//! stdin/stdout) are objects passed beside the request, so an HTTP client can
//! produce or consume them as well.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::image::{
    ImageData, ImageHistoryLayer, ImageLoadReport, ImageMountReport, ImagePruneReport,
    ImageRemoveReport, ImageSummary, ImageTreeReport, TrustPolicyEntry,
};
use crate::Result;

/// How to reach a registry: `--authfile`, `--cert-dir`, `--creds`, `--tls-verify`.
/// Auth files are read by the engine.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryOptions {
    /// `--authfile` (default: `REGISTRY_AUTH_FILE` or `${XDG_RUNTIME_DIR}/containers/auth.json`).
    #[serde(default)]
    pub authfile: Option<PathBuf>,
    /// `--cert-dir`.
    #[serde(default)]
    pub cert_dir: Option<PathBuf>,
    /// `--creds`, split: user name.
    #[serde(default)]
    pub username: Option<String>,
    /// `--creds`, split: password (empty when none was given).
    #[serde(default)]
    pub password: Option<String>,
    /// `--tls-verify`: `Some(false)` allows plain HTTP, `None` follows registries.conf.
    #[serde(default)]
    pub tls_verify: Option<bool>,
}

/// entities.ImagePullOptions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImagePullOptions {
    pub registry: RegistryOptions,
    /// `--signature-policy`.
    pub signature_policy: Option<PathBuf>,
    /// `--arch` / the architecture of `--platform`.
    pub arch: Option<String>,
    /// `--os` / the OS of `--platform`.
    pub os: Option<String>,
    /// The variant of `--platform`.
    pub variant: Option<String>,
    /// `--quiet`: no progress at all.
    pub quiet: bool,
    /// Report blob transfers as [`PullProgress::BlobStarted`]/`BlobAdvanced`/`BlobDone`
    /// events (for progress bars) instead of "Copying blob" lines.
    pub blob_progress: bool,
    /// `--retry`: attempts after a failure to reach the registry (`None`:
    /// Podman's 3).
    pub retry: Option<u32>,
    /// `--retry-delay`: the pause between attempts (`None`: 1 s, doubling
    /// at each attempt, as Podman).
    pub retry_delay: Option<std::time::Duration>,
    /// `pull --all-tags`: every tag of the repository (the reference
    /// names no tag).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all_tags: bool,
    /// `pull --policy`: when to pull (`None`: always).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<crate::container_run::PullPolicy>,
}

/// entities.ImagePullReport.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImagePullReport {
    /// The IDs of the pulled images.
    #[serde(rename = "images")]
    pub images: Vec<String>,
}

/// One progress event of a pull or push, in the order they happen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PullProgress {
    /// One line of Podman's plain progress text, without its newline
    /// ("Trying to pull ...", "Getting image source signatures", "Copying blob ...");
    /// Podman's REST API streams the same lines.
    Line(String),
    /// A blob transfer begins (`total` when the manifest says); a `skipped`
    /// blob is already stored.
    BlobStarted {
        digest: String,
        total: Option<u64>,
        skipped: bool,
    },
    /// `bytes` more of the blob arrived.
    BlobAdvanced { digest: String, bytes: u64 },
    /// The blob is stored.
    BlobDone { digest: String },
}

/// Receives progress events; called from several tasks at once.
pub trait ProgressSink: Send + Sync {
    fn event(&self, event: PullProgress);
}

/// entities.ImagePushOptions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImagePushOptions {
    pub registry: RegistryOptions,
    /// `--quiet`: no progress lines.
    pub quiet: bool,
    /// `--remove-signatures` (accepted; rpod stores none).
    pub remove_signatures: bool,
    /// `--compression-format`, `--compression-level`, `--force-compression`.
    #[serde(default)]
    pub compression: PushCompression,
}

/// How layers are compressed on push (`--compression-format`,
/// `--compression-level`, `--force-compression`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushCompression {
    /// `gzip` or `zstd`; `None` keeps each layer as stored.
    pub format: Option<String>,
    /// The algorithm's level (gzip 0-9, zstd 1-20).
    pub level: Option<i32>,
    /// `--force-compression`: recompress layers even when stored in the
    /// requested format (`None`: true when `format` is given, as Podman).
    pub force: Option<bool>,
}

/// entities.ImagePushReport.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImagePushReport {
    /// The digest of the pushed manifest (empty for archives).
    #[serde(rename = "ManifestDigest")]
    pub manifest_digest: String,
}

/// `images --sort`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageSort {
    #[default]
    Created,
    Id,
    Repository,
    Tag,
    Size,
}

/// entities.ImageListOptions (plus the sort order `images` prints in).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageListOptions {
    /// `--all` (accepted; rpod has no intermediate images).
    pub all: bool,
    /// `--filter` values as given (`dangling=true`, `reference=P`, `before=I`,
    /// `since=I`, `label=K[=V]`, `id=P`).
    pub filter: Vec<String>,
    pub sort: ImageSort,
}

/// entities.ImageRemoveOptions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRemoveOptions {
    /// `--all`: every image, whole.
    pub all: bool,
    /// `--force`: untag every name and remove containers using the image.
    pub force: bool,
    /// `--ignore`: a missing image is no error.
    pub ignore: bool,
    /// rpod's `run --rmi`: nothing goes (not even one of several names)
    /// while a container uses the image; that is an `InUse` error.
    #[serde(default)]
    pub unused_only: bool,
}

/// entities.ImagePruneOptions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImagePruneOptions {
    /// Every unused image, not only dangling ones.
    pub all: bool,
    /// `--filter` values (as for listing).
    pub filter: Vec<String>,
    /// Keep images stored at or after this time (Unix seconds).
    pub until: Option<i64>,
}

/// `save --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImageArchiveFormat {
    DockerArchive,
    OciArchive,
    OciDir,
    DockerDir,
}

/// entities.ImageSaveOptions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageSaveOptions {
    pub format: ImageArchiveFormat,
    /// `--uncompressed`.
    pub uncompressed: bool,
}

/// Where `save` writes.
pub enum SaveDestination {
    /// A file or directory on the engine's host (`--output`).
    Path(PathBuf),
    /// A byte stream (stdout); archives only.
    Stream(Box<dyn std::io::Write + Send>),
}

/// Where `load` and `import` read.
pub enum ArchiveSource {
    /// A file or directory on the engine's host.
    Path(PathBuf),
    /// A byte stream (stdin).
    Stream(Box<dyn std::io::Read + Send>),
}

/// entities.ImageImportOptions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageImportOptions {
    /// `--change` instructions.
    pub changes: Vec<String>,
    /// `--message`.
    pub message: Option<String>,
    /// `--arch` (host architecture by default).
    pub arch: Option<String>,
    /// `--os` (`linux` by default).
    pub os: Option<String>,
    /// The name of the new image.
    pub reference: Option<String>,
    /// The source as the user named it (recorded in the image's history).
    pub source_name: String,
}

/// entities.CommitOptions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitOptions {
    pub author: Option<String>,
    /// `--change` instructions, applied after the container's own settings.
    pub changes: Vec<String>,
    pub message: Option<String>,
    /// `--pause`: pause a running container during the commit.
    pub pause: bool,
    /// `--format` (`oci` or `docker`).
    pub format: Option<String>,
    /// The name of the new image.
    pub image_name: Option<String>,
}

/// entities.ImageUnmountOptions / ImageMountOptions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageMountOptions {
    /// `--all`.
    pub all: bool,
    /// `--force` (unmount only).
    pub force: bool,
}

/// `login`: credentials to check and store.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginOptions {
    /// The registry as given (`docker://host/ns/` is accepted).
    pub registry: String,
    pub username: String,
    pub password: String,
    /// `--authfile`, `--cert-dir`, `--tls-verify` (credentials unused).
    pub options: RegistryOptions,
}

/// `logout`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutOptions {
    pub authfile: Option<PathBuf>,
    /// `--all`.
    pub all: bool,
    pub registry: Option<String>,
}

/// `image trust set`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetTrustOptions {
    pub policy_path: Option<PathBuf>,
    /// `accept`, `reject`, `signedBy`.
    pub kind: String,
    pub pub_keys_file: Vec<PathBuf>,
    /// `default` or REGISTRY[/REPOSITORY].
    pub scope: String,
}

/// `image trust show`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ShowTrustReport {
    /// The policy file as stored (`--raw`).
    pub raw: serde_json::Value,
    pub entries: Vec<TrustPolicyEntry>,
}

/// Podman's `ImageEngine`, plus commit, login and logout.
#[async_trait]
pub trait Images: Send + Sync {
    /// `pull`: pulls `reference`; progress goes to `progress` unless quiet.
    async fn image_pull(
        &self,
        reference: &str,
        options: ImagePullOptions,
        progress: Option<Arc<dyn ProgressSink>>,
    ) -> Result<ImagePullReport>;

    /// `push`: copies `source` to `destination` (a registry reference, or
    /// `docker-archive:`, `oci-archive:`, `oci:`, `dir:` paths; the source's
    /// name when `None`).
    async fn image_push(
        &self,
        source: &str,
        destination: Option<&str>,
        options: ImagePushOptions,
        progress: Option<Arc<dyn ProgressSink>>,
    ) -> Result<ImagePushReport>;

    /// `images`.
    async fn image_list(&self, options: ImageListOptions) -> Result<Vec<ImageSummary>>;

    /// `image inspect` of one image ([`crate::ErrorKind::NoSuchImage`] if unknown).
    async fn image_inspect(&self, name_or_id: &str) -> Result<ImageData>;

    /// `rmi`: the report of what was untagged and deleted, and one error per
    /// image that could not be removed.
    async fn image_remove(
        &self,
        names: Vec<String>,
        options: ImageRemoveOptions,
    ) -> Result<ImageRemoveReport>;

    /// `image prune`.
    async fn image_prune(&self, options: ImagePruneOptions) -> Result<Vec<ImagePruneReport>>;

    /// `tag`.
    async fn image_tag(&self, name_or_id: &str, tags: Vec<String>) -> Result<()>;

    /// `untag` (every name when `tags` is empty).
    async fn image_untag(&self, name_or_id: &str, tags: Vec<String>) -> Result<()>;

    /// `image exists`.
    async fn image_exists(&self, name_or_id: &str) -> Result<bool>;

    /// `save`.
    async fn image_save(
        &self,
        names: Vec<String>,
        options: ImageSaveOptions,
        to: SaveDestination,
    ) -> Result<()>;

    /// `load`.
    async fn image_load(&self, from: ArchiveSource) -> Result<ImageLoadReport>;

    /// `import`: a new image from a root filesystem tarball; its ID.
    async fn image_import(
        &self,
        from: ArchiveSource,
        options: ImageImportOptions,
    ) -> Result<String>;

    /// `commit`: a new image from a container's changes; its ID.
    async fn container_commit(&self, name_or_id: &str, options: CommitOptions) -> Result<String>;

    /// `history`, newest layer first.
    async fn image_history(&self, name_or_id: &str) -> Result<Vec<ImageHistoryLayer>>;

    /// `image tree`.
    async fn image_tree(&self, name_or_id: &str) -> Result<ImageTreeReport>;

    /// `image mount`: mounts `names` (every image with `all`); with neither,
    /// lists the mounted images.
    async fn image_mount(
        &self,
        names: Vec<String>,
        options: ImageMountOptions,
    ) -> Result<Vec<ImageMountReport>>;

    /// `image umount`: the IDs of the images actually unmounted.
    async fn image_unmount(
        &self,
        names: Vec<String>,
        options: ImageMountOptions,
    ) -> Result<Vec<String>>;

    /// `login`: checks the credentials with the registry and stores them.
    async fn registry_login(&self, options: LoginOptions) -> Result<()>;

    /// `login --get-login`: the user name stored for `registry`.
    async fn registry_login_user(
        &self,
        registry: &str,
        authfile: Option<PathBuf>,
    ) -> Result<String>;

    /// `logout`: the key whose credentials were removed (`None` for `--all`).
    async fn registry_logout(&self, options: LogoutOptions) -> Result<Option<String>>;

    /// `image trust show`.
    async fn trust_show(&self, policy_path: Option<PathBuf>) -> Result<ShowTrustReport>;

    /// `image trust set`.
    async fn trust_set(&self, options: SetTrustOptions) -> Result<()>;
}

/// A `--filter` of `images` must be `KEY=VALUE` (or `KEY!=VALUE`): Podman's
/// message for one that is not.
pub fn check_image_filter_syntax(filters: &[String]) -> crate::Result<()> {
    match filters.iter().find(|f| !f.contains('=')) {
        Some(f) => Err(crate::Error::invalid(format!(
            "invalid image filter {f:?}: must be in the format \"filter=value or filter!=value\""
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_json() {
        let o = ImageListOptions {
            sort: ImageSort::Repository,
            ..Default::default()
        };
        let j = serde_json::to_value(&o).unwrap();
        assert_eq!(j["sort"], "repository");
        let f = serde_json::to_value(ImageArchiveFormat::DockerArchive).unwrap();
        assert_eq!(f, "docker-archive");
        let p = serde_json::to_value(PullProgress::BlobDone {
            digest: "sha256:1".into(),
        })
        .unwrap();
        assert_eq!(p["BlobDone"]["digest"], "sha256:1");
        let r = serde_json::to_value(ImagePullReport {
            images: vec!["a".into()],
        })
        .unwrap();
        assert_eq!(r["images"][0], "a");
    }
}
