//! OCI runtime spec generation: what [`ContainerOptions`] and the image's
//! configuration mean for `config.json`, following Podman's defaults.
//!
//! - [`generate`] builds the [`Spec`]; [`write_spec`] writes it to a bundle.
//! - [`write_etc_files`] produces /etc/hosts, /etc/resolv.conf and
//!   /etc/hostname for the container; [`hostname_for`] picks the hostname.
//! - [`process_spec_for_exec`] builds the process of an `exec` session.
//! - [`resolve_user`] resolves `-u` inside a rootfs without escaping it.

mod blkio;
mod devices;
mod error;
mod etc_files;
pub(crate) mod etc_hosts;
mod image_config;
mod init;
mod join;
mod kernel;
mod linux;
mod mounts;
mod notify;
mod process;
pub mod realtime;
mod resources;
mod rootfs;
mod seccomp;
mod security;
mod user;
mod userns;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use oci_spec::runtime::{ProcessBuilder, RootBuilder, Spec, SpecBuilder};

pub use blkio::write_throttles;
pub use error::SpecError;
#[cfg(test)]
pub use etc_files::write_etc_files;
pub use etc_files::{write_etc_files_with, EtcFiles, EtcNet};
pub use image_config::ImageDefaults;
pub use join::{join_namespaces, join_own_namespaces};
pub use kernel::check_ulimit;
#[cfg(test)]
pub use linux::{MASKED_PATHS, READONLY_PATHS};
pub use mounts::read_only_dev;
pub use notify::{add_notify_socket, NOTIFY_SOCKET_NAME};
pub use process::process_spec_for_exec;
pub use process::{is_root_user, DEFAULT_CAPABILITIES};
pub use resources::linux_resources;
pub(crate) use rootfs::link_mtab;
pub use security::{capability_sets, inspect_cap_add_drop, inspect_security_opts};
pub use user::resolve_user;
pub use userns::{apply_user_namespace, UserNs};

use crate::container::ns_modes::NsMode;
use crate::container::options::{ContainerOptions, NetworkMode};

/// OCI runtime spec version written into `config.json`.
pub const OCI_VERSION: &str = "1.0.2-dev";

/// Annotation naming the engine that created a container (Podman: libpod).
pub const MANAGER_ANNOTATION: &str = "io.container.manager";

/// Everything [`generate`] needs.
#[derive(Debug)]
pub struct SpecInput<'a> {
    /// Full container id.
    pub id: &'a str,
    /// What the user asked for.
    pub options: &'a ContainerOptions,
    /// Raw OCI or Docker image config JSON (empty for no image config).
    pub image_config: &'a [u8],
    /// The mounted root filesystem (read for passwd/group; the working
    /// directory is created in it when missing).
    pub rootfs: &'a Path,
    /// Generated files bind-mounted into /etc.
    pub etc_files: &'a EtcFiles,
    /// `linux.cgroupsPath`, `None` to leave it to the runtime.
    pub cgroups_path: Option<String>,
    /// The container's volumes as bind mounts of their host paths
    /// ([`crate::volume::container_binds`]).
    pub volume_binds: &'a [crate::container::BindMount],
}

/// The container's hostname: `--hostname`, else the host's with
/// `--network host` or `--uts host` (as Podman), else the first 12
/// characters of the id.
pub fn hostname_for(id: &str, options: &ContainerOptions) -> String {
    if let Some(h) = options.hostname.as_ref().filter(|h| !h.is_empty()) {
        return h.clone();
    }
    if options.network == NetworkMode::Host || options.namespaces.uts == NsMode::Host {
        if let Ok(h) = nix::unistd::gethostname() {
            if let Some(h) = h.to_str().filter(|h| !h.is_empty()) {
                return h.to_owned();
            }
        }
    }
    id.chars().take(12).collect()
}

/// The environment a container is configured with (inspect's
/// `Config.Env`, as Podman's create-time spec): the defaults, the image's
/// (`image_config`, raw; empty for `--rootfs`), the terminal's and the
/// user's, without the HOSTNAME and HOME the start adds.
pub fn configured_env(image_config: &[u8], opts: &ContainerOptions) -> Vec<String> {
    let image_env = ImageDefaults::parse(image_config)
        .map(|i| i.env)
        .unwrap_or_default();
    let defaults = process::DefaultEnv {
        image: &image_env,
        tty: opts.tty,
        unset: &opts.unset_env,
        unset_all: opts.unset_env_all,
    };
    process::container_env(&defaults, &opts.env)
}

