//! `create` and the container flags shared with `run`.

use std::path::Path;

use clap::Args;
use rpod_engine::container::{
    BindMount, ContainerHandle, ContainerOptions, InitCtrMode, NetworkMode,
};
use rpod_engine::pod::{MemberSpec, NewPod};
use rpod_engine::Engine;

use super::common::{open_engine, parse_signal, Globals};
use super::pull;
use crate::cli_error::{CliError, CliResult};
use crate::human::parse_ram_size;

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
    #[arg(long)]
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
    /// Working directory inside the container
    #[arg(short = 'w', long)]
    pub workdir: Option<String>,
    /// Username or UID (format: <name|uid>[:<group|gid>])
    #[arg(short = 'u', long)]
    pub user: Option<String>,
    /// Overwrite the default ENTRYPOINT of the image
    #[arg(long)]
    pub entrypoint: Option<String>,
    /// Set container hostname
    #[arg(short = 'h', long)]
    pub hostname: Option<String>,
    /// Bind mount a volume into the container
    #[arg(short = 'v', long = "volume")]
    pub volume: Vec<String>,
    /// Make containers root filesystem read-only
    #[arg(long)]
    pub read_only: bool,
    /// Connect a container to a network (none, host)
    #[arg(long = "network", alias = "net")]
    pub network: Option<String>,
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
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
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
    pub survival: super::survival_flags::SurvivalFlags,
}

impl ContainerFlags {
    /// Turns the flags into the options stored with the container,
    /// validating every value before anything is created.
    pub fn to_options(
        &self,
        image: &str,
        command: &[String],
        runtime: Option<String>,
    ) -> CliResult<ContainerOptions> {
        let mut env = Vec::new();
        for file in &self.env_file {
            env.extend(read_env_file(Path::new(file))?);
        }
        for e in &self.env {
            env.extend(expand_env(e));
        }
        let entrypoint = self.entrypoint.as_ref().map(|e| parse_entrypoint(e));
        let mounts = self
            .volume
            .iter()
            .map(|v| parse_volume(v))
            .collect::<CliResult<Vec<_>>>()?;
        let network = match self.network.as_deref() {
            None | Some("none") => NetworkMode::None,
            Some("host") => NetworkMode::Host,
            Some(other) => {
                return Err(CliError::usage(format!(
                    "network mode \"{other}\" is not supported yet: only none and host are (see docs/compatibility.md)"
                )))
            }
        };
        let mut log_max_size = None;
        let mut log_max_files = None;
        for opt in &self.log_opt {
            match opt.split_once('=') {
                Some(("max-size", v)) => {
                    log_max_size = Some(parse_ram_size(v).ok_or_else(|| {
                        CliError::usage(format!("invalid max-size value {v:?} in --log-opt"))
                    })?)
                }
                Some(("max-file", v)) => {
                    log_max_files =
                        Some(v.parse::<u32>().ok().filter(|&n| n > 0).ok_or_else(|| {
                            CliError::usage(format!("invalid max-file value {v:?} in --log-opt"))
                        })?)
                }
                _ => {
                    return Err(CliError::usage(format!(
                        "unsupported --log-opt {opt:?}: only max-size and max-file are supported"
                    )))
                }
            }
        }
        let labels = self
            .label
            .iter()
            .map(|l| match l.split_once('=') {
                Some((k, v)) => (k.to_owned(), v.to_owned()),
                None => (l.clone(), String::new()),
            })
            .collect();
        let stop_signal = self.stop_signal.as_deref().map(parse_signal).transpose()?;
        if let Some(w) = &self.workdir {
            if !w.starts_with('/') {
                return Err(CliError::usage(format!(
                    "workdir {w:?} must be an absolute path"
                )));
            }
        }
        let mut options = ContainerOptions {
            image: image.to_owned(),
            command: command.to_vec(),
            entrypoint,
            env,
            workdir: self.workdir.clone(),
            user: self.user.clone(),
            hostname: self.hostname.clone(),
            tty: self.tty,
            interactive: self.interactive,
            mounts,
            read_only: self.read_only,
            network,
            log_max_size,
            runtime,
            remove: self.rm,
            labels,
            stop_signal,
            stop_timeout: self.stop_timeout,
            log_max_files,
            ..Default::default()
        };
        self.survival.apply(&mut options)?;
        Ok(options)
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
fn expand_env(e: &str) -> Option<String> {
    if e.contains('=') {
        Some(e.to_owned())
    } else {
        std::env::var(e).ok().map(|v| format!("{e}={v}"))
    }
}

fn read_env_file(path: &Path) -> CliResult<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::usage(format!("open {}: {}", path.display(), io_reason(&e))))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(expand_env)
        .collect())
}

/// Go-style lower-case reason of an I/O error ("no such file or directory").
pub fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    let s = s.split(" (os error").next().unwrap_or(&s).to_owned();
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => s,
    }
}

