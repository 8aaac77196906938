//! `kube play|down|generate` and the older spellings `play kube` and
//! `generate kube`: the engine reads and writes the YAML; this reads the
//! files (or stdin), prints the reports as Podman does, and for `--wait`
//! waits for the pods' containers and tears the play down afterwards.

use crate::prep::Lazy;
use std::io::Read;

use clap::{Args, Subcommand};
use rpod_api::container::WaitOptions;
use rpod_api::kube::{
    KubeDownOptions, KubeDownReport, KubeGenerateOptions, KubePlayOptions, KubePlayReport,
};
use rpod_api::FrontDoor;

use super::common::{open_front_door, Globals};
use crate::cli_error::{CliError, CliResult};

#[derive(Debug, Subcommand)]
pub enum KubeCommand {
    /// Play a pod or volume based on Kubernetes YAML
    Play(Lazy<Box<PlayArgs>>),
    /// Remove pods based on Kubernetes YAML
    Down(Lazy<DownArgs>),
    /// Generate Kubernetes YAML based on containers, pods or volumes
    #[command(override_usage = "rpod kube generate [options] {CONTAINER...|POD...|VOLUME...}")]
    Generate(Lazy<GenerateArgs>),
}

/// `play kube`, Podman's older spelling of `kube play`.
#[derive(Debug, Subcommand)]
pub enum PlayCommand {
    /// Play a pod or volume based on Kubernetes YAML
    Kube(Lazy<Box<PlayArgs>>),
}

#[derive(Debug, Args)]
pub struct PlayArgs {
    /// Stop pods defined in the YAML file
    #[arg(long)]
    down: bool,
    /// Remove volumes as part of --down
    #[arg(long)]
    force: bool,
    /// Delete and recreate pods defined in the YAML file
    #[arg(long)]
    replace: bool,
    /// Start the pod after creating it
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "true")]
    start: bool,
    /// Publish a container's port, or a range of ports, to the host
    #[arg(long, value_delimiter = ',')]
    publish: Vec<String>,
    /// Publish all ports defined in the YAML (containerPort and hostPort), not only hostPorts
    #[arg(long)]
    publish_all: bool,
    /// Connect pod to network(s) or network mode
    #[arg(long, visible_alias = "net")]
    network: Vec<String>,
    /// Path(s) to Kubernetes YAML files with ConfigMaps
    #[arg(long)]
    configmap: Vec<String>,
    /// Logging driver for the containers
    #[arg(long)]
    log_driver: Option<String>,
    /// Logging driver options (max-size=SIZE, max-file=N)
    #[arg(long)]
    log_opt: Vec<String>,
    /// Static IP addresses to assign to the pods (the n-th to the n-th pod)
    #[arg(long, value_delimiter = ',')]
    ip: Vec<std::net::IpAddr>,
    /// Static MAC addresses to assign to the pods (the n-th to the n-th pod)
    #[arg(long, value_delimiter = ',')]
    mac_address: Vec<String>,
    /// User namespace to use for the pods
    #[arg(long)]
    userns: Option<String>,
    /// Do not prefix container name with pod name
    #[arg(long)]
    no_pod_prefix: bool,
    /// Do not create /etc/hosts within the pod's containers
    #[arg(long)]
    no_hosts: bool,
    /// Require HTTPS and verify certificates when contacting registries
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    tls_verify: Option<bool>,
    /// Suppress output information when pulling images
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Path of the authentication file
    #[arg(long)]
    authfile: Option<String>,
    /// Clean up all objects created when a SIGTERM is received or pods exit
    #[arg(short = 'w', long)]
    wait: bool,
    /// Add annotations to the pods' containers (key=value)
    #[arg(long)]
    annotation: Vec<String>,
    /// Starts a service container before all pods
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true", hide = true)]
    service_container: Option<bool>,
    /// Exit-code propagation of the service container
    #[arg(long, hide = true)]
    service_exit_code_propagation: Option<String>,
    /// Build all images in a YAML (given Containerfiles exist)
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    build: Option<bool>,
    /// Path to top level of context directory
    #[arg(long)]
    context_dir: Option<String>,
    /// Kubernetes YAML files, or - for stdin
    #[arg(required = true, value_name = "KUBEFILE")]
    files: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DownArgs {
    /// Remove volumes
    #[arg(long)]
    force: bool,
    /// Kubernetes YAML files, or - for stdin
    #[arg(required = true, value_name = "KUBEFILE")]
    files: Vec<String>,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Generate YAML for a Kubernetes service object
    #[arg(short = 's', long)]
    service: bool,
    /// Write output to the specified path
    #[arg(short = 'f', long = "filename")]
    filename: Option<String>,
    /// Generate YAML for the given Kubernetes kind
    #[arg(short = 't', long = "type")]
    kind: Option<String>,
    /// Set the replicas number for Deployment kind
    #[arg(short = 'r', long, default_value_t = 1)]
    replicas: u32,
    /// Add podman-only reserved annotations to the generated YAML file (Cannot be used by Kubernetes)
    #[arg(long)]
    podman_only: bool,
    /// Containers, pods or volumes
    #[arg(required = true, value_name = "CONTAINER...|POD...|VOLUME...")]
    names: Vec<String>,
}

