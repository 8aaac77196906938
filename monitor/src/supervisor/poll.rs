//! The poll loop: one `poll(2)` over every descriptor the monitor
//! watches, dispatch of the ready ones to their owners, deadlines
//! (stop, drain, restart back-off, health checks), signals and reaping.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::time::Instant;

use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use rpod_proto::SyncMsg;

use super::exit::code_of;
use super::health::Health;
use super::{Phase, Supervisor};
use crate::diag;
use crate::logfile::Stream;

/// Statuses of unknown children kept while the runtime runs (an exec'd
/// process may exit before `runtime exec` does).
const MAX_EARLY: usize = 64;

/// What a ready descriptor belongs to.
#[derive(Clone, Copy)]
enum Token {
    Signal,
    Sync,
    Console,
    ControlListener,
    Control(usize),
    AttachListener,
    Attach(usize),
    Stdin,
    Output(Stream),
    Notify,
    PidFile,
}

/// Signals the monitor handles through its signalfd.
pub fn handled_signals() -> [Signal; 4] {
    [
        Signal::SIGCHLD,
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
    ]
}

impl Supervisor {
    /// Sends `Ready`, then serves until the process has exited and been
    /// cleaned up. Returns the monitor's exit code.
    pub fn run(mut self) -> i32 {
        if let Err(e) = self.send_sync(&SyncMsg::Ready {
            monitor_pid: self.monitor_pid,
        }) {
            diag::warn(&format!("cannot send Ready: {e}"));
            self.remove_sockets();
            return 1;
        }
        let mut pollfds: Vec<libc::pollfd> = Vec::new();
        let mut tokens: Vec<Token> = Vec::new();
        while self.phase != Phase::Done {
            self.build_poll(&mut pollfds, &mut tokens);
            let timeout = self.poll_timeout();
            // SAFETY: `pollfds` is a valid, exclusively borrowed array of
            // `pollfds.len()` pollfd structs for the duration of the call.
            let n =
                unsafe { libc::poll(pollfds.as_mut_ptr(), pollfds.len() as libc::nfds_t, timeout) };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.raw_os_error() == Some(libc::EINTR) {
                    continue;
                }
                diag::log(diag::Level::Error, &format!("poll: {e}"));
                self.exit_code = 1;
                break;
            }
            for (pfd, &tok) in pollfds.iter().zip(tokens.iter()) {
                if pfd.revents != 0 {
                    self.dispatch(tok, pfd.revents);
                }
            }
            self.after_events();
        }
        self.controls.flush_all();
        self.remove_sockets();
        self.reap();
        self.exit_code
    }

    fn build_poll(&self, pollfds: &mut Vec<libc::pollfd>, tokens: &mut Vec<Token>) {
        pollfds.clear();
        tokens.clear();
        let mut add = |fd: BorrowedFd<'_>, events: i16, tok: Token| {
            pollfds.push(libc::pollfd {
                fd: fd.as_raw_fd(),
                events,
                revents: 0,
            });
            tokens.push(tok);
        };
        add(self.signals.as_fd(), libc::POLLIN, Token::Signal);
        if let Some(n) = &self.notify {
            add(n.fd(), libc::POLLIN, Token::Notify);
        }
        if self.phase == Phase::Waiting {
            if let Some(fd) = self.sync.fd() {
                add(fd, libc::POLLIN, Token::Sync);
            }
        }
        if self.phase == Phase::Creating {
            if let Some(fd) = self.io.console_fd() {
                add(fd, libc::POLLIN, Token::Console);
            }
            if let Some(w) = self.pid_watch.as_ref().filter(|_| self.foreground) {
                add(w.fd(), libc::POLLIN, Token::PidFile);
            }
        }
        if let Some(fd) = self.controls.listener_fd() {
            add(fd, libc::POLLIN, Token::ControlListener);
        }
        for (i, fd, ev) in self.controls.poll_events() {
            add(fd, ev, Token::Control(i));
        }
        if let Some(fd) = self.attaches.listener_fd() {
            add(fd, libc::POLLIN, Token::AttachListener);
        }
        for (i, fd, ev) in self.attaches.poll_events(self.attach_input_allowed()) {
            add(fd, ev, Token::Attach(i));
        }
        if !self.stdin_pending.is_empty() {
            if let Some(fd) = self.io.stdin_fd() {
                add(fd, libc::POLLOUT, Token::Stdin);
            }
        }
        if self.phase == Phase::Running && !self.output_paused() {
            for (stream, fd) in self.io.outputs() {
                add(fd, libc::POLLIN, Token::Output(stream));
            }
        }
    }

    fn poll_timeout(&self) -> i32 {
        let deadline = match self.phase {
            Phase::Running => {
                let health = self.health.as_ref().and_then(Health::deadline);
                [self.stop_deadline, health, self.run_deadline]
                    .into_iter()
                    .flatten()
                    .min()
            }
            Phase::Draining => self.drain_deadline,
            Phase::Restarting => self.restarts.due(),
            Phase::Cleanup => self.cleanup.held_until(),
            _ => None,
        };
        match deadline {
            None => -1,
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                // Round up so the deadline has passed when poll returns.
                left.as_millis().min(i32::MAX as u128 - 1) as i32 + 1
            }
        }
    }

    fn dispatch(&mut self, tok: Token, revents: i16) {
        match tok {
            Token::Signal => self.on_signals(),
            Token::Notify => {
                let pid = self.monitor_pid;
                if let Some(n) = &mut self.notify {
                    n.on_readable(pid);
                }
            }
            Token::Sync => self.on_sync(),
            Token::Console => self.io.accept_console(),
            Token::PidFile => self.on_pid_file(),
            Token::ControlListener => self.controls.accept(),
            Token::Control(i) => self.on_control(i, revents),
            Token::AttachListener => self.accept_attaches(),
            Token::Attach(i) => self.on_attach(i, revents),
            Token::Stdin => {
                if revents & (libc::POLLERR | libc::POLLHUP) != 0 {
                    self.close_stdin();
                } else {
                    self.write_stdin();
                }
            }
            Token::Output(stream) => {
                self.read_output(stream);
            }
        }
    }

    fn after_events(&mut self) {
        let now = Instant::now();
        if self.phase == Phase::Running && self.run_deadline.is_some_and(|d| now >= d) {
            self.run_deadline = None;
            self.timed_out = true;
            let _ = self.signal_process(libc::SIGKILL);
        }
        if self.phase == Phase::Running && self.stop_deadline.is_some_and(|d| now >= d) {
            self.stop_deadline = None;
            let _ = self.signal_process(libc::SIGKILL);
        }
        if self.phase == Phase::Running {
            self.health_tick(now);
        }
        if self.phase == Phase::Draining {
            self.drain();
        }
        if self.phase == Phase::Restarting && self.restarts.due().is_some_and(|d| now >= d) {
            self.restart_now();
        }
        if self.phase == Phase::Cleanup {
            self.release_held_cleanup(now);
        }
        self.controls.retain_live();
        self.attaches.retain_live();
    }

    // ---- signals and reaping ----

    fn on_signals(&mut self) {
        let mut chld = false;
        while let Ok(Some(info)) = self.signals.read_signal() {
            let sig = info.ssi_signo as i32;
            match sig {
                libc::SIGCHLD => chld = true,
                libc::SIGTERM | libc::SIGINT => match self.phase {
                    Phase::Waiting => self.shutdown(0),
                    Phase::Running => {
                        self.restarts.disabled = true;
                        let _ = self.signal_process(sig);
                    }
                    Phase::Restarting => self.give_up(String::new()),
                    _ => self.restarts.disabled = true,
                },
                _ => {}
            }
        }
        if chld {
            self.reap();
        }
    }

    fn reap(&mut self) {
        loop {
            let st = match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) | Err(Errno::ECHILD) => break,
                Err(Errno::EINTR) => continue,
                Err(e) => {
                    diag::warn(&format!("waitpid: {e}"));
                    break;
                }
                Ok(st) => st,
            };
            let Some(pid) = st.pid().map(Pid::as_raw) else {
                continue;
            };
            if code_of(st).is_none() {
                continue;
            }
            if self.runtime_pid == Some(pid) {
                self.runtime_pid = None;
                self.runtime_exited(st);
            } else if self.early_delete_done(pid) {
                // Its marker is gone: the engine's removal goes on.
            } else if self.cleanup.is(pid) {
                self.next_cleanup();
            } else if self
                .health
                .as_ref()
                .is_some_and(|h| h.running_check() == Some(pid))
            {
                self.health_done(code_of(st).map_or(-1, |(c, _)| c));
            } else if self.phase == Phase::Running && pid == self.pid {
                self.process_exited(st);
            } else if self.phase == Phase::Creating && self.early.len() < MAX_EARLY {
                self.early.push((pid, st));
            }
        }
    }
}