/// Builds the runtime spec for container `input.id`.
pub fn generate(input: &SpecInput) -> Result<Spec, SpecError> {
    let opts = input.options;
    let image = ImageDefaults::parse(input.image_config)?;
    let user_spec = match &opts.user {
        Some(u) => u.clone(),
        // `--userns=keep-id` runs as the caller (root: 0:0), as Podman.
        None if opts.namespaces.user == crate::container::ns_modes::UserNsMode::KeepId => {
            "0:0".to_owned()
        }
        None => image.user.clone(),
    };
    let group_add = user::resolve_groups(input.rootfs, &opts.group_add)?;
    let exec_user = user::with_groups(resolve_user(input.rootfs, &user_spec)?, &group_add);
    let mut args = process::resolve_command(opts, &image)?;
    let hostname = hostname_for(input.id, opts);
    let defaults = process::DefaultEnv {
        image: &image.env,
        tty: opts.tty,
        unset: &opts.unset_env,
        unset_all: opts.unset_env_all,
    };
    let env = process::merge_env(&defaults, &opts.env, &hostname, &exec_user.home);
    let binds: Vec<_> = opts
        .mounts
        .iter()
        .chain(input.volume_binds)
        .cloned()
        .collect();
    let ro_tmpfs = opts.read_only && !opts.read_only_no_tmpfs;
    let mut mounts = mounts::build(
        input.etc_files,
        &binds,
        &opts.tmpfs,
        ro_tmpfs,
        opts.no_hostname,
    )?;
    if let Some(size) = opts.resources.shm_size {
        mounts::set_shm_size(&mut mounts, size);
    }
    if opts.security.init {
        let binary = init::init_binary(opts.security.init_path.as_deref())?;
        let (mount, wrapped) = init::wrap(&binary, args)?;
        mounts.push(mount);
        args = wrapped;
    }
    let cwd = working_dir(input, &image, &mounts, (exec_user.uid, exec_user.gid))?;

    let root_user = process::is_root_user(&user_spec);
    let caps = security::capability_sets(&opts.security, root_user);
    let mut process = ProcessBuilder::default()
        .terminal(opts.tty)
        .user(process::oci_user(&exec_user, opts.umask)?)
        .args(args)
        .env(env)
        .cwd(cwd)
        .capabilities(security::oci_capabilities(&caps, root_user)?)
        .rlimits(kernel::apply_ulimits(
            process::host_rlimits()?,
            &opts.resources.ulimits,
        )?)
        .no_new_privileges(opts.security.no_new_privileges)
        .build()?;
    process.set_oom_score_adj(opts.resources.oom_score_adj);
    let root = RootBuilder::default()
        .path(input.rootfs)
        .readonly(opts.read_only)
        .build()?;
    let cgroup2 = crate::runtime::cgroup_mode() == crate::runtime::CgroupMode::Unified;
    let mut linux = linux::build(
        &opts.network,
        &opts.namespaces,
        cgroup2,
        input.cgroups_path.as_deref(),
    )?;
    security::apply_linux(&mut linux, &opts.security, &caps.bounding)?;
    resources::apply(&mut linux, &opts.resources)?;
    if !opts.cgroup.conf.is_empty() {
        // `--cgroup-conf`: the runtime writes them (cgroup v2 only; runc
        // refuses them on a v1 host, as under Podman).
        if let Some(r) = linux.resources_mut() {
            r.set_unified(Some(opts.cgroup.conf.iter().cloned().collect()));
        }
    }
    kernel::apply_sysctls(&mut linux, &opts.security, &opts.network, &opts.namespaces)?;
    devices::apply(&mut linux, &opts.security)?;
    let mut spec = SpecBuilder::default()
        .version(OCI_VERSION)
        .process(process)
        .root(root)
        .hostname(hostname)
        .mounts(mounts)
        .linux(linux)
        .annotations(
            opts.annotations
                .iter()
                .cloned()
                .chain([(MANAGER_ANNOTATION.to_string(), "rpod".to_string())])
                .collect::<HashMap<_, _>>(),
        )
        .build()?;
    if opts.namespaces.uts == NsMode::Host {
        // The host's UTS namespace keeps the host's name (the runtime
        // refuses a hostname without a UTS namespace of its own).
        spec.set_hostname(None);
    }
    Ok(spec)
}

/// Checks what the security and resource options need from the host (a
/// `seccomp=FILE` profile, `--device` nodes, `--ulimit` within the host's
/// hard limits, the `--init` binary, `--sysctl` against the network mode)
/// so bad input fails before a container is created.
pub fn validate_host_options(opts: &ContainerOptions) -> Result<(), SpecError> {
    let sec = &opts.security;
    seccomp::validate(sec.seccomp_profile.as_deref())?;
    for d in &sec.devices {
        devices::host_device(d)?;
    }
    for u in &opts.resources.ulimits {
        kernel::check_ulimit(u)?;
    }
    check_blkio(&opts.resources)?;
    if sec.init {
        init::init_binary(sec.init_path.as_deref())?;
    }
    kernel::check_sysctls(sec, &opts.network, &opts.namespaces)
}

