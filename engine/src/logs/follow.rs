//! Following a container log across rotation without losing or repeating
//! records.
//!
//! The monitor rotates by renaming (see [`rpod_proto::log_format`]): the live
//! file becomes `.1`, older files shift up, a new live file is created, and a
//! renamed file is never written again. So when the live path names another
//! file than the one we read, ours is complete: drain it, then read every
//! file rotated after ours (found by inode among the rotated files), oldest
//! first, then continue with the new live file. With a single file the log
//! is truncated in place instead: we start again from its top.

use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rpod_proto::log_format;

/// One log file being read, and the rotated files after it when the writer
/// moves on.
pub(crate) struct Follower {
    path: PathBuf,
    reader: BufReader<File>,
    ino: u64,
    pending: String,
}

impl Follower {
    pub(crate) fn new(path: &Path, file: File) -> std::io::Result<Follower> {
        let ino = file.metadata()?.ino();
        Ok(Follower {
            path: path.to_owned(),
            reader: BufReader::new(file),
            ino,
            pending: String::new(),
        })
    }

    /// Hands every complete record available now to `f`, in order.
    pub(crate) fn poll(&mut self, f: &mut dyn FnMut(String)) -> std::io::Result<()> {
        loop {
            read_available(&mut self.reader, &mut self.pending, f)?;
            let meta = match std::fs::metadata(&self.path) {
                Ok(m) => m,
                // Between the rename and the new file: next time.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(e),
            };
            if meta.ino() == self.ino {
                let pos = self.reader.stream_position()?;
                if meta.len() < pos {
                    // Truncated in place (one file kept).
                    self.reader.seek(SeekFrom::Start(0))?;
                    self.pending.clear();
                    continue;
                }
                return Ok(());
            }
            // Rotated: ours is complete and drained. Read the files rotated
            // after it, then switch to the live one.
            for (path, ino) in self.rotated_after() {
                let Ok(file) = File::open(&path) else {
                    continue;
                };
                if file.metadata()?.ino() != ino {
                    // Rotated again under us: rescan from our position.
                    break;
                }
                let mut r = BufReader::new(file);
                read_available(&mut r, &mut self.pending, f)?;
                self.ino = ino;
            }
            let file = match File::open(&self.path) {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                Err(e) => return Err(e),
            };
            self.ino = file.metadata()?.ino();
            self.reader = BufReader::new(file);
        }
    }

    /// Numbered files newer than ours, oldest first, with their inodes.
    fn rotated_after(&self) -> Vec<(PathBuf, u64)> {
        let mut files: Vec<(PathBuf, u64)> = log_format::rotated_files(&self.path)
            .into_iter()
            .map(|(p, m)| (p, m.ino()))
            .collect();
        // `.1` is the newest. Ours (if still there) and everything older
        // than it were read already.
        if let Some(k) = files.iter().position(|(_, ino)| *ino == self.ino) {
            files.truncate(k);
        }
        files.reverse();
        files
    }
}

/// Reads complete lines; a trailing incomplete line waits in `pending`.
pub(crate) fn read_available<R: BufRead>(
    r: &mut R,
    pending: &mut String,
    f: &mut dyn FnMut(String),
) -> std::io::Result<()> {
    loop {
        let n = r.read_line(pending)?;
        if n == 0 || !pending.ends_with('\n') {
            return Ok(());
        }
        pending.pop();
        f(std::mem::take(pending));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> TempDir {
            static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let d = std::env::temp_dir().join(format!("rpod-follow-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&d);
            std::fs::create_dir_all(&d).unwrap();
            TempDir(d)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Rotates like the monitor.
    fn rotate(path: &Path, max_files: u32) {
        log_format::rotate(path, max_files).unwrap();
        File::create(path).unwrap();
    }

    fn append(path: &Path, lines: std::ops::Range<u32>) {
        let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
        for i in lines {
            writeln!(f, "l{i}").unwrap();
        }
    }

    #[test]
    fn every_record_once_across_several_rotations_between_polls() {
        let dir = TempDir::new();
        let path = dir.0.join("ctr.log");
        File::create(&path).unwrap();
        let mut fol = Follower::new(&path, File::open(&path).unwrap()).unwrap();
        let mut got = Vec::new();
        let mut next = 0;
        for round in 0..6 {
            // 0..=2 rotations between two polls.
            for _ in 0..(round % 3) {
                append(&path, next..next + 3);
                next += 3;
                rotate(&path, 8);
            }
            append(&path, next..next + 2);
            next += 2;
            fol.poll(&mut |l| got.push(l)).unwrap();
        }
        let want: Vec<String> = (0..next).map(|i| format!("l{i}")).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn truncation_in_place_starts_over() {
        let dir = TempDir::new();
        let path = dir.0.join("ctr.log");
        File::create(&path).unwrap();
        let mut fol = Follower::new(&path, File::open(&path).unwrap()).unwrap();
        let mut got = Vec::new();
        append(&path, 0..3);
        fol.poll(&mut |l| got.push(l)).unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(0)
            .unwrap();
        append(&path, 3..4);
        fol.poll(&mut |l| got.push(l)).unwrap();
        assert_eq!(got, ["l0", "l1", "l2", "l3"]);
    }
}
