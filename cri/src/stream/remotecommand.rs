//! `Exec` and `Attach` streams: the WebSocket relayed to an attach session
//! of the front door (the container's or the exec session's monitor).
//! Session reads and writes block, so each runs on a blocking thread and
//! talks to the WebSocket task through channels.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket};
use rpod_api::container_run::{
    AttachControl, AttachEnd, AttachInput, AttachOptions, AttachOutput, AttachSession, ExecOptions,
};
use rpod_api::FrontDoor;
use tokio::sync::mpsc;

use super::channel::{self, Incoming};
use super::tokens::{AttachStream, ExecStream, Streams};

/// What the WebSocket task asks of the session's input thread.
enum Input {
    Data(Vec<u8>),
    Close,
    Detach,
}

/// How long a terminal stream waits for the client's first size before the
/// process starts without one (kubectl sends it at once).
const FIRST_SIZE_WAIT: Duration = Duration::from_secs(5);

/// What came from the client before the process started.
struct Opening {
    /// The terminal size to start with.
    size: Option<(u16, u16)>,
    /// A message to act on once the process runs.
    early: Option<Bytes>,
}

/// Tells the client the stream is up (an empty message on the lowest
/// channel it reads), then, for a terminal, awaits the client's first
/// message: a size the process starts with, or input kept for it.
/// `None`: the client left.
async fn open(ws: &mut WebSocket, streams: &Streams, v5: bool) -> Option<Opening> {
    let first = if streams.stdout {
        channel::STDOUT
    } else if streams.stderr {
        channel::STDERR
    } else {
        channel::ERROR
    };
    if !send(ws, first, &[]).await {
        return None;
    }
    let mut opening = Opening {
        size: None,
        early: None,
    };
    if !streams.tty {
        return Some(opening);
    }
    let deadline = tokio::time::sleep(FIRST_SIZE_WAIT);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            () = &mut deadline => return Some(opening),
            msg = ws.recv() => match msg {
                Some(Ok(Message::Binary(data))) => {
                    if let Ok(Incoming::Resize(rows, cols)) = channel::decode(&data, true, v5) {
                        opening.size = Some((rows, cols));
                        return Some(opening);
                    }
                    // Input first: the process starts, sized later.
                    opening.early = Some(data);
                    return Some(opening);
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => return None,
                Some(Ok(_)) => {}
            },
        }
    }
}

/// Runs `ExecStream` over `ws`.
pub async fn exec(engine: Arc<dyn FrontDoor>, mut ws: WebSocket, req: ExecStream, v5: bool) {
    let Some(opening) = open(&mut ws, &req.streams, v5).await else {
        return;
    };
    let options = ExecOptions {
        command: req.cmd.clone(),
        tty: req.streams.tty,
        interactive: req.streams.stdin,
        terminal_size: opening.size,
        ..ExecOptions::default()
    };
    let opened = engine.container_exec(&req.container_id, options).await;
    let shown = req.cmd.join(" ");
    relay(
        ws,
        opened,
        req.streams,
        v5,
        opening.early,
        move |end| match end {
            AttachEnd::Exited(code) => channel::exit_status(&shown, code),
            AttachEnd::Detached => channel::exit_status(&shown, 0),
        },
    )
    .await;
}

/// Runs `AttachStream` over `ws`; its end is a success however the
/// container ended, as the kubelet reports an attach.
pub async fn attach(engine: Arc<dyn FrontDoor>, mut ws: WebSocket, req: AttachStream, v5: bool) {
    let Some(opening) = open(&mut ws, &req.streams, v5).await else {
        return;
    };
    let options = AttachOptions {
        no_stdin: !req.streams.stdin,
        terminal_size: opening.size,
        ..AttachOptions::default()
    };
    let opened = engine.container_attach(&req.container_id, options).await;
    relay(ws, opened, req.streams, v5, opening.early, |_| {
        channel::exit_status("", 0)
    })
    .await;
}

async fn send(ws: &mut WebSocket, channel: u8, data: &[u8]) -> bool {
    ws.send(Message::Binary(channel::frame(channel, data).into()))
        .await
        .is_ok()
}

