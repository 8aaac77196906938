//! A layer blob handed from the network task to its unpacking thread: the
//! async side sends the chunks as they arrive (verified by the registry
//! client's digest check), the blocking side reads them as one `Read`,
//! writing each byte once to the blob file kept for push and save.
//!
//! The stream ends only when the sender says so ([`BlobSender::finish`]),
//! after the whole blob arrived and its digest matched: a sender dropped
//! before that (network error, digest mismatch, cancelled pull) makes the
//! reader fail, so a layer unpacked from it is never stored.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};

use bytes::Bytes;
use tokio::sync::mpsc;

/// Chunks in flight between the network and the unpacking thread.
const CHANNEL_CHUNKS: usize = 64;
/// Buffer of the blob file's writer: one write per this many bytes.
const BLOB_WRITE_BUFFER: usize = 1 << 20;

enum Piece {
    Data(Bytes),
    /// The blob is complete and verified.
    End,
}

/// The network side of a blob stream.
pub(super) struct BlobSender {
    tx: mpsc::Sender<Piece>,
}

/// The unpacking side: the blob's bytes, teed into the blob file.
pub(super) struct BlobReader {
    rx: mpsc::Receiver<Piece>,
    current: Bytes,
    ended: bool,
    blob: BufWriter<File>,
}

/// A blob stream whose bytes are also written to `blob`.
pub(super) fn blob_stream(blob: File) -> (BlobSender, BlobReader) {
    let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
    (
        BlobSender { tx },
        BlobReader {
            rx,
            current: Bytes::new(),
            ended: false,
            blob: BufWriter::with_capacity(BLOB_WRITE_BUFFER, blob),
        },
    )
}

impl BlobSender {
    /// Hands on one chunk; `false` once the reader is gone (unpacking
    /// stopped), when sending more is pointless.
    pub(super) async fn send(&self, chunk: Bytes) -> bool {
        self.tx.send(Piece::Data(chunk)).await.is_ok()
    }

    /// Ends the stream: everything was sent and verified.
    pub(super) async fn finish(self) {
        // A reader that is gone already failed on its own.
        let _ = self.tx.send(Piece::End).await;
    }
}

impl BlobReader {
    /// Reads what is left (the unpacker may stop at the archive's end),
    /// then flushes the blob file: `Ok` only for a complete, verified blob.
    pub(super) fn complete(&mut self) -> io::Result<()> {
        io::copy(self, &mut io::sink())?;
        self.blob.flush()
    }
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            if self.ended {
                return Ok(0);
            }
            match self.rx.blocking_recv() {
                Some(Piece::Data(chunk)) => {
                    self.blob.write_all(&chunk)?;
                    self.current = chunk;
                }
                Some(Piece::End) => self.ended = true,
                None => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the blob stream ended before the whole blob was received and verified",
                    ))
                }
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream() -> (BlobSender, BlobReader, tempfile::NamedTempFile) {
        let file = tempfile::NamedTempFile::new().unwrap();
        let (tx, rx) = blob_stream(file.reopen().unwrap());
        (tx, rx, file)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn complete_stream_is_read_and_teed() {
        let (tx, mut rx, file) = stream();
        let reader = tokio::task::spawn_blocking(move || {
            let mut got = Vec::new();
            rx.read_to_end(&mut got)?;
            rx.complete()?;
            Ok::<_, io::Error>(got)
        });
        for part in [&b"abc"[..], b"", b"defgh"] {
            assert!(tx.send(Bytes::copy_from_slice(part)).await);
        }
        tx.finish().await;
        assert_eq!(reader.await.unwrap().unwrap(), b"abcdefgh");
        assert_eq!(std::fs::read(file.path()).unwrap(), b"abcdefgh");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn unfinished_stream_fails() {
        let (tx, mut rx, _file) = stream();
        let reader = tokio::task::spawn_blocking(move || {
            let mut got = Vec::new();
            let res = rx.read_to_end(&mut got);
            (got, res, rx.complete())
        });
        assert!(tx.send(Bytes::from_static(b"partial")).await);
        drop(tx);
        let (got, res, completed) = reader.await.unwrap();
        assert_eq!(got, b"partial");
        assert_eq!(res.unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(completed.unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sender_learns_that_the_reader_is_gone() {
        let (tx, rx, _file) = stream();
        drop(rx);
        assert!(!tx.send(Bytes::from_static(b"x")).await);
    }
}
