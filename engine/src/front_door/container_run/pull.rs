//! The pull a `create`/`run` makes, through the engine's registry code,
//! with its progress sent to the caller as [`PullProgress`] events.

use std::io::Write;
use std::sync::Arc;

use rpod_api::container_run::{PullProgress, PullProgressSender};
use rpod_api::Error;

use crate::engine::Engine;
use crate::registry::progress::{Progress, ProgressObserver};
use crate::registry::registries_conf::RegistriesConf;
use crate::registry::{self, PullOptions};

/// Pulls `image`; returns the image id. `quiet` suppresses the progress.
pub(crate) async fn pull_image(
    engine: &Engine,
    image: &str,
    tls_verify: Option<bool>,
    quiet: bool,
    progress: Option<&PullProgressSender>,
) -> Result<String, Error> {
    let registries_conf = RegistriesConf::load().map_err(|e| Error::invalid(e.to_string()))?;
    let mut opts = PullOptions {
        tls_verify,
        quiet,
        registries_conf,
        ..Default::default()
    };
    if let Some(p) = progress.filter(|p| !quiet && p.wants_blobs()) {
        opts.progress = Progress(Some(Arc::new(BlobEvents(p.clone()))));
    }
    let mut lines = LineEvents {
        to: progress.cloned(),
        partial: Vec::new(),
    };
    let pulled = registry::pull(engine.store(), image, &opts, &mut lines).await;
    lines.flush_partial();
    pulled
        .map(|img| img.id)
        .map_err(|e| Error::other(e.to_string()))
}

/// The registry code's progress text, as one event per line.
struct LineEvents {
    to: Option<PullProgressSender>,
    partial: Vec<u8>,
}

impl LineEvents {
    fn flush_partial(&mut self) {
        if !self.partial.is_empty() {
            let line = String::from_utf8_lossy(&self.partial).into_owned();
            self.partial.clear();
            if let Some(to) = &self.to {
                to.send(PullProgress::Line(line));
            }
        }
    }
}

impl Write for LineEvents {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for &b in buf {
            if b == b'\n' {
                let line = String::from_utf8_lossy(&self.partial).into_owned();
                self.partial.clear();
                if let Some(to) = &self.to {
                    to.send(PullProgress::Line(line));
                }
            } else {
                self.partial.push(b);
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Blob transfers as events (for a caller drawing progress bars).
struct BlobEvents(PullProgressSender);

impl ProgressObserver for BlobEvents {
    fn start(&self, digest: &str, total: Option<u64>, skipped: bool) {
        self.0.send(PullProgress::BlobStart {
            digest: digest.to_owned(),
            total,
            skipped,
        });
    }

    fn advance(&self, digest: &str, bytes: u64) {
        self.0.send(PullProgress::BlobAdvance {
            digest: digest.to_owned(),
            bytes,
        });
    }

    fn finish(&self, digest: &str) {
        self.0.send(PullProgress::BlobDone {
            digest: digest.to_owned(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_becomes_line_events() {
        let (tx, rx) = PullProgressSender::channel(false);
        let mut w = LineEvents {
            to: Some(tx),
            partial: Vec::new(),
        };
        write!(w, "Trying to pull a...\nCopying ").unwrap();
        writeln!(w, "blob sha256:1 done").unwrap();
        write!(w, "tail").unwrap();
        w.flush_partial();
        drop(w);
        let got: Vec<PullProgress> = rx.iter().collect();
        assert_eq!(
            got,
            vec![
                PullProgress::Line("Trying to pull a...".into()),
                PullProgress::Line("Copying blob sha256:1 done".into()),
                PullProgress::Line("tail".into()),
            ]
        );
    }
}
