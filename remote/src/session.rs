//! An attached process over an upgraded connection (attach, exec start):
//! a task reads Docker's multiplexed frames (raw bytes with a TTY) into a
//! channel `next_output` blocks on; input goes to a task that writes it;
//! the end comes from `wait` (containers) or the exec session's inspect.

use std::sync::mpsc as std_mpsc;
use std::sync::Arc;

use async_trait::async_trait;
use hyper::body::Incoming;
use hyper::upgrade::Upgraded;
use hyper::{Method, Response};
use hyper_util::rt::TokioIo;
use rpod_api::container_run::session::TerminalSize;
use rpod_api::container_run::{
    AttachControl, AttachEnd, AttachInput, AttachOutput, AttachSession, SessionInfo,
};
use rpod_api::{Error, ErrorKind, Result};
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf};
use tokio::sync::mpsc;

use crate::error::{from_response, unsupported};
use crate::query::encode;
use crate::transport::{decode, read_all, Transport};

/// What the session is of, and so how its end is learnt.
#[derive(Clone)]
pub(crate) enum Process {
    /// A container's main process; removed after its exit when `remove`.
    Container { remove: bool },
    /// An exec session, by its id.
    Exec(String),
}

enum Input {
    Data(Vec<u8>),
    Close,
    Detach,
}

pub(crate) struct RemoteSession {
    info: SessionInfo,
    process: Process,
    transport: Arc<Transport>,
    output: std_mpsc::Receiver<Result<AttachOutput>>,
    input: Option<Box<dyn AttachInput>>,
    detached: Arc<std::sync::atomic::AtomicBool>,
    reader: tokio::task::AbortHandle,
    /// A container's `wait`, asked before its start: its answer is the exit
    /// code (a `--rm` container may be gone by the time the output ends).
    wait: Option<Response<Incoming>>,
}

impl RemoteSession {
    pub(crate) fn new(
        info: SessionInfo,
        process: Process,
        transport: Arc<Transport>,
        upgraded: Upgraded,
        wait: Option<Response<Incoming>>,
    ) -> RemoteSession {
        let (rd, mut wr) = tokio::io::split(TokioIo::new(upgraded));
        let (out_tx, out_rx) = std_mpsc::channel();
        let reader = tokio::spawn(read_output(rd, info.tty, out_tx)).abort_handle();
        let detached = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let input: Option<Box<dyn AttachInput>> = if info.stdin {
            let (in_tx, mut in_rx) = mpsc::unbounded_channel::<Input>();
            let abort = reader.clone();
            let flag = detached.clone();
            tokio::spawn(async move {
                while let Some(msg) = in_rx.recv().await {
                    match msg {
                        Input::Data(d) => {
                            if wr.write_all(&d).await.is_err() || wr.flush().await.is_err() {
                                break;
                            }
                        }
                        Input::Close => {
                            let _ = wr.shutdown().await;
                            break;
                        }
                        Input::Detach => {
                            flag.store(true, std::sync::atomic::Ordering::SeqCst);
                            abort.abort();
                            break;
                        }
                    }
                }
            });
            Some(Box::new(RemoteInput(in_tx)))
        } else {
            None
        };
        RemoteSession {
            info,
            process,
            transport,
            output: out_rx,
            input,
            detached,
            reader,
            wait,
        }
    }
}

/// The output frames to the channel until the connection ends.
async fn read_output(
    mut rd: ReadHalf<TokioIo<Upgraded>>,
    tty: bool,
    tx: std_mpsc::Sender<Result<AttachOutput>>,
) {
    let mut buf = vec![0u8; 32 * 1024];
    if tty {
        loop {
            match rd.read(&mut buf).await {
                Ok(0) => break,
                Ok(n) => {
                    if tx
                        .send(Ok(AttachOutput::Stdout(buf[..n].to_vec())))
                        .is_err()
                    {
                        break;
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(Error::other(format!("reading the attach stream: {e}"))));
                    break;
                }
            }
        }
        return;
    }
    loop {
        let mut header = [0u8; 8];
        match rd.read_exact(&mut header).await {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => {
                let _ = tx.send(Err(Error::other(format!("reading the attach stream: {e}"))));
                break;
            }
        }
        let len = u32::from_be_bytes([header[4], header[5], header[6], header[7]]) as usize;
        let mut data = vec![0u8; len];
        if let Err(e) = rd.read_exact(&mut data).await {
            let _ = tx.send(Err(Error::other(format!("reading the attach stream: {e}"))));
            break;
        }
        let item = match header[0] {
            2 => AttachOutput::Stderr(data),
            _ => AttachOutput::Stdout(data),
        };
        if tx.send(Ok(item)).is_err() {
            break;
        }
    }
}

struct RemoteInput(mpsc::UnboundedSender<Input>);

