//! `create` and the container flags shared with `run`.

use std::path::Path;

use clap::Args;
use rpod_api::container_run::{
    ContainerSpec, CreateSpec, ImageVolumeMode, InitCtrMode, PodTarget, PullPolicy,
};
use rpod_api::error_chain::io_reason;

use super::common::{open_front_door, parse_signal, Globals};
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct CreateArgs {
    #[command(flatten)]
    pub flags: ContainerFlags,
    /// IMAGE [COMMAND [ARG...]]
    #[arg(
        required = true,
        trailing_var_arg = true,
        value_name = "IMAGE [COMMAND [ARG...]]"
    )]
    pub image_and_command: Vec<String>,
}

/// Flags of `create` and `run` (Podman's names).
#[derive(Debug, Args)]
pub struct ContainerFlags {
    /// Print help
    #[arg(long, action = clap::ArgAction::Help)]
    help: Option<bool>,
    /// Assign a name to the container
    #[arg(long)]
    pub name: Option<String>,
    /// Remove container and any anonymous unnamed volume associated with the container after exit
    #[arg(long = "rm", num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub rm_given: Option<bool>,
    /// `--rm` as resolved ([`ContainerFlags::resolve_rm`]; `run --rmi`
    /// implies it).
    #[arg(skip)]
    pub rm: bool,
    /// Make STDIN available to the contained process
    #[arg(short = 'i', long)]
    pub interactive: bool,
    /// Allocate a pseudo-TTY for container
    #[arg(short = 't', long)]
    pub tty: bool,
    /// Set environment variables in container
    #[arg(short = 'e', long = "env")]
    pub env: Vec<String>,
    /// Read in a file of environment variables
    #[arg(long = "env-file")]
    pub env_file: Vec<String>,
    /// Use all current host environment variables in container
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub env_host: Option<bool>,
    /// Read in a line delimited file of labels
    #[arg(long)]
    pub label_file: Vec<String>,
    /// Set timezone in container (a zone name such as Europe/Berlin, or "local" for the host's)
    #[arg(long)]
    pub tz: Option<String>,
    /// Logging driver for the container (k8s-file, json-file, none)
    #[arg(long)]
    pub log_driver: Option<String>,
    /// Path to the file that will receive the PID of the container's monitor (Podman: conmon)
    #[arg(long)]
    pub conmon_pidfile: Option<String>,
    /// Read the pod ID from the file
    #[arg(long)]
    pub pod_id_file: Option<String>,
    /// Maximum length of time a container is allowed to run. The container will be killed automatically after the time expires.
    #[arg(long)]
    pub timeout: Option<u64>,
    /// Unset environment default variables in container
    #[arg(long)]
    pub unsetenv: Vec<String>,
    /// Unset all default environment variables in container
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub unsetenv_all: bool,
    /// Working directory inside the container
    #[arg(short = 'w', long)]
    pub workdir: Option<String>,
    /// Username or UID (format: <name|uid>[:<group|gid>])
    #[arg(short = 'u', long)]
    pub user: Option<String>,
    /// Add additional groups to the primary container process ('keep-groups' is not supported)
    #[arg(long, value_delimiter = ',')]
    pub group_add: Vec<String>,
    /// Set umask in container
    #[arg(long)]
    pub umask: Option<String>,
    /// Overwrite the default ENTRYPOINT of the image
    #[arg(long)]
    pub entrypoint: Option<String>,
    /// Set container hostname
    #[arg(short = 'h', long)]
    pub hostname: Option<String>,
    /// Do not create /etc/hostname within the container, instead use the version from the image
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub no_hostname: Option<bool>,
    /// Bind mount a volume into the container
    #[arg(short = 'v', long = "volume")]
    pub volume: Vec<String>,
    /// Attach a filesystem mount to the container (type=bind|volume|tmpfs,...)
    #[arg(long)]
    pub mount: Vec<String>,
    /// Mount a temporary filesystem (tmpfs) into a container
    #[arg(long)]
    pub tmpfs: Vec<String>,
    /// Mount volumes from the specified container(s) (CTR[:ro|rw|z])
    #[arg(long)]
    pub volumes_from: Vec<String>,
    /// Tells rpod how to handle the builtin image volumes (anonymous, bind, tmpfs, ignore)
    #[arg(long)]
    pub image_volume: Option<String>,
    /// Add secret to container (NAME[,type=mount|env,target=,uid=,gid=,mode=])
    #[arg(long)]
    pub secret: Vec<String>,
    /// Make containers root filesystem read-only
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub read_only: Option<bool>,
    /// When running --read-only containers, mount read-write tmpfs on /dev, /dev/shm, /run, /tmp, and /var/tmp
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub read_only_tmpfs: Option<bool>,
    /// The first argument is not an image but the root filesystem to use (PATH[:O])
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub rootfs: Option<bool>,
    #[command(flatten)]
    pub net: super::network_flags::NetworkFlags,
    /// Logging driver options
    #[arg(long = "log-opt")]
    pub log_opt: Vec<String>,
    /// Set metadata on container
    #[arg(short = 'l', long = "label")]
    pub label: Vec<String>,
    /// Signal to stop a container. Default is SIGTERM
    #[arg(long)]
    pub stop_signal: Option<String>,
    /// Timeout (in seconds) that containers stopped by user command have to exit. If exceeded, the container will be forcibly stopped via SIGKILL
    #[arg(long)]
    pub stop_timeout: Option<u64>,
    /// Pull image policy (always, missing, never, newer)
    #[arg(long, default_value = "missing")]
    pub pull: String,
    /// Require HTTPS and verify certificates when contacting registries
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    pub tls_verify: Option<bool>,
    /// Suppress output information when pulling images
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Run container in an existing pod (or `new:NAME` to create one)
    #[arg(long)]
    pub pod: Option<String>,
    /// Add one or more requirement containers that must be started before this container will start
    #[arg(long)]
    pub requires: Vec<String>,
    /// Make this a pod init container (once, always)
    #[arg(long)]
    pub init_ctr: Option<String>,
    #[command(flatten)]
    pub service: super::service_flags::ServiceFlags,
    #[command(flatten)]
    pub meta: super::create_meta_flags::MetaFlags,
    #[command(flatten)]
    pub limits: super::limit_flags::LimitFlags,
    /// IPC namespace to use (host, private, shareable, none, container:ID, ns:PATH)
    #[arg(long)]
    pub ipc: Option<String>,
    /// PID namespace to use (host, private, container:ID, ns:PATH)
    #[arg(long)]
    pub pid: Option<String>,
    /// UTS namespace to use (host, private, container:ID, ns:PATH)
    #[arg(long)]
    pub uts: Option<String>,
    /// Cgroup namespace to use (host, private, container:ID, ns:PATH)
    #[arg(long)]
    pub cgroupns: Option<String>,
    /// User namespace to use (host, keep-id, auto[:OPTIONS], private, container:ID, ns:PATH)
    #[arg(long)]
    pub userns: Option<String>,
    /// UID map for the user namespace (CONTAINER_UID:HOST_UID:AMOUNT)
    #[arg(long)]
    pub uidmap: Vec<String>,
    /// GID map for the user namespace (CONTAINER_GID:HOST_GID:AMOUNT)
    #[arg(long)]
    pub gidmap: Vec<String>,
    /// Name of range listed in /etc/subuid for use in user namespace
    #[arg(long)]
    pub subuidname: Option<String>,
    /// Name of range listed in /etc/subgid for use in user namespace
    #[arg(long)]
    pub subgidname: Option<String>,
    /// Optional parent cgroup for the container
    #[arg(long)]
    pub cgroup_parent: Option<String>,
    /// Control container cgroup configuration ("enabled"|"disabled"|"no-conmon"|"split")
    #[arg(long)]
    pub cgroups: Option<String>,
    /// Configure cgroup v2 (key=value)
    #[arg(long)]
    pub cgroup_conf: Vec<String>,
    #[command(flatten)]
    pub refused: super::create_refused::RefusedFlags,
}

