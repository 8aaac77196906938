//! Waking a followed log as soon as its monitor writes: an inotify watch on
//! each log file's directory (a write modifies the live file; a rotation
//! creates a new one and moves the old). The follower still reads at least
//! every `max` (liveness, journald logs, a watch the kernel refused), so
//! the watch only shortens the wait for new lines; it never replaces the
//! reads that find them.

use std::path::PathBuf;
use std::time::Duration;

use futures_util::StreamExt;
use inotify::{EventStream, Inotify, WatchMask};

/// The inotify watches of the followed logs' directories.
pub(crate) struct LogWatch {
    events: EventStream<Vec<u8>>,
}

impl LogWatch {
    /// Watches the directories of `logs`; `None` when inotify is not
    /// available (the follower then waits the full interval).
    pub(crate) fn new(logs: &[PathBuf]) -> Option<LogWatch> {
        let inotify = Inotify::init()
            .map_err(|e| tracing::debug!("inotify for logs -f: {e}"))
            .ok()?;
        let mut watched = 0;
        for dir in logs.iter().filter_map(|l| l.parent()) {
            let mask = WatchMask::MODIFY | WatchMask::CREATE | WatchMask::MOVED_TO;
            match inotify.watches().add(dir, mask) {
                Ok(_) => watched += 1,
                Err(e) => tracing::debug!("watching {}: {e}", dir.display()),
            }
        }
        if watched == 0 {
            return None;
        }
        let events = inotify
            .into_event_stream(vec![0u8; 4096])
            .map_err(|e| tracing::debug!("inotify stream: {e}"))
            .ok()?;
        Some(LogWatch { events })
    }

    /// Returns when something was written in a watched directory, or after
    /// `max`. Events that arrived meanwhile count once: the read that
    /// follows takes whatever they announced.
    pub(crate) async fn wait(&mut self, max: Duration) {
        let _ = tokio::time::timeout(max, self.events.next()).await;
        // Drain what is already queued without waiting.
        while let Ok(Some(_)) = tokio::time::timeout(Duration::ZERO, self.events.next()).await {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::time::Instant;

    #[tokio::test]
    async fn a_write_wakes_the_wait_early() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("ctr.log");
        let mut f = std::fs::File::create(&log).unwrap();
        let mut watch = LogWatch::new(std::slice::from_ref(&log)).expect("inotify");
        let writer = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            f.write_all(b"line\n").unwrap();
        });
        let start = Instant::now();
        watch.wait(Duration::from_secs(30)).await;
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the write did not wake the wait"
        );
        writer.await.unwrap();
        // Nothing more written: the wait runs to its limit.
        let start = Instant::now();
        watch.wait(Duration::from_millis(200)).await;
        assert!(start.elapsed() >= Duration::from_millis(200));
    }
}
