//! The user's terminal while attached: raw mode and its size.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg, Termios};

/// Puts a terminal into raw mode; the previous mode is restored on drop.
#[derive(Debug)]
pub struct RawTerminal {
    fd: OwnedFd,
    saved: Termios,
}

impl RawTerminal {
    /// Switches `fd` (a terminal) to raw mode.
    pub fn enable(fd: BorrowedFd<'_>) -> std::io::Result<RawTerminal> {
        let fd = fd.try_clone_to_owned()?;
        let saved = tcgetattr(&fd)
            .map_err(|e| std::io::Error::other(format!("get terminal attributes: {e}")))?;
        let mut raw = saved.clone();
        cfmakeraw(&mut raw);
        tcsetattr(&fd, SetArg::TCSANOW, &raw)
            .map_err(|e| std::io::Error::other(format!("set terminal raw mode: {e}")))?;
        Ok(RawTerminal { fd, saved })
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        let _ = tcsetattr(self.fd.as_fd(), SetArg::TCSANOW, &self.saved);
    }
}

/// The terminal's size as (rows, cols); `None` if `fd` is no terminal.
pub fn terminal_size(fd: BorrowedFd<'_>) -> Option<(u16, u16)> {
    let mut ws = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one winsize struct through the pointer,
    // which points at a live local for the duration of the call.
    if unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCGWINSZ, &mut ws) } == -1 {
        return None;
    }
    Some((ws.ws_row, ws.ws_col))
}

/// The caller's terminal size: of stdin, else of stdout (Podman reads the
/// terminal the user types in).
pub fn caller_terminal_size() -> Option<(u16, u16)> {
    terminal_size(std::io::stdin().as_fd())
        .or_else(|| terminal_size(std::io::stdout().as_fd()))
        .filter(|(rows, cols)| *rows > 0 && *cols > 0)
}