impl ContainerFlags {
    /// Settles `--rm`: as given, else `default` (`run --rmi` implies it).
    pub fn resolve_rm(&mut self, default: bool) {
        self.rm = self.rm_given.unwrap_or(default);
    }

    /// Turns the flags into the front door's create request, validating
    /// every value before anything is created.
    pub fn to_spec(
        &self,
        image: &str,
        command: &[String],
        runtime: Option<String>,
    ) -> CliResult<CreateSpec> {
        self.refused.check()?;
        let mut env = Vec::new();
        if self.env_host == Some(true) {
            env.extend(std::env::vars().map(|(k, v)| format!("{k}={v}")));
        }
        for file in &self.env_file {
            env.extend(read_env_file(Path::new(file))?);
        }
        for e in &self.env {
            check_env_name(e)?;
            env.extend(expand_env(e));
        }

        let entrypoint = self.entrypoint.as_ref().map(|e| parse_entrypoint(e));
        let mounts = rpod_api::container_run::mount_flags::Mounts::parse(
            &self.volume,
            &self.mount,
            &self.tmpfs,
        )
        .map_err(CliError::usage)?;
        let network = self.net.to_spec()?;
        let LogOpts {
            max_size: log_max_size,
            max_files: log_max_files,
            path: log_path,
        } = parse_log_opts(&self.log_opt)?;
        let mut label_lines = Vec::new();
        for file in &self.label_file {
            label_lines.extend(read_label_file(Path::new(file))?);
        }
        label_lines.extend(self.label.iter().cloned());
        let mut labels: Vec<(String, String)> = Vec::new();
        for l in &label_lines {
            let (k, v) = match l.split_once('=') {
                Some((k, v)) => (k.to_owned(), v.to_owned()),
                None => (l.clone(), String::new()),
            };
            // Later values win, as Podman's label map does.
            labels.retain(|(old, _)| *old != k);
            labels.push((k, v));
        }
        // Started by a systemd unit (Quadlet, `generate systemd --new`): the
        // unit is recorded, as Podman does, for `auto-update` to restart it.
        if let Some(unit) = std::env::var_os("PODMAN_SYSTEMD_UNIT") {
            labels.retain(|(old, _)| old != "PODMAN_SYSTEMD_UNIT");
            labels.push((
                "PODMAN_SYSTEMD_UNIT".to_owned(),
                unit.to_string_lossy().into_owned(),
            ));
        }
        // containers.conf's default applies in the engine.
        let log_driver = match self.log_driver.as_deref() {
            None => None,
            Some(d @ ("k8s-file" | "json-file" | "journald" | "none")) => Some(d.to_owned()),
            Some("passthrough" | "passthrough-tty") => {
                return Err(CliError::usage(format!(
                    "--log-driver {} is not supported yet: rpod has k8s-file (json-file), journald and none",
                    self.log_driver.as_deref().unwrap_or_default()
                )))
            }
            Some(_) => {
                return Err(CliError::usage(
                    "running container create option: invalid log driver: invalid argument",
                ))
            }
        };
        let stop_signal = self.stop_signal.as_deref().map(parse_signal).transpose()?;
        if let Some(w) = &self.workdir {
            if !w.starts_with('/') {
                return Err(CliError::usage(format!(
                    "workdir {w:?} must be an absolute path"
                )));
            }
        }
        let umask = self.umask.as_deref().map(parse_umask).transpose()?;
        if self.group_add.len() > 1 && self.group_add.iter().any(|g| g == "keep-groups") {
            return Err(CliError::usage(
                "the '--group-add keep-groups' option is not allowed with any other --group-add options",
            ));
        }
        if self.group_add.iter().any(|g| g == "keep-groups") {
            return Err(CliError::usage(
                "--group-add keep-groups is not supported: it needs crun, which refuses this host's cgroup layout",
            ));
        }
        let options = ContainerSpec {
            umask,
            group_add: self.group_add.clone(),
            image: image.to_owned(),
            rootfs: self.rootfs.unwrap_or(false),
            command: command.to_vec(),
            entrypoint,
            env,
            timeout: self.timeout,
            unset_env: self.unsetenv.clone(),
            unset_env_all: self.unsetenv_all,
            workdir: self.workdir.clone(),
            user: self.user.clone(),
            hostname: self.hostname.clone(),
            no_hostname: self.no_hostname.unwrap_or(false),
            tty: self.tty,
            interactive: self.interactive,
            mounts: mounts.binds,
            volumes: mounts.volumes,
            tmpfs: mounts.tmpfs,
            volumes_from: self.volumes_from.clone(),
            image_volume: self.image_volume_mode()?,
            read_only: self.read_only,
            read_only_tmpfs: self.read_only_tmpfs,
            network,
            timezone: self.tz.clone(),
            log_max_size,
            runtime,
            remove: self.rm,
            remove_image: false,
            preserve_fds: 0,
            labels,
            annotations: Vec::new(),
            stop_signal,
            stop_timeout: self.stop_timeout,
            log_max_files,
            log_path,
            log_driver,
            restart: None,
            healthcheck: None,
            no_healthcheck: false,
            startup_healthcheck: None,
            health_log: Default::default(),
            requires: self.requires.clone(),
            init_ctr: self.init_ctr_mode()?,
            security: self.limits.security()?,
            resources: self.limits.resources()?,
            namespaces: rpod_api::container_run::NamespaceSpec {
                ipc: self.ipc.clone(),
                pid: self.pid.clone(),
                uts: self.uts.clone(),
                cgroupns: self.cgroupns.clone(),
                userns: self.userns.clone(),
                uidmap: self.uidmap.clone(),
                gidmap: self.gidmap.clone(),
                subuidname: self.subuidname.clone(),
                subgidname: self.subgidname.clone(),
            },
            cgroup: rpod_api::container_run::CgroupSpec {
                parent: self.cgroup_parent.clone(),
                mode: self.cgroups.clone(),
                conf: self.cgroup_conf.clone(),
            },
            image_mounts: mounts.images,
            fs_mounts: mounts.fs,
            secrets: self
                .secret
                .iter()
                .map(|s| rpod_api::secret::SecretUse::parse(s).map_err(CliError::usage))
                .collect::<CliResult<_>>()?,
        };
        let mut spec = CreateSpec {
            options,
            name: self.name.clone(),
            pull: PullPolicy::parse(&self.pull)
                .ok_or_else(|| CliError::usage(format!("invalid pull policy {:?}", self.pull)))?,
            tls_verify: self.tls_verify,
            quiet: self.quiet,
            pod: self.pod_target()?,
            conmon_pidfile: self.conmon_pidfile.clone(),
            ..Default::default()
        };
        self.service.apply(&mut spec)?;
        self.meta.apply(&mut spec)?;
        Ok(spec)
    }

