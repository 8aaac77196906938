//! `events` over `GET /libpod/events`: one JSON object a line, read as
//! the service sends them.

use std::collections::VecDeque;

use async_trait::async_trait;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::Method;
use rpod_api::events::{Event, EventStream, EventsOptions};
use rpod_api::Result;

use super::filter_list_json;
use crate::error::transport;
use crate::query::with_query;
use crate::RemoteEngine;

impl RemoteEngine {
    pub(crate) async fn events(&self, o: EventsOptions) -> Result<Box<dyn EventStream>> {
        let mut q = vec![("stream", o.stream.to_string())];
        if !o.filters.is_empty() {
            q.push(("filters", filter_list_json(&o.filters)));
        }
        if let Some(s) = o.since {
            q.push(("since", s));
        }
        if let Some(u) = o.until {
            q.push(("until", u));
        }
        let body = self
            .transport
            .stream(Method::GET, &with_query("/events", &q), None)
            .await?;
        Ok(Box::new(RemoteEvents {
            body: Some(body),
            buf: Vec::new(),
            ready: VecDeque::new(),
        }))
    }
}

struct RemoteEvents {
    /// `None` once the service ended the response.
    body: Option<Incoming>,
    buf: Vec<u8>,
    ready: VecDeque<Result<Event>>,
}

impl RemoteEvents {
    /// The complete lines of the buffer as events.
    fn parse_lines(&mut self) {
        while let Some(nl) = self.buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=nl).collect();
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let event = serde_json::from_slice::<serde_json::Value>(&line)
                .ok()
                .and_then(|v| Event::from_api_json(&v))
                .ok_or_else(|| {
                    transport(
                        "decoding an event",
                        String::from_utf8_lossy(&line).trim().to_owned(),
                    )
                });
            self.ready.push_back(event);
        }
    }
}

#[async_trait]
impl EventStream for RemoteEvents {
    async fn next_event(&mut self) -> Option<Result<Event>> {
        loop {
            if let Some(e) = self.ready.pop_front() {
                return Some(e);
            }
            let body = self.body.as_mut()?;
            match body.frame().await {
                Some(Ok(frame)) => {
                    if let Some(data) = frame.data_ref() {
                        self.buf.extend_from_slice(data);
                        self.parse_lines();
                    }
                }
                Some(Err(e)) => {
                    self.body = None;
                    return Some(Err(transport("reading the events", e)));
                }
                None => {
                    self.body = None;
                    self.buf.push(b'\n');
                    self.parse_lines();
                }
            }
        }
    }
}
