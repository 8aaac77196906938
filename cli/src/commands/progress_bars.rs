//! Pull and push progress on stderr: the engine's progress events rendered
//! as Podman's lines, and on a terminal progress bars for blob transfers (one
//! line per blob, redrawn in place at most ten times a second).

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rpod_api::front_door::images::{ProgressSink, PullProgress};

use crate::human;

const REDRAW: Duration = Duration::from_millis(100);
const BAR_WIDTH: usize = 30;

enum Status {
    Running,
    Skipped,
    Done,
}

struct Row {
    digest: String,
    total: Option<u64>,
    done: u64,
    status: Status,
}

struct State {
    rows: Vec<Row>,
    drawn: usize,
    last: Option<Instant>,
}

/// Draws bars on stderr; meant for a terminal only.
pub struct Bars {
    state: Mutex<State>,
}

impl Bars {
    pub fn new() -> Bars {
        Bars {
            state: Mutex::new(State {
                rows: Vec::new(),
                drawn: 0,
                last: None,
            }),
        }
    }

    fn with(&self, force: bool, f: impl FnOnce(&mut State)) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut st);
        if !force && st.last.is_some_and(|t| t.elapsed() < REDRAW) {
            return;
        }
        st.last = Some(Instant::now());
        let mut out = String::new();
        if st.drawn > 0 {
            out.push_str(&format!("\x1b[{}A", st.drawn));
        }
        for r in &st.rows {
            let short = r.digest.strip_prefix("sha256:").unwrap_or(&r.digest);
            let short = &short[..short.len().min(12)];
            let line = match r.status {
                Status::Skipped => format!("Copying blob {short} skipped: already exists"),
                Status::Done => format!("Copying blob {short} done"),
                Status::Running => {
                    let (bar, of) = match r.total.filter(|t| *t > 0) {
                        Some(t) => {
                            let filled =
                                ((r.done.min(t) as f64 / t as f64) * BAR_WIDTH as f64) as usize;
                            (
                                format!(
                                    "[{}{}]",
                                    "=".repeat(filled),
                                    "-".repeat(BAR_WIDTH - filled)
                                ),
                                format!(" / {}", human::size(t)),
                            )
                        }
                        None => (String::new(), String::new()),
                    };
                    format!("Copying blob {short} {bar} {}{of}", human::size(r.done))
                }
            };
            out.push_str("\r\x1b[2K");
            out.push_str(&line);
            out.push('\n');
        }
        st.drawn = st.rows.len();
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(out.as_bytes());
        let _ = err.flush();
    }
}

impl Bars {
    fn start(&self, digest: &str, total: Option<u64>, skipped: bool) {
        self.with(true, |st| {
            st.rows.push(Row {
                digest: digest.to_string(),
                total,
                done: 0,
                status: if skipped {
                    Status::Skipped
                } else {
                    Status::Running
                },
            })
        });
    }

    fn advance(&self, digest: &str, bytes: u64) {
        self.with(false, |st| {
            if let Some(r) = st.rows.iter_mut().find(|r| r.digest == digest) {
                r.done += bytes;
            }
        });
    }

    fn finish(&self, digest: &str) {
        self.with(true, |st| {
            if let Some(r) = st.rows.iter_mut().find(|r| r.digest == digest) {
                r.status = Status::Done;
            }
        });
    }
}

/// Renders progress events on stderr: text lines as they come, blob events
/// as bars (when drawing bars).
pub struct StderrProgress {
    bars: Option<Bars>,
}

impl StderrProgress {
    /// A sink for a pull or push; `bars` draws blob progress bars (a terminal).
    pub fn new(bars: bool) -> Arc<StderrProgress> {
        Arc::new(StderrProgress {
            bars: bars.then(Bars::new),
        })
    }
}

impl ProgressSink for StderrProgress {
    fn event(&self, event: PullProgress) {
        match event {
            PullProgress::Line(l) => {
                let mut err = std::io::stderr().lock();
                let _ = writeln!(err, "{l}");
            }
            PullProgress::BlobStarted {
                digest,
                total,
                skipped,
            } => {
                if let Some(b) = &self.bars {
                    b.start(&digest, total, skipped);
                }
            }
            PullProgress::BlobAdvanced { digest, bytes } => {
                if let Some(b) = &self.bars {
                    b.advance(&digest, bytes);
                }
            }
            PullProgress::BlobDone { digest } => {
                if let Some(b) = &self.bars {
                    b.finish(&digest);
                }
            }
        }
    }
}

/// The progress sink of a `create`/`run` that may pull: progress bars when
/// stderr is a terminal (the request then asks for blob events), lines
/// otherwise, nothing with `-q`.
pub fn pull_sink(spec: &mut rpod_api::container_run::CreateSpec) -> Option<Arc<dyn ProgressSink>> {
    let bars = !spec.quiet && std::io::stderr().is_terminal();
    spec.blob_progress = bars;
    (!spec.quiet).then(|| StderrProgress::new(bars) as Arc<dyn ProgressSink>)
}
