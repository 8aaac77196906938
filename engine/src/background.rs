//! Work done on threads beside a command's own path, and waited for
//! before what depends on it and when its owner is dropped: the first
//! snapshot of a new container (`state::Db`), the storage tree of a
//! removed one (`storage::Store::remove_tree_aside`).

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Jobs under way on threads of their own, at most about `limit` at once
/// (a new job first waits for the oldest ones).
#[derive(Debug)]
pub(crate) struct Background {
    /// The threads' name.
    name: &'static str,
    limit: usize,
    pending: Mutex<Vec<JoinHandle<()>>>,
}

impl Background {
    pub(crate) const fn new(name: &'static str, limit: usize) -> Self {
        Background {
            name,
            limit,
            pending: Mutex::new(Vec::new()),
        }
    }

    /// Runs `work` on a thread, or here if no thread can be had.
    pub(crate) fn push(&self, work: impl FnOnce() + Send + 'static) {
        // The oldest are waited for outside the lock: other jobs (the
        // removals of an `rm -af`) are pushed meanwhile.
        let oldest = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            pending.retain(|h| !h.is_finished());
            let over = (pending.len() + 1).saturating_sub(self.limit);
            pending.drain(..over).collect::<Vec<_>>()
        };
        for handle in oldest {
            let _ = handle.join();
        }
        // Kept here too: a failed spawn drops the thread's closure, and
        // the work is then done from this slot.
        let slot = Arc::new(Mutex::new(Some(work)));
        let theirs = Arc::clone(&slot);
        let spawned = std::thread::Builder::new()
            .name(self.name.into())
            .spawn(move || take(&theirs).map_or((), |work| work()));
        match spawned {
            Ok(handle) => self
                .pending
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(handle),
            Err(e) => {
                tracing::debug!("no {} thread: {e}", self.name);
                if let Some(work) = take(&slot) {
                    work();
                }
            }
        }
    }

    /// Waits until every job under way is done.
    pub(crate) fn settle(&self) {
        let pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        for handle in pending {
            let _ = handle.join();
        }
    }

    /// How many jobs have not been waited for.
    #[cfg(test)]
    pub(crate) fn pending(&self) -> usize {
        self.pending.lock().unwrap().len()
    }
}

fn take<T>(slot: &Mutex<Option<T>>) -> Option<T> {
    slot.lock().unwrap_or_else(|p| p.into_inner()).take()
}

impl Drop for Background {
    fn drop(&mut self) {
        self.settle();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[test]
    fn every_job_is_done_once_settled_and_few_run_at_once() {
        let jobs = Background::new("test", 4);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicUsize::new(0));
        for _ in 0..6 {
            let (running, most, done) = (running.clone(), most.clone(), done.clone());
            jobs.push(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
                running.fetch_sub(1, Ordering::SeqCst);
                done.fetch_add(1, Ordering::SeqCst);
            });
        }
        jobs.settle();
        assert_eq!(jobs.pending(), 0);
        assert_eq!(done.load(Ordering::SeqCst), 6);
        assert!(most.load(Ordering::SeqCst) <= 4, "{most:?}");
    }

    #[test]
    fn dropping_waits_for_the_jobs() {
        let done = Arc::new(AtomicUsize::new(0));
        {
            let jobs = Background::new("test", 4);
            let done = done.clone();
            jobs.push(move || {
                std::thread::sleep(Duration::from_millis(30));
                done.fetch_add(1, Ordering::SeqCst);
            });
        }
        assert_eq!(done.load(Ordering::SeqCst), 1);
    }
}