    /// `--image-volume` (`bind` is Podman's name for anonymous volumes).
    fn image_volume_mode(&self) -> CliResult<Option<ImageVolumeMode>> {
        match self.image_volume.as_deref() {
            None => Ok(None),
            Some("anonymous" | "bind") => Ok(Some(ImageVolumeMode::Anonymous)),
            Some("tmpfs") => Ok(Some(ImageVolumeMode::Tmpfs)),
            Some("ignore") => Ok(Some(ImageVolumeMode::Ignore)),
            Some(other) => Err(CliError::usage(format!(
                "invalid image volume mode {other:?}: must be one of \"anonymous\", \"bind\", \"tmpfs\" or \"ignore\""
            ))),
        }
    }

    /// `--init-ctr`.
    fn init_ctr_mode(&self) -> CliResult<Option<InitCtrMode>> {
        match self.init_ctr.as_deref() {
            None => Ok(None),
            Some("once") => Ok(Some(InitCtrMode::Once)),
            Some("always") => Ok(Some(InitCtrMode::Always)),
            Some(other) => Err(CliError::usage(format!(
                "init-ctr value must be 'always' or 'once': {other:?}"
            ))),
        }
    }

    /// `--pod` or `--pod-id-file` (read here: a file the user names);
    /// `new:NAME` asks for a new pod.
    fn pod_target(&self) -> CliResult<PodTarget> {
        let pod_from_file = match &self.pod_id_file {
            Some(f) if self.pod.is_some() => {
                return Err(CliError::usage(format!(
                    "cannot specify both --pod and --pod-id-file ({f})"
                )))
            }
            Some(f) => Some(
                std::fs::read_to_string(f)
                    .map_err(|e| {
                        CliError::usage(format!("reading pod ID file {f}: {}", io_reason(&e)))
                    })?
                    .trim()
                    .to_owned(),
            ),
            None => None,
        };
        Ok(match pod_from_file.as_deref().or(self.pod.as_deref()) {
            None | Some("") => PodTarget::None,
            Some(p) => match p.strip_prefix("new:") {
                Some(name) => PodTarget::New(name.to_owned()),
                None => PodTarget::Existing(p.to_owned()),
            },
        })
    }
}

