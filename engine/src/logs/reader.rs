//! [`LogReader`]: the lines of one or more containers' logs as a
//! [`LogLineStream`], read from the files as they are written and, with
//! `follow`, until every container has exited (or `until` has passed).
//!
//! File reads run on tokio's blocking threads, never on the executor's.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use rpod_api::logs::{ContainerLogsOptions, LogDevice, LogLine, LogLineStream};
use rpod_api::{Error, Result};
use rpod_proto::log_format::{parse_record, Stream};

use super::source::{tail, take_lines, LogSource, TimeFilter};
use super::watch::LogWatch;
use crate::container::ContainerHandle;

/// How often a followed log is checked at least (containers that exited,
/// journald logs); a write to a log file wakes the follower sooner
/// ([`LogWatch`]).
const FOLLOW_INTERVAL: Duration = Duration::from_millis(100);

/// Follow polls a journald log goes on after its container is gone
/// without the `died` event that ends it (a monitor killed before it could
/// send one) before the read ends anyway.
const JOURNAL_STALE_POLLS: u32 = 20;

/// How the lines of several containers are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    /// Each container's records as they are read, one container after the
    /// other (`logs`).
    Sequential,
    /// Complete lines of all containers merged by the time of their first
    /// record, ties in container order; an unfinished line waits for its end
    /// (`pod logs`).
    ByTime,
}

/// A container whose log is read.
pub(crate) struct LogTarget {
    pub(crate) id: String,
    pub(crate) name: String,
    /// Its live log file.
    pub(crate) log: PathBuf,
    /// `Some(running now)` when it logs to the journal instead.
    pub(crate) journald: Option<bool>,
    /// To ask whether it still runs; `None`: never (gone already).
    pub(crate) handle: Option<ContainerHandle>,
}

/// The stream of lines of a `logs` request.
pub(crate) struct LogReader {
    /// The files; `None` only while a blocking read has them (or after that
    /// read failed).
    files: Option<Files>,
    handles: Vec<Option<ContainerHandle>>,
    /// Per container: its ID and name, as lines carry them.
    names: Vec<(String, String)>,
    /// Per container: exited and read to the end (`Sequential`).
    done: Vec<bool>,
    /// Per journald container: follow polls since it was seen gone.
    stale: Vec<u32>,
    follow: bool,
    filter: TimeFilter,
    /// Records read, not handed out yet, with their container's index: made
    /// into lines one by one, so a long backlog stays as compact as the file.
    queue: VecDeque<(usize, String)>,
    error: Option<Error>,
    phase: Phase,
    /// The log files to watch while following (not journald's).
    log_files: Vec<PathBuf>,
    /// Their inotify watch, made when following begins; `None` before, or
    /// when inotify is not available.
    watch: Option<LogWatch>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// What the logs hold now, `--tail` applied.
    Backlog,
    /// Polling while the containers run; `first`: no pause before the poll.
    Follow {
        first: bool,
    },
    /// Lines never finished (`ByTime`).
    Finish,
    Done,
}

impl LogReader {
    pub(crate) fn new(
        targets: Vec<LogTarget>,
        order: Order,
        options: &ContainerLogsOptions,
    ) -> LogReader {
        let mut handles = Vec::with_capacity(targets.len());
        let mut names = Vec::with_capacity(targets.len());
        let log_files = targets
            .iter()
            .filter(|t| t.journald.is_none())
            .map(|t| t.log.clone())
            .collect();
        let members = targets
            .into_iter()
            .map(|t| {
                let source = match t.journald {
                    Some(running) => LogSource::journal(&t.id, options.since, running),
                    None => LogSource::new(&t.log),
                };
                handles.push(t.handle);
                names.push((t.id, t.name));
                Member {
                    source,
                    pending: Vec::new(),
                }
            })
            .collect();
        LogReader {
            files: Some(Files {
                members,
                order,
                tail: options.tail,
            }),
            done: vec![false; handles.len()],
            stale: vec![0; handles.len()],
            handles,
            names,
            follow: options.follow,
            filter: TimeFilter {
                since: options.since,
                until: options.until,
            },
            queue: VecDeque::new(),
            error: None,
            phase: Phase::Backlog,
            log_files,
            watch: None,
        }
    }

