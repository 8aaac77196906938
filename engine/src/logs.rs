//! Reading container logs in Podman's k8s-file format:
//! `<RFC3339Nano time> <stdout|stderr> <F|P> <text>`.

use chrono::DateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// One record of a k8s-file log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine<'a> {
    /// The timestamp as written.
    pub time: &'a str,
    /// The timestamp in Unix nanoseconds.
    pub nanos: i64,
    pub stream: Stream,
    /// `P`: the text continues in the next record (no newline here).
    pub partial: bool,
    pub text: &'a str,
}

/// Parses one line (without its trailing newline); `None` if garbled.
pub fn parse_line(line: &str) -> Option<LogLine<'_>> {
    let mut parts = line.splitn(4, ' ');
    let time = parts.next()?;
    let stream = match parts.next()? {
        "stdout" => Stream::Stdout,
        "stderr" => Stream::Stderr,
        _ => return None,
    };
    let partial = match parts.next()? {
        "F" => false,
        "P" => true,
        _ => return None,
    };
    let text = parts.next().unwrap_or("");
    let nanos = DateTime::parse_from_rfc3339(time)
        .ok()?
        .timestamp_nanos_opt()?;
    Some(LogLine {
        time,
        nanos,
        stream,
        partial,
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_and_partial_records() {
        let l = parse_line("2026-11-24T10:00:00.000000001Z stdout F hello world").unwrap();
        assert_eq!(
            (l.stream, l.partial, l.text),
            (Stream::Stdout, false, "hello world")
        );
        assert_eq!(l.nanos % 1_000_000_000, 1);
        let p = parse_line("2026-11-24T10:00:00+01:00 stderr P part").unwrap();
        assert!(p.partial);
        assert_eq!(p.stream, Stream::Stderr);
        let empty = parse_line("2026-11-24T10:00:00Z stdout F").unwrap();
        assert_eq!(empty.text, "");
        assert!(parse_line("garbage").is_none());
        assert!(parse_line("2026-11-24T10:00:00Z stdin F x").is_none());
    }
}
