//! The monitor's state: one single-threaded `Supervisor`, its behaviour
//! split by concern, one `impl Supervisor` block per file:
//! - `poll`: the poll loop, deadlines, signals and reaping;
//! - `start`: the start gate on the sync socket and the runtime's
//!   create/exec;
//! - `io`: the container's stdio, terminal or pipes (`ContainerIo`),
//!   output to the log and attach clients, input to stdin, draining;
//! - `attach`: the attach socket and its clients;
//! - `control`: the control socket and the answer to each request;
//! - `exit`: signals and stop, the exit record, cleanup commands;
//! - `restart`: the restart policy and the monitor's own re-runs;
//! - `health`: scheduled health checks and their consequences.

mod attach;
mod control;
mod exit;
mod health;
mod io;
mod poll;
mod restart;
mod start;

pub use poll::handled_signals;

use std::os::fd::OwnedFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::time::{Duration, Instant};

use nix::sys::signalfd::SignalFd;
use nix::sys::wait::WaitStatus;
use rpod_proto::{ExitRecord, MonitorConfig, Reply};

use crate::log_sink::LogSink;
use crate::notify::{HealthyNotify, Notify};
use crate::pid_file::PidFileWatch;
use crate::sockets::BoundPath;
use attach::Attaches;
use control::Controls;
use exit::{Cleanup, OomWatch};
use health::Health;
use io::ContainerIo;
use restart::Restarts;
use start::SyncGate;

/// How long output is drained after the process exited.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    /// Sockets listen; waiting for `Go` on the sync socket.
    Waiting,
    /// The runtime's create/exec runs.
    Creating,
    /// The container process runs.
    Running,
    /// The process exited; remaining output is delivered.
    Draining,
    /// Waiting out the back-off before the restart policy runs the
    /// runtime again.
    Restarting,
    /// Exit published; runtime delete and cleanup command run.
    Cleanup,
    Done,
}

/// Everything the monitor owns, grouped by the module that drives it.
pub struct Supervisor {
    cfg: MonitorConfig,
    monitor_pid: i32,
    phase: Phase,
    /// The monitor's own exit code, once `phase` is `Done`.
    exit_code: i32,
    // poll
    signals: SignalFd,
    /// Children reaped while the runtime ran, before their pid was known
    /// (an exec'd process may exit before `runtime exec` does).
    early: Vec<(i32, WaitStatus)>,
    // start
    sync: SyncGate,
    /// The engine said `Run`: the next runtime invocation is `run
    /// --detach`, not `create`.
    run_at_once: bool,
    /// The runtime invocation under way is `run --detach` (or `run`).
    run_at_once_started: bool,
    /// The current run's runtime stays in the foreground (`run` without
    /// `--detach`, see [`rpod_proto::MonitorConfig::foreground_run`]) until
    /// the process exits: its exit is the process's.
    foreground: bool,
    /// The watch on a foreground runtime's pid file, polled until the
    /// process is known; kept (not polled) until the monitor exits, as
    /// closing it takes an RCU grace period.
    pid_watch: Option<PidFileWatch>,
    /// A pidfd of the process a foreground runtime started: that process
    /// is the runtime's child, not this monitor's, so a plain pid could be
    /// reaped and reused before the monitor sees the runtime exit.
    pidfd: Option<OwnedFd>,
    /// The current run was made by one `run --detach` that has returned:
    /// once the process exits, nothing else uses the runtime's state.
    delete_at_exit: bool,
    /// The runtime's `delete`, started at the exit for a client that
    /// removes the container itself (`HoldCleanup`), while the output
    /// drains and that client removes the rest; the monitor stays until
    /// it is done.
    early_delete: Option<i32>,
    runtime_pid: Option<i32>,
    // io
    io: ContainerIo,
    /// Attach input the container's stdin has not taken yet.
    stdin_pending: Vec<u8>,
    log: Option<LogSink>,
    /// One packet's buffer, reused for every read.
    scratch: Vec<u8>,
    drain_deadline: Option<Instant>,
    // attach, control
    attaches: Attaches,
    controls: Controls,
    // exit
    /// The container process, once the runtime has reported it.
    pid: i32,
    oom: Option<OomWatch>,
    /// The exit recorded, published once the output is drained.
    pending_exit: Option<ExitRecord>,
    /// The run ended: its `died` event goes out when its output is drained.
    died_pending: bool,
    /// The exit published.
    exit: Option<ExitRecord>,
    stop_deadline: Option<Instant>,
    /// A `stop` of the current run was asked for: a health check failing
    /// from now on failed because the container is stopping.
    stop_requested: bool,
    /// A `healthcheck run` answer held while the check's on-failure
    /// action takes the container down: sent once its exit is published
    /// or, for a restart, once the new run (with a fresh health state)
    /// is. Podman's `healthcheck run` returns after that stop.
    health_reply_held: Option<Reply>,
    /// `--timeout`: when the running process is killed.
    run_deadline: Option<Instant>,
    /// The process was killed at `run_deadline`: its exit code is -1.
    timed_out: bool,
    cleanup: Cleanup,
    // restart, health
    restarts: Restarts,
    health: Option<Health>,
    /// `--sdnotify=container`.
    notify: Option<Notify>,
    /// `--sdnotify=healthy`.
    healthy_notify: Option<HealthyNotify>,
    /// Sockets on the published host ports, closed at the final exit.
    held_ports: Vec<OwnedFd>,
    /// `--preserve-fds`: passed into the container by the first create,
    /// closed here once the runtime has them.
    preserved: Vec<OwnedFd>,
}

