//! The monitor's files: the exit record and its pid file.

use std::fs;
use std::io;
use std::path::Path;

use rpod_proto::ExitRecord;

use super::error::MonitorError;

/// Reads the exit record the monitor wrote; `None` while there is none
/// (or only the empty file a crash of the machine can leave).
pub fn read_exit_file(path: &Path) -> Result<Option<ExitRecord>, MonitorError> {
    let data = match fs::read(path) {
        Ok(d) => d,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(MonitorError::ExitFile {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    // An exit file renamed into place but never synced can be empty after
    // a crash of the machine (the run root is not synced): no record.
    if data.is_empty() {
        return Ok(None);
    }
    serde_json::from_slice(&data)
        .map(Some)
        .map_err(|source| MonitorError::ExitFileParse {
            path: path.to_path_buf(),
            source,
        })
}

/// The pid written in a monitor pid file.
pub fn read_monitor_pid(pid_file: &Path) -> Option<i32> {
    fs::read_to_string(pid_file)
        .ok()?
        .trim()
        .parse()
        .ok()
        .filter(|&p: &i32| p > 0)
}

/// Whether the monitor named by `pid_file` is alive: the process exists
/// and is a pod-monitor (a reused pid or a zombie does not count).
pub fn monitor_alive(pid_file: &Path) -> bool {
    let Some(pid) = read_monitor_pid(pid_file) else {
        return false;
    };
    match nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None) {
        Ok(()) | Err(nix::errno::Errno::EPERM) => {}
        Err(_) => return false,
    }
    // A zombie has an empty cmdline, another program has another name.
    let Ok(cmdline) = fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let argv0 = cmdline.split(|&b| b == 0).next().unwrap_or_default();
    let name = argv0.rsplit(|&b| b == b'/').next().unwrap_or_default();
    name.windows(b"pod-monitor".len())
        .any(|w| w == b"pod-monitor")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_exit_file_is_no_record_and_garbage_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("exit.json");
        assert!(read_exit_file(&path).unwrap().is_none());
        fs::write(&path, b"").unwrap();
        assert!(read_exit_file(&path).unwrap().is_none());
        fs::write(&path, br#"{"code":3,"finished_at":1}"#).unwrap();
        assert_eq!(read_exit_file(&path).unwrap().unwrap().code, 3);
        fs::write(&path, b"{\"co").unwrap();
        assert!(matches!(
            read_exit_file(&path),
            Err(MonitorError::ExitFileParse { .. })
        ));
    }
}
