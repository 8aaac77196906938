//! `build` (`image build`, `buildx build`): builds an image from a
//! Containerfile through Buildah, its output streamed as it comes.

use crate::prep::{Eager, Lazy, NoArgs};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Subcommand};
use rpod_api::front_door::build::{BuildContext, BuildOptions, BuildOutcome, BuildSink};
use rpod_api::front_door::manifests::ManifestAddOptions;

use super::common::{open_front_door, Globals};
use super::registry_opts::RegistryArgs;
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    registry: RegistryArgs,
    /// Pathname or URL of a Dockerfile
    #[arg(short = 'f', long = "file")]
    file: Vec<String>,
    /// Tagged name to apply to the built image
    #[arg(short = 't', long)]
    tag: Vec<String>,
    /// Argument=value to supply to the builder
    #[arg(long)]
    build_arg: Vec<String>,
    /// Argument-file with argument=value lines to supply to the builder
    #[arg(long)]
    build_arg_file: Vec<PathBuf>,
    /// Set the target build stage to build
    #[arg(long)]
    target: Option<String>,
    /// Use intermediate layers during build (default true; BUILDAH_LAYERS overrides)
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    layers: Option<bool>,
    /// Do not use existing cached images for the container build
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    no_cache: Option<bool>,
    /// Pull image policy: always, missing, never, newer (default "missing")
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "always")]
    pull: Option<String>,
    /// Always attempt to pull a newer version of the image
    #[arg(long)]
    pull_always: bool,
    /// Never pull the image from a registry
    #[arg(long)]
    pull_never: bool,
    /// Set the OS/ARCH[/VARIANT] of the image
    #[arg(long)]
    platform: Vec<String>,
    /// Set the OS of the image
    #[arg(long)]
    os: Option<String>,
    /// Set the ARCH of the image
    #[arg(long)]
    arch: Option<String>,
    /// Override the variant of the image
    #[arg(long)]
    variant: Option<String>,
    /// Set metadata for an image
    #[arg(long)]
    label: Vec<String>,
    /// Set metadata for an image (OCI format only)
    #[arg(long)]
    annotation: Vec<String>,
    /// Squash newly built layers into a single new layer
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    squash: Option<bool>,
    /// Squash all layers into a single layer
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    squash_all: Option<bool>,
    /// Refrain from announcing build instructions and image read/write progress
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Write the image ID to the file
    #[arg(long)]
    iidfile: Option<PathBuf>,
    /// Secret file to expose to the build
    #[arg(long)]
    secret: Vec<String>,
    /// Network mode for RUN instructions: private, none, host, ns:PATH
    #[arg(long, alias = "net")]
    network: Option<String>,
    /// Format of the built image's manifest and metadata: oci or docker
    #[arg(long)]
    format: Option<String>,
    /// Path to an alternate .containerignore file
    #[arg(long)]
    ignorefile: Option<PathBuf>,
    /// Process isolation: oci or chroot
    #[arg(long)]
    isolation: Option<String>,
    /// Remove intermediate containers after a successful build
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    rm: Option<bool>,
    /// Always remove intermediate containers after a build, even if unsuccessful (default true)
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    force_rm: Option<bool>,
    /// Set environment variable for the image
    #[arg(long)]
    env: Vec<String>,
    /// Unset environment variable from final image
    #[arg(long)]
    unsetenv: Vec<String>,
    /// Bind mount a volume into the container for RUN instructions
    #[arg(short = 'v', long)]
    volume: Vec<String>,
    /// Add a custom host-to-IP mapping (host:ip)
    #[arg(long)]
    add_host: Vec<String>,
    /// Add the specified capability when running
    #[arg(long)]
    cap_add: Vec<String>,
    /// Drop the specified capability when running
    #[arg(long)]
    cap_drop: Vec<String>,
    /// NAME=VALUE: an additional build context
    #[arg(long)]
    build_context: Vec<String>,
    /// Image name used to replace the value in the first FROM instruction
    #[arg(long)]
    from: Option<String>,
    /// Set created timestamp to the specified epoch seconds
    #[arg(long)]
    timestamp: Option<i64>,
    /// Add default identity label
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    identity_label: Option<bool>,
    /// Omit build history information from built image
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    omit_history: Option<bool>,
    /// Log to file instead of stdout/stderr
    #[arg(long)]
    logfile: Option<PathBuf>,
    /// Do not create new /etc/hosts files for RUN instructions
    #[arg(long)]
    no_hosts: bool,
    /// Pass through HTTP Proxy environment variables
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    http_proxy: Option<bool>,
    /// Set custom DNS servers
    #[arg(long)]
    dns: Vec<String>,
    /// Set custom DNS options
    #[arg(long)]
    dns_option: Vec<String>,
    /// Set custom DNS search domains
    #[arg(long)]
    dns_search: Vec<String>,
    /// Security options
    #[arg(long)]
    security_opt: Vec<String>,
    /// Ulimit options
    #[arg(long)]
    ulimit: Vec<String>,
    /// Additional devices to provide
    #[arg(long)]
    device: Vec<String>,
    /// Add global flags for the container runtime
    #[arg(long)]
    runtime_flag: Vec<String>,
    /// Remote repository to use as potential cache source
    #[arg(long)]
    cache_from: Vec<String>,
    /// Remote repository to use as potential cache destination
    #[arg(long)]
    cache_to: Vec<String>,
    /// Only consider cache images under this duration
    #[arg(long)]
    cache_ttl: Option<String>,
    /// Number of times to retry pulls
    #[arg(long)]
    retry: Option<u32>,
    /// Delay between retries
    #[arg(long)]
    retry_delay: Option<String>,
    /// Skip stages that do not affect the target stage
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    skip_unused_stages: Option<bool>,
    /// Do not compress layers by default
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = go_bool)]
    disable_compression: Option<bool>,
    /// How many stages to run in parallel
    #[arg(long)]
    jobs: Option<u32>,
    /// Pass stdin into containers
    #[arg(long)]
    stdin: bool,
    /// Key needed to decrypt the image
    #[arg(long)]
    decryption_key: Vec<String>,
    /// Path to a signature policy file
    #[arg(long, hide = true)]
    signature_policy: Option<PathBuf>,
    /// User namespace for RUN instructions
    #[arg(long)]
    userns: Option<String>,
    /// PID namespace for RUN instructions
    #[arg(long)]
    pid: Option<String>,
    /// IPC namespace for RUN instructions
    #[arg(long)]
    ipc: Option<String>,
    /// UTS namespace for RUN instructions
    #[arg(long)]
    uts: Option<String>,
    /// Cgroup namespace for RUN instructions
    #[arg(long)]
    cgroupns: Option<String>,
    /// Parent cgroup for RUN instructions
    #[arg(long)]
    cgroup_parent: Option<String>,
    /// Memory limit for RUN instructions
    #[arg(short = 'm', long)]
    memory: Option<String>,
    /// Memory plus swap limit for RUN instructions
    #[arg(long)]
    memory_swap: Option<String>,
    /// CPU shares for RUN instructions
    #[arg(short = 'c', long)]
    cpu_shares: Option<String>,
    /// CPU period for RUN instructions
    #[arg(long)]
    cpu_period: Option<String>,
    /// CPU quota for RUN instructions
    #[arg(long)]
    cpu_quota: Option<String>,
    /// CPUs for RUN instructions
    #[arg(long)]
    cpuset_cpus: Option<String>,
    /// Memory nodes for RUN instructions
    #[arg(long)]
    cpuset_mems: Option<String>,
    /// Size of /dev/shm for RUN instructions
    #[arg(long)]
    shm_size: Option<String>,
    /// Add the image to this manifest list, created if it does not exist
    #[arg(long)]
    manifest: Option<String>,
    /// Build for all platforms of the base image (not supported yet)
    #[arg(long)]
    all_platforms: bool,
    /// Sign the image (not supported)
    #[arg(long)]
    sign_by: Option<String>,
    /// Buildx compatibility: the image always lands in local storage
    #[arg(long, hide = true)]
    load: bool,
    /// Output destination (not supported yet)
    #[arg(short = 'o', long)]
    output: Option<String>,
    /// Context directory, URL, or - for a tarball on stdin
    context: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum BuildxCommand {
    /// Build an image using instructions from Containerfiles
    Build(Eager<Box<BuildArgs>>),
    /// Show the Buildah version
    Version(Lazy<NoArgs>),
}

