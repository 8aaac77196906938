//! Builds: `build` (`image build`, `buildx build`) from a Containerfile
//! through Buildah.
//!
//! Options follow Podman's `entities.BuildOptions` (Buildah's
//! `define.BuildOptions`); the build's own output is streamed through a
//! [`BuildSink`] as it happens, as Podman prints Buildah's.

use std::path::PathBuf;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::front_door::images::RegistryOptions;
use crate::Result;

/// Where the build context comes from.
pub enum BuildContext {
    /// A directory on the engine's host.
    Dir(PathBuf),
    /// A git repository or tarball URL (`http(s)://`, `git://`, `github.com/...`).
    Url(String),
    /// A tar archive (plain, gzip, bzip2, xz or zstd), e.g. stdin for `-`.
    Tarball(Box<dyn std::io::Read + Send>),
}

/// entities.BuildOptions: the flags of `podman build`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildOptions {
    /// `-f/--file`: Containerfiles, relative to the current directory; empty
    /// for the context's `Containerfile` or `Dockerfile`.
    pub containerfiles: Vec<PathBuf>,
    /// The Containerfile's text when `-f -` read it from stdin.
    pub containerfile_text: Option<Vec<u8>>,
    /// `-t/--tag`: names of the built image.
    pub tags: Vec<String>,
    /// `--build-arg KEY=VALUE` (or `KEY`, taken from the environment).
    pub build_args: Vec<String>,
    /// `--build-arg-file`.
    pub build_arg_files: Vec<PathBuf>,
    /// `--target`: the stage to stop at.
    pub target: Option<String>,
    /// `--layers` (Podman's default: true).
    pub layers: bool,
    /// `--layers` was given (it then applies to `--squash-all` too).
    pub layers_given: bool,
    /// `--no-cache`.
    pub no_cache: bool,
    /// `--pull`: always, missing, never or newer (`None`: missing).
    pub pull: Option<String>,
    /// `--platform OS/ARCH[/VARIANT]` (one; several need manifest lists).
    pub platforms: Vec<String>,
    /// `--label KEY=VALUE`.
    pub labels: Vec<String>,
    /// `--annotation KEY=VALUE`.
    pub annotations: Vec<String>,
    /// `--squash`: the new layers as one.
    pub squash: bool,
    /// `--squash-all`: the whole image as one layer.
    pub squash_all: bool,
    /// `-q/--quiet`: only the image ID.
    pub quiet: bool,
    /// `--iidfile`: where to write `sha256:ID`.
    pub iidfile: Option<PathBuf>,
    /// `--secret id=ID,src=PATH`.
    pub secrets: Vec<String>,
    /// `--network` for RUN steps.
    pub network: Option<String>,
    /// `--format oci|docker` (`None`: oci).
    pub format: Option<String>,
    /// `--ignorefile`.
    pub ignorefile: Option<PathBuf>,
    /// `--isolation oci|chroot` (`None`: oci).
    pub isolation: Option<String>,
    /// `--rm` (true) / `--force-rm`: remove intermediate containers.
    pub remove_intermediate: bool,
    /// `--force-rm` (Podman's default: true).
    pub force_rm: bool,
    /// `--env KEY=VALUE` added to every stage.
    pub env: Vec<String>,
    /// `--unsetenv`, `--unsetlabel`.
    pub unset_env: Vec<String>,
    pub unset_labels: Vec<String>,
    /// `--volume` for RUN steps.
    pub volumes: Vec<String>,
    /// `--add-host`.
    pub add_hosts: Vec<String>,
    /// `--cap-add`, `--cap-drop`.
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    /// `--build-context NAME=VALUE`.
    pub build_contexts: Vec<String>,
    /// `--from`: replaces the first stage's FROM image.
    pub from: Option<String>,
    /// `--timestamp`: seconds since the epoch for every created time.
    pub timestamp: Option<i64>,
    /// `--identity-label` (true).
    pub identity_label: Option<bool>,
    /// `--omit-history`.
    pub omit_history: bool,
    /// `--logfile`: the build's output goes there instead.
    pub logfile: Option<PathBuf>,
    /// `--no-hosts`, `--no-hostname`.
    pub no_hosts: bool,
    pub no_hostname: bool,
    /// `--http-proxy` (true).
    pub http_proxy: Option<bool>,
    /// `--dns`, `--dns-option`, `--dns-search`.
    pub dns: Vec<String>,
    pub dns_options: Vec<String>,
    pub dns_search: Vec<String>,
    /// `--security-opt`.
    pub security_opts: Vec<String>,
    /// `--ulimit`.
    pub ulimits: Vec<String>,
    /// `--userns`, `--pid`, `--ipc`, `--uts` for RUN steps.
    pub namespaces: Vec<(String, String)>,
    /// `--cgroupns`, `--cgroup-parent`, `--memory`, `--cpu-*` etc. as given.
    pub run_limits: Vec<(String, String)>,
    /// `--device`.
    pub devices: Vec<String>,
    /// `--runtime-flag`.
    pub runtime_flags: Vec<String>,
    /// `--cache-from`, `--cache-to`, `--cache-ttl`.
    pub cache_from: Vec<String>,
    pub cache_to: Vec<String>,
    pub cache_ttl: Option<String>,
    /// `--retry`, `--retry-delay` for pulls.
    pub retry: Option<u32>,
    pub retry_delay: Option<String>,
    /// `--skip-unused-stages` (true).
    pub skip_unused_stages: Option<bool>,
    /// `--disable-compression` (true in Podman).
    pub disable_compression: Option<bool>,
    /// `--jobs`.
    pub jobs: Option<u32>,
    /// `--os`, `--arch`, `--variant`.
    pub os: Option<String>,
    pub arch: Option<String>,
    pub variant: Option<String>,
    /// `--creds`, `--authfile`, `--cert-dir`, `--tls-verify`.
    pub registry: RegistryOptions,
    /// `--signature-policy`.
    pub signature_policy: Option<PathBuf>,
    /// `--decryption-key`.
    pub decryption_keys: Vec<String>,
    /// `--stdin`: keep stdin open for RUN steps.
    pub stdin: bool,
}

/// How a build ended once Buildah ran.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BuildOutcome {
    /// The image is in the store; its ID (without `sha256:`).
    Built { image_id: String },
    /// Buildah failed: its message (without "Error: ") and its exit code
    /// (a failing RUN's own code, else 125), as Podman exits.
    Failed { message: String, exit_code: i32 },
}

/// Receives the build's output as Buildah writes it.
pub trait BuildSink: Send + Sync {
    /// Progress (`STEP 1/5: FROM ...`, RUN output, `COMMIT`, the ID).
    fn stdout(&self, bytes: &[u8]);
    /// Warnings and pull progress.
    fn stderr(&self, bytes: &[u8]);
}

/// The build service.
#[async_trait]
pub trait Builds: Send + Sync {
    /// `build`: builds `context` with `options`, streaming to `sink`.
    async fn image_build(
        &self,
        context: BuildContext,
        options: BuildOptions,
        sink: std::sync::Arc<dyn BuildSink>,
    ) -> Result<BuildOutcome>;
}