/// `--entrypoint`: a JSON array or a single command (Podman's rule).
pub fn parse_entrypoint(e: &str) -> Vec<String> {
    if e.trim_start().starts_with('[') {
        if let Ok(v) = serde_json::from_str::<Vec<String>>(e) {
            return v;
        }
    }
    if e.is_empty() {
        Vec::new()
    } else {
        vec![e.to_owned()]
    }
}

/// `-e KEY=VALUE`, or `-e KEY` taking the value from rpod's environment
/// (skipped when unset).
pub(crate) fn expand_env(e: &str) -> Vec<String> {
    if e.contains('=') {
        vec![e.to_owned()]
    } else if let Some(prefix) = e.strip_suffix('*') {
        // `-e 'PREFIX*'`: every variable of rpod's environment whose name
        // starts with PREFIX (a `*` anywhere else is part of the name).
        let mut vars: Vec<String> = std::env::vars()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        vars.sort();
        vars
    } else {
        std::env::var(e)
            .ok()
            .map(|v| format!("{e}={v}"))
            .into_iter()
            .collect()
    }
}

/// Refuses `-e =x` (no name) before anything is created, with Podman's
/// message; the runtime would otherwise reject the spec at start.
pub(crate) fn check_env_name(e: &str) -> CliResult<()> {
    if e.split('=')
        .next()
        .is_some_and(|k| k.trim_start().is_empty())
    {
        return Err(CliError::usage(format!("invalid variable: {e:?}")));
    }
    Ok(())
}