/// The body of an `http://` or `https://` argument.
async fn fetch_url(url: &str) -> CliResult<Vec<u8>> {
    let fail = |e: &dyn std::fmt::Display| CliError::from(anyhow::anyhow!("Get {url:?}: {e}"));
    let resp = reqwest::get(url).await.map_err(|e| fail(&e))?;
    let body = resp.bytes().await.map_err(|e| fail(&e))?;
    Ok(body.to_vec())
}

/// The YAML of the arguments: stdin for `-`, else the files (or URLs)
/// joined with document separators.
async fn read_yaml(files: &[String]) -> CliResult<Vec<u8>> {
    if files.len() == 1 && files[0] == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| CliError::from(anyhow::anyhow!("reading stdin: {e}")))?;
        return Ok(buf);
    }
    let mut out = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let data = if f.starts_with("http://") || f.starts_with("https://") {
            fetch_url(f).await?
        } else {
            std::fs::read(f).map_err(|e| {
                CliError::from(anyhow::anyhow!(
                    "open {f}: {}",
                    super::registry_opts::errno_text(&e)
                ))
            })?
        };
        out.extend(data);
        if i + 1 < files.len() {
            out.extend(b"\n---\n");
        }
    }
    Ok(out)
}

fn print_down(r: &KubeDownReport) -> CliResult {
    for w in &r.warnings {
        tracing::warn!("{w}");
    }
    println!("Pods stopped:");
    let mut last = None;
    for s in &r.stop_report {
        match &s.err {
            Some(e) => last = Some(e.clone()),
            None => println!("{}", s.id),
        }
    }
    println!("Pods removed:");
    for s in &r.rm_report {
        match &s.err {
            Some(e) => last = Some(e.clone()),
            None => println!("{}", s.id),
        }
    }
    println!("Secrets removed:");
    for s in &r.secret_rm_report {
        match &s.err {
            Some(e) => last = Some(e.clone()),
            None => println!("{}", s.id),
        }
    }
    println!("Volumes removed:");
    for s in &r.volume_rm_report {
        match &s.err {
            Some(e) => last = Some(e.clone()),
            None => println!("{}", s.id),
        }
    }
    match last {
        Some(e) => Err(e.into()),
        None => Ok(0),
    }
}

fn print_play(r: &KubePlayReport) -> CliResult {
    for w in &r.warnings {
        tracing::warn!("{w}");
    }
    if !r.volumes.is_empty() {
        println!("Volumes:");
        r.volumes.iter().for_each(|v| println!("{v}"));
    }
    if !r.secrets.is_empty() {
        println!("Secrets:");
        r.secrets.iter().for_each(|s| println!("{s}"));
    }
    let mut failed = 0;
    for p in &r.pods {
        println!("Pod:");
        println!("{}", p.id);
        match p.containers.len() {
            0 => continue,
            1 => println!("Container:"),
            _ => println!("Containers:"),
        }
        p.containers.iter().for_each(|c| println!("{c}"));
        failed += p.container_errors.len();
        if !p.container_errors.is_empty() {
            println!();
        }
        p.container_errors.iter().for_each(|e| eprintln!("{e}"));
        println!();
    }
    if failed > 0 {
        return Err(CliError::from(anyhow::anyhow!(
            "failed to start {failed} containers"
        )));
    }
    Ok(0)
}

/// Where `--build` looks for the images' directories: `--context-dir`,
/// else the current directory, absolute.
fn build_search_dir(context_dir: Option<&str>) -> CliResult<Option<std::path::PathBuf>> {
    let cwd = std::env::current_dir()
        .map_err(|e| CliError::from(anyhow::anyhow!("current directory: {e}")))?;
    Ok(Some(match context_dir {
        Some(d) => cwd.join(d),
        None => cwd,
    }))
}

/// Waits for every container of the play to exit (or for ctrl-c/SIGTERM),
/// then tears the play down, as `--wait` does.
async fn wait_and_teardown(front: &dyn FrontDoor, r: &KubePlayReport, yaml: Vec<u8>) -> CliResult {
    let names: Vec<String> = r.pods.iter().flat_map(|p| p.containers.clone()).collect();
    let waited = front.container_wait(WaitOptions {
        names,
        latest: false,
        ignore: true,
        conditions: Vec::new(),
        interval: std::time::Duration::from_millis(250),
    });
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| CliError::from(anyhow::anyhow!("SIGTERM handler: {e}")))?;
    tokio::select! {
        res = waited => {
            res?;
            println!("Cleaning up containers, pods, and volumes...");
        }
        _ = tokio::signal::ctrl_c() => println!("\nCleaning up containers, pods, and volumes..."),
        _ = term.recv() => println!("\nCleaning up containers, pods, and volumes..."),
    }
    front
        .kube_down(yaml, KubeDownOptions { force: true })
        .await?;
    Ok(0)
}