/// A boolean as Go's strconv.ParseBool reads it (1, t, true, 0, f, false, ...).
fn go_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err(format!("strconv.ParseBool: parsing {s:?}: invalid syntax")),
    }
}

/// `buildx version`: the Buildah that builds, as Podman prints its own.
pub async fn buildx_version(g: &Globals) -> CliResult {
    let fd = open_front_door(g)?;
    let info = fd.system_info().await?;
    println!("buildah {}", info.host.buildah_version);
    Ok(0)
}

/// Writes the build's output to this process's stdout and stderr.
struct Terminal;

impl BuildSink for Terminal {
    fn stdout(&self, bytes: &[u8]) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(bytes);
        let _ = out.flush();
    }

    fn stderr(&self, bytes: &[u8]) {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(bytes);
        let _ = err.flush();
    }
}

fn is_url(s: &str) -> bool {
    ["http://", "https://", "git://", "github.com/", "git@"]
        .iter()
        .any(|p| s.starts_with(p))
}

fn absolute(p: &Path) -> CliResult<PathBuf> {
    std::path::absolute(p)
        .map_err(|e| CliError::usage(format!("determining path to {:?}: {e}", p.display())))
}

/// The flags Podman has and rpod refuses, in Podman's order.
fn refuse_unsupported(a: &BuildArgs) -> CliResult<()> {
    let refused = [
        ("--all-platforms", a.all_platforms),
        ("--sign-by", a.sign_by.is_some()),
        ("--output", a.output.is_some()),
        ("several --platform values", a.platform.len() > 1),
    ];
    match refused.iter().find(|(_, given)| *given) {
        Some((flag, _)) => Err(CliError::usage(format!(
            "rpod build: {flag} is not supported yet (see docs/compatibility.md)"
        ))),
        None => Ok(()),
    }
}