    /// Runs one read of the files on a blocking thread; its records go to
    /// the queue.
    async fn read(&mut self, step: Step) -> Result<()> {
        let Some(mut files) = self.files.take() else {
            return Err(Error::other("reading logs: the reader failed before"));
        };
        let done = self.done.clone();
        let (files, records, res) = tokio::task::spawn_blocking(move || {
            let mut records = VecDeque::new();
            let res = files.step(step, &done, &mut records);
            (files, records, res)
        })
        .await
        .map_err(|e| Error::other(format!("reading logs: {e}")))?;
        self.files = Some(files);
        if self.queue.is_empty() {
            self.queue = records;
        } else {
            self.queue.extend(records);
        }
        res.map_err(Error::other)
    }

    /// Whether each container still runs; `None` for those read to the end.
    async fn liveness(&self) -> Vec<Option<bool>> {
        let mut live = Vec::with_capacity(self.handles.len());
        for (h, done) in self.handles.iter().zip(&self.done) {
            live.push(match (h, done) {
                (_, true) => None,
                (None, false) => Some(false),
                (Some(h), false) => Some(h.get().await.is_ok_and(|r| r.state.has_monitor())),
            });
        }
        live
    }

    /// Moves on by one phase, queueing the lines read.
    async fn advance(&mut self) -> Result<()> {
        match self.phase {
            Phase::Backlog => {
                self.phase = if self.follow {
                    Phase::Follow { first: true }
                } else {
                    Phase::Finish
                };
                self.read(Step::Backlog).await
            }
            Phase::Follow { first } => {
                if first {
                    // Watched from before the first follow read: a write
                    // after that read wakes the next.
                    self.watch = LogWatch::new(&self.log_files);
                } else {
                    match &mut self.watch {
                        Some(w) => w.wait(FOLLOW_INTERVAL).await,
                        None => tokio::time::sleep(FOLLOW_INTERVAL).await,
                    }
                }
                // Asked before the read: a container seen exited has written
                // everything by now, so this read gets the rest.
                let mut live = self.liveness().await;
                let res = self.read(Step::Follow).await;
                self.journal_liveness(&mut live);
                let order = self.files.as_ref().map_or(Order::Sequential, |f| f.order);
                for (done, l) in self.done.iter_mut().zip(&live) {
                    if order == Order::Sequential && *l == Some(false) {
                        *done = true;
                    }
                }
                let ended = match order {
                    Order::Sequential => self.done.iter().all(|d| *d),
                    Order::ByTime => !live.contains(&Some(true)),
                };
                self.phase = if ended || self.filter.until_passed() {
                    Phase::Finish
                } else {
                    Phase::Follow { first: false }
                };
                res
            }
            Phase::Finish => {
                self.phase = Phase::Done;
                self.read(Step::Finish).await
            }
            Phase::Done => Ok(()),
        }
    }
}

impl LogReader {
    /// A journald log's container is done when its events say so (the
    /// journal may not have every line yet when the container is seen
    /// gone), or when it has been gone for [`JOURNAL_STALE_POLLS`] polls.
    fn journal_liveness(&mut self, live: &mut [Option<bool>]) {
        let Some(files) = &self.files else { return };
        for (i, m) in files.members.iter().enumerate() {
            let (Some(ended), Some(l)) = (m.source.journal_ended(), live.get_mut(i)) else {
                continue;
            };
            let Some(seen) = *l else { continue };
            let stale = &mut self.stale[i];
            *stale = if seen { 0 } else { *stale + 1 };
            *l = Some(!ended && (seen || *stale < JOURNAL_STALE_POLLS));
        }
    }
}

#[async_trait]
impl LogLineStream for LogReader {
    async fn next_line(&mut self) -> Option<Result<LogLine>> {
        loop {
            if let Some((i, record)) = self.queue.pop_front() {
                match self.line(i, &record) {
                    Some(l) => return Some(Ok(l)),
                    None => continue,
                }
            }
            if let Some(e) = self.error.take() {
                return Some(Err(e));
            }
            if self.phase == Phase::Done {
                return None;
            }
            if let Err(e) = self.advance().await {
                // The lines read before the failure come first.
                self.error = Some(e);
                self.phase = Phase::Done;
            }
        }
    }
}

/// What a blocking read does.
#[derive(Debug, Clone, Copy)]
enum Step {
    Backlog,
    Follow,
    Finish,
}

/// The files being read, moved to a blocking thread for each read.
struct Files {
    members: Vec<Member>,
    order: Order,
    tail: i64,
}

/// One container's log being read.
struct Member {
    source: LogSource,
    /// Records read but not handed out: an unfinished line (`ByTime`).
    pending: Vec<String>,
}

