//! Per-blob progress reports for pulls, so a front end can draw progress
//! bars on a terminal. Without an observer, pull prints Podman's plain
//! "Copying blob" lines instead.

use std::fmt;
use std::sync::Arc;

/// Receives progress of blob transfers; called from several tasks at once.
pub trait ProgressObserver: Send + Sync {
    /// A blob transfer begins (`total` from the manifest when known);
    /// `skipped` blobs are already present and finish at once.
    fn start(&self, digest: &str, total: Option<u64>, skipped: bool);
    /// `bytes` more of the blob arrived.
    fn advance(&self, digest: &str, bytes: u64);
    /// The blob is stored.
    fn finish(&self, digest: &str);
}

/// An optional observer, cheap to clone.
#[derive(Clone, Default)]
pub struct Progress(pub Option<Arc<dyn ProgressObserver>>);

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Progress(on)"
        } else {
            "Progress(off)"
        })
    }
}

impl Progress {
    /// Whether an observer is attached.
    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }

    pub(crate) fn start(&self, digest: &str, total: Option<u64>, skipped: bool) {
        if let Some(o) = &self.0 {
            o.start(digest, total, skipped);
        }
    }

    pub(crate) fn advance(&self, digest: &str, bytes: u64) {
        if let Some(o) = &self.0 {
            o.advance(digest, bytes);
        }
    }

    pub(crate) fn finish(&self, digest: &str) {
        if let Some(o) = &self.0 {
            o.finish(digest);
        }
    }
}
