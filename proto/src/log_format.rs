//! The container log file, shared by its writer (the monitor) and its reader
//! (the engine's log reader): Podman's k8s-file format and its rotation by size.
//!
//! # Records
//! Each record is one line, `<time> <stream> <tag> <text>\n`:
//! - `<time>`: RFC 3339 with nanoseconds and the writer's UTC offset
//!   (`2024-05-01T10:11:12.000000123+02:00`): when the chunk was read;
//! - `<stream>`: `stdout` or `stderr`;
//! - `<tag>`: `F` when the text ended a line (the newline is the record's
//!   own), `P` for output that did not end in a newline: the line goes on in
//!   the next record of that stream;
//! - `<text>`: the bytes as written, without the newline (a `\r` before it
//!   stays).
//!
//! # Rotation
//! With `--log-opt max-size`, the writer starts a new file before a record
//! would take the live file (`ctr.log`) past the size. With `max-file` N of 2
//! or more it renames: `ctr.log.(N-2)` to `ctr.log.(N-1)`, ..., `ctr.log.1` to
//! `ctr.log.2`, then `ctr.log` to `ctr.log.1`, and creates a new `ctr.log`; so
//! `.1` is the newest rotated file, at most N files exist, and a file is never
//! written again once renamed. With N = 1 the live file is truncated in place.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The output stream a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    /// The stream's name in a record.
    pub fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }

    /// The stream a record names; `None` for anything else.
    pub fn parse(s: &str) -> Option<Stream> {
        match s {
            "stdout" => Some(Stream::Stdout),
            "stderr" => Some(Stream::Stderr),
            _ => None,
        }
    }
}

/// Tag of a record that ends a line.
pub const FULL: u8 = b'F';
/// Tag of a record whose line goes on in the next record.
pub const PARTIAL: u8 = b'P';

/// A broken-down local time, as a record's `<time>` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    pub year: i32,
    /// 1 to 12.
    pub month: u32,
    /// 1 to 31.
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub nanos: u32,
    /// Seconds east of UTC.
    pub utc_offset: i64,
}

impl Timestamp {
    /// RFC 3339 with nine digits of fraction and a numeric UTC offset
    /// (`2024-05-01T10:11:12.000000123+02:00`).
    pub fn encode(&self) -> Vec<u8> {
        let (sign, off) = if self.utc_offset < 0 {
            ('-', -self.utc_offset)
        } else {
            ('+', self.utc_offset)
        };
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}{}{:02}:{:02}",
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.nanos,
            sign,
            off / 3600,
            (off % 3600) / 60
        )
        .into_bytes()
    }
}

/// Parses an RFC 3339 time (`2024-05-01T10:11:12.5+02:00`, `...Z`) into
/// nanoseconds since the Unix epoch; `None` if it is not one or does not fit.
pub fn parse_time(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |from: usize, to: usize| -> Option<i64> {
        let digits = b.get(from..to)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(
            digits
                .iter()
                .fold(0i64, |n, d| n * 10 + i64::from(d - b'0')),
        )
    };
    let at = |i: usize, want: &[u8]| b.get(i).is_some_and(|c| want.contains(c));
    let year = num(0, 4)?;
    let month = num(5, 7)?;
    let day = num(8, 10)?;
    let hour = num(11, 13)?;
    let minute = num(14, 16)?;
    let second = num(17, 19)?;
    if !(at(4, b"-") && at(7, b"-") && at(10, b"Tt ") && at(13, b":") && at(16, b":")) {
        return None;
    }
    let mut i = 19;
    let mut nanos = 0i64;
    if at(i, b".") {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            if i - start < 9 {
                nanos = nanos * 10 + i64::from(b[i] - b'0');
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        for _ in (i - start)..9 {
            nanos *= 10;
        }
    }
    let offset = if at(i, b"Zz") {
        i += 1;
        0
    } else if at(i, b"+-") {
        let (h, m) = (num(i + 1, i + 3)?, num(i + 4, i + 6)?);
        if !at(i + 3, b":") || h > 23 || m > 59 {
            return None;
        }
        let sign = if b[i] == b'-' { -1 } else { 1 };
        i += 6;
        sign * (h * 3600 + m * 60)
    } else {
        return None;
    };
    if i != b.len()
        || !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let secs =
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
    (i128::from(secs) * 1_000_000_000 + i128::from(nanos))
        .try_into()
        .ok()
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The date (year, month 1-12, day 1-31) of the proleptic Gregorian
/// calendar `z` days after 1970-01-01: the inverse of [`days_from_civil`].
pub fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y as i32, m as u32, d as u32)
}

/// Days from 1970-01-01 to the given date of the proleptic Gregorian
/// calendar (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The length of the record [`append_record`] writes for `line`.
pub fn record_len(time: &[u8], stream: Stream, line: &[u8]) -> usize {
    let newline = usize::from(!line.ends_with(b"\n"));
    time.len() + stream.name().len() + 4 + line.len() + newline
}

