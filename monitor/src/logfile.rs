//! The container log file's writer. The format (Podman's k8s-file records)
//! and the rotation naming belong to [`rpod_proto::log_format`], which the
//! engine's reader shares; this module writes records as output arrives and
//! rotates by size.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

pub use rpod_proto::log_format::Stream;
use rpod_proto::log_format::{self, append_record, Timestamp, PARTIAL};

/// Records are written in batches of at most about this many bytes so a
/// chunk full of newlines cannot inflate the buffer. A whole read of short
/// lines (32 KiB of 2-byte lines make about 750 KiB of records) takes a
/// few writes.
const BATCH: usize = 256 * 1024;

/// A broken-down local time as a record's timestamp.
fn timestamp(tm: &libc::tm, nanos: u32) -> Timestamp {
    Timestamp {
        year: tm.tm_year + 1900,
        month: (tm.tm_mon + 1) as u32,
        day: tm.tm_mday as u32,
        hour: tm.tm_hour as u32,
        minute: tm.tm_min as u32,
        second: tm.tm_sec as u32,
        nanos,
        utc_offset: tm.tm_gmtoff,
    }
}

/// The current local time as an RFC3339Nano timestamp.
pub fn now_timestamp() -> Vec<u8> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as libc::time_t;
    // SAFETY: `libc::tm` is plain old data (integers and a pointer that may
    // be null), so the all-zero value is a valid `tm`.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers come from live references valid for the call;
    // localtime_r reads `secs` and only writes into `tm`.
    unsafe { libc::localtime_r(&secs, &mut tm) };
    timestamp(&tm, now.subsec_nanos()).encode()
}

/// An open k8s-file log with rotation settings.
pub struct LogFile {
    path: PathBuf,
    file: File,
    size: u64,
    max_size: Option<u64>,
    max_files: u32,
    buf: Vec<u8>,
}

fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .custom_flags(libc::O_CLOEXEC)
        .open(path)
}

impl LogFile {
    /// Opens (creating or appending to) the log at `path`.
    pub fn open(path: &Path, max_size: Option<u64>, max_files: u32) -> io::Result<LogFile> {
        let file = open_append(path)?;
        let size = file.metadata()?.len();
        Ok(LogFile {
            path: path.to_path_buf(),
            file,
            size,
            max_size: max_size.filter(|&m| m > 0),
            max_files: max_files.max(1),
            buf: Vec::new(),
        })
    }

    /// Closes and reopens the file (after an external rotation).
    pub fn reopen(&mut self) -> io::Result<()> {
        let file = open_append(&self.path)?;
        self.size = file.metadata()?.len();
        self.file = file;
        Ok(())
    }

