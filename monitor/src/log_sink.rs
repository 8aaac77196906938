//! Where the container's output is logged: the k8s-file log
//! ([`LogFile`]) or the journal (`--log-driver journald`), line by line
//! with conmon's fields.

use std::io;

use rpod_proto::journal::{log_fields, Journal, JournalLogConfig};

use crate::logfile::{LogFile, Stream};

/// Longest message sent as one entry; a longer line goes out in pieces
/// marked partial, as conmon splits at its buffer size.
const MAX_MESSAGE: usize = 8192;

/// The container's log.
pub enum LogSink {
    File(LogFile),
    Journal(JournalLog),
}

impl LogSink {
    pub fn write_output(&mut self, stream: Stream, data: &[u8]) -> io::Result<()> {
        match self {
            LogSink::File(f) => f.write_output(stream, data),
            LogSink::Journal(j) => j.write_output(stream, data),
        }
    }

    /// Reopens a log file rotated by someone else; the journal has nothing
    /// to reopen.
    pub fn reopen(&mut self) -> io::Result<()> {
        match self {
            LogSink::File(f) => f.reopen(),
            LogSink::Journal(_) => Ok(()),
        }
    }
}

/// Output sent to journald's native socket.
pub struct JournalLog {
    journal: Journal,
    id: String,
    cfg: JournalLogConfig,
}

impl JournalLog {
    pub fn connect(id: &str, cfg: &JournalLogConfig) -> io::Result<JournalLog> {
        Ok(JournalLog {
            journal: Journal::connect()?,
            id: id.to_owned(),
            cfg: cfg.clone(),
        })
    }

    /// One entry per line of `data` (without its newline); a last line
    /// without its end, and the pieces of an overlong line, are marked
    /// partial.
    pub fn write_output(&mut self, stream: Stream, data: &[u8]) -> io::Result<()> {
        let stderr = stream == Stream::Stderr;
        for line in data.split_inclusive(|&b| b == b'\n') {
            let (text, ended) = match line.strip_suffix(b"\n") {
                Some(t) => (t, true),
                None => (line, false),
            };
            let mut pieces = text.chunks(MAX_MESSAGE).peekable();
            if pieces.peek().is_none() {
                // An empty line.
                self.send(stderr, b"", !ended)?;
            }
            while let Some(piece) = pieces.next() {
                let last = pieces.peek().is_none();
                self.send(stderr, piece, !(last && ended))?;
            }
        }
        Ok(())
    }

    fn send(&self, stderr: bool, message: &[u8], partial: bool) -> io::Result<()> {
        self.journal
            .send(&log_fields(&self.id, &self.cfg, stderr, message, partial))
    }
}