impl Files {
    /// Reads what `step` asks of the members not `done`, queueing records
    /// into `out` with their member's index. An error names the file.
    fn step(
        &mut self,
        step: Step,
        done: &[bool],
        out: &mut VecDeque<(usize, String)>,
    ) -> Result<(), String> {
        match (step, self.order) {
            (Step::Backlog | Step::Follow, Order::Sequential) => {
                let mut records = Vec::new();
                for (i, m) in self.members.iter_mut().enumerate() {
                    if done.get(i).copied().unwrap_or(false) {
                        continue;
                    }
                    m.source.poll(&mut records)?;
                    if matches!(step, Step::Backlog) {
                        tail(&mut records, self.tail);
                    }
                    out.extend(records.drain(..).map(|r| (i, r)));
                }
            }
            (Step::Backlog | Step::Follow, Order::ByTime) => {
                for m in &mut self.members {
                    m.source.poll(&mut m.pending)?;
                    if matches!(step, Step::Backlog) {
                        tail(&mut m.pending, self.tail);
                    }
                }
                self.merge(out);
            }
            (Step::Finish, _) => {
                for (i, m) in self.members.iter_mut().enumerate() {
                    out.extend(m.pending.drain(..).map(|r| (i, r)));
                }
            }
        }
        Ok(())
    }

    /// Hands out the complete lines read from every member, ordered by time
    /// (ties keep the member order); unfinished lines wait for their end.
    fn merge(&mut self, out: &mut VecDeque<(usize, String)>) {
        let mut lines: Vec<(i64, usize, Vec<String>)> = Vec::new();
        for (i, m) in self.members.iter_mut().enumerate() {
            lines.extend(
                take_lines(&mut m.pending)
                    .into_iter()
                    .map(|(t, l)| (t, i, l)),
            );
        }
        // Stable: a member's own lines keep their order.
        lines.sort_by_key(|(t, i, _)| (*t, *i));
        for (_, i, records) in lines {
            out.extend(records.into_iter().map(|r| (i, r)));
        }
    }
}

