//! A layer blob handed from the network task to its unpacking thread: the
//! async side sends the chunks as they arrive (verified by the registry
//! client's digest check), the blocking side reads them as one `BufRead`
//! straight out of the received chunks (no copy into a buffer of its own),
//! writing each byte once to the blob file kept for push and save (the
//! chunks themselves, gathered into one vectored write per megabyte).
//!
//! The stream ends only when the sender says so ([`BlobSender::finish`]),
//! after the whole blob arrived and its digest matched: a sender dropped
//! before that (network error, digest mismatch, cancelled pull) makes the
//! reader fail, so a layer unpacked from it is never stored.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, IoSlice, Read, Write};

use bytes::{Buf, Bytes};
use tokio::sync::mpsc;

/// Chunks in flight between the network and the unpacking thread.
const CHANNEL_CHUNKS: usize = 64;
/// The blob file is written once this many bytes of chunks are held.
const BLOB_WRITE_BYTES: usize = 1 << 20;
/// ... or once this many chunks are (well below the kernel's `IOV_MAX`).
const BLOB_WRITE_CHUNKS: usize = 256;

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
    /// What is left of the chunk being read.
    current: Bytes,
    ended: bool,
    blob: File,
    /// Chunks received but not yet written to `blob`, and their size.
    unwritten: VecDeque<Bytes>,
    unwritten_bytes: usize,
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
            blob,
            unwritten: VecDeque::new(),
            unwritten_bytes: 0,
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
    /// then writes out the blob file: `Ok` only for a complete, verified blob.
    pub(super) fn complete(&mut self) -> io::Result<()> {
        self.current.clear();
        while self.next_chunk()? {
            self.current.clear();
        }
        self.write_unwritten()
    }

    /// Makes the next received chunk `current`; `false` at the verified end.
    fn next_chunk(&mut self) -> io::Result<bool> {
        while !self.ended {
            match self.rx.blocking_recv() {
                Some(Piece::Data(chunk)) if chunk.is_empty() => {}
                Some(Piece::Data(chunk)) => {
                    self.unwritten_bytes += chunk.len();
                    self.unwritten.push_back(chunk.clone());
                    if self.unwritten_bytes >= BLOB_WRITE_BYTES
                        || self.unwritten.len() >= BLOB_WRITE_CHUNKS
                    {
                        self.write_unwritten()?;
                    }
                    self.current = chunk;
                    return Ok(true);
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
        Ok(false)
    }

    /// Writes the held chunks to the blob file, as few writes as it takes.
    fn write_unwritten(&mut self) -> io::Result<()> {
        while !self.unwritten.is_empty() {
            let slices: Vec<IoSlice<'_>> = self.unwritten.iter().map(|c| IoSlice::new(c)).collect();
            let mut written = match self.blob.write_vectored(&slices) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.unwritten_bytes -= written;
            while let Some(first) = self.unwritten.front_mut() {
                if written < first.len() {
                    first.advance(written);
                    break;
                }
                written -= first.len();
                self.unwritten.pop_front();
            }
        }
        Ok(())
    }
}

impl BufRead for BlobReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.current.is_empty() {
            self.next_chunk()?;
        }
        Ok(&self.current)
    }

    fn consume(&mut self, amt: usize) {
        self.current.advance(amt);
    }
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = buf.len().min(available.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
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
    async fn many_chunks_are_read_as_bufread_and_teed_in_order() {
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
        let (tx, mut rx, file) = stream();
        let reader = tokio::task::spawn_blocking(move || {
            let mut got = Vec::new();
            // Odd-sized reads through `BufRead`, then the rest through `Read`.
            while got.len() < 1_234_567 {
                let buf = rx.fill_buf()?;
                let n = buf.len().min(1013);
                got.extend_from_slice(&buf[..n]);
                rx.consume(n);
            }
            rx.read_to_end(&mut got)?;
            rx.complete()?;
            Ok::<_, io::Error>(got)
        });
        // More chunks than one vectored write takes, of varied sizes.
        let mut rest = &data[..];
        let mut size = 1;
        while !rest.is_empty() {
            let n = size.min(rest.len());
            assert!(tx.send(Bytes::copy_from_slice(&rest[..n])).await);
            rest = &rest[n..];
            size = size * 3 % 40_000 + 1;
        }
        tx.finish().await;
        assert!(reader.await.unwrap().unwrap() == data);
        assert!(std::fs::read(file.path()).unwrap() == data);
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
