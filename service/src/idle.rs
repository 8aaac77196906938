//! `--time`: the service ends after a span without requests, counted from
//! the end of the last one (a streaming response such as `logs -f` is a
//! request until its body ends).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

/// Requests in flight, and a wake-up for the idle timer on every change.
#[derive(Default)]
pub struct Activity {
    active: AtomicUsize,
    changed: Notify,
}

/// One request in flight; dropping it ends the request.
pub struct RequestGuard(Arc<Activity>);

impl Activity {
    pub fn new() -> Arc<Activity> {
        Arc::new(Activity::default())
    }

    /// A request begins.
    pub fn begin(self: &Arc<Self>) -> RequestGuard {
        self.active.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_waiters();
        RequestGuard(self.clone())
    }

    /// Requests in flight.
    pub fn active(&self) -> usize {
        self.active.load(Ordering::SeqCst)
    }

    /// Returns once a request has begun (at once if one is in flight),
    /// even one that has ended again since.
    pub async fn busy(&self) {
        let changed = self.changed.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        if self.active() == 0 {
            changed.await;
        }
    }

    /// Returns once `timeout` has passed with no request in flight and
    /// none begun.
    pub async fn idle_for(&self, timeout: Duration) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            if self.active() == 0 {
                tokio::select! {
                    () = tokio::time::sleep(timeout) => return,
                    () = &mut changed => {}
                }
            } else {
                changed.await;
            }
        }
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::SeqCst);
        self.0.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn idles_only_without_requests() {
        let a = Activity::new();
        let guard = a.begin();
        let waiter = {
            let a = a.clone();
            tokio::spawn(async move { a.idle_for(Duration::from_secs(5)).await })
        };
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert!(
            !waiter.is_finished(),
            "a request in flight keeps the service"
        );
        drop(guard);
        tokio::time::sleep(Duration::from_secs(4)).await;
        let again = a.begin();
        drop(again);
        tokio::time::sleep(Duration::from_secs(4)).await;
        assert!(!waiter.is_finished(), "a new request restarts the count");
        tokio::time::sleep(Duration::from_secs(2)).await;
        waiter.await.unwrap();
        assert_eq!(a.active(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn busy_waits_for_a_request() {
        let a = Activity::new();
        let waiter = {
            let a = a.clone();
            tokio::spawn(async move { a.busy().await })
        };
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert!(!waiter.is_finished(), "no request: not busy");
        drop(a.begin());
        waiter.await.unwrap();
        let _guard = a.begin();
        a.busy().await;
    }
}