impl LogReader {
    /// The line of a record of container `i`, if it parses and is in the
    /// time window.
    fn line(&self, i: usize, record: &str) -> Option<LogLine> {
        let r = parse_record(record)?;
        if !self.filter.keeps(r.nanos) {
            return None;
        }
        let (id, name) = self.names.get(i)?;
        Some(LogLine {
            container_id: id.clone(),
            container_name: name.clone(),
            device: match r.stream {
                Stream::Stdout => LogDevice::Stdout,
                Stream::Stderr => LogDevice::Stderr,
            },
            time: r.time.to_owned(),
            time_nanos: r.nanos,
            partial: r.partial,
            msg: r.text.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rpod_proto::log_format::{append_records, rotate};
    use std::fs::{File, OpenOptions};
    use std::io::Write;
    use std::path::Path;

    /// The record time of second `s` of 2026-01-01 (UTC).
    fn time(s: u32) -> String {
        format!("2026-01-01T00:00:{s:02}.000000000+00:00")
    }

    fn nanos(s: u32) -> i64 {
        1_767_225_600_000_000_000 + i64::from(s) * 1_000_000_000
    }

    /// Appends `data` as written to `stream` at second `s`.
    fn write(log: &Path, s: u32, stream: Stream, data: &str) {
        let mut out = Vec::new();
        append_records(&mut out, time(s).as_bytes(), stream, data.as_bytes());
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        f.write_all(&out).unwrap();
    }

    /// Rotates like the monitor with `max-file` 10.
    fn rotate_log(log: &Path) {
        rotate(log, 10).unwrap();
        File::create(log).unwrap();
    }

    fn target(dir: &Path, id: &str) -> LogTarget {
        LogTarget {
            id: id.into(),
            name: format!("name-{id}"),
            log: dir.join(format!("{id}.log")),
            journald: None,
            handle: None,
        }
    }

    fn options(tail: i64, since: Option<u32>, until: Option<u32>) -> ContainerLogsOptions {
        ContainerLogsOptions {
            follow: false,
            since: since.map(nanos),
            until: until.map(nanos),
            tail,
            times: true,
        }
    }

    async fn collect(reader: &mut LogReader) -> Vec<String> {
        let mut got = Vec::new();
        while let Some(l) = reader.next_line().await {
            let l = l.unwrap();
            let tag = if l.partial { "P" } else { "F" };
            got.push(format!("{} {tag} {}", l.container_id, l.msg));
        }
        got
    }

    #[tokio::test]
    async fn tail_counts_whole_lines_of_the_live_file() {
        let dir = tempfile::tempdir().unwrap();
        let a = target(dir.path(), "a");
        write(&a.log, 1, Stream::Stdout, "old-1\nold-2\n");
        rotate_log(&a.log);
        write(&a.log, 2, Stream::Stdout, "one\ntw");
        write(&a.log, 3, Stream::Stdout, "o\nthree\nfou");
        let mut r = LogReader::new(vec![a], Order::Sequential, &options(2, None, None));
        assert_eq!(
            collect(&mut r).await,
            ["a F three", "a P fou"],
            "the unfinished line counts as one"
        );
    }

    #[tokio::test]
    async fn since_and_until_keep_records_in_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let a = target(dir.path(), "a");
        for s in 1..=5 {
            write(&a.log, s, Stream::Stderr, &format!("at-{s}\n"));
        }
        let mut r = LogReader::new(vec![a], Order::Sequential, &options(-1, Some(2), Some(4)));
        assert_eq!(collect(&mut r).await, ["a F at-2", "a F at-3", "a F at-4"]);
    }

    #[tokio::test]
    async fn follows_across_rotations_and_ends_when_containers_are_gone() {
        let dir = tempfile::tempdir().unwrap();
        let a = target(dir.path(), "a");
        let log = a.log.clone();
        write(&log, 1, Stream::Stdout, "l1\nl2\nl3\n");
        let mut r = LogReader::new(
            vec![a],
            Order::Sequential,
            &ContainerLogsOptions {
                follow: true,
                tail: 1,
                ..Default::default()
            },
        );
        // The backlog, with --tail.
        let first = r.next_line().await.unwrap().unwrap();
        assert_eq!((first.msg.as_str(), first.time_nanos), ("l3", nanos(1)));
        assert_eq!(first.container_name, "name-a");
        assert_eq!(first.time, time(1));
        // Rotated twice before the next read: every line once, in order.
        write(&log, 2, Stream::Stdout, "l4\n");
        rotate_log(&log);
        write(&log, 3, Stream::Stdout, "l5\n");
        rotate_log(&log);
        write(&log, 4, Stream::Stdout, "l6\n");
        // No handle: the container is gone, so that read is the last.
        assert_eq!(collect(&mut r).await, ["a F l4", "a F l5", "a F l6"]);
    }

    #[tokio::test]
    async fn pods_merge_complete_lines_by_time() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (target(dir.path(), "a"), target(dir.path(), "b"));
        write(&a.log, 1, Stream::Stdout, "a1\n");
        write(&a.log, 3, Stream::Stdout, "a3-");
        write(&a.log, 5, Stream::Stdout, "end\n");
        write(&a.log, 6, Stream::Stdout, "unfinished");
        write(&b.log, 2, Stream::Stderr, "b2\n");
        write(&b.log, 4, Stream::Stdout, "b4\n");
        let mut r = LogReader::new(vec![a, b], Order::ByTime, &options(-1, None, None));
        assert_eq!(
            collect(&mut r).await,
            [
                "a F a1",
                "b F b2",
                "a P a3-",
                "a F end",
                "b F b4",
                "a P unfinished"
            ]
        );
    }

    #[tokio::test]
    async fn several_containers_one_after_the_other_and_a_missing_log_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            target(dir.path(), "a"),
            target(dir.path(), "b"),
            target(dir.path(), "c"),
        );
        write(&a.log, 2, Stream::Stdout, "a2\n");
        write(&c.log, 1, Stream::Stdout, "c1\n");
        let mut r = LogReader::new(vec![a, b, c], Order::Sequential, &options(-1, None, None));
        assert_eq!(collect(&mut r).await, ["a F a2", "c F c1"]);
    }

    #[tokio::test]
    async fn a_read_error_names_the_file_and_ends_the_stream() {
        let dir = tempfile::tempdir().unwrap();
        let a = target(dir.path(), "a");
        std::fs::create_dir(&a.log).unwrap();
        let path = a.log.display().to_string();
        let mut r = LogReader::new(vec![a], Order::Sequential, &options(-1, None, None));
        let e = r.next_line().await.unwrap().unwrap_err();
        assert!(
            e.message.starts_with(&format!("reading log {path}: ")),
            "{e}"
        );
        assert!(r.next_line().await.is_none());
    }
}
