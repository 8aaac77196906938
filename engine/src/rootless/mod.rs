//! Rootless rpod: the engine run by an ordinary user.
//!
//! An unprivileged `rpod` joins (or first creates) the user's namespace
//! before anything else happens in `main`: a user namespace mapping the
//! user to root and the user's subordinate ids (`/etc/subuid`,
//! `/etc/subgid`, written by the setuid `newuidmap`/`newgidmap`) to 1..N,
//! and a mount namespace, both held open by a small pause process whose
//! pid is kept in the user's run directory. Every later command of that
//! user `setns`es into the same pair, so all of them see one set of
//! mounts and one id mapping; `system migrate` stops the pause process so
//! the next command builds the namespace again (after the ranges changed).
//!
//! - [`dirs`]: the per-user roots (XDG data, runtime and config dirs).
//! - [`enter`]: join or create, called once, early, single-threaded.
//! - [`pause`]: the pause process (fork, unshare, id maps).
//! - [`state`]: whether this process is rootless and its host ids.
//! - [`network`], [`spec`], [`overlay`], [`userns`], [`info`]: what
//!   changes for a rootless container (pasta by default, no cgroups,
//!   `userxattr` overlay or fuse-overlayfs, nested user namespaces,
//!   `info`).
//! - [`netns`], [`portfwd`]: bridge networks in the user's rootless
//!   network namespace, their published ports forwarded into it.

pub mod dirs;
mod enter;
pub mod info;
pub mod netns;
pub mod network;
pub mod overlay;
pub mod passwd;
mod pause;
pub mod portfwd;
pub mod spec;
mod state;
pub mod userns;

pub use enter::{enter_user_namespace, stop_pause_process, Entered};
pub use state::{gid_map, host_gid, host_gid_of, host_uid, host_uid_of, is_rootless, uid_map};

/// The API service's socket of an ordinary user (rootless, or a remote
/// client run by one): `unix://RUNTIME_DIR/rpod/rpod.sock`. `None` for
/// root.
pub fn user_service_uri() -> Option<String> {
    let uid = if is_rootless() {
        host_uid()
    } else {
        let uid = nix::unistd::geteuid().as_raw();
        if uid == 0 {
            return None;
        }
        uid
    };
    let run = dirs::run_root(uid).ok()?;
    Some(format!("unix://{}", run.join("rpod.sock").display()))
}

/// The environment variable that tells processes started inside the
/// namespace (pod-monitor, `container cleanup`, `unshare` commands) which
/// host user they act for.
pub const ROOTLESS_UID_ENV: &str = "_RPOD_ROOTLESS_UID";

/// A failure to set up or join the user's namespace.
#[derive(Debug, thiserror::Error)]
pub enum RootlessError {
    /// No `/etc/subuid` or `/etc/subgid` range for the user.
    #[error("no subuid ranges found for user {user:?} in /etc/subuid and /etc/subgid: cannot set up a rootless user namespace (add a range, e.g. `usermod --add-subuids 100000-165535 --add-subgids 100000-165535 {user}`, then run `rpod system migrate`)")]
    NoSubIds { user: String },
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{tool} failed: {stderr}")]
    IdMapTool { tool: &'static str, stderr: String },
    #[error("cannot join the rootless user namespace: the process has {0} threads")]
    Threaded(usize),
}

impl RootlessError {
    pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> RootlessError {
        let what = what.into();
        move |source| RootlessError::Io { what, source }
    }
}

/// A chown that failed with EINVAL in the user's namespace: the id is not
/// mapped. Podman's explanation, never a silent skip; other errors as
/// they are.
pub(crate) fn chown_error(e: std::io::Error, uid: u32, gid: u32) -> std::io::Error {
    if !is_rootless() || e.raw_os_error() != Some(libc::EINVAL) {
        return e;
    }
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!(
            "potentially insufficient UIDs or GIDs available in user namespace (requested {uid}:{gid}): Check /etc/subuid and /etc/subgid if configured locally and run \"rpod system migrate\": lchown: {e}"
        ),
    )
}
