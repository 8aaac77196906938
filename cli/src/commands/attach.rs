//! `attach`, and the attach loop `run`, `start -a` and `exec` share: the
//! front door's [`AttachSession`] gives the process's streams; this side
//! keeps the local terminal (raw mode, detach keys, signals).

use std::io::{IsTerminal, Write};
use std::os::fd::AsFd;

use clap::Args;
use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use rpod_api::container_run::{AttachEnd, AttachInput, AttachOptions, AttachOutput, AttachSession};

use super::common::{open_front_door, Globals};
pub use super::detach_keys::DEFAULT_DETACH_KEYS;
use super::detach_keys::{parse_detach_keys, DetachMatcher};
use super::terminal::{caller_terminal_size, RawTerminal};
use crate::cli_error::{CliError, CliResult};

/// Input is read in whole 512-byte blocks (as the 32 KiB reads of
/// Podman's copy are) that fit one attach packet, so a block-wise reader
/// such as `dd bs=512` in the container sees whole records.
const INPUT_BLOCK: usize = 32 * 1024 - 512;

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

/// How to handle the local end of an attach.
pub struct AttachSpec<'a> {
    pub detach_keys: &'a str,
    /// Forward the signals this CLI receives to the process.
    pub sig_proxy: bool,
    /// The streams copied (`run --attach`); the others are only logged.
    pub streams: Streams,
}

/// Which of the process's streams an attached client copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Streams {
    pub stdin: bool,
    pub stdout: bool,
    pub stderr: bool,
}

impl Streams {
    pub const ALL: Streams = Streams {
        stdin: true,
        stdout: true,
        stderr: true,
    };

    /// `--attach` values (`stdin`, `stdout`, `stderr`, any case); none
    /// given: all of them.
    pub fn parse(names: &[String]) -> CliResult<Streams> {
        if names.is_empty() {
            return Ok(Streams::ALL);
        }
        let mut s = Streams {
            stdin: false,
            stdout: false,
            stderr: false,
        };
        for n in names.iter().flat_map(|n| n.split(',')) {
            match n.to_lowercase().as_str() {
                "stdin" => s.stdin = true,
                "stdout" => s.stdout = true,
                "stderr" => s.stderr = true,
                _ => {
                    return Err(CliError::usage(format!(
                        "invalid stream {n:?} for --attach - must be one of stdin, stdout, or stderr: invalid argument"
                    )))
                }
            }
        }
        Ok(s)
    }
}

/// Copies the streams until the process ends (its exit code) or the user
/// detaches (`None`).
pub async fn pump(
    mut session: Box<dyn AttachSession>,
    spec: &AttachSpec<'_>,
) -> CliResult<Option<i32>> {
    let info = session.info().clone();
    let keys = if info.stdin {
        match parse_detach_keys(spec.detach_keys) {
            Ok(k) => Some(k),
            Err(e) => {
                session.abandon().await;
                return Err(CliError::usage(e));
            }
        }
    } else {
        None
    };
    let stdin = std::io::stdin();
    let raw = if info.tty && info.stdin && stdin.is_terminal() {
        match RawTerminal::enable(stdin.as_fd()) {
            Ok(r) => Some(r),
            Err(e) => {
                session.abandon().await;
                return Err(anyhow::Error::from(e).into());
            }
        }
    } else {
        None
    };
    if let (Some(keys), Some(input)) = (keys, session.take_input()) {
        if spec.streams.stdin {
            std::thread::spawn(move || copy_input(input, keys));
        }
    }
    if !spec.streams.stdout && !spec.streams.stderr {
        // Podman: with no output stream attached the ID stands in for it.
        println!("{}", info.id);
    }
    let forwarder =
        super::sig_proxy::SignalForwarder::start(session.control(), spec.sig_proxy, info.tty);
    let copied = copy_output(session.as_mut(), spec.streams);
    drop(forwarder);
    drop(raw);
    if let Err(e) = copied {
        session.abandon().await;
        return Err(e);
    }
    match session.finish().await? {
        AttachEnd::Detached => Ok(None),
        AttachEnd::Exited(code) => Ok(Some(code)),
    }
}

/// The process's output to ours until its stream ends.
fn copy_output(session: &mut dyn AttachSession, streams: Streams) -> CliResult<()> {
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    let write_err = |e: std::io::Error| anyhow::anyhow!("write attach output: {e}");
    while let Some(item) = session.next_output()? {
        match item {
            AttachOutput::Stdout(d) if streams.stdout => {
                out.write_all(&d).and_then(|_| out.flush())
            }
            AttachOutput::Stderr(d) if streams.stderr => {
                err.write_all(&d).and_then(|_| err.flush())
            }
            // A stream not attached is only logged.
            AttachOutput::Stdout(_) | AttachOutput::Stderr(_) => Ok(()),
        }
        .map_err(write_err)?;
    }
    out.flush().map_err(write_err)?;
    err.flush().map_err(write_err)?;
    Ok(())
}

