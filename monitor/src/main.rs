//! pod-monitor: one small process per container (or exec session).
//!
//! `pod-monitor --config PATH [--log-level LEVEL]`, started by the engine
//! with fd 3 = its end of the sync socket. It detaches (double fork,
//! setsid), listens on its control and attach sockets, says `Ready`, waits
//! for `Go`, runs the OCI runtime, then holds the container's output, log
//! and exit status until the process exits and has been cleaned up.

mod clock;
mod daemon;
mod diag;
mod events;
mod fdio;
mod log_sink;
mod logfile;
mod notify;
mod pid_file;
mod runtime;
mod sockets;
mod supervisor;

use std::ffi::OsString;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

use nix::sys::signal::SigSet;
use nix::sys::signalfd::{SfdFlags, SignalFd};
use rpod_proto::frame::encode;
use rpod_proto::{MonitorConfig, MonitorMode, SyncMsg};

use crate::sockets::BoundPath;
use crate::supervisor::{handled_signals, Supervisor};

/// The sync socket's descriptor number, set up by the engine.
const SYNC_FD: i32 = 3;

struct Args {
    config: PathBuf,
    log_level: diag::Level,
}

fn parse_args(mut args: impl Iterator<Item = OsString>) -> Result<Args, String> {
    let mut config = None;
    let mut log_level = diag::Level::Warn;
    while let Some(arg) = args.next() {
        let arg = arg.to_string_lossy().into_owned();
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        let mut value = || -> Result<String, String> {
            inline
                .clone()
                .or_else(|| args.next().map(|v| v.to_string_lossy().into_owned()))
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match name.as_str() {
            "--config" => config = Some(PathBuf::from(value()?)),
            "--log-level" => {
                let v = value()?;
                log_level =
                    diag::Level::parse(&v).ok_or_else(|| format!("invalid log level {v:?}"))?;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Args {
        config: config.ok_or("--config PATH is required")?,
        log_level,
    })
}

/// Reads the configuration and makes every path absolute (the monitor
/// changes its directory to `/`).
fn load_config(path: &Path) -> Result<MonitorConfig, String> {
    let data = std::fs::read(path).map_err(|e| format!("read {}: {e}", path.display()))?;
    let mut cfg: MonitorConfig =
        serde_json::from_slice(&data).map_err(|e| format!("parse {}: {e}", path.display()))?;
    let abs = |p: &mut PathBuf| -> Result<(), String> {
        *p = std::path::absolute(&*p).map_err(|e| format!("{}: {e}", p.display()))?;
        Ok(())
    };
    abs(&mut cfg.bundle)?;
    abs(&mut cfg.socket_path)?;
    abs(&mut cfg.attach_path)?;
    abs(&mut cfg.pid_file)?;
    abs(&mut cfg.monitor_pid_file)?;
    abs(&mut cfg.exit_file)?;
    if let Some(p) = &mut cfg.log_path {
        abs(p)?;
    }
    if let Some(p) = &mut cfg.runtime_root {
        abs(p)?;
    }
    for p in [&mut cfg.restart_state_file, &mut cfg.health_state_file]
        .into_iter()
        .flatten()
    {
        abs(p)?;
    }
    if let Some(ev) = &mut cfg.events {
        abs(&mut ev.path)?;
    }
    if let MonitorMode::Exec { process, .. } = &mut cfg.mode {
        abs(process)?;
    }
    if cfg.runtime.components().count() > 1 {
        abs(&mut cfg.runtime)?;
    }
    Ok(cfg)
}

fn main() {
    let args = match parse_args(std::env::args_os().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("pod-monitor: {e}");
            std::process::exit(2);
        }
    };
    diag::set_level(args.log_level);
    let cfg = match load_config(&args.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pod-monitor: {e}");
            std::process::exit(1);
        }
    };
    if !fdio::fd_is_open(SYNC_FD) {
        eprintln!("pod-monitor: fd {SYNC_FD} (the sync socket) is not open");
        std::process::exit(1);
    }
    // SAFETY: fd 3 is open (checked above) and was handed to us by the
    // engine; nothing else in this process owns or closes it.
    let sync = UnixStream::from(unsafe { OwnedFd::from_raw_fd(SYNC_FD) });
    let held = handed_fds(rpod_proto::HELD_FDS_START, cfg.held_fds);
    let preserved = handed_fds(
        rpod_proto::HELD_FDS_START.saturating_add(i32::try_from(cfg.held_fds).unwrap_or(i32::MAX)),
        cfg.preserve_fds,
    );
    if let Err(e) = daemon::daemonize() {
        eprintln!("pod-monitor: fork: {e}");
        std::process::exit(1);
    }
    std::process::exit(run(cfg, sync, held, preserved));
}

/// Descriptors the engine handed over (fds first..first+n: the published
/// host ports, then those passed into the container), made close-on-exec so
/// no child inherits them unless it is given them on purpose.
fn handed_fds(first: i32, n: u32) -> Vec<OwnedFd> {
    let mut out = Vec::new();
    for i in 0..n {
        let fd = first.saturating_add(i32::try_from(i).unwrap_or(i32::MAX));
        if !fdio::fd_is_open(fd) {
            diag::warn(&format!("handed descriptor {fd} is not open"));
            continue;
        }
        // SAFETY: fd is open (checked above) and was handed to this process
        // by the engine for it to own; nothing else here refers to it.
        let owned = unsafe { OwnedFd::from_raw_fd(fd) };
        if let Err(e) = fdio::set_cloexec(&owned) {
            diag::warn(&format!("handed descriptor {fd}: {e}"));
        }
        out.push(owned);
    }
    out
}

/// The grandchild's life: set up, serve, exit code.
fn run(
    cfg: MonitorConfig,
    mut sync: UnixStream,
    held: Vec<OwnedFd>,
    preserved: Vec<OwnedFd>,
) -> i32 {
    match setup(&cfg, &sync) {
        Ok(l) => Supervisor::new(cfg, l.signals, sync, l.control, l.attach)
            .with_notify(l.notify)
            .holding_ports(held)
            .passing_fds(preserved)
            .run(),
        Err(message) => {
            diag::warn(&format!("setup failed: {message}"));
            if let Ok(frame) = encode(&SyncMsg::Failed { message }) {
                use std::io::Write;
                let _ = sync.write_all(&frame);
            }
            1
        }
    }
}

/// The descriptors the poll loop starts with.
struct Listeners {
    signals: SignalFd,
    control: (UnixListener, BoundPath),
    attach: (OwnedFd, BoundPath),
    notify: Option<notify::Notify>,
}

fn setup(cfg: &MonitorConfig, sync: &UnixStream) -> Result<Listeners, String> {
    daemon::null_stdio().map_err(|e| format!("redirect stdio: {e}"))?;
    std::env::set_current_dir("/").map_err(|e| format!("chdir /: {e}"))?;
    fdio::set_cloexec(sync).map_err(|e| format!("sync socket: {e}"))?;
    daemon::set_subreaper().map_err(|e| format!("PR_SET_CHILD_SUBREAPER: {e}"))?;
    // The pid file lives in the volatile run root: no fsync needed.
    fdio::atomic_write_volatile(
        &cfg.monitor_pid_file,
        std::process::id().to_string().as_bytes(),
    )
    .map_err(|e| format!("write {}: {e}", cfg.monitor_pid_file.display()))?;
    let mut mask = SigSet::empty();
    for s in handled_signals() {
        mask.add(s);
    }
    mask.thread_block()
        .map_err(|e| format!("block signals: {e}"))?;
    let signals = SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
        .map_err(|e| format!("signalfd: {e}"))?;
    let control =
        sockets::stream_listener(&cfg.socket_path).map_err(|e| format!("control socket: {e}"))?;
    // On failure the control socket is removed before Failed is sent.
    let attach = sockets::seqpacket_listener(&cfg.attach_path).map_err(|e| {
        control.1.remove();
        format!("attach socket: {e}")
    })?;
    let notify = match &cfg.notify {
        None => None,
        Some(n) => Some(notify::Notify::bind(n).map_err(|e| {
            control.1.remove();
            attach.1.remove();
            format!("notify socket: {e}")
        })?),
    };
    Ok(Listeners {
        signals,
        control,
        attach,
        notify,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn args() {
        let a = parse_args(os(&["--config", "/c.json", "--log-level=debug"]).into_iter()).unwrap();
        assert_eq!(a.config, PathBuf::from("/c.json"));
        assert_eq!(a.log_level, diag::Level::Debug);
        assert!(parse_args(os(&[]).into_iter()).is_err());
        assert!(parse_args(os(&["--config"]).into_iter()).is_err());
        assert!(parse_args(os(&["--config", "x", "--bogus"]).into_iter()).is_err());
        assert!(parse_args(os(&["--config", "x", "--log-level", "loud"]).into_iter()).is_err());
    }
}
