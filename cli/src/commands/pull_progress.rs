//! Printing the pull progress a front-door request reports: Podman's
//! lines on stderr, or progress bars per blob when stderr is a terminal.

use std::io::{IsTerminal, Write};
use std::thread::JoinHandle;

use rpod_api::container_run::{PullProgress, PullProgressSender};
// The bars still implement the engine's observer trait (progress_bars.rs).
use rpod_engine::registry::progress::ProgressObserver;

use super::progress_bars::Bars;

/// Prints the events of a request's pull until the request drops its sender.
pub struct ProgressPrinter {
    thread: Option<JoinHandle<()>>,
}

impl ProgressPrinter {
    /// Waits until every event is printed (call once the request returned).
    pub fn finish(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A sender for a request and the printer of what it sends.
pub fn print_pull_progress(quiet: bool) -> (PullProgressSender, ProgressPrinter) {
    let bars = !quiet && std::io::stderr().is_terminal();
    let (tx, rx) = PullProgressSender::channel(bars);
    let thread = std::thread::spawn(move || {
        let bars = bars.then(Bars::new);
        for event in rx {
            match (event, &bars) {
                (PullProgress::Line(line), _) => {
                    let mut err = std::io::stderr().lock();
                    let _ = writeln!(err, "{line}");
                }
                (
                    PullProgress::BlobStart {
                        digest,
                        total,
                        skipped,
                    },
                    Some(b),
                ) => b.start(&digest, total, skipped),
                (PullProgress::BlobAdvance { digest, bytes }, Some(b)) => b.advance(&digest, bytes),
                (PullProgress::BlobDone { digest }, Some(b)) => b.finish(&digest),
                (_, None) => {}
            }
        }
    });
    (
        tx,
        ProgressPrinter {
            thread: Some(thread),
        },
    )
}