/// Podman's `--pull` policy from `--pull`, `--pull-always`, `--pull-never`.
fn pull_policy(a: &BuildArgs) -> CliResult<Option<String>> {
    if a.pull_always {
        return Ok(Some("always".into()));
    }
    if a.pull_never {
        return Ok(Some("never".into()));
    }
    match a.pull.as_deref() {
        None => Ok(None),
        Some(p) => match p.to_ascii_lowercase().as_str() {
            "always" | "true" => Ok(Some("always".into())),
            "missing" | "ifmissing" | "notpresent" => Ok(Some("missing".into())),
            "never" | "false" => Ok(Some("never".into())),
            "newer" | "ifnewer" => Ok(Some("newer".into())),
            _ => Err(CliError::usage(format!("unsupported pull policy {p:?}"))),
        },
    }
}

/// `--layers`'s default: true unless BUILDAH_LAYERS says 0 or false.
fn default_layers() -> bool {
    !matches!(
        std::env::var("BUILDAH_LAYERS").as_deref(),
        Ok("0") | Ok("false")
    )
}

fn options(a: &BuildArgs) -> CliResult<BuildOptions> {
    let mut namespaces = Vec::new();
    for (name, v) in [
        ("userns", &a.userns),
        ("pid", &a.pid),
        ("ipc", &a.ipc),
        ("uts", &a.uts),
        ("cgroupns", &a.cgroupns),
    ] {
        if let Some(v) = v {
            namespaces.push((name.to_string(), v.clone()));
        }
    }
    let mut run_limits = Vec::new();
    for (name, v) in [
        ("cgroup-parent", &a.cgroup_parent),
        ("memory", &a.memory),
        ("memory-swap", &a.memory_swap),
        ("cpu-shares", &a.cpu_shares),
        ("cpu-period", &a.cpu_period),
        ("cpu-quota", &a.cpu_quota),
        ("cpuset-cpus", &a.cpuset_cpus),
        ("cpuset-mems", &a.cpuset_mems),
        ("shm-size", &a.shm_size),
    ] {
        if let Some(v) = v {
            run_limits.push((name.to_string(), v.clone()));
        }
    }
    if let Some(f) = &a.format {
        if !matches!(f.as_str(), "oci" | "docker") {
            return Err(CliError::usage(format!("unrecognized image type {f:?}")));
        }
    }
    Ok(BuildOptions {
        tags: a.tag.clone(),
        build_args: a.build_arg.clone(),
        build_arg_files: a.build_arg_file.clone(),
        target: a.target.clone(),
        layers: a.layers.unwrap_or_else(default_layers),
        layers_given: a.layers.is_some(),
        no_cache: a.no_cache.unwrap_or(false),
        pull: pull_policy(a)?,
        platforms: a.platform.clone(),
        labels: a.label.clone(),
        annotations: a.annotation.clone(),
        squash: a.squash.unwrap_or(false),
        squash_all: a.squash_all.unwrap_or(false),
        quiet: a.quiet,
        iidfile: a.iidfile.clone(),
        secrets: a.secret.clone(),
        network: a.network.clone(),
        format: a.format.clone(),
        ignorefile: a.ignorefile.clone(),
        isolation: a.isolation.clone(),
        remove_intermediate: a.rm.unwrap_or(true),
        force_rm: a.force_rm.unwrap_or(true),
        env: a.env.clone(),
        unset_env: a.unsetenv.clone(),
        volumes: a.volume.clone(),
        add_hosts: a.add_host.clone(),
        cap_add: a.cap_add.clone(),
        cap_drop: a.cap_drop.clone(),
        build_contexts: a.build_context.clone(),
        from: a.from.clone(),
        timestamp: a.timestamp,
        identity_label: a.identity_label,
        omit_history: a.omit_history.unwrap_or(false),
        logfile: a.logfile.clone(),
        no_hosts: a.no_hosts,
        http_proxy: a.http_proxy,
        dns: a.dns.clone(),
        dns_options: a.dns_option.clone(),
        dns_search: a.dns_search.clone(),
        security_opts: a.security_opt.clone(),
        ulimits: a.ulimit.clone(),
        namespaces,
        run_limits,
        devices: a.device.clone(),
        runtime_flags: a.runtime_flag.clone(),
        cache_from: a.cache_from.clone(),
        cache_to: a.cache_to.clone(),
        cache_ttl: a.cache_ttl.clone(),
        retry: a.retry,
        retry_delay: a.retry_delay.clone(),
        skip_unused_stages: a.skip_unused_stages,
        disable_compression: a.disable_compression,
        jobs: a.jobs,
        registry: a.registry.options()?,
        signature_policy: a.signature_policy.clone(),
        decryption_keys: a.decryption_key.clone(),
        stdin: a.stdin,
        ..Default::default()
    })
}

