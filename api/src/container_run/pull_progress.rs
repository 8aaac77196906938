//! Progress of a pull that a request makes (`run`/`create` with a pull
//! policy that fetches): typed events sent over a channel the caller
//! drains, so the caller prints them as it likes (plain lines or terminal
//! progress bars) and an HTTP client can feed the same channel from a
//! response stream.

use std::sync::mpsc::{channel, Receiver, Sender};

use serde::{Deserialize, Serialize};

/// One progress event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PullProgress {
    /// One line of Podman's plain progress text, without its newline
    /// (`Trying to pull ...`, `Copying blob ...`, `Writing manifest ...`).
    Line(String),
    /// A blob transfer begins (only when the caller asked for blob
    /// events); `skipped` blobs are already stored.
    BlobStart {
        digest: String,
        total: Option<u64>,
        skipped: bool,
    },
    /// `bytes` more of the blob arrived.
    BlobAdvance { digest: String, bytes: u64 },
    /// The blob is stored.
    BlobDone { digest: String },
}

/// The sending end a request takes; dropping it ends the stream.
#[derive(Clone, Debug)]
pub struct PullProgressSender {
    tx: Sender<PullProgress>,
    /// Whether per-blob events are wanted (the caller draws progress
    /// bars) instead of `Copying blob` lines.
    blobs: bool,
}

impl PullProgressSender {
    /// A sender and the receiver the caller drains (until the sender and
    /// its clones are dropped).
    pub fn channel(blobs: bool) -> (PullProgressSender, Receiver<PullProgress>) {
        let (tx, rx) = channel();
        (PullProgressSender { tx, blobs }, rx)
    }

    /// Whether the caller wants blob events.
    pub fn wants_blobs(&self) -> bool {
        self.blobs
    }

    /// Sends an event; a caller that stopped listening loses nothing it wants.
    pub fn send(&self, event: PullProgress) {
        let _ = self.tx.send(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_arrive_in_order_until_dropped() {
        let (tx, rx) = PullProgressSender::channel(false);
        assert!(!tx.wants_blobs());
        tx.send(PullProgress::Line("Trying to pull x...".into()));
        tx.send(PullProgress::BlobDone {
            digest: "sha256:1".into(),
        });
        drop(tx);
        let got: Vec<PullProgress> = rx.iter().collect();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], PullProgress::Line("Trying to pull x...".into()));
    }

    #[test]
    fn json_shape() {
        let e = PullProgress::BlobAdvance {
            digest: "sha256:1".into(),
            bytes: 5,
        };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"BlobAdvance":{"digest":"sha256:1","bytes":5}}"#
        );
    }
}