/// Appends the record for one line of output: `F` if `line` ends in a
/// newline, `P` if not.
pub fn append_record(out: &mut Vec<u8>, time: &[u8], stream: Stream, line: &[u8]) {
    let (text, tag) = match line.strip_suffix(b"\n") {
        Some(text) => (text, FULL),
        None => (line, PARTIAL),
    };
    out.extend_from_slice(time);
    out.push(b' ');
    out.extend_from_slice(stream.name().as_bytes());
    out.push(b' ');
    out.push(tag);
    out.push(b' ');
    out.extend_from_slice(text);
    out.push(b'\n');
}

/// Appends the records for one chunk of output: one per line, the last one
/// partial if the chunk does not end in a newline.
pub fn append_records(out: &mut Vec<u8>, time: &[u8], stream: Stream, data: &[u8]) {
    for line in data.split_inclusive(|&b| b == b'\n') {
        append_record(out, time, stream, line);
    }
}

/// One record, read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// The time as written.
    pub time: &'a str,
    /// The time in nanoseconds since the Unix epoch.
    pub nanos: i64,
    pub stream: Stream,
    /// `P`: the line goes on in the next record (no newline here).
    pub partial: bool,
    pub text: &'a str,
}

/// Parses one record (without its trailing newline); `None` if garbled.
pub fn parse_record(line: &str) -> Option<Record<'_>> {
    let mut parts = line.splitn(4, ' ');
    let time = parts.next()?;
    let stream = Stream::parse(parts.next()?)?;
    let partial = match parts.next()?.as_bytes() {
        [FULL] => false,
        [PARTIAL] => true,
        _ => return None,
    };
    let text = parts.next().unwrap_or("");
    Some(Record {
        time,
        nanos: parse_time(time)?,
        stream,
        partial,
        text,
    })
}

/// Most rotated files a reader looks for.
pub const MAX_ROTATED: u32 = 1024;

/// The `n`th rotated file of the live log `live` (`ctr.log.n`); 1 is the
/// newest.
pub fn rotated_path(live: &Path, n: u32) -> PathBuf {
    let mut p = live.as_os_str().to_owned();
    p.push(format!(".{n}"));
    PathBuf::from(p)
}

/// Whether a log kept in `max_files` files is truncated in place when full
/// (a single file) rather than rotated by [`rotate`].
pub fn truncates_in_place(max_files: u32) -> bool {
    max_files <= 1
}

