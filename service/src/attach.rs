//! Attaches waiting for their container to start. Docker's clients attach
//! to a created container, then start it (`docker run` without `-d`,
//! `docker start -a`): the attach registers here, the start starts the
//! container attached (so no output is missed) and hands the session over,
//! and `wait` learns the exit code from the attach that saw it.

use std::collections::HashMap;
use std::sync::Mutex;

use rpod_api::container_run::AttachSession;
use tokio::sync::{oneshot, watch};

/// The session a start hands to a waiting attach, or why there is none.
pub type SessionResult = rpod_api::Result<Box<dyn AttachSession>>;

struct Pending {
    /// Taken by the start that starts the container.
    starter: Option<oneshot::Sender<SessionResult>>,
    /// Whether the attach wants stdin.
    interactive: bool,
    /// The exit code once the attached process ended.
    exit: watch::Receiver<Option<i32>>,
}

/// The attaches of one service, by full container id.
#[derive(Default)]
pub struct Attaches {
    pending: Mutex<HashMap<String, Pending>>,
}

/// What the registering attach keeps.
pub struct Registration {
    pub session: oneshot::Receiver<SessionResult>,
    pub exit: watch::Sender<Option<i32>>,
}

impl Attaches {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Pending>> {
        // A panic while holding the lock leaves a map that is still whole.
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// An attach to the container `id` waits for its start.
    pub fn register(&self, id: &str, interactive: bool) -> Registration {
        let (session_tx, session_rx) = oneshot::channel();
        let (exit_tx, exit_rx) = watch::channel(None);
        self.lock().insert(
            id.to_owned(),
            Pending {
                starter: Some(session_tx),
                interactive,
                exit: exit_rx,
            },
        );
        Registration {
            session: session_rx,
            exit: exit_tx,
        }
    }

    /// Whether any attach waits (so a start must look).
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// For a start of `id`: the attach waiting for it and whether it wants stdin.
    pub fn take_starter(&self, id: &str) -> Option<(oneshot::Sender<SessionResult>, bool)> {
        let mut map = self.lock();
        let p = map.get_mut(id)?;
        let tx = p.starter.take()?;
        Some((tx, p.interactive))
    }

    /// For a wait on `id`: the exit the attach will see.
    pub fn exit_watch(&self, id: &str) -> Option<watch::Receiver<Option<i32>>> {
        self.lock().get(id).map(|p| p.exit.clone())
    }

    /// The attach ended.
    pub fn remove(&self, id: &str) {
        self.lock().remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn start_hands_over_and_wait_sees_the_exit() {
        let a = Attaches::default();
        assert!(a.is_empty());
        let reg = a.register("abc", true);
        let (starter, interactive) = a.take_starter("abc").unwrap();
        assert!(interactive);
        assert!(a.take_starter("abc").is_none(), "one start only");
        let mut exit = a.exit_watch("abc").unwrap();
        starter
            .send(Err(rpod_api::Error::other("boom")))
            .unwrap_or_else(|_| panic!("receiver gone"));
        assert!(reg.session.await.unwrap().is_err());
        reg.exit.send(Some(7)).unwrap();
        a.remove("abc");
        assert_eq!(*exit.wait_for(|e| e.is_some()).await.unwrap(), Some(7));
        assert!(a.exit_watch("abc").is_none());
    }
}
