//! `attach`, and the attach loop `run`, `start -a` and `exec` share.

use std::io::IsTerminal;
use std::os::fd::AsFd;
use std::path::Path;

use clap::Args;
use rpod_engine::container::ContainerPaths;
use rpod_engine::monitor::{self, AttachEnd, AttachStream, MonitorClient, RawTerminal};
use rpod_engine::state::ContainerState;

use super::common::{open_engine, Globals};
use crate::cli_error::{CliError, CliResult};

pub const DEFAULT_DETACH_KEYS: &str = "ctrl-p,ctrl-q";

#[derive(Debug, Args)]
pub struct AttachArgs {
    /// Select the key sequence for detaching a container. Format is a single character [a-Z] or ctrl-<value> where <value> is one of: a-z, @, ^, [, , or _
    #[arg(long, default_value = DEFAULT_DETACH_KEYS)]
    detach_keys: String,
    /// Do not attach STDIN. The default is false
    #[arg(long)]
    no_stdin: bool,
    /// Proxy received signals to the process
    #[arg(long, num_args = 0..=1, default_missing_value = "true", default_value = "true", require_equals = true)]
    sig_proxy: bool,
    /// Act on the latest container podman is aware of
    #[arg(short = 'l', long)]
    latest: bool,
    /// Container to attach to
    #[arg(required_unless_present = "latest")]
    container: Option<String>,
}

/// How to attach: which streams and how to detach.
pub struct AttachSpec<'a> {
    pub tty: bool,
    pub stdin: bool,
    pub detach_keys: &'a str,
    /// Forward the signals this CLI receives to the process.
    pub sig_proxy: bool,
}

/// Connected attach and control sockets, made before the process starts
/// so no output and no exit is missed.
pub struct Attached {
    stream: AttachStream,
    control_socket: std::path::PathBuf,
    waiter: std::thread::JoinHandle<Result<rpod_proto::ExitRecord, monitor::MonitorError>>,
}

impl Attached {
    pub fn connect(attach_socket: &Path, control_socket: &Path, tty: bool) -> CliResult<Attached> {
        let stream = AttachStream::connect(attach_socket).map_err(anyhow::Error::from)?;
        let mut ctl = MonitorClient::connect(control_socket).map_err(anyhow::Error::from)?;
        if tty {
            if let Some((rows, cols)) = super::sig_proxy::caller_terminal_size() {
                // A failed resize only leaves the default size (an exec's
                // terminal exists only once started: see `resize`).
                let _ = ctl.resize(rows, cols);
            }
        }
        let waiter = std::thread::spawn(move || ctl.wait_exit());
        Ok(Attached {
            stream,
            control_socket: control_socket.to_path_buf(),
            waiter,
        })
    }

    /// Sets the process's terminal to the caller's size (once the process
    /// and its terminal exist).
    pub fn resize(&self) {
        super::sig_proxy::resize_to_terminal(&self.control_socket);
    }

    /// Copies the streams until the process ends (its exit code) or the
    /// user detaches (`None`).
    pub fn pump(self, spec: &AttachSpec<'_>) -> CliResult<Option<i32>> {
        let keys = if spec.stdin {
            Some(
                monitor::parse_detach_keys(spec.detach_keys)
                    .map_err(|e| CliError::usage(e.to_string()))?,
            )
        } else {
            None
        };
        let stdin = std::io::stdin();
        let raw = if spec.tty && spec.stdin && stdin.is_terminal() {
            Some(RawTerminal::enable(stdin.as_fd()).map_err(anyhow::Error::from)?)
        } else {
            None
        };
        let input = if spec.stdin {
            Some(stdin.as_fd())
        } else {
            None
        };
        let mut out = std::io::stdout();
        let mut err = std::io::stderr();
        let forwarder = super::sig_proxy::SignalForwarder::start(
            self.control_socket.clone(),
            spec.sig_proxy,
            spec.tty,
        );
        let end = monitor::pump(self.stream, input, &mut out, &mut err, keys.as_deref());
        drop(forwarder);
        drop(raw);
        match end.map_err(anyhow::Error::from)? {
            AttachEnd::Detached => Ok(None),
            AttachEnd::Eof => {
                let exit = self
                    .waiter
                    .join()
                    .map_err(|_| anyhow::anyhow!("waiting for the exit failed"))?
                    .map_err(anyhow::Error::from)?;
                Ok(Some(exit.code))
            }
        }
    }
}

pub async fn run(g: &Globals, a: AttachArgs) -> CliResult {
    let engine = open_engine(g)?;
    let name = match &a.container {
        Some(name) if !a.latest => name.clone(),
        Some(_) => {
            return Err(CliError::usage(
                "--latest and containers cannot be used together",
            ))
        }
        None => super::latest::latest_container(&engine)?,
    };
    let handle = engine.container(&name)?;
    let rec = handle.get().await?;
    if rec.state != ContainerState::Running {
        return Err(CliError::usage(
            "you can only attach to running containers: container state improper",
        ));
    }
    let paths = ContainerPaths::new(engine.config(), &rec.id);
    let attached = Attached::connect(
        &paths.monitor.attach_socket,
        &paths.monitor.control_socket,
        rec.options.tty,
    )?;
    let spec = AttachSpec {
        tty: rec.options.tty,
        stdin: rec.options.interactive && !a.no_stdin,
        detach_keys: &a.detach_keys,
        sig_proxy: a.sig_proxy,
    };
    match attached.pump(&spec)? {
        Some(code) => Ok(code),
        None => Ok(0),
    }
}