    /// Logs one chunk of output read from `stream`: one record per line,
    /// all with the chunk's time, written in as few writes as the batch
    /// size allows. Rotation happens between records, so a file exceeds
    /// `max_size` only when a single record is larger than that.
    pub fn write_output(&mut self, stream: Stream, data: &[u8]) -> io::Result<()> {
        let ts = now_timestamp();
        // `<time> <stream> F ` and `... P `: a record is a prefix, the
        // text and a newline.
        let mut full = Vec::with_capacity(ts.len() + 10);
        append_record(&mut full, &ts, stream, b"\n");
        full.pop();
        let mut partial = full.clone();
        if let Some(tag) = partial
            .len()
            .checked_sub(2)
            .and_then(|i| partial.get_mut(i))
        {
            *tag = PARTIAL;
        }
        self.buf.clear();
        let mut rest = data;
        while !rest.is_empty() {
            let (text, prefix, used) = match rest.iter().position(|&b| b == b'\n') {
                Some(i) => (&rest[..i], &full, i + 1),
                None => (rest, &partial, rest.len()),
            };
            rest = &rest[used..];
            if let Some(max) = self.max_size {
                let len = (prefix.len() + text.len() + 1) as u64;
                let pending = self.size + self.buf.len() as u64;
                if pending > 0 && pending + len > max {
                    self.flush_buf()?;
                    self.rotate()?;
                }
            }
            self.buf.extend_from_slice(prefix);
            self.buf.extend_from_slice(text);
            self.buf.push(b'\n');
            if self.buf.len() >= BATCH {
                self.flush_buf()?;
            }
        }
        self.flush_buf()?;
        if self.buf.capacity() > BATCH * 2 {
            self.buf = Vec::new();
        }
        Ok(())
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.file.write_all(&self.buf)?;
            self.size += self.buf.len() as u64;
            self.buf.clear();
        }
        Ok(())
    }

    /// Starts a new file: with one file, truncates in place; otherwise
    /// rotates (see [`log_format::rotate`]) and opens a new live log.
    fn rotate(&mut self) -> io::Result<()> {
        if log_format::truncates_in_place(self.max_files) {
            self.file.set_len(0)?;
            self.size = 0;
            return Ok(());
        }
        log_format::rotate(&self.path, self.max_files)?;
        self.file = open_append(&self.path)?;
        self.size = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn timestamp_from_broken_down_local_time() {
        // SAFETY: zeroed tm is a valid value for a plain C struct.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        tm.tm_year = 124;
        tm.tm_mon = 4;
        tm.tm_mday = 1;
        tm.tm_hour = 10;
        tm.tm_min = 11;
        tm.tm_sec = 12;
        tm.tm_gmtoff = -(5 * 3600 + 30 * 60);
        assert_eq!(
            timestamp(&tm, 123).encode(),
            b"2024-05-01T10:11:12.000000123-05:30"
        );
        tm.tm_gmtoff = 0;
        assert_eq!(
            timestamp(&tm, 0).encode(),
            b"2024-05-01T10:11:12.000000000+00:00"
        );
    }

    #[test]
    fn now_parses_as_rfc3339() {
        let ts = String::from_utf8(now_timestamp()).unwrap();
        assert_eq!(ts.len(), 35, "{ts}");
        assert_eq!(&ts[10..11], "T");
        assert_eq!(&ts[19..20], ".");
        assert!(log_format::parse_time(&ts).is_some(), "{ts}");
    }

    fn tmpdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("podmon-log-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn rotation_keeps_numbered_files() {
        let d = tmpdir("rot");
        let p = d.join("ctr.log");
        let mut log = LogFile::open(&p, Some(200), 3).unwrap();
        for i in 0..10 {
            log.write_output(Stream::Stdout, format!("line {i}\n").as_bytes())
                .unwrap();
        }
        let many: String = (10..20).map(|i| format!("line {i}\n")).collect();
        log.write_output(Stream::Stdout, many.as_bytes()).unwrap();
        for f in [
            p.clone(),
            p.with_extension("log.1"),
            p.with_extension("log.2"),
        ] {
            assert!(fs::metadata(&f).unwrap().len() <= 200, "{}", f.display());
        }
        assert!(fs::metadata(&p).unwrap().len() <= 200);
        assert!(p.with_extension("log.1").exists());
        assert!(p.with_extension("log.2").exists());
        assert!(!p.with_extension("log.3").exists());
        let live = fs::read_to_string(&p).unwrap();
        assert!(live.ends_with(" stdout F line 19\n"), "{live}");
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn rotation_with_one_file_truncates() {
        let d = tmpdir("trunc");
        let p = d.join("ctr.log");
        let mut log = LogFile::open(&p, Some(150), 1).unwrap();
        for i in 0..20 {
            log.write_output(Stream::Stderr, format!("line {i}\n").as_bytes())
                .unwrap();
        }
        assert!(fs::metadata(&p).unwrap().len() <= 150);
        assert!(!p.with_extension("log.1").exists());
        let live = fs::read_to_string(&p).unwrap();
        assert!(live.ends_with(" stderr F line 19\n"), "{live}");
        fs::remove_dir_all(&d).unwrap();
    }

    /// Many lines read at once (the last one unfinished) become the same
    /// records [`log_format::append_records`] makes, one per line.
    #[test]
    fn many_lines_of_one_read_are_one_record_each() {
        let d = tmpdir("many");
        let p = d.join("ctr.log");
        let mut log = LogFile::open(&p, None, 1).unwrap();
        let mut data: Vec<u8> = (0..30000)
            .flat_map(|i| format!("{i}\r\n").into_bytes())
            .collect();
        data.extend_from_slice(b"\n\nno end");
        log.write_output(Stream::Stderr, &data).unwrap();
        let written = fs::read(&p).unwrap();
        let time = &written[..written.iter().position(|&b| b == b' ').unwrap()];
        let mut want = Vec::new();
        log_format::append_records(&mut want, time, Stream::Stderr, &data);
        assert!(written == want, "records differ from append_records'");
        let text = String::from_utf8(written).unwrap();
        assert_eq!(text.lines().count(), 30003);
        assert!(
            text.ends_with(" stderr P no end\n"),
            "{}",
            &text[text.len() - 60..]
        );
        assert!(text.contains(" stderr F 29999\r\n"));
        fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn long_chunk_is_split_on_line_boundaries() {
        let d = tmpdir("long");
        let p = d.join("ctr.log");
        let mut log = LogFile::open(&p, None, 1).unwrap();
        let data: Vec<u8> = (0..20000).flat_map(|_| b"ab\n".iter().copied()).collect();
        log.write_output(Stream::Stdout, &data).unwrap();
        let live = fs::read_to_string(&p).unwrap();
        assert_eq!(live.lines().count(), 20000);
        assert!(live.lines().all(|l| l.ends_with(" stdout F ab")));
        fs::remove_dir_all(&d).unwrap();
    }
}