pub async fn play(g: &Globals, a: Box<PlayArgs>) -> CliResult {
    let a = *a;
    if a.force && !a.down {
        return Err(CliError::usage("--force may be specified only with --down"));
    }
    if a.context_dir.is_some() && a.build != Some(true) {
        return Err(CliError::usage(
            "--build must be specified when using --context-dir option",
        ));
    }
    let service_container = a.service_container == Some(true);
    if service_container && !a.start {
        return Err(CliError::usage(
            "--service-container does not work with --start=stop",
        ));
    }
    for an in &a.annotation {
        if !an.contains('=') {
            return Err(CliError::usage(format!(
                "annotation {an:?} must include an '=' sign"
            )));
        }
    }
    if let Some(f) = &a.authfile {
        super::registry_opts::check_authfile(std::path::Path::new(f))?;
    }
    let yaml = read_yaml(&a.files).await?;
    let front = open_front_door(g)?;
    if a.down {
        let r = front
            .kube_down(yaml, KubeDownOptions { force: a.force })
            .await?;
        return print_down(&r);
    }
    let log_opts = super::container_create::parse_log_opts(&a.log_opt)?;
    if log_opts.path.is_some() {
        // One file would be shared by every container of the YAML.
        return Err(CliError::usage(
            "--log-opt path is not supported by kube play: its containers each log to their own file",
        ));
    }
    let (log_max_size, log_max_files) = (log_opts.max_size, log_opts.max_files);
    let mut configmaps = Vec::new();
    for p in &a.configmap {
        let data = std::fs::read(p).map_err(|e| {
            CliError::from(anyhow::anyhow!(
                "open {p}: {}",
                super::registry_opts::errno_text(&e)
            ))
        })?;
        configmaps.push((p.clone(), data));
    }
    let options = KubePlayOptions {
        replace: a.replace,
        start: a.start,
        publish: a.publish,
        publish_all: a.publish_all,
        networks: a.network,
        configmaps,
        log_driver: a.log_driver,
        annotations: a
            .annotation
            .iter()
            .filter_map(|an| an.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        no_hosts: a.no_hosts,
        tls_verify: a.tls_verify,
        quiet: a.quiet,
        service_container,
        exit_code_propagation: a.service_exit_code_propagation.unwrap_or_default(),
        static_ips: a.ip.iter().map(ToString::to_string).collect(),
        static_macs: a.mac_address,
        userns: a.userns,
        no_pod_prefix: a.no_pod_prefix,
        log_max_size,
        log_max_files,
        build: a.build,
        context_dir: build_search_dir(a.context_dir.as_deref())?,
        authfile: a.authfile.map(std::path::PathBuf::from),
    };
    if a.wait {
        if !a.start {
            return Err(CliError::usage("--wait requires starting the pod(s)"));
        }
        println!("Use ctrl+c to clean up or wait for pods to exit");
    }
    let progress = (!a.quiet).then(|| {
        super::progress_bars::StderrProgress::new(false)
            as std::sync::Arc<dyn rpod_api::front_door::images::ProgressSink>
    });
    let r = front.kube_play(yaml.clone(), options, progress).await?;
    let printed = print_play(&r);
    if a.wait {
        printed?;
        return wait_and_teardown(front.as_ref(), &r, yaml).await;
    }
    printed
}

pub async fn down(g: &Globals, a: DownArgs) -> CliResult {
    let yaml = read_yaml(&a.files).await?;
    let r = open_front_door(g)?
        .kube_down(yaml, KubeDownOptions { force: a.force })
        .await?;
    print_down(&r)
}

pub async fn generate(g: &Globals, a: GenerateArgs) -> CliResult {
    let options = KubeGenerateOptions {
        service: a.service,
        kind: a.kind.unwrap_or_default(),
        replicas: a.replicas,
        podman_only: a.podman_only,
    };
    let r = open_front_door(g)?.kube_generate(&a.names, options).await?;
    if let Some(f) = &a.filename {
        if std::path::Path::new(f).exists() {
            return Err(CliError::from(anyhow::anyhow!(
                "cannot write to {f:?}; file exists"
            )));
        }
        std::fs::write(f, &r.yaml)
            .map_err(|e| CliError::from(anyhow::anyhow!("cannot write to {f:?}: {e}")))?;
        return Ok(0);
    }
    println!("{}", r.yaml);
    Ok(0)
}

pub async fn dispatch(g: &Globals, c: KubeCommand) -> CliResult {
    match c {
        KubeCommand::Play(Lazy(a)) => play(g, a).await,
        KubeCommand::Down(Lazy(a)) => down(g, a).await,
        KubeCommand::Generate(Lazy(a)) => generate(g, a).await,
    }
}