impl Supervisor {
    pub fn new(
        cfg: MonitorConfig,
        signals: SignalFd,
        sync: UnixStream,
        control: (UnixListener, BoundPath),
        attach: (OwnedFd, BoundPath),
    ) -> Supervisor {
        let restarts = Restarts::for_config(&cfg);
        let health = Health::for_config(&cfg);
        let healthy_notify = cfg.healthy_notify.clone().map(HealthyNotify::new);
        Supervisor {
            cfg,
            monitor_pid: std::process::id() as i32,
            phase: Phase::Waiting,
            exit_code: 0,
            signals,
            early: Vec::new(),
            sync: SyncGate::new(sync),
            run_at_once: false,
            run_at_once_started: false,
            foreground: false,
            pid_watch: None,
            pidfd: None,
            delete_at_exit: false,
            early_delete: None,
            runtime_pid: None,
            io: ContainerIo::Closed,
            stdin_pending: Vec::new(),
            log: None,
            scratch: Vec::new(),
            drain_deadline: None,
            attaches: Attaches::new(attach),
            controls: Controls::new(control),
            pid: 0,
            oom: None,
            pending_exit: None,
            died_pending: false,
            exit: None,
            stop_deadline: None,
            stop_requested: false,
            health_reply_held: None,
            run_deadline: None,
            timed_out: false,
            cleanup: Cleanup::default(),
            restarts,
            health,
            notify: None,
            healthy_notify,
            held_ports: Vec::new(),
            preserved: Vec::new(),
        }
    }

    /// Passes `fds` into the container (as fds 3, 4, ...) when the runtime
    /// first creates it.
    pub fn passing_fds(mut self, fds: Vec<OwnedFd>) -> Supervisor {
        self.preserved = fds;
        self
    }

    /// Holds `fds` (the published host ports) until the container's final
    /// exit.
    pub fn holding_ports(mut self, fds: Vec<OwnedFd>) -> Supervisor {
        self.held_ports = fds;
        self
    }

    /// Relays the container's readiness through `notify` (`--sdnotify=container`).
    pub fn with_notify(mut self, notify: Option<Notify>) -> Supervisor {
        self.notify = notify;
        self
    }
}
