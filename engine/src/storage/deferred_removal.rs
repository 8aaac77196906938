//! Trees removed beside the rest of a command instead of before it.
//!
//! A container's storage directory is renamed into a private directory
//! under `storage/tmp/` (one rename, which takes it out of the store at
//! once) and its tree is deleted on a thread while the removal goes on:
//! the run directory, the row, the database's close. The store waits for
//! these threads when its last handle is dropped. The private directory's
//! owner lock is held until its tree is gone, so a process killed
//! meanwhile leaves an entry that the next `Store::open` removes.

use std::sync::Mutex;
use std::thread::JoinHandle;

/// About this many trees are being removed at once; the next removal
/// first waits for the oldest (`rm -af` of many containers).
const MAX_PENDING: usize = 4;

/// The removals under way.
#[derive(Debug, Default)]
pub(crate) struct DeferredRemovals {
    pending: Mutex<Vec<JoinHandle<()>>>,
}

impl DeferredRemovals {
    /// Runs `work` (which removes a tree when run or dropped) on a thread.
    /// If no thread can be had, `work` is dropped here, which removes the
    /// tree before this returns.
    pub(crate) fn push(&self, work: impl FnOnce() + Send + 'static) {
        // The oldest are waited for outside the lock: the other removals
        // of an `rm -af` go on meanwhile.
        let oldest = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            pending.retain(|h| !h.is_finished());
            let over = (pending.len() + 1).saturating_sub(MAX_PENDING);
            pending.drain(..over).collect::<Vec<_>>()
        };
        for handle in oldest {
            let _ = handle.join();
        }
        if let Ok(handle) = std::thread::Builder::new()
            .name("remove-tree".into())
            .spawn(work)
        {
            self.pending
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(handle);
        }
    }

    /// Waits until every removal under way is done.
    pub(crate) fn settle(&self) {
        let pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
        for handle in pending {
            let _ = handle.join();
        }
    }
}

impl Drop for DeferredRemovals {
    fn drop(&mut self) {
        self.settle();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    #[test]
    fn every_removal_is_done_once_settled_and_few_run_at_once() {
        let removals = DeferredRemovals::default();
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(AtomicUsize::new(0));
        for _ in 0..6 {
            let (running, most, done) = (running.clone(), most.clone(), done.clone());
            removals.push(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
                running.fetch_sub(1, Ordering::SeqCst);
                done.fetch_add(1, Ordering::SeqCst);
            });
        }
        removals.settle();
        assert_eq!(done.load(Ordering::SeqCst), 6);
        assert!(most.load(Ordering::SeqCst) <= MAX_PENDING, "{most:?}");
    }

    #[test]
    fn dropping_waits_for_the_removals() {
        let done = Arc::new(AtomicUsize::new(0));
        {
            let removals = DeferredRemovals::default();
            let done = done.clone();
            removals.push(move || {
                std::thread::sleep(Duration::from_millis(30));
                done.fetch_add(1, Ordering::SeqCst);
            });
        }
        assert_eq!(done.load(Ordering::SeqCst), 1);
    }
}
