//! `PortForward` streams: for each requested port, a TCP connection to
//! 127.0.0.1:PORT inside the sandbox's network namespace, relayed over the
//! port's data channel (2i) with failures on its error channel (2i+1); the
//! first message of both channels is the port (little-endian), as the
//! kubelet's WebSocket port forwarding sends it.

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::channel::{self, Incoming};
use super::tokens::PortForwardTarget;

/// What a port's task reports to the WebSocket task.
enum Event {
    /// Data for the client on a channel.
    Out(u8, Vec<u8>),
    /// The port's connection ended.
    Done,
}

/// A TCP connection to 127.0.0.1:`port` in the network namespace at
/// `netns` (the caller's without one), made on a thread of its own that
/// enters the namespace: only that thread changes namespace, and the
/// socket stays in the namespace it was made in.
async fn connect(netns: Option<PathBuf>, port: u16) -> std::io::Result<TcpStream> {
    let stream = tokio::task::spawn_blocking(move || {
        let joined = std::thread::spawn(move || -> std::io::Result<std::net::TcpStream> {
            if let Some(path) = &netns {
                let ns = std::fs::File::open(path)?;
                nix::sched::setns(ns, nix::sched::CloneFlags::CLONE_NEWNET)
                    .map_err(std::io::Error::from)?;
            }
            let s = std::net::TcpStream::connect(("127.0.0.1", port))?;
            s.set_nonblocking(true)?;
            Ok(s)
        })
        .join();
        joined.unwrap_or_else(|_| Err(std::io::Error::other("the connecting thread panicked")))
    })
    .await
    .map_err(std::io::Error::other)??;
    TcpStream::from_std(stream)
}

/// One port: connects, then relays both ways until the connection ends.
async fn forward(
    target: Arc<PortForwardTarget>,
    index: u8,
    port: u16,
    mut from_client: mpsc::UnboundedReceiver<Vec<u8>>,
    events: mpsc::UnboundedSender<Event>,
) {
    let data = index * 2;
    let conn = match connect(target.netns.clone(), port).await {
        Ok(c) => c,
        Err(e) => {
            let message = format!(
                "error forwarding port {port} to pod {}: {e}",
                target.sandbox_id
            );
            let _ = events.send(Event::Out(data + 1, message.into_bytes()));
            let _ = events.send(Event::Done);
            return;
        }
    };
    let (mut rd, mut wr) = conn.into_split();
    let to_port = async move {
        while let Some(bytes) = from_client.recv().await {
            if wr.write_all(&bytes).await.is_err() {
                break;
            }
        }
        let _ = wr.shutdown().await;
        // Keep waiting: the port may still answer after the client's end.
        std::future::pending::<()>().await;
    };
    let from_port = async {
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if events.send(Event::Out(data, buf[..n].to_vec())).is_err() {
                        break;
                    }
                }
            }
        }
    };
    tokio::select! {
        () = to_port => {}
        () = from_port => {}
    }
    let _ = events.send(Event::Done);
}

/// Relays the ports of `ports` over `ws` until all their connections end or
/// the client leaves.
pub async fn run(mut ws: WebSocket, target: PortForwardTarget, ports: Vec<u16>, v5: bool) {
    let target = Arc::new(target);
    // Two channels a port, numbered in a byte.
    let ports: Vec<u16> = ports.into_iter().take(128).collect();
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let mut to_ports = Vec::new();
    let mut tasks = JoinSet::new();
    for (i, port) in ports.iter().enumerate() {
        let index = u8::try_from(i).unwrap_or(u8::MAX);
        for ch in [index * 2, index * 2 + 1] {
            if ws
                .send(Message::Binary(
                    channel::frame(ch, &port.to_le_bytes()).into(),
                ))
                .await
                .is_err()
            {
                return;
            }
        }
        let (tx, rx) = mpsc::unbounded_channel();
        to_ports.push(Some(tx));
        tasks.spawn(forward(target.clone(), index, *port, rx, events_tx.clone()));
    }
    drop(events_tx);
    let mut running = ports.len();
    while running > 0 {
        tokio::select! {
            ev = events.recv() => match ev {
                Some(Event::Out(ch, bytes)) => {
                    let msg = Message::Binary(channel::frame(ch, &bytes).into());
                    if ws.send(msg).await.is_err() { return; }
                }
                Some(Event::Done) => running -= 1,
                None => break,
            },
            msg = ws.recv() => match msg {
                Some(Ok(Message::Binary(data))) => match channel::decode(&data, false, v5) {
                    Ok(Incoming::Data(ch, bytes)) if ch % 2 == 0 && !bytes.is_empty() => {
                        if let Some(Some(tx)) = to_ports.get(usize::from(ch / 2)) {
                            let _ = tx.send(bytes.to_vec());
                        }
                    }
                    Ok(Incoming::Close(ch)) if ch % 2 == 0 => {
                        if let Some(slot) = to_ports.get_mut(usize::from(ch / 2)) {
                            *slot = None;
                        }
                    }
                    Ok(other) => tracing::debug!("port forward: ignoring {other:?}"),
                    Err(e) => tracing::debug!("port forward: {e}"),
                },
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return,
            },
        }
    }
    let _ = ws.send(Message::Close(None)).await;
}
