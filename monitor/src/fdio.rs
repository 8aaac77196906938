//! Small file-descriptor and file helpers.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::{fcntl, FcntlArg, FdFlag, OFlag};

/// Puts `fd` into non-blocking mode.
pub fn set_nonblocking<F: AsFd>(fd: F) -> io::Result<()> {
    let flags = OFlag::from_bits_truncate(fcntl(&fd, FcntlArg::F_GETFL)?);
    fcntl(&fd, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    Ok(())
}

/// Marks `fd` close-on-exec.
pub fn set_cloexec<F: AsFd>(fd: F) -> io::Result<()> {
    fcntl(&fd, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC))?;
    Ok(())
}

/// Outcome of a non-blocking read.
pub enum ReadOutcome {
    Data(usize),
    WouldBlock,
    /// End of stream (EOF, or EIO on a PTY master whose slave is closed).
    Eof,
}

/// One `read(2)`, retried on EINTR, with EAGAIN and EIO mapped.
pub fn read_nb<F: AsFd>(fd: F, buf: &mut [u8]) -> io::Result<ReadOutcome> {
    loop {
        match nix::unistd::read(&fd, buf) {
            Ok(0) => return Ok(ReadOutcome::Eof),
            Ok(n) => return Ok(ReadOutcome::Data(n)),
            Err(Errno::EINTR) => continue,
            Err(Errno::EAGAIN) => return Ok(ReadOutcome::WouldBlock),
            Err(Errno::EIO) => return Ok(ReadOutcome::Eof),
            Err(e) => return Err(e.into()),
        }
    }
}

/// One `write(2)` retried on EINTR; `Ok(None)` when it would block.
pub fn write_nb<F: AsFd>(fd: F, buf: &[u8]) -> io::Result<Option<usize>> {
    loop {
        match nix::unistd::write(&fd, buf) {
            Ok(n) => return Ok(Some(n)),
            Err(Errno::EINTR) => continue,
            Err(Errno::EAGAIN) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
    }
}

/// Writes `data` to `path` atomically and durably: a temp file in the same
/// directory, fsync, rename over `path`, fsync of the directory.
pub fn atomic_write(path: &Path, data: &[u8]) -> io::Result<()> {
    write_replacing(path, data, true)
}

/// Writes `data` to `path` atomically (temp file, rename) without forcing
/// it to disk: for files of the volatile run root, which a crash of the
/// machine empties anyway.
pub fn atomic_write_volatile(path: &Path, data: &[u8]) -> io::Result<()> {
    write_replacing(path, data, false)
}

fn write_replacing(path: &Path, data: &[u8], durable: bool) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("/"));
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .custom_flags(libc::O_CLOEXEC)
            .open(&tmp)?;
        f.write_all(data)?;
        if durable {
            f.sync_all()?;
        }
        fs::rename(&tmp, path)?;
        if durable {
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Whether `fd` is an open descriptor.
pub fn fd_is_open(fd: i32) -> bool {
    // SAFETY: F_GETFD only queries the descriptor table; an invalid fd
    // yields EBADF and no side effects.
    unsafe { libc::fcntl(fd, libc::F_GETFD) != -1 }
}
