//! `logs`: each container's log over libpod's logs endpoint with
//! timestamps, its frames parsed back into log lines.

use std::collections::VecDeque;
use std::sync::Arc;

use async_trait::async_trait;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::Method;
use rpod_api::logs::{
    ContainerLogsRequest, LogDevice, LogLine, LogLineStream, LogLines, LogsTarget,
};
use rpod_api::Result;

use super::seg;
use crate::error::{from_response, transport, unsupported};
use crate::query::with_query;
use crate::transport::{read_all, Transport};
use crate::RemoteEngine;

/// A container whose log is read.
struct Source {
    id: String,
    name: String,
    tty: bool,
}

impl RemoteEngine {
    pub(crate) async fn logs(&self, request: ContainerLogsRequest) -> Result<LogLines> {
        let LogsTarget::Containers(names) = &request.target else {
            return Err(unsupported("pod logs"));
        };
        let mut sources = VecDeque::new();
        for n in names {
            let d = self.inspect_one(n, false).await?;
            sources.push_back(Source {
                id: d.id.clone(),
                name: d.name.trim_start_matches('/').to_owned(),
                tty: d.config.as_ref().is_some_and(|c| c.tty),
            });
        }
        let o = &request.options;
        let mut q = vec![
            ("follow", o.follow.to_string()),
            ("stdout", "true".to_owned()),
            ("stderr", "true".to_owned()),
            ("timestamps", o.times.to_string()),
            (
                "tail",
                if o.tail < 0 {
                    "all".to_owned()
                } else {
                    o.tail.to_string()
                },
            ),
        ];
        let secs = |n: i64| {
            format!(
                "{}.{:09}",
                n.div_euclid(1_000_000_000),
                n.rem_euclid(1_000_000_000)
            )
        };
        if let Some(s) = o.since {
            q.push(("since", secs(s)));
        }
        if let Some(u) = o.until {
            q.push(("until", secs(u)));
        }
        let query: Vec<(String, String)> = q.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        Ok(Box::new(RemoteLogs {
            transport: self.transport.clone(),
            times: o.times,
            query,
            sources,
            current: None,
            buf: Vec::new(),
            lines: VecDeque::new(),
        }))
    }
}

struct RemoteLogs {
    transport: Arc<Transport>,
    /// Each record starts with its time (asked for `-t`).
    times: bool,
    query: Vec<(String, String)>,
    sources: VecDeque<Source>,
    current: Option<(Source, Incoming)>,
    buf: Vec<u8>,
    lines: VecDeque<LogLine>,
}

impl RemoteLogs {
    async fn open(&mut self, s: Source) -> Result<()> {
        let q: Vec<(&str, String)> = self
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        let path = with_query(&format!("/containers/{}/logs", seg(&s.id)), &q);
        let resp = self.transport.send(Method::GET, &path, None, false).await?;
        let status = resp.status().as_u16();
        if status >= 400 {
            let b = read_all(resp).await?;
            return Err(from_response(status, &b));
        }
        self.buf.clear();
        self.current = Some((s, resp.into_body()));
        Ok(())
    }

    /// The complete records in the buffer as lines.
    fn parse(&mut self, at_end: bool) {
        let Some((src, _)) = &self.current else {
            return;
        };
        let times = self.times;
        loop {
            let (device, payload, used) = if src.tty {
                match self.buf.iter().position(|b| *b == b'\n') {
                    Some(nl) => (LogDevice::Stdout, self.buf[..=nl].to_vec(), nl + 1),
                    None if at_end && !self.buf.is_empty() => {
                        (LogDevice::Stdout, self.buf.clone(), self.buf.len())
                    }
                    None => return,
                }
            } else {
                if self.buf.len() < 8 {
                    return;
                }
                let len = u32::from_be_bytes([self.buf[4], self.buf[5], self.buf[6], self.buf[7]])
                    as usize;
                if self.buf.len() < 8 + len {
                    return;
                }
                let dev = if self.buf[0] == 2 {
                    LogDevice::Stderr
                } else {
                    LogDevice::Stdout
                };
                (dev, self.buf[8..8 + len].to_vec(), 8 + len)
            };
            self.buf.drain(..used);
            let text = String::from_utf8_lossy(&payload).into_owned();
            let partial = !text.ends_with('\n');
            let text = text.strip_suffix('\n').unwrap_or(&text);
            let (time, msg) = if times {
                text.split_once(' ').unwrap_or((text, ""))
            } else {
                ("", text)
            };
            let time_nanos = chrono::DateTime::parse_from_rfc3339(time)
                .ok()
                .and_then(|t| t.timestamp_nanos_opt())
                .unwrap_or_default();
            self.lines.push_back(LogLine {
                container_id: src.id.clone(),
                container_name: src.name.clone(),
                device,
                time: time.to_owned(),
                time_nanos,
                partial,
                msg: msg.to_owned(),
            });
        }
    }
}

#[async_trait]
impl LogLineStream for RemoteLogs {
    async fn next_line(&mut self) -> Option<Result<LogLine>> {
        loop {
            if let Some(l) = self.lines.pop_front() {
                return Some(Ok(l));
            }
            let Some((_, body)) = self.current.as_mut() else {
                let s = self.sources.pop_front()?;
                if let Err(e) = self.open(s).await {
                    return Some(Err(e));
                }
                continue;
            };
            match body.frame().await {
                Some(Ok(f)) => {
                    if let Some(d) = f.data_ref() {
                        self.buf.extend_from_slice(d);
                    }
                    self.parse(false);
                }
                Some(Err(e)) => {
                    self.current = None;
                    return Some(Err(transport("reading the log stream", e)));
                }
                None => {
                    self.parse(true);
                    self.current = None;
                }
            }
        }
    }
}