/// Our stdin to the process until its end (the process's stdin is closed)
/// or the detach keys (the session ends, the process runs on).
fn copy_input(mut input: Box<dyn AttachInput>, keys: Vec<u8>) {
    let mut matcher = DetachMatcher::new(keys);
    let stdin = std::io::stdin();
    let fd = stdin.as_fd();
    let mut buf = vec![0u8; INPUT_BLOCK];
    loop {
        // Waits for input even when stdin is non-blocking.
        let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
        if let Err(e) = poll(&mut fds, PollTimeout::NONE) {
            if e != Errno::EINTR {
                tracing::debug!("poll attach input: {e}");
            }
        }
        let n = match nix::unistd::read(fd, &mut buf) {
            Ok(n) => n,
            Err(Errno::EINTR | Errno::EAGAIN) => continue,
            // Input that cannot be read is at its end.
            Err(e) => {
                if e != Errno::EIO {
                    tracing::debug!("read attach input: {e}");
                }
                0
            }
        };
        let mut fwd = Vec::new();
        let sent = if n == 0 {
            matcher.flush(&mut fwd);
            send(&mut *input, &fwd).and_then(|()| input.close())
        } else if matcher.feed(&buf[..n], &mut fwd) {
            send(&mut *input, &fwd).and_then(|()| input.detach())
        } else {
            if send(&mut *input, &fwd).is_ok() {
                continue;
            }
            return;
        };
        if let Err(e) = sent {
            tracing::debug!("attach input: {e}");
        }
        return;
    }
}

fn send(input: &mut dyn AttachInput, data: &[u8]) -> rpod_api::Result<()> {
    if data.is_empty() {
        return Ok(());
    }
    input.send(data)
}

pub async fn run(g: &Globals, a: AttachArgs) -> CliResult {
    if a.container.is_some() && a.latest {
        return Err(CliError::usage(
            "--latest and containers cannot be used together",
        ));
    }
    let front = open_front_door(g)?;
    let options = AttachOptions {
        latest: a.latest,
        no_stdin: a.no_stdin,
        terminal_size: caller_terminal_size(),
    };
    let session = front
        .container_attach(a.container.as_deref().unwrap_or_default(), options)
        .await?;
    let spec = AttachSpec {
        detach_keys: &a.detach_keys,
        sig_proxy: a.sig_proxy,
        streams: Streams::ALL,
    };
    Ok(pump(session, &spec).await?.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rpod_api::container_run::{AttachControl, SessionInfo};
    use std::sync::{Arc, Mutex};

    /// A session as another implementation (an HTTP client) would give it.
    struct Fake {
        info: SessionInfo,
        items: Vec<AttachOutput>,
        end: AttachEnd,
        log: Arc<Mutex<Vec<String>>>,
    }

    struct NoControl;

    impl AttachControl for NoControl {
        fn resize(&self, _: (u16, u16)) -> rpod_api::Result<()> {
            Ok(())
        }
        fn signal(&self, _: i32) -> rpod_api::Result<()> {
            Ok(())
        }
    }

    type Boxed<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

    // What `#[async_trait]` expands to (the CLI does not depend on it).
    impl AttachSession for Fake {
        fn info(&self) -> &SessionInfo {
            &self.info
        }
        fn take_input(&mut self) -> Option<Box<dyn AttachInput>> {
            None
        }
        fn control(&self) -> Box<dyn AttachControl> {
            Box::new(NoControl)
        }
        fn next_output(&mut self) -> rpod_api::Result<Option<AttachOutput>> {
            Ok((!self.items.is_empty()).then(|| self.items.remove(0)))
        }
        fn finish<'a>(self: Box<Self>) -> Boxed<'a, rpod_api::Result<AttachEnd>>
        where
            Self: 'a,
        {
            Box::pin(async move {
                self.log.lock().unwrap().push("finish".into());
                Ok(self.end)
            })
        }
        fn abandon<'a>(self: Box<Self>) -> Boxed<'a, ()>
        where
            Self: 'a,
        {
            Box::pin(async move {
                self.log.lock().unwrap().push("abandon".into());
            })
        }
    }

    fn fake(end: AttachEnd, detach_keys_checked: bool) -> (Box<Fake>, Arc<Mutex<Vec<String>>>) {
        let log = Arc::new(Mutex::new(Vec::new()));
        let session = Box::new(Fake {
            info: SessionInfo {
                id: "x".into(),
                tty: false,
                stdin: detach_keys_checked,
            },
            items: vec![
                AttachOutput::Stdout(Vec::new()),
                AttachOutput::Stderr(Vec::new()),
            ],
            end,
            log: log.clone(),
        });
        (session, log)
    }

    #[tokio::test]
    async fn the_end_of_the_session_is_the_exit() {
        let spec = AttachSpec {
            detach_keys: DEFAULT_DETACH_KEYS,
            sig_proxy: false,
            streams: Streams::ALL,
        };
        let (s, log) = fake(AttachEnd::Exited(3), false);
        assert_eq!(pump(s, &spec).await.unwrap(), Some(3));
        assert_eq!(*log.lock().unwrap(), vec!["finish"]);
        let (s, _) = fake(AttachEnd::Detached, false);
        assert_eq!(pump(s, &spec).await.unwrap(), None);
    }

    #[test]
    fn attach_streams() {
        let s = Streams::parse(&["STDERR".into(), "stdin".into()]).unwrap();
        assert!(s.stdin && s.stderr && !s.stdout);
        assert_eq!(Streams::parse(&[]).unwrap(), Streams::ALL);
        let e = Streams::parse(&["tty".into()]).unwrap_err();
        assert!(
            e.to_string()
                .contains("invalid stream \"tty\" for --attach"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn bad_detach_keys_abandon_the_session() {
        let spec = AttachSpec {
            detach_keys: "ctrl-1",
            sig_proxy: false,
            streams: Streams::ALL,
        };
        let (s, log) = fake(AttachEnd::Exited(0), true);
        let e = pump(s, &spec).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid detach keys \"ctrl-1\": Unknown character: 'ctrl-1'"
        );
        assert_eq!(*log.lock().unwrap(), vec!["abandon"]);
    }
}