/// `--label-file`: `KEY=VALUE` lines (or `KEY`), blank lines and `#`
/// comments skipped.
fn read_label_file(path: &Path) -> CliResult<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::usage(format!("open {}: {}", path.display(), io_reason(&e))))?;
    Ok(text
        .lines()
        .map(|l| l.trim_start())
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect())
}

fn read_env_file(path: &Path) -> CliResult<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::usage(format!("open {}: {}", path.display(), io_reason(&e))))?;
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for l in &lines {
        check_env_name(l).map_err(|e| {
            CliError::usage(format!(
                "parsing file {:?}: {e}",
                path.display().to_string()
            ))
        })?;
    }
    Ok(lines.into_iter().flat_map(expand_env).collect())
}

/// The create request for `image_and_command` with the flags.
pub fn create_spec(
    g: &Globals,
    flags: &ContainerFlags,
    image_and_command: &[String],
) -> CliResult<CreateSpec> {
    let (image, command) = image_and_command
        .split_first()
        .ok_or_else(|| CliError::usage("requires at least 1 arg(s), only received 0"))?;
    flags.to_spec(image, command, g.runtime.clone())
}

pub async fn run(g: &Globals, mut a: CreateArgs) -> CliResult {
    a.flags.resolve_rm(false);
    let mut spec = create_spec(g, &a.flags, &a.image_and_command)?;
    let front = open_front_door(g)?;
    let progress = super::progress_bars::pull_sink(&mut spec);
    let created = front.container_create(spec, progress).await?;
    super::run::print_warnings(&created.warnings);
    println!("{}", created.id);
    Ok(0)
}

/// `--umask`: one to four octal digits (Podman's rule and message).
fn parse_umask(s: &str) -> CliResult<u32> {
    let valid = (1..=4).contains(&s.len()) && s.bytes().all(|b| (b'0'..=b'7').contains(&b));
    if !valid {
        return Err(CliError::usage(format!(
            "invalid umask string {s}: invalid argument"
        )));
    }
    u32::from_str_radix(s, 8)
        .map_err(|_| CliError::usage(format!("invalid umask string {s}: invalid argument")))
}

/// `--log-opt max-size=SIZE` and `max-file=N` (the options rpod's log
/// drivers have).
/// `--log-opt` values.
#[derive(Debug, Default)]
pub(crate) struct LogOpts {
    pub max_size: Option<u64>,
    pub max_files: Option<u32>,
    /// `path=`: where the log goes, made absolute (the monitor, started
    /// elsewhere, writes the same file).
    pub path: Option<String>,
}