/// Rotates the live log `live` kept in `max_files` (2 or more) files: shifts
/// the rotated files up by one, dropping the oldest, and renames the live
/// file to `.1`. The caller creates the new live file.
pub fn rotate(live: &Path, max_files: u32) -> io::Result<()> {
    for n in (1..max_files.saturating_sub(1)).rev() {
        match fs::rename(rotated_path(live, n), rotated_path(live, n + 1)) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    fs::rename(live, rotated_path(live, 1))
}

/// The rotated files of the live log `live` that exist now, newest first
/// (`.1`, `.2`, ... up to the first missing one), with their metadata.
pub fn rotated_files(live: &Path) -> Vec<(PathBuf, fs::Metadata)> {
    let mut files = Vec::new();
    for n in 1..=MAX_ROTATED {
        let p = rotated_path(live, n);
        match fs::metadata(&p) {
            Ok(m) => files.push((p, m)),
            Err(_) => break,
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn full_and_partial_lines() {
        let mut out = Vec::new();
        append_records(&mut out, b"TS", Stream::Stdout, b"hello\nworld\npart");
        assert_eq!(
            out,
            b"TS stdout F hello\nTS stdout F world\nTS stdout P part\n"
        );
    }

    #[test]
    fn empty_lines_stderr_and_carriage_returns() {
        let mut out = Vec::new();
        append_records(&mut out, b"TS", Stream::Stderr, b"\n\nx\r\n");
        assert_eq!(out, b"TS stderr F \nTS stderr F \nTS stderr F x\r\n");
        out.clear();
        append_records(&mut out, b"TS", Stream::Stderr, b"");
        assert!(out.is_empty());
    }

    #[test]
    fn record_len_is_what_is_written() {
        for line in [&b"abc\n"[..], b"abc", b"\n", b""] {
            let mut out = Vec::new();
            append_record(&mut out, b"2024", Stream::Stderr, line);
            assert_eq!(record_len(b"2024", Stream::Stderr, line), out.len());
        }
    }

    #[test]
    fn timestamp_shape() {
        let mut t = Timestamp {
            year: 2024,
            month: 5,
            day: 1,
            hour: 10,
            minute: 11,
            second: 12,
            nanos: 123,
            utc_offset: -(5 * 3600 + 30 * 60),
        };
        assert_eq!(t.encode(), b"2024-05-01T10:11:12.000000123-05:30");
        t.utc_offset = 0;
        t.nanos = 0;
        assert_eq!(t.encode(), b"2024-05-01T10:11:12.000000000+00:00");
    }

    #[test]
    fn parses_times() {
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_time("2024-12-04T15:05:05.695841561Z"),
            Some(1_733_324_705_695_841_561)
        );
        assert_eq!(
            parse_time("2024-12-04T16:05:05.695841561+01:00"),
            Some(1_733_324_705_695_841_561)
        );
        assert_eq!(
            parse_time("2024-12-04t15:05:05.5z"),
            Some(1_733_324_705_500_000_000)
        );
        assert_eq!(
            parse_time("2024-02-29T00:00:00Z"),
            Some(1_709_164_800_000_000_000)
        );
        assert_eq!(parse_time("1969-12-31T23:59:59Z"), Some(-1_000_000_000));
        for bad in [
            "",
            "garbage",
            "2024-12-04T15:05:05",
            "2024-12-04T15:05:05.Z",
            "2024-13-04T15:05:05Z",
            "2023-02-29T15:05:05Z",
            "2024-12-04T24:05:05Z",
            "2024-12-04T15:05:05+0100",
            "2024-12-04T15:05:05Zx",
            "2024-12-04 15:05:05 Z",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn parses_records() {
        let l = parse_record("2026-11-24T10:00:00.000000001Z stdout F hello world").unwrap();
        assert_eq!(
            (l.stream, l.partial, l.text),
            (Stream::Stdout, false, "hello world")
        );
        assert_eq!(l.nanos % 1_000_000_000, 1);
        let p = parse_record("2026-11-24T10:00:00+01:00 stderr P part").unwrap();
        assert!(p.partial);
        assert_eq!(p.stream, Stream::Stderr);
        let empty = parse_record("2026-11-24T10:00:00Z stdout F").unwrap();
        assert_eq!(empty.text, "");
        assert!(parse_record("garbage").is_none());
        assert!(parse_record("2026-11-24T10:00:00Z stdin F x").is_none());
        assert!(parse_record("2026-11-24T10:00:00Z stdout X x").is_none());
        assert!(parse_record("yesterday stdout F x").is_none());
    }

    proptest! {
        #[test]
        fn records_round_trip(
            text in "[^\n]{0,40}",
            newline: bool,
            stderr: bool,
            secs in 0i64..4_000_000_000,
            nanos in 0u32..1_000_000_000,
            offset_min in -720i64..=840,
        ) {
            // Break `secs` down as a writer at `offset_min` would.
            let local = secs + offset_min * 60;
            let (days, rem) = (local.div_euclid(86_400), local.rem_euclid(86_400));
            let (year, month, day) = civil_from_days(days);
            let t = Timestamp {
                year,
                month,
                day,
                hour: (rem / 3600) as u32,
                minute: (rem % 3600 / 60) as u32,
                second: (rem % 60) as u32,
                nanos,
                utc_offset: offset_min * 60,
            };
            let time = t.encode();
            let stream = if stderr { Stream::Stderr } else { Stream::Stdout };
            let mut line = text.clone().into_bytes();
            if newline {
                line.push(b'\n');
            }
            let mut out = Vec::new();
            append_record(&mut out, &time, stream, &line);
            prop_assert_eq!(out.len(), record_len(&time, stream, &line));
            let s = std::str::from_utf8(&out).unwrap();
            let r = parse_record(s.strip_suffix('\n').unwrap()).unwrap();
            prop_assert_eq!(r.nanos, secs * 1_000_000_000 + i64::from(nanos));
            prop_assert_eq!(r.time.as_bytes(), &time[..]);
            prop_assert_eq!(r.stream, stream);
            prop_assert_eq!(r.partial, !newline);
            prop_assert_eq!(r.text, text.as_str());
        }
    }

    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            let d = std::env::temp_dir().join(format!("rpod-logfmt-{name}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&d);
            fs::create_dir_all(&d).unwrap();
            TempDir(d)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn rotated_names() {
        let live = Path::new("/x/ctr.log");
        assert_eq!(rotated_path(live, 1), Path::new("/x/ctr.log.1"));
        assert_eq!(rotated_path(live, 12), Path::new("/x/ctr.log.12"));
        assert!(truncates_in_place(1));
        assert!(truncates_in_place(0));
        assert!(!truncates_in_place(2));
    }

    #[test]
    fn rotation_shifts_newest_to_one_and_drops_the_oldest() {
        let dir = TempDir::new("rotate");
        let live = dir.0.join("ctr.log");
        for gen in 0..5 {
            fs::write(&live, format!("gen{gen}")).unwrap();
            rotate(&live, 3).unwrap();
        }
        assert!(!live.exists());
        let files: Vec<String> = rotated_files(&live)
            .into_iter()
            .map(|(p, m)| {
                assert!(m.is_file());
                fs::read_to_string(p).unwrap()
            })
            .collect();
        // Newest first; max-file 3 keeps the live file and two rotated.
        assert_eq!(files, ["gen4", "gen3"]);
        assert!(!rotated_path(&live, 3).exists());
    }

    #[test]
    fn rotated_files_stop_at_the_first_gap() {
        let dir = TempDir::new("gap");
        let live = dir.0.join("ctr.log");
        fs::write(rotated_path(&live, 1), "a").unwrap();
        fs::write(rotated_path(&live, 3), "c").unwrap();
        let files: Vec<PathBuf> = rotated_files(&live).into_iter().map(|(p, _)| p).collect();
        assert_eq!(files, [rotated_path(&live, 1)]);
    }
}