/// Relays one session until its output ends, then reports how it ended on
/// the error channel and closes.
async fn relay(
    mut ws: WebSocket,
    opened: rpod_api::Result<Box<dyn AttachSession>>,
    streams: Streams,
    v5: bool,
    early: Option<Bytes>,
    status: impl FnOnce(AttachEnd) -> Vec<u8>,
) {
    let mut session = match opened {
        Ok(s) => s,
        Err(e) => {
            send(
                &mut ws,
                channel::ERROR,
                &channel::internal_error(&e.message),
            )
            .await;
            let _ = ws.send(Message::Close(None)).await;
            return;
        }
    };
    let control = session.control();
    let input = if streams.stdin {
        session.take_input().map(input_thread)
    } else {
        None
    };
    let (out_tx, mut out_rx) = mpsc::channel::<AttachOutput>(16);
    let reader = tokio::task::spawn_blocking(move || {
        loop {
            match session.next_output() {
                Ok(Some(out)) => {
                    if out_tx.blocking_send(out).is_err() {
                        // The client is gone: the session is dropped.
                        return None;
                    }
                }
                Ok(None) => return Some(Ok(session)),
                Err(e) => return Some(Err(e)),
            }
        }
    });
    let mut client_open = true;
    let mut input = input;
    if let Some(data) = &early {
        from_client(data, v5, &mut input, control.as_ref());
    }
    loop {
        tokio::select! {
            out = out_rx.recv() => match out {
                Some(AttachOutput::Stdout(b)) if streams.stdout => {
                    if !send(&mut ws, channel::STDOUT, &b).await { break; }
                }
                Some(AttachOutput::Stderr(b)) if streams.stderr => {
                    if !send(&mut ws, channel::STDERR, &b).await { break; }
                }
                Some(_) => {}
                None => break,
            },
            msg = ws.recv(), if client_open => match msg {
                Some(Ok(Message::Binary(data))) => {
                    from_client(&data, v5, &mut input, control.as_ref());
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Text(_))) => {}
                Some(Ok(Message::Close(_)) | Err(_)) | None => {
                    // The client left: the process runs on; the reader
                    // drops the session at its next output or end.
                    client_open = false;
                    if let Some(tx) = input.take() {
                        let _ = tx.send(Input::Detach);
                    }
                    break;
                }
            },
        }
    }
    drop(out_rx);
    drop(input);
    if !client_open {
        return;
    }
    let ended = match reader.await {
        Ok(Some(Ok(session))) => session.finish().await,
        Ok(Some(Err(e))) => Err(e),
        Ok(None) => return,
        Err(e) => Err(rpod_api::Error::other(format!("session reader: {e}"))),
    };
    let message = match ended {
        Ok(end) => status(end),
        Err(e) => channel::internal_error(&e.message),
    };
    send(&mut ws, channel::ERROR, &message).await;
    let _ = ws.send(Message::Close(None)).await;
}

/// Acts on one client message.
fn from_client(
    data: &[u8],
    v5: bool,
    input: &mut Option<std::sync::mpsc::Sender<Input>>,
    control: &dyn AttachControl,
) {
    match channel::decode(data, true, v5) {
        Ok(Incoming::Data(channel::STDIN, bytes)) => {
            if let Some(tx) = input {
                let _ = tx.send(Input::Data(bytes.to_vec()));
            }
        }
        Ok(Incoming::Close(channel::STDIN)) => {
            if let Some(tx) = input.take() {
                let _ = tx.send(Input::Close);
            }
        }
        Ok(Incoming::Resize(rows, cols)) => {
            if let Err(e) = control.resize((rows, cols)) {
                tracing::debug!("stream resize: {}", e.message);
            }
        }
        Ok(other) => tracing::debug!("stream: ignoring {other:?}"),
        Err(e) => tracing::debug!("stream: {e}"),
    }
}

/// The session's input on a thread of its own (its writes block).
fn input_thread(mut input: Box<dyn AttachInput>) -> std::sync::mpsc::Sender<Input> {
    let (tx, rx) = std::sync::mpsc::channel::<Input>();
    tokio::task::spawn_blocking(move || {
        for msg in rx {
            let r = match msg {
                Input::Data(d) => input.send(&d),
                Input::Close => input.close(),
                Input::Detach => input.detach(),
            };
            if let Err(e) = r {
                tracing::debug!("stream input: {}", e.message);
                return;
            }
        }
    });
    tx
}