/// Reads all of stdin (refusing a terminal, as Podman does).
fn read_stdin() -> CliResult<Vec<u8>> {
    let mut stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Err(CliError::usage(
            "cannot read from terminal, use command-line redirection",
        ));
    }
    let mut buf = Vec::new();
    std::io::Read::read_to_end(&mut stdin, &mut buf)
        .map_err(|e| CliError::usage(format!("reading stdin: {e}")))?;
    Ok(buf)
}

/// The context and Containerfiles as Podman determines them.
fn context_and_files(a: &BuildArgs, o: &mut BuildOptions) -> CliResult<BuildContext> {
    let mut context = a.context.clone();
    let mut stdin_file = false;
    // Containerfiles not found here: the context's, as Buildah takes them.
    let mut relative = Vec::new();
    for f in &a.file {
        if f == "-" {
            if context.is_none() {
                context = Some("-".into());
            } else {
                stdin_file = true;
            }
        } else if is_url(f) {
            o.containerfiles.push(PathBuf::from(f));
        } else if Path::new(f).is_absolute() || Path::new(f).exists() {
            // Absolute: the engine takes relative ones as the context's.
            o.containerfiles.push(absolute(Path::new(f))?);
        } else {
            relative.push(f.clone());
        }
    }
    if stdin_file {
        o.containerfile_text = Some(read_stdin()?);
    }
    let context = match context {
        Some(c) if c == "-" => {
            // Containerfiles not found here are the archive's.
            o.containerfiles.extend(relative.iter().map(PathBuf::from));
            let buf = read_stdin()?;
            return Ok(BuildContext::Tarball(Box::new(std::io::Cursor::new(buf))));
        }
        Some(c) if is_url(&c) => return Ok(BuildContext::Url(c)),
        Some(c) => absolute(Path::new(&c))?,
        None => match o
            .containerfiles
            .iter()
            .find(|f| !is_url(&f.to_string_lossy()))
            .cloned()
            .or_else(|| relative.drain(..).next().map(PathBuf::from))
        {
            Some(f) => {
                let f = absolute(&f)?;
                let dir = f.parent().map(Path::to_path_buf).unwrap_or_default();
                o.containerfiles.retain(|c| {
                    is_url(&c.to_string_lossy()) || absolute(c).ok() != Some(f.clone())
                });
                o.containerfiles.insert(0, f);
                dir
            }
            None => {
                return Err(CliError::usage(
                    "no context directory and no Containerfile specified",
                ))
            }
        },
    };
    if !context.is_dir() {
        return Err(CliError::usage(format!(
            "context must be a directory: {:?}",
            context.display().to_string()
        )));
    }
    o.containerfiles
        .extend(relative.iter().map(|f| context.join(f)));
    for f in &mut o.containerfiles {
        if !is_url(&f.to_string_lossy()) {
            *f = absolute(f)?;
        }
    }
    if o.containerfiles.is_empty() && o.containerfile_text.is_none() {
        let found = ["Containerfile", "Dockerfile"]
            .iter()
            .map(|n| context.join(n))
            .find(|p| p.exists());
        match found {
            Some(p) if p.is_dir() => {
                return Err(CliError::usage(format!(
                    "{}:  cannot be path or directory",
                    p.file_name()
                        .map(|n| n.to_string_lossy().to_lowercase())
                        .unwrap_or_default()
                )))
            }
            Some(p) => o.containerfiles.push(p),
            None => {
                return Err(CliError::usage(format!(
                    "no Containerfile or Dockerfile specified or found in context directory, {}: no such file or directory",
                    context.display()
                )))
            }
        }
    }
    for f in &o.containerfiles {
        if !is_url(&f.to_string_lossy()) && !f.exists() {
            return Err(CliError::usage(format!(
                "the specified Containerfile or Dockerfile does not exist, {}: no such file or directory",
                f.display()
            )));
        }
    }
    Ok(BuildContext::Dir(context))
}

