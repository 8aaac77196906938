//! The container log in Podman's k8s-file format, with size-based
//! rotation.
//!
//! Each record is `<RFC3339Nano timestamp> <stdout|stderr> <F|P> <text>\n`:
//! `F` for a full line (the newline is the record's own), `P` for a chunk
//! that did not end in a newline.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Output stream a chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn name(self) -> &'static [u8] {
        match self {
            Stream::Stdout => b"stdout",
            Stream::Stderr => b"stderr",
        }
    }
}

/// Records are written in batches of at most about this many bytes so a
/// chunk full of newlines cannot inflate the buffer.
const BATCH: usize = 64 * 1024;

/// Appends the k8s-file records for one chunk of output to `out`.
#[cfg(test)]
pub fn append_records(out: &mut Vec<u8>, ts: &[u8], stream: Stream, data: &[u8]) {
    for line in data.split_inclusive(|&b| b == b'\n') {
        append_record(out, ts, stream, line);
    }
}

/// Appends the record for one line (`F` if it ends in a newline, else `P`).
fn append_record(out: &mut Vec<u8>, ts: &[u8], stream: Stream, line: &[u8]) {
    let (text, tag) = match line.strip_suffix(b"\n") {
        Some(text) => (text, b'F'),
        None => (line, b'P'),
    };
    out.extend_from_slice(ts);
    out.push(b' ');
    out.extend_from_slice(stream.name());
    out.push(b' ');
    out.push(tag);
    out.push(b' ');
    out.extend_from_slice(text);
    out.push(b'\n');
}

/// Formats a broken-down local time as RFC 3339 with nanoseconds and a
/// numeric UTC offset (`2024-05-01T10:11:12.000000123+02:00`).
pub fn format_rfc3339_nano(tm: &libc::tm, nanos: u32) -> Vec<u8> {
    let off = tm.tm_gmtoff;
    let (sign, off) = if off < 0 { ('-', -off) } else { ('+', off) };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}{}{:02}:{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        nanos,
        sign,
        off / 3600,
        (off % 3600) / 60
    )
    .into_bytes()
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
    format_rfc3339_nano(&tm, now.subsec_nanos())
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

    /// Logs one chunk of output read from `stream`. Rotation happens
    /// between records, so a file exceeds `max_size` only when a single
    /// record is larger than that.
    pub fn write_output(&mut self, stream: Stream, data: &[u8]) -> io::Result<()> {
        let ts = now_timestamp();
        self.buf.clear();
        for line in data.split_inclusive(|&b| b == b'\n') {
            let record_len = (ts.len() + stream.name().len() + 5 + line.len()) as u64;
            let pending = self.size + self.buf.len() as u64;
            if self
                .max_size
                .is_some_and(|max| pending > 0 && pending + record_len > max)
            {
                self.flush_buf()?;
                self.rotate()?;
            }
            append_record(&mut self.buf, &ts, stream, line);
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

    fn numbered(&self, n: u32) -> PathBuf {
        let mut p = self.path.clone().into_os_string();
        p.push(format!(".{n}"));
        PathBuf::from(p)
    }

    /// Rotates: with one file, truncate in place; otherwise shift
    /// `<log>.1`..`<log>.(n-2)` up by one and move the live log to `.1`.
    fn rotate(&mut self) -> io::Result<()> {
        if self.max_files <= 1 {
            self.file.set_len(0)?;
            self.size = 0;
            return Ok(());
        }
        for n in (1..self.max_files - 1).rev() {
            match fs::rename(self.numbered(n), self.numbered(n + 1)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        fs::rename(&self.path, self.numbered(1))?;
        self.file = open_append(&self.path)?;
        self.size = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn empty_lines_and_stderr() {
        let mut out = Vec::new();
        append_records(&mut out, b"TS", Stream::Stderr, b"\n\nx\n");
        assert_eq!(out, b"TS stderr F \nTS stderr F \nTS stderr F x\n");
        out.clear();
        append_records(&mut out, b"TS", Stream::Stderr, b"");
        assert!(out.is_empty());
    }

    #[test]
    fn pty_carriage_return_is_kept() {
        let mut out = Vec::new();
        append_records(&mut out, b"TS", Stream::Stdout, b"a\r\n");
        assert_eq!(out, b"TS stdout F a\r\n");
    }

    #[test]
    fn timestamp_shape() {
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
            format_rfc3339_nano(&tm, 123),
            b"2024-05-01T10:11:12.000000123-05:30"
        );
        tm.tm_gmtoff = 0;
        assert_eq!(
            format_rfc3339_nano(&tm, 0),
            b"2024-05-01T10:11:12.000000000+00:00"
        );
    }

    #[test]
    fn now_parses_as_rfc3339() {
        let ts = String::from_utf8(now_timestamp()).unwrap();
        assert_eq!(ts.len(), 35, "{ts}");
        assert_eq!(&ts[10..11], "T");
        assert_eq!(&ts[19..20], ".");
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
