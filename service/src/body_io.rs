//! Bridges between the engine's blocking `Write`rs and streaming response
//! bodies.

use std::io::{self, Write};

use axum::body::{Body, Bytes};
use tokio::sync::mpsc;

/// Bytes written on a blocking thread, sent to a response body.
pub struct ChannelWriter(mpsc::Sender<Bytes>);

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .blocking_send(Bytes::copy_from_slice(buf))
            .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A buffered writer whose bytes become the returned body as they are
/// written (the writer's end ends the body; a client that leaves makes
/// writes fail with `BrokenPipe`).
pub fn streamed_body() -> (Box<dyn Write + Send>, Body) {
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, io::Error>(b), rx))
    });
    (
        Box::new(io::BufWriter::with_capacity(1 << 16, ChannelWriter(tx))),
        Body::from_stream(stream),
    )
}

/// A body fed by a task writing into a channel: `producer` gets the
/// sending end and runs on its own task.
pub fn async_stream<F, Fut>(
    producer: F,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send
where
    F: FnOnce(mpsc::Sender<Bytes>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    tokio::spawn(producer(tx));
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, std::io::Error>(b), rx))
    })
}
