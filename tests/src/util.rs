//! Bounded waits and unique names.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Calls `f` until it returns `true`; panics with "timed out after … waiting for {what}"
/// once `timeout` has passed. The check interval starts at 5 ms and backs off to 100 ms.
pub fn wait_until(timeout: Duration, what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    let mut delay = Duration::from_millis(5);
    loop {
        if f() {
            return;
        }
        let elapsed = start.elapsed();
        if elapsed >= timeout {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(delay.min(timeout - elapsed));
        delay = (delay * 2).min(Duration::from_millis(100));
    }
}

/// A name unique across concurrently running tests and processes: `{prefix}-{hex}`, built
/// from the process id, a per-process counter and the clock (valid as a container, pod,
/// volume or network name).
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{:x}{n:x}{:05x}",
        std::process::id(),
        nanos & 0xfffff
    )
}