pub async fn run(g: &Globals, a: BuildArgs) -> CliResult {
    refuse_unsupported(&a)?;
    if a.squash.is_some() && a.squash_all.is_some() {
        return Err(CliError::usage("cannot specify --squash-all with --squash"));
    }
    if a.network.as_deref() == Some("none") {
        for (flag, given) in [
            ("dns", !a.dns.is_empty()),
            ("dns-option", !a.dns_option.is_empty()),
            ("dns-search", !a.dns_search.is_empty()),
        ] {
            if given {
                return Err(CliError::usage(format!(
                    "the --{flag} option cannot be used with --network=none"
                )));
            }
        }
    }
    if a.network.as_deref().is_some_and(|n| n != "host") && a.isolation.as_deref() == Some("chroot")
    {
        return Err(CliError::usage(
            "cannot set --network other than host with --isolation chroot",
        ));
    }
    let mut o = options(&a)?;
    let context = context_and_files(&a, &mut o)?;
    let fd = open_front_door(g)?;
    match fd.image_build(context, o, Arc::new(Terminal)).await? {
        BuildOutcome::Built { image_id } => {
            if let Some(list) = &a.manifest {
                // Podman: the list is created if missing, the image added.
                let add = ManifestAddOptions {
                    amend: true,
                    ..Default::default()
                };
                fd.manifest_create(list, vec![format!("containers-storage:{image_id}")], add)
                    .await?;
            }
            Ok(0)
        }
        BuildOutcome::Failed { message, exit_code } => Err(CliError::Coded {
            msg: message,
            code: exit_code,
        }),
    }
}