/// `-v SRC:DST[:OPTIONS]` where SRC is an absolute host path.
fn parse_volume(v: &str) -> CliResult<BindMount> {
    let parts: Vec<&str> = v.split(':').collect();
    let (source, destination, opts) = match parts.as_slice() {
        [s, d] => (*s, *d, ""),
        [s, d, o] => (*s, *d, *o),
        _ => {
            return Err(CliError::usage(format!(
                "invalid volume specification: {v:?}"
            )))
        }
    };
    if !source.starts_with('/') {
        return Err(CliError::usage(format!(
            "invalid volume source {source:?}: named volumes are not supported yet, use an absolute host path"
        )));
    }
    if !destination.starts_with('/') {
        return Err(CliError::usage(format!(
            "invalid container path {destination:?}, must be an absolute path"
        )));
    }
    if let Err(e) = std::fs::metadata(source) {
        return Err(CliError::usage(format!(
            "statfs {source}: {}",
            io_reason(&e)
        )));
    }
    let mut readonly = false;
    let mut options = Vec::new();
    for o in opts.split(',').filter(|o| !o.is_empty()) {
        match o {
            "ro" => readonly = true,
            "rw" => readonly = false,
            "z" | "Z" | "O" | "U" => {}
            "rbind" | "bind" | "nosuid" | "suid" | "nodev" | "dev" | "noexec" | "exec"
            | "private" | "rprivate" | "shared" | "rshared" | "slave" | "rslave" => {
                options.push(o.to_owned())
            }
            other => return Err(CliError::usage(format!("invalid option type: {other:?}"))),
        }
    }
    Ok(BindMount {
        source: source.into(),
        destination: destination.into(),
        readonly,
        options,
    })
}

/// Creates the container from the flags, pulling the image first when
/// the pull policy asks for it.
pub async fn create_from(
    g: &Globals,
    engine: &Engine,
    flags: &ContainerFlags,
    image_and_command: &[String],
) -> CliResult<ContainerHandle> {
    let (image, command) = image_and_command
        .split_first()
        .ok_or_else(|| CliError::usage("requires at least 1 arg(s), only received 0"))?;
    let options = flags.to_options(image, command, g.runtime.clone())?;
    let present = engine
        .store()
        .lookup_image(image)
        .map_err(anyhow::Error::from)?
        .is_some();
    match flags.pull.as_str() {
        "always" => {
            pull::pull_image(engine, image, flags.tls_verify, flags.quiet).await?;
        }
        "missing" | "newer" if !present => {
            pull::pull_image(engine, image, flags.tls_verify, flags.quiet).await?;
        }
        "never" if !present => {
            return Err(CliError::usage(format!("{image}: image not known")));
        }
        "missing" | "newer" | "never" => {}
        other => return Err(CliError::usage(format!("invalid pull policy {other:?}"))),
    }
    super::survival_cli::replace_existing(engine, &flags.survival, flags.name.as_deref()).await?;
    let member = member_spec(engine, flags).await?;
    let handle = engine
        .create_container_with(options, flags.name.clone(), member)
        .await?;
    super::survival_cli::write_cidfile(&flags.survival, &handle)?;
    Ok(handle)
}

/// `--pod`, `--requires`, `--init-ctr`; `--pod new:NAME` creates the pod
/// (with Podman's defaults) first.
async fn member_spec(engine: &Engine, flags: &ContainerFlags) -> CliResult<MemberSpec> {
    let init_ctr = match flags.init_ctr.as_deref() {
        None => None,
        Some("once") => Some(InitCtrMode::Once),
        Some("always") => Some(InitCtrMode::Always),
        Some(other) => {
            return Err(CliError::usage(format!(
                "init-ctr value must be 'always' or 'once': {other:?}"
            )))
        }
    };
    let pod = match flags.pod.as_deref() {
        Some(p) if p.starts_with("new:") => {
            let name = &p["new:".len()..];
            let created = engine
                .create_pod(NewPod {
                    name: Some(name.to_owned()),
                    options: super::pod::default_pod_options(),
                })
                .await?;
            Some(created.id)
        }
        Some("") => None,
        other => other.map(str::to_owned),
    };
    Ok(MemberSpec {
        pod,
        requires: flags.requires.clone(),
        init_ctr,
        network_given: flags.network.is_some(),
    })
}

pub async fn run(g: &Globals, a: CreateArgs) -> CliResult {
    let engine = open_engine(g)?;
    let handle = create_from(g, &engine, &a.flags, &a.image_and_command).await?;
    println!("{}", handle.id);
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volumes() {
        let m = parse_volume("/tmp:/data:ro").unwrap();
        assert!(m.readonly);
        assert_eq!(m.destination, "/data");
        assert!(parse_volume("named:/data").is_err());
        assert!(parse_volume("/tmp:data").is_err());
        let err = parse_volume("/nonexistent-rpod:/x").unwrap_err();
        assert_eq!(
            err.to_string(),
            "statfs /nonexistent-rpod: no such file or directory"
        );
    }

    #[test]
    fn entrypoints() {
        assert_eq!(parse_entrypoint("/bin/sh"), vec!["/bin/sh"]);
        assert_eq!(parse_entrypoint(r#"["a","b"]"#), vec!["a", "b"]);
        assert!(parse_entrypoint("").is_empty());
    }
}