impl AttachInput for RemoteInput {
    fn send(&mut self, data: &[u8]) -> Result<()> {
        // The process may be gone: its input is dropped.
        let _ = self.0.send(Input::Data(data.to_vec()));
        Ok(())
    }
    fn close(&mut self) -> Result<()> {
        let _ = self.0.send(Input::Close);
        Ok(())
    }
    fn detach(&mut self) -> Result<()> {
        let _ = self.0.send(Input::Detach);
        Ok(())
    }
}

struct Control {
    id: String,
    process: Process,
    transport: Arc<Transport>,
    runtime: tokio::runtime::Handle,
}

impl AttachControl for Control {
    fn resize(&self, size: TerminalSize) -> Result<()> {
        let transport = self.transport.clone();
        let path = resize_path(&self.process, &self.id, size);
        self.runtime.spawn(async move {
            if let Err(e) = transport.call(Method::POST, &path, None).await {
                tracing::debug!("resizing the terminal: {e}");
            }
        });
        Ok(())
    }

    fn signal(&self, signal: i32) -> Result<()> {
        if let Process::Exec(_) = self.process {
            return Err(unsupported("sending signals to an exec session"));
        }
        let transport = self.transport.clone();
        let path = format!("/containers/{}/kill?signal={signal}", encode(&self.id));
        self.runtime.spawn(async move {
            if let Err(e) = transport.call(Method::POST, &path, None).await {
                tracing::debug!("forwarding signal {signal}: {e}");
            }
        });
        Ok(())
    }
}

#[async_trait]
impl AttachSession for RemoteSession {
    fn info(&self) -> &SessionInfo {
        &self.info
    }

    fn take_input(&mut self) -> Option<Box<dyn AttachInput>> {
        self.input.take()
    }

    fn control(&self) -> Box<dyn AttachControl> {
        Box::new(Control {
            id: self.info.id.clone(),
            process: self.process.clone(),
            transport: self.transport.clone(),
            runtime: tokio::runtime::Handle::current(),
        })
    }

    fn next_output(&mut self) -> Result<Option<AttachOutput>> {
        match self.output.recv() {
            Ok(Ok(out)) => Ok(Some(out)),
            Ok(Err(e)) => Err(e),
            Err(_) => Ok(None),
        }
    }

    async fn finish(self: Box<Self>) -> Result<AttachEnd> {
        if self.detached.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(AttachEnd::Detached);
        }
        let code = match &self.process {
            Process::Exec(exec_id) => {
                #[derive(serde::Deserialize)]
                struct ExecInspect {
                    #[serde(rename = "ExitCode")]
                    exit_code: Option<i32>,
                }
                let e: ExecInspect = self
                    .transport
                    .get(&format!("/exec/{}/json", encode(exec_id)))
                    .await?;
                e.exit_code.unwrap_or(-1)
            }
            Process::Container { remove } => {
                let id = encode(&self.info.id);
                let resp = match self.wait {
                    Some(r) => r,
                    None => {
                        let path = format!("/containers/{id}/wait");
                        self.transport
                            .send(Method::POST, &path, None, false)
                            .await?
                    }
                };
                let status = resp.status().as_u16();
                let bytes = read_all(resp).await?;
                if status >= 400 {
                    return Err(from_response(status, &bytes));
                }
                let code: i32 = decode(&bytes)?;
                if *remove {
                    remove_container(&self.transport, &id).await;
                }
                code
            }
        };
        Ok(AttachEnd::Exited(code))
    }

    async fn abandon(self: Box<Self>) {
        self.reader.abort();
        if let Process::Container { remove: true } = self.process {
            remove_container(&self.transport, &encode(&self.info.id)).await;
        }
    }
}

fn resize_path(process: &Process, id: &str, (rows, cols): TerminalSize) -> String {
    let path = match process {
        Process::Exec(exec_id) => format!("/exec/{}/resize", encode(exec_id)),
        Process::Container { .. } => format!("/containers/{}/resize", encode(id)),
    };
    format!("{path}?h={rows}&w={cols}")
}

impl RemoteSession {
    /// The request that resizes the terminal, for the caller to await
    /// (before the input flows, so the process sees the size first).
    pub(crate) fn resize_request(&self, size: TerminalSize) -> (Arc<Transport>, String) {
        (
            self.transport.clone(),
            resize_path(&self.process, &self.info.id, size),
        )
    }
}

/// `--rm`: the container goes once it exited (already gone is fine).
async fn remove_container(transport: &Transport, id: &str) {
    let path = format!("/containers/{id}?force=true");
    if let Err(e) = transport.call(Method::DELETE, &path, None).await {
        if e.kind != ErrorKind::NoSuchContainer {
            tracing::warn!("removing container {id}: {e}");
        }
    }
}