/// Checks the block I/O limits (block devices, the weight's range) and
/// warns, as Podman does, about those (and the real-time CPU values) the
/// host cannot apply.
pub fn check_blkio(r: &rpod_api::container_run::ResourceSpec) -> Result<(), SpecError> {
    for w in blkio::check(r)?.into_iter().chain(realtime::warnings(r)) {
        tracing::warn!("{w}");
    }
    Ok(())
}

/// `--workdir`, else the image's WorkingDir, else `/`. The image's (or the
/// default) is created, owned by the container user, when missing; a
/// `--workdir` must exist (Podman's "does not exist on container"), unless
/// it lies on, under or above a mount, or a symlink on its way leaves the
/// check to the runtime.
fn working_dir(
    input: &SpecInput,
    image: &ImageDefaults,
    mounts: &[oci_spec::runtime::Mount],
    owner: (u32, u32),
) -> Result<String, SpecError> {
    let given = input.options.workdir.clone().filter(|w| !w.is_empty());
    let explicit = given.is_some();
    let dir = given.unwrap_or_else(|| image.working_dir.clone());
    let dir = if dir.is_empty() {
        "/".to_owned()
    } else if dir.starts_with('/') {
        dir
    } else {
        format!("/{dir}")
    };
    if dir == "/" {
        return Ok(dir);
    }
    let state = if explicit {
        if mounts::on_mount(&dir, mounts) {
            return Ok(dir);
        }
        rootfs::probe_dir(input.rootfs, &dir)?
    } else {
        if mounts::under_user_mount(&dir, &input.options.mounts) {
            return Ok(dir);
        }
        rootfs::ensure_dir(input.rootfs, &dir, owner)?
    };
    match state {
        rootfs::DirState::NotADirectory => Err(SpecError::WorkdirNotDir(dir, input.id.to_owned())),
        rootfs::DirState::Missing {
            through_link: false,
        } => Err(SpecError::WorkdirMissing(dir, input.id.to_owned())),
        _ => Ok(dir),
    }
}

/// Whether the `config.json` in `bundle_dir` has poststop hooks (the
/// runtime's `delete` runs them). A missing or unreadable file counts as
/// having them (the runtime keeps its own copy of the hooks): the caller
/// then keeps the order that is right for hooks.
pub fn has_poststop_hooks(bundle_dir: &Path) -> bool {
    #[derive(serde::Deserialize)]
    struct Hooks {
        #[serde(default)]
        poststop: Vec<serde::de::IgnoredAny>,
    }
    #[derive(serde::Deserialize)]
    struct WithHooks {
        #[serde(default)]
        hooks: Option<Hooks>,
    }
    std::fs::read(bundle_dir.join("config.json"))
        .ok()
        .and_then(|json| serde_json::from_slice::<WithHooks>(&json).ok())
        .is_none_or(|s| s.hooks.is_some_and(|h| !h.poststop.is_empty()))
}

/// Writes `spec` as `config.json` in `bundle_dir` (atomically: temp file,
/// rename) and returns its path.
pub fn write_spec(spec: &Spec, bundle_dir: &Path) -> Result<PathBuf, SpecError> {
    use std::io::Write;
    let path = bundle_dir.join("config.json");
    let tmp = bundle_dir.join(".config.json.tmp");
    let json = serde_json::to_vec_pretty(spec)
        .map_err(|e| SpecError::io("encode", &path, std::io::Error::other(e)))?;
    let mut f = std::fs::File::create(&tmp).map_err(|e| SpecError::io("create", &tmp, e))?;
    // The bundle lives in the volatile run root, which a crash of the
    // machine empties: the rename makes the file appear whole, no fsync is
    // needed.
    f.write_all(&json)
        .map_err(|e| SpecError::io("write", &tmp, e))?;
    std::fs::rename(&tmp, &path).map_err(|e| SpecError::io("rename", &path, e))?;
    Ok(path)
}

/// Reads a bundle's `config.json` back.
pub fn load_spec(path: &Path) -> Result<Spec, SpecError> {
    let bytes = std::fs::read(path).map_err(|e| SpecError::io("read", path, e))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| SpecError::io("decode", path, std::io::Error::other(e)))
}

/// The command a container will run (entrypoint + cmd after the user's
/// overrides), without needing its root filesystem.
pub fn resolve_command(
    options: &ContainerOptions,
    image_config: &[u8],
) -> Result<Vec<String>, SpecError> {
    process::resolve_command(options, &ImageDefaults::parse(image_config)?)
}

#[cfg(test)]
mod tests;