pub(crate) fn parse_log_opts(opts: &[String]) -> CliResult<LogOpts> {
    let mut out = LogOpts::default();
    for opt in opts {
        match opt.split_once('=') {
            Some(("max-size", v)) => {
                out.max_size = Some(rpod_api::units::from_human_size(v).ok_or_else(|| {
                    CliError::usage(format!("invalid max-size value {v:?} in --log-opt"))
                })?)
            }
            Some(("max-file", v)) => {
                out.max_files = Some(v.parse::<u32>().ok().filter(|&n| n > 0).ok_or_else(|| {
                    CliError::usage(format!("invalid max-file value {v:?} in --log-opt"))
                })?)
            }
            Some(("path", v)) if !v.is_empty() => {
                out.path = Some(
                    std::path::absolute(v)
                        .map_err(|e| CliError::usage(format!("--log-opt path={v}: {e}")))?
                        .display()
                        .to_string(),
                )
            }
            _ => {
                return Err(CliError::usage(format!(
                    "unsupported --log-opt {opt:?}: only max-size, max-file and path are supported"
                )))
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(clap::Parser)]
    #[command(disable_help_flag = true)]
    struct Create {
        #[command(flatten)]
        flags: ContainerFlags,
    }

    fn spec(args: &[&str]) -> CliResult<CreateSpec> {
        use clap::Parser;
        let mut c = Create::try_parse_from(std::iter::once("create").chain(args.iter().copied()))
            .expect("flags parse");
        c.flags.resolve_rm(false);
        c.flags.to_spec("alpine", &["true".to_owned()], None)
    }

    #[test]
    fn flags_become_the_create_request() {
        let s = spec(&[
            "--pull=never",
            "--pod=new:p1",
            "--replace",
            "--name=c1",
            "--sdnotify=conmon",
            "--restart=on-failure:2",
            "--network=host",
            "--cidfile=/tmp/x",
        ])
        .unwrap();
        assert_eq!(s.pull, PullPolicy::Never);
        assert_eq!(s.pod, PodTarget::New("p1".into()));
        assert!(s.replace);
        assert_eq!(s.name.as_deref(), Some("c1"));
        assert_eq!(s.sdnotify, rpod_api::container_run::SdNotifyMode::Conmon);
        assert_eq!(s.cidfile.as_deref(), Some("/tmp/x"));
        assert_eq!(s.options.network.modes, vec!["host".to_string()]);
        assert_eq!(s.options.restart.unwrap().max_retries, 2);
        assert_eq!(s.options.command, vec!["true"]);
        // Defaults are the engine's to apply.
        let s = spec(&[]).unwrap();
        assert_eq!(s.pull, PullPolicy::Missing);
        assert_eq!(s.pod, PodTarget::None);
        assert!(s.options.network.is_empty());
        assert_eq!(s.options.read_only, None);
        assert!(s.options.healthcheck.is_none());
        assert_eq!(
            spec(&["--pod=p2"]).unwrap().pod,
            PodTarget::Existing("p2".into())
        );
    }

    #[test]
    fn bad_flags_are_refused_in_podmans_words() {
        let err = |args: &[&str]| spec(args).unwrap_err().to_string();
        assert_eq!(
            err(&["--pull=sometimes"]),
            "invalid pull policy \"sometimes\""
        );
        assert_eq!(
            err(&["--init-ctr=twice"]),
            "init-ctr value must be 'always' or 'once': \"twice\""
        );
        assert_eq!(
            err(&["--rm", "--restart=always"]),
            "the --rm option conflicts with --restart, when the restartPolicy is not \"\" and not \"no\""
        );
        assert_eq!(
            err(&["--sdnotify=sometimes"]),
            "invalid --sdnotify value \"sometimes\": must be conmon, container, healthy or ignore"
        );
        assert_eq!(
            err(&["--group-add=keep-groups", "--group-add=457"]),
            "the '--group-add keep-groups' option is not allowed with any other --group-add options"
        );
        let h = spec(&["--health-cmd=[\"ls\",\"/\"]", "--health-interval=disable"])
            .unwrap()
            .options
            .healthcheck
            .unwrap();
        assert_eq!(h.test, vec!["CMD", "ls", "/"]);
        assert_eq!(h.interval_ms, 0);
        assert_eq!(h.timeout_ms, 30_000);
    }

    #[test]
    fn entrypoints() {
        assert_eq!(parse_entrypoint("/bin/sh"), vec!["/bin/sh"]);
        assert_eq!(parse_entrypoint(r#"["a","b"]"#), vec!["a", "b"]);
        assert!(parse_entrypoint("").is_empty());
    }
}
