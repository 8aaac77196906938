//! Work done on threads beside a command's own path, and waited for
//! before what depends on it and when its owner is dropped: the first
//! snapshot of a new container (`state::Db`), the storage tree of a
//! removed one (`storage::Store::remove_tree_aside`). A process that ends
//! without dropping its owners (the CLI dying by SIGPIPE) waits for all of
//! it with [`settle_all`].

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

/// How many jobs run on threads in the whole process.
struct UnderWay {
    count: Mutex<usize>,
    none_left: Condvar,
}

static UNDER_WAY: UnderWay = UnderWay {
    count: Mutex::new(0),
    none_left: Condvar::new(),
};

/// One job counted in [`UNDER_WAY`] from before its thread is spawned
/// until its thread is done (or its spawn failed).
struct Counted;

impl Counted {
    fn start() -> Self {
        *UNDER_WAY.count.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        Counted
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        let mut count = UNDER_WAY.count.lock().unwrap_or_else(|p| p.into_inner());
        *count -= 1;
        if *count == 0 {
            UNDER_WAY.none_left.notify_all();
        }
    }
}

/// Waits until no job of any [`Background`] of this process is running,
/// for a process about to end without dropping them.
pub fn settle_all() {
    let mut count = UNDER_WAY.count.lock().unwrap_or_else(|p| p.into_inner());
    while *count > 0 {
        count = UNDER_WAY
            .none_left
            .wait(count)
            .unwrap_or_else(|p| p.into_inner());
    }
}

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
        let counted = Counted::start();
        let spawned = std::thread::Builder::new()
            .name(self.name.into())
            .spawn(move || {
                let _counted = counted;
                if let Some(work) = take(&theirs) {
                    work();
                }
            });
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
    fn settle_all_waits_for_the_jobs_of_a_background_never_dropped() {
        let done = Arc::new(AtomicUsize::new(0));
        // Leaked, as a process ending by a signal leaves its owners.
        let jobs: &'static Background = Box::leak(Box::new(Background::new("test", 4)));
        for _ in 0..2 {
            let done = done.clone();
            jobs.push(move || {
                std::thread::sleep(Duration::from_millis(40));
                done.fetch_add(1, Ordering::SeqCst);
            });
        }
        settle_all();
        assert_eq!(done.load(Ordering::SeqCst), 2);
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
