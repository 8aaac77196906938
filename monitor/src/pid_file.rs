//! The runtime's pid file: reading it, and waiting for it while the runtime
//! stays in the foreground (`run` without `--detach`), where the runtime's
//! own exit no longer says that the process runs. runc and crun both write
//! the file once the process has started, through a rename into the file's
//! directory; the watch wakes the monitor's poll loop then.

use std::ffi::OsString;
use std::fs;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};

/// The pid in the runtime's pid file, if it holds a valid one.
pub fn read(path: &Path) -> Option<i32> {
    fs::read_to_string(path)
        .ok()?
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|&p| p > 0)
}

/// An inotify watch on the pid file's directory.
pub struct PidFileWatch {
    inotify: Inotify,
    path: PathBuf,
    name: OsString,
}

impl PidFileWatch {
    /// Watches for `path` being written or renamed into place. Made before
    /// the runtime starts, so no write goes unseen.
    pub fn new(path: &Path) -> io::Result<PidFileWatch> {
        let dir = path
            .parent()
            .ok_or_else(|| io::Error::other("the pid file has no directory"))?;
        let name = path
            .file_name()
            .ok_or_else(|| io::Error::other("the pid file has no name"))?
            .to_owned();
        let inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)?;
        inotify.add_watch(
            dir,
            AddWatchFlags::IN_MOVED_TO | AddWatchFlags::IN_CLOSE_WRITE,
        )?;
        Ok(PidFileWatch {
            inotify,
            path: path.to_owned(),
            name,
        })
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.inotify.as_fd()
    }

    /// Reads the pending events; the pid once one of them put the file in
    /// place with a valid pid in it.
    pub fn ready(&self) -> Option<i32> {
        let mut seen = false;
        loop {
            match self.inotify.read_events() {
                Ok(events) if events.is_empty() => break,
                Ok(events) => {
                    seen |= events
                        .iter()
                        .any(|e| e.name.as_deref() == Some(self.name.as_os_str()));
                }
                Err(Errno::EINTR) => continue,
                Err(_) => break,
            }
        }
        if seen {
            read(&self.path)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_renamed_pid_file_is_seen_and_other_files_are_not() {
        let dir = std::env::temp_dir().join(format!("rpod-pidwatch-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("pidfile");
        let watch = PidFileWatch::new(&path).unwrap();
        assert_eq!(watch.ready(), None);
        fs::write(dir.join("other"), b"12").unwrap();
        assert_eq!(watch.ready(), None, "another file is not the pid file");
        // As runc writes it: a hidden file renamed into place.
        fs::write(dir.join(".pidfile"), b"4242").unwrap();
        fs::rename(dir.join(".pidfile"), &path).unwrap();
        assert_eq!(watch.ready(), Some(4242));
        assert_eq!(read(&path), Some(4242));
        fs::write(&path, b"0").unwrap();
        assert_eq!(watch.ready(), None, "0 is no pid");
        fs::remove_dir_all(&dir).unwrap();
    }
}
